import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Trajectory } from '../../../engine/api/schemas/trajectory.js';
import { defaultBundleDir } from '../../../engine/bundle/default-bundle.js';
import { writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { RUN_DEFAULTS } from '../../../engine/eval/defaults.js';
import type { ResolvedRun } from '../../../engine/eval/resolve.js';
import { runEvaluation, type EvalReport } from '../../../engine/eval/runner.js';
import { checkCameraFile } from '../../../engine/runs/camera-file.js';
import { LiberoSimulator } from '../../../engine/sim/libero/simulator.js';
import { evaluate } from '../eval/evaluate.js';
import { NO_REAL_LIBERO, realLiberoPython } from '../real-libero.js';

// The budget: at most 2 MB of stored camera images per 220-step episode of two 128x128
// cameras, measured on real renders through the whole recording path (worker, JPEG, MCAP, store):
// the embedded simulator's rasteriser, and real LIBERO's MuJoCo renders where it is set up.
const BUDGET = 2_000_000;
const BOTH = [
  { name: 'agentview' as const, width: 128, height: 128 },
  { name: 'robot0_eye_in_hand' as const, width: 128, height: 128 },
];

const python = realLiberoPython();
if (!python) console.log(`test/engine/runs/camera-size.test.ts (real LIBERO part): ${NO_REAL_LIBERO}`);

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-camera-size-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The episode's camera file checked whole, and its size per row, reported. */
async function measure(report: EvalReport, label: string): Promise<number> {
  const episode = report.results.episodes[0]!;
  const t = Trajectory.parse(JSON.parse(await readFile(path.join(report.run.dir, 'trajectories', episode.trajectory!), 'utf8')));
  expect(t.cameras?.views).toEqual(BOTH);
  const file = path.join(report.run.dir, 'trajectories', t.cameras!.file);
  const bytes = new Uint8Array(await readFile(file));
  await checkCameraFile(bytes, t.cameras!);
  const trajectoryBytes = (await stat(path.join(report.run.dir, 'trajectories', episode.trajectory!))).size;
  console.log(
    `${label}: ${t.steps}-step episode (${episode.outcome}), two 128x128 cameras, JPEG quality ${t.cameras!.quality} 4:2:0: ` +
      `${bytes.length} bytes of MCAP (${(bytes.length / t.cameras!.frames / 2).toFixed(0)} bytes a frame), trajectory JSON ${trajectoryBytes} bytes`,
  );
  return bytes.length * (220 / t.steps);
}

describe('camera images per 220-step episode', () => {
  it('stay within 2 MB on the embedded simulator (its rasteriser)', async () => {
    await writeSyntheticBundle(path.join(tmp, 'tiny'), 'tiny', 1);
    const report = await evaluate({ bundleDir: path.join(tmp, 'tiny'), tasks: [0], trials: 1, maxSteps: 220, workers: 1, runsRoot: path.join(tmp, 'runs'), recordCameras: BOTH });
    expect(report.results.episodes[0]!.steps).toBe(220); // the tiny bundle does not solve the task: the whole episode is measured
    expect(await measure(report, 'embedded simulator')).toBeLessThanOrEqual(BUDGET);
  }, 300_000);

  it.skipIf(!python)('stay within 2 MB on real LIBERO (MuJoCo renders through the Python bridge), the default bundle acting', async () => {
    const sim = await LiberoSimulator.create({ python: python! });
    const liberoRoot = sim.hello.liberoRoot;
    await sim.close();
    const run: ResolvedRun = {
      suite: 'libero_spatial',
      tasks: [0],
      trials: 1,
      seed: RUN_DEFAULTS.seed,
      maxSteps: 220,
      waitSteps: 10,
      initSource: { kind: 'libero', dir: liberoRoot },
      simulator: { kind: 'libero', python: python! },
      policy: { kind: 'bundle', dir: defaultBundleDir(), ep: 'cpu' },
      target: RUN_DEFAULTS.target,
      workers: 1,
      debug: false,
      runsRoot: path.join(tmp, 'runs-libero'),
      resume: null,
      recordCameras: BOTH,
    };
    // An episode that succeeds early is scaled to 220 steps: JPEG frames are coded alone, so the size grows with the rows.
    expect(await measure(await runEvaluation(run), 'real LIBERO')).toBeLessThanOrEqual(BUDGET);
  }, 600_000);
});
