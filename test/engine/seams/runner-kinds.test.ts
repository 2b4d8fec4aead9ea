import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_DEFAULTS } from '../../../engine/eval/defaults.js';
import type { ResolvedRun } from '../../../engine/eval/resolve.js';
import { runEvaluation } from '../../../engine/eval/runner.js';
import { validateResults } from '../../../engine/runs/results-schema.js';
import { Trajectory } from '../../../engine/api/schemas/trajectory.js';
import { ScriptedPolicy } from './point-mass.js';

// The runner with a policy and a simulator of kinds it has never heard of (test doubles in
// point-mass.ts): if it knew the kinds, this could not run.
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-seams-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const run = (runsRoot: string): ResolvedRun => ({
  suite: 'libero_spatial',
  tasks: [0, 3],
  trials: 3,
  seed: RUN_DEFAULTS.seed,
  maxSteps: 60,
  waitSteps: 2,
  initSource: RUN_DEFAULTS.initSource,
  simulator: RUN_DEFAULTS.simulator,
  // Only the createPolicy hook below reads this: it makes the scripted policy instead.
  policy: { kind: 'bundle', dir: 'scripted', ep: 'cpu' },
  target: RUN_DEFAULTS.target,
  workers: 2,
  debug: false,
  runsRoot,
  resume: null,
});

describe('the runner on other kinds of policy and simulator', () => {
  it('runs a scripted policy on an in-memory simulator: episodes, trajectories and results as with the real ones', async () => {
    const policy = new ScriptedPolicy();
    const report = await runEvaluation(run(path.join(tmp, 'runs')), {
      workerModule: new URL('./point-mass-worker.ts', import.meta.url),
      createPolicy: async () => policy,
    });
    expect(report.status).toBe('completed');
    const results = validateResults(JSON.parse(await readFile(path.join(report.run.dir, 'results.json'), 'utf8')));
    expect(results.config.bundle).toEqual({ name: 'scripted-point-mass', hash: 'test:scripted-point-mass-1' });
    expect(results.total).toMatchObject({ episodes: 6, successes: 6, errors: 0 });
    // 0.3 m at 1 cm a step: 30 steps, in chunks of 4 (the last one cut short by success).
    for (const e of results.episodes) {
      expect(e.steps).toBe(30);
      expect(e.chunks.draftLayers).toHaveLength(8);
      expect(e.chunks.latency.totalMs.every((ms) => ms >= 0)).toBe(true);
    }
    expect(policy.checked.map((t) => t.taskId)).toEqual([0, 3]);
    expect(policy.closed).toBe(true);
    expect(policy.batches.reduce((a, b) => a + b, 0)).toBe(6 * 8);

    const files = (await readdir(report.run.trajectoriesDir)).sort();
    expect(files).toContain('scene-task00.json');
    const trajectory = Trajectory.parse(JSON.parse(await readFile(path.join(report.run.trajectoriesDir, 'task03-trial002.json'), 'utf8')));
    expect(trajectory).toMatchObject({ bodies: 1, steps: 30, outcome: 'success' });
    expect(trajectory.chunks.map((c) => c.executed)).toEqual([4, 4, 4, 4, 4, 4, 4, 2]);
  }, 60_000);
});
