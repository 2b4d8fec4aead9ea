import { access, readdir, readFile, rm, symlink, unlink, writeFile, mkdtemp, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvalError } from '../../../engine/eval/runner.js';
import type { EvalEvent } from '../../../engine/api/schemas/eval-events.js';
import { evaluate } from './evaluate.js';
import { writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { validateResults } from '../../../engine/runs/results-schema.js';
import { decodeGoal, expandPoses } from '../../../engine/api/trajectory-codec.js';
import { Trajectory } from '../../../engine/api/schemas/trajectory.js';

// The engine's test bundle (synthetic-tiny: seeded random-but-structured weights, not a trained
// policy, so its episodes run out of steps) drives the runner through real MuJoCo and onnxruntime.
let tmp: string;
let bundle: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-eval-'));
  bundle = path.join(tmp, 'tiny');
  await writeSyntheticBundle(bundle, 'tiny', 1);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const workerModule = (name: string): URL => new URL(`./${name}`, import.meta.url);

describe('runEvaluation', () => {
  it('runs a task x trials across two workers with batched inference and writes a valid results file, trajectories and one scene', async () => {
    const runsRoot = path.join(tmp, 'runs-basic');
    const events: EvalEvent[] = [];
    // A long batch window puts the two workers in lockstep after their first chunk.
    const report = await evaluate({ bundleDir: bundle, tasks: [0], trials: 3, maxSteps: 24, workers: 2, runsRoot, batchWindowMs: 500, onEvent: (e) => events.push(e) });

    expect(report.status).toBe('completed');
    const results = validateResults(JSON.parse(await readFile(path.join(report.run.dir, 'results.json'), 'utf8')));
    expect(results.total.episodes).toBe(3);
    expect(results.config.decoding).toBe('speculative');
    expect(results.config.bundle.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(results.config.simulator.version).toMatch(/^MuJoCo \d+\.\d+\.\d+ \(wasm\)$/);
    for (const e of results.episodes) {
      expect(e.outcome).not.toBe('error');
      expect(e.steps).toBe(24); // an untrained policy runs out of steps
      expect(e.chunks.draftLayers).toHaveLength(3); // 8 + 8 + 8 actions
    }
    // Two workers asking in lockstep share batches.
    expect(report.stats.meanBatch).toBeGreaterThan(1);

    const files = (await readdir(report.run.trajectoriesDir)).sort();
    expect(files).toEqual(['scene-task00.json', 'task00-trial000.json', 'task00-trial001.json', 'task00-trial002.json']);
    const trajectory = Trajectory.parse(JSON.parse(await readFile(path.join(report.run.trajectoriesDir, 'task00-trial001.json'), 'utf8')));
    const scene = JSON.parse(await readFile(path.join(report.run.trajectoriesDir, 'scene-task00.json'), 'utf8')) as { description: { bodies: string[] } };
    expect(trajectory.bodies).toBe(scene.description.bodies.length);
    expect(trajectory.chunks.map((c) => c.step)).toEqual([0, 8, 16]);
    expect(trajectory.moving.length).toBeGreaterThan(0);
    const poses = expandPoses(trajectory);
    expect(poses.length).toBe(25 * trajectory.bodies * 7);
    // The robot moved: some body's position differs between the first and last rows.
    const moved = trajectory.moving.map((b) => {
      const [first, last] = [0, 24].map((row) => poses.subarray((row * trajectory.bodies + b) * 7, (row * trajectory.bodies + b) * 7 + 3));
      return Math.hypot(first![0]! - last![0]!, first![1]! - last![1]!, first![2]! - last![2]!);
    });
    expect(Math.max(...moved)).toBeGreaterThan(1e-3);
    // The goal's atoms per row (replay's goal strip), named from the task; a failure never held them all.
    const goal = decodeGoal(trajectory)!;
    expect(goal.atoms).toEqual(['On(akita_black_bowl_1, plate_1)']);
    expect(goal.truth).toHaveLength(25);
    expect(goal.truth.every((v) => v === 0)).toBe(true);

    const kinds = events.map((e) => e.type);
    expect(kinds[0]).toBe('run-started');
    expect(kinds.at(-1)).toBe('run-finished');
    expect(kinds.filter((k) => k === 'episode-finished')).toHaveLength(3);
    const last3 = events.filter((e) => e.type === 'episode-finished').at(-1)!;
    expect(last3.type === 'episode-finished' && last3.progress.done).toBe(3);
  }, 60_000);

  it('gives the same outcomes with one worker as with two (batching does not change greedy decoding)', async () => {
    const runsRoot = path.join(tmp, 'runs-workers');
    const one = await evaluate({ bundleDir: bundle, tasks: [0], trials: 2, maxSteps: 16, workers: 1, runsRoot, decoding: 'autoregressive' });
    const two = await evaluate({ bundleDir: bundle, tasks: [0], trials: 2, maxSteps: 16, workers: 2, runsRoot, decoding: 'autoregressive' });
    const traj = async (dir: string, name: string) => Trajectory.parse(JSON.parse(await readFile(path.join(dir, 'trajectories', name), 'utf8')));
    for (const name of ['task00-trial000.json', 'task00-trial001.json']) {
      expect((await traj(two.run.dir, name)).actions).toBe((await traj(one.run.dir, name)).actions);
    }
  }, 60_000);

  it('records an episode that throws as an error, counts it as a failure and goes on', async () => {
    const report = await evaluate({ bundleDir: bundle, tasks: [0], trials: 3, maxSteps: 16, workers: 1, runsRoot: path.join(tmp, 'runs-throw'), workerModule: workerModule('throwing-sim-worker.ts') });
    expect(report.status).toBe('completed');
    const byTrial = report.results.episodes.map((e) => [e.trial, e.outcome, e.error]);
    expect(byTrial).toEqual([
      [0, 'failure', null],
      [1, 'error', 'SimulationError: injected instability at step 5 (test worker)'],
      [2, 'failure', null],
    ]);
    expect(report.results.total).toMatchObject({ episodes: 3, successes: 0, errors: 1, failures: 2 });
    expect(report.results.hadErrors).toBe(true);
  }, 60_000);

  it('records the episode of a worker that dies as an error, replaces the worker and goes on', async () => {
    const report = await evaluate({ bundleDir: bundle, tasks: [0], trials: 3, maxSteps: 16, workers: 1, runsRoot: path.join(tmp, 'runs-die'), workerModule: workerModule('dying-sim-worker.ts') });
    const trial1 = report.results.episodes.find((e) => e.trial === 1)!;
    expect(trial1.outcome).toBe('error');
    expect(trial1.error).toMatch(/worker running task 0 trial 1 died/);
    expect(trial1.trajectory).toBeNull();
    expect(report.results.episodes.filter((e) => e.outcome === 'failure')).toHaveLength(2);
  }, 60_000);

  it('cancels cleanly: keeps what finished, and --resume runs only the rest', async () => {
    const runsRoot = path.join(tmp, 'runs-cancel');
    const controller = new AbortController();
    const first = await evaluate({
      bundleDir: bundle,
      tasks: [0, 1],
      trials: 2,
      maxSteps: 16,
      workers: 1,
      runsRoot,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'episode-finished' && e.progress.done === 1) controller.abort();
      },
    });
    expect(first.status).toBe('cancelled');
    expect(first.results.run?.status).toBe('cancelled');
    expect(first.results.episodes).toHaveLength(1);

    const started: string[] = [];
    const second = await evaluate({ resume: first.run.id, runsRoot, onEvent: (e) => e.type === 'episode-started' && started.push(`${e.taskId}/${e.trial}`) });
    expect(second.status).toBe('completed');
    expect(started).not.toContain('0/0');
    expect(started).toHaveLength(3);
    expect(second.results.episodes.map((e) => `${e.taskId}/${e.trial}`)).toEqual(['0/0', '0/1', '1/0', '1/1']);
    validateResults(JSON.parse(await readFile(path.join(second.run.dir, 'results.json'), 'utf8')));
  }, 60_000);

  it('decodes the layers asked (--layers), records the depth in the configuration, and a resumed run keeps it', async () => {
    const runsRoot = path.join(tmp, 'runs-depth');
    const controller = new AbortController();
    const first = await evaluate({
      bundleDir: bundle,
      layers: 2,
      tasks: [0],
      trials: 2,
      maxSteps: 16,
      workers: 1,
      runsRoot,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'episode-finished' && e.progress.done === 1) controller.abort();
      },
    });
    expect(first.results.config).toMatchObject({ decoding: 'speculative', accept: 'exact', depth: { layers: 2, of: 8 } });
    const second = await evaluate({ resume: first.run.id, runsRoot });
    expect(second.status).toBe('completed');
    const results = validateResults(JSON.parse(await readFile(path.join(second.run.dir, 'results.json'), 'utf8')));
    expect(results.config.depth).toEqual({ layers: 2, of: 8 });
    // The draft's 3 layers are cut to the depth in both halves of the run.
    expect(results.episodes.flatMap((e) => e.chunks.draftLayers)).toEqual(new Array(4).fill(2));
    // Every layer asked is no depth: the configuration says nothing.
    const full = await evaluate({ bundleDir: bundle, layers: 8, tasks: [0], trials: 1, maxSteps: 8, workers: 1, runsRoot });
    expect(full.results.config.depth).toBeUndefined();
    expect(full.results.episodes[0]!.chunks.draftLayers).toEqual([3]);
  }, 60_000);

  it('refuses an unwritable output directory before anything runs', async () => {
    const file = path.join(tmp, 'not-a-dir');
    await writeFile(file, 'x');
    await expect(evaluate({ bundleDir: bundle, tasks: [0], trials: 1, runsRoot: path.join(file, 'runs') })).rejects.toThrow(/cannot write runs to .*not-a-dir\/runs/);
  });

  it('stops with a clear error when the disk fills mid-run, leaving run.json and finished trajectories intact', async () => {
    if (!(await access('/dev/full').then(() => true, () => false))) {
      console.log('skipped: /dev/full is not available on this machine');
      return;
    }
    const runsRoot = path.join(tmp, 'runs-full');
    let episodesFile = '';
    const failed = evaluate({
      bundleDir: bundle,
      tasks: [0],
      trials: 2,
      maxSteps: 8,
      workers: 1,
      runsRoot,
      onEvent: (e) => {
        // From now on every write to episodes.jsonl fails with ENOSPC, as on a full disk.
        if (e.type === 'run-started') {
          episodesFile = path.join(e.dir, 'episodes.jsonl');
          void unlink(episodesFile).then(() => symlink('/dev/full', episodesFile));
        }
      },
    });
    await expect(failed).rejects.toThrow(/writing task 0 trial 0: .*ENOSPC/);
    const runDir = path.dirname(episodesFile);
    const meta = JSON.parse(await readFile(path.join(runDir, 'run.json'), 'utf8')) as { id: string; status: string; error: string };
    expect(meta.status).toBe('failed');
    expect(meta.error).toMatch(/ENOSPC/);
    // The trajectory written before the failed append is whole.
    Trajectory.parse(JSON.parse(await readFile(path.join(runDir, 'trajectories', 'task00-trial000.json'), 'utf8')));
    // With space again, the run resumes and completes.
    await unlink(episodesFile);
    await writeFile(episodesFile, '');
    const resumed = await evaluate({ resume: meta.id, runsRoot });
    expect(resumed.results.episodes).toHaveLength(2);
  }, 60_000);

  it("runs from LIBERO's own initial states and records where they came from", async () => {
    const libero = path.resolve('../shared/libero');
    if (!(await access(path.join(libero, 'init_files')).then(() => true, () => false))) {
      console.log(`skipped: no LIBERO data at ${libero} (a user's clone has none)`);
      return;
    }
    const report = await evaluate({ bundleDir: bundle, tasks: [1], trials: 2, maxSteps: 8, workers: 1, runsRoot: path.join(tmp, 'runs-libero'), initSource: { kind: 'libero', dir: libero } });
    expect(report.results.config.initStates).toEqual({ source: 'libero', location: libero });
    expect(report.results.episodes.map((e) => [e.trial, e.initIndex, e.outcome])).toEqual([
      [0, 0, 'failure'],
      [1, 1, 'failure'],
    ]);
  }, 60_000);

  it('names what is wrong with the request', async () => {
    const runsRoot = path.join(tmp, 'runs-bad');
    await expect(evaluate({ bundleDir: bundle, tasks: [12], trials: 1, runsRoot })).rejects.toThrow(EvalError);
    await expect(evaluate({ bundleDir: bundle, tasks: [12], trials: 1, runsRoot })).rejects.toThrow(/libero_spatial has tasks 0-9; 12/);
    await expect(evaluate({ bundleDir: bundle, tasks: [0], trials: 1, runsRoot, decoding: 'parallel' })).rejects.toThrow(/cannot decode "parallel"/);
    await expect(evaluate({ bundleDir: bundle, tasks: [0], trials: 1, runsRoot, layers: 9 })).rejects.toMatchObject({ field: 'layers', message: '9 is not a depth of bundle "synthetic-tiny": expected an integer in 1..8 (its RFSQ layers)' });
    // The tiny bundle knows the first four instructions only.
    await expect(evaluate({ bundleDir: bundle, tasks: [2], trials: 1, runsRoot })).rejects.toThrow(/was not trained on the instruction/);
    await expect(evaluate({ bundleDir: path.join(tmp, 'nowhere'), tasks: [0], trials: 1, runsRoot })).rejects.toThrow(/no bundle.json in/);
    await mkdir(runsRoot, { recursive: true });
    expect(await readdir(runsRoot)).toEqual([]); // nothing was created for refused requests
  });
});
