import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_DEFAULTS } from '../../../../engine/eval/defaults.js';
import type { ResolvedRun } from '../../../../engine/eval/resolve.js';
import { runEvaluation } from '../../../../engine/eval/runner.js';
import { validateResults } from '../../../../engine/runs/results-schema.js';
import { ScriptedPolicy } from '../../seams/point-mass.js';

// A simulator worker process that dies, hangs or writes garbage mid-episode is replaced and its
// episode runs again from the start, once, recorded as retried (the STAND-IN worker of
// stand-in-worker.mjs misbehaves once per state folder; the scripted policy of the seams tests
// steers its point mass).
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-retry-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
  delete process.env.STAND_IN_MODE;
  delete process.env.STAND_IN_STATE_DIR;
  delete process.env.RSD_LIBERO_WORKER;
});

const run = (runsRoot: string): ResolvedRun => ({
  suite: 'libero_spatial',
  tasks: [0],
  trials: 2,
  seed: RUN_DEFAULTS.seed,
  maxSteps: 60,
  waitSteps: 2,
  initSource: RUN_DEFAULTS.initSource,
  // The run's record asks the "interpreter" for its hello: Node running the stand-in (RSD_LIBERO_WORKER).
  simulator: { kind: 'libero', python: process.execPath },
  policy: { kind: 'bundle', dir: 'scripted', ep: 'cpu' },
  target: RUN_DEFAULTS.target,
  workers: 1,
  debug: false,
  runsRoot,
  resume: null,
});

describe('an episode whose simulator was lost', () => {
  for (const mode of ['crash-on-step:12', 'garbage-on-step:12', 'hang-on-step:12']) {
    it(`${mode.split(':')[0]}: runs again from its start, once, and says so`, async () => {
      const state = await mkdtemp(path.join(tmp, 'state-'));
      process.env.STAND_IN_MODE = mode;
      process.env.STAND_IN_STATE_DIR = state;
      process.env.RSD_LIBERO_WORKER = fileURLToPath(new URL('./stand-in-worker.mjs', import.meta.url));
      const logs: string[] = [];
      const report = await runEvaluation(run(path.join(state, 'runs')), {
        workerModule: new URL('./stand-in-sim-worker.ts', import.meta.url),
        createPolicy: async () => new ScriptedPolicy(),
        onEvent: (e) => e.type === 'log' && logs.push(e.message),
      });
      const results = validateResults(JSON.parse(await readFile(path.join(report.run.dir, 'results.json'), 'utf8')));
      expect(results.total).toMatchObject({ episodes: 2, successes: 2, errors: 0 });
      expect(results.config.simulator).toEqual({ backend: 'libero', version: 'LIBERO stand-in, robosuite 1.4.1, MuJoCo 3.14.0' });
      const [first, second] = results.episodes;
      expect(first!.retried?.error).toMatch(/LiberoWorkerLost/);
      expect(second!.retried).toBeUndefined();
      // The rerun's record only: 30 steps in chunks of 4, as an episode that never failed.
      expect(first!.steps).toBe(30);
      expect(first!.chunks.draftLayers).toHaveLength(8);
      expect(logs.some((l) => /running the episode again from its start/.test(l))).toBe(true);
    }, 60_000);
  }
});
