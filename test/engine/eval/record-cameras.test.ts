import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunRequest } from '../../../engine/api/schemas/run-request.js';
import { Trajectory } from '../../../engine/api/schemas/trajectory.js';
import { writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { resolveResume } from '../../../engine/eval/resolve.js';
import { checkCameraFile } from '../../../engine/runs/camera-file.js';
import { RunStore } from '../../../engine/runs/store.js';
import { readCameraRows } from '../../../engine/runs/camera-store.js';
import { evaluate } from './evaluate.js';

// Which cameras a run records (the policy's and the run's recordCameras), on the embedded
// simulator's renders, through the runner's workers into the run store.

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-record-cameras-'));
  await writeSyntheticBundle(path.join(tmp, 'tiny'), 'tiny', 1);
  await writeSyntheticBundle(path.join(tmp, 'tiny-vision'), 'tiny-vision', 1);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const BOTH = [
  { name: 'agentview', width: 128, height: 128 },
  { name: 'robot0_eye_in_hand', width: 128, height: 128 },
] as const;

async function trajectoryOf(dir: string, name: string): Promise<Trajectory> {
  return Trajectory.parse(JSON.parse(await readFile(path.join(dir, 'trajectories', name), 'utf8')));
}

describe('recording cameras', () => {
  it("records a state policy's episodes with the run's recordCameras: one checked MCAP file per episode, named by its trajectory", async () => {
    const runsRoot = path.join(tmp, 'runs-state');
    const report = await evaluate({ bundleDir: path.join(tmp, 'tiny'), tasks: [0], trials: 2, maxSteps: 12, workers: 1, runsRoot, recordCameras: [...BOTH] });
    for (const e of report.results.episodes) {
      const t = await trajectoryOf(report.run.dir, e.trajectory!);
      expect(t.cameras).toMatchObject({ file: e.trajectory!.replace('.json', '.mcap'), encoding: 'jpeg', quality: 80, views: BOTH, frames: t.steps + 1 });
      const bytes = new Uint8Array(await readFile(path.join(report.run.dir, 'trajectories', t.cameras!.file)));
      await checkCameraFile(bytes, t.cameras!);
    }
    // runs.cameras pages through the rows within its byte budget, every row once, in order.
    const t = await trajectoryOf(report.run.dir, report.results.episodes[0]!.trajectory!);
    const seen: number[] = [];
    for (let from: number | null = 0, pages = 0; from !== null; pages++) {
      const page = await readCameraRows(path.join(report.run.dir, 'trajectories'), t.cameras!, from, 20_000);
      expect(page.rows.length).toBeGreaterThan(0);
      seen.push(...page.rows.map((r) => r.row));
      from = page.next;
      expect(pages).toBeLessThan(t.cameras!.frames);
    }
    expect(seen).toEqual(Array.from({ length: t.cameras!.frames }, (_, i) => i));

    // run.json keeps the option, so a resumed run records the same cameras.
    expect(JSON.parse(await readFile(path.join(report.run.dir, 'run.json'), 'utf8')).recordCameras).toEqual(BOTH);
    expect((await resolveResume(report.run.id, { runsRoot })).recordCameras).toEqual(BOTH);

    // The run folder ingested elsewhere (a target's scratch run coming home) brings its camera files, checked.
    const home = await new RunStore(path.join(tmp, 'runs-home')).createRun(report.results.config);
    expect(await home.ingestFolder(report.run.dir)).toMatchObject({ added: 2 });
    for (const e of report.results.episodes) {
      const mcap = e.trajectory!.replace('.json', '.mcap');
      expect(await readFile(path.join(home.trajectoriesDir, mcap))).toEqual(await readFile(path.join(report.run.dir, 'trajectories', mcap)));
    }
    await home.release();
  }, 120_000);

  it("records a vision policy's own cameras at its render sizes without being asked", async () => {
    const report = await evaluate({ bundleDir: path.join(tmp, 'tiny-vision'), tasks: [0], trials: 1, maxSteps: 8, workers: 1, runsRoot: path.join(tmp, 'runs-vision') });
    const t = await trajectoryOf(report.run.dir, report.results.episodes[0]!.trajectory!);
    expect(t.cameras?.views).toEqual([
      { name: 'agentview', width: 12, height: 16 },
      { name: 'robot0_eye_in_hand', width: 6, height: 6 },
    ]);
    await checkCameraFile(new Uint8Array(await readFile(path.join(report.run.dir, 'trajectories', t.cameras!.file))), t.cameras!);
  }, 120_000);

  it('records nothing, and renders nothing, for a state policy without recordCameras', async () => {
    const report = await evaluate({ bundleDir: path.join(tmp, 'tiny'), tasks: [0], trials: 1, maxSteps: 8, workers: 1, runsRoot: path.join(tmp, 'runs-none') });
    const t = await trajectoryOf(report.run.dir, report.results.episodes[0]!.trajectory!);
    expect(t.cameras).toBeUndefined();
    expect((await readdir(path.join(report.run.dir, 'trajectories'))).filter((f) => f.endsWith('.mcap'))).toEqual([]);
  }, 60_000);

  it("refuses a camera asked at another size than the policy's, naming recordCameras", async () => {
    await expect(
      evaluate({ bundleDir: path.join(tmp, 'tiny-vision'), tasks: [0], trials: 1, maxSteps: 8, workers: 1, runsRoot: path.join(tmp, 'runs-conflict'), recordCameras: [BOTH[0]] }),
    ).rejects.toMatchObject({ field: 'recordCameras', message: expect.stringContaining('camera "agentview" is asked for at 12x16 and at 128x128') });
  }, 60_000);

  it('checks the request: LIBERO camera names, each once, 32 to 512 pixels', () => {
    const issue = (recordCameras: unknown) => {
      const r = RunRequest.safeParse({ recordCameras });
      return r.success ? 'accepted' : `${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`;
    };
    expect(issue([BOTH[0], BOTH[1]])).toBe('accepted');
    expect(issue([BOTH[0], BOTH[0]])).toBe('recordCameras: names a camera more than once');
    expect(issue([{ name: 'frontview', width: 128, height: 128 }])).toMatch(/^recordCameras\.0\.name: /);
    expect(issue([{ name: 'agentview', width: 1024, height: 128 }])).toMatch(/^recordCameras\.0\.width: /);
  });
});
