import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { defaultBundleDir } from '../../../engine/bundle/default-bundle.js';
import { Trajectory } from '../../../engine/api/schemas/trajectory.js';

// The shipped default bundle (a trained policy, assets/bundles/default) in closed loop: speculative
// decoding with `exact` acceptance is lossless, so it must execute exactly the actions that
// autoregressive decoding of the same main model executes, episode for episode. A subset here
// (one trial of each task, 60 steps); docs/benchmarks.md compares all 500 evaluation episodes.
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-default-bundle-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('the shipped default bundle', () => {
  it('executes the same actions with speculative exact decoding as with autoregressive decoding', async () => {
    const bundleDir = defaultBundleDir();
    const common = { bundleDir, tasks: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], trials: 1, maxSteps: 60, workers: 2, runsRoot: tmp };
    const ar = await evaluate({ ...common, decoding: 'autoregressive' });
    const spec = await evaluate({ ...common, decoding: 'speculative', accept: 'exact' });
    expect(ar.status).toBe('completed');
    expect(spec.status).toBe('completed');
    let accepted = 0;
    let proposed = 0;
    for (const episode of spec.results.episodes) {
      const name = `task${String(episode.taskId).padStart(2, '0')}-trial000.json`;
      const read = async (dir: string) => Trajectory.parse(JSON.parse(await readFile(path.join(dir, 'trajectories', name), 'utf8')));
      const [a, s] = [await read(ar.run.dir), await read(spec.run.dir)];
      expect(s.actions, name).toBe(a.actions);
      expect(s.outcome, name).toBe(a.outcome);
      for (const c of s.chunks) {
        accepted += c.acceptedLayers;
        proposed += c.draftLayers;
      }
    }
    // The draft is doing the work (not every proposal refused, which would also be lossless).
    expect(proposed).toBeGreaterThan(0);
    expect(accepted / proposed).toBeGreaterThan(0.8);
  }, 240_000);
});
