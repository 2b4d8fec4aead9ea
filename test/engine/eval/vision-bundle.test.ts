import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { appRoot } from '../../../engine/util/app-root.js';
import { Trajectory } from '../../../engine/api/schemas/trajectory.js';

// The shipped vision bundle (assets/bundles/vision: both cameras rendered by the embedded
// simulator, proprio, the instruction as tokens) in closed loop: speculative decoding with `exact`
// acceptance must execute exactly the actions autoregressive decoding executes, episode for
// episode. A subset here (one trial of each task, 40 steps); docs/benchmarks.md compares all 500
// evaluation episodes.
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-vision-bundle-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('the shipped vision bundle', () => {
  it('acts on rendered cameras, and executes the same actions with speculative exact decoding as with autoregressive decoding', async () => {
    const bundleDir = path.join(appRoot(), 'assets', 'bundles', 'vision');
    const common = { bundleDir, tasks: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], trials: 1, maxSteps: 40, workers: 2, runsRoot: tmp };
    const ar = await evaluate({ ...common, decoding: 'autoregressive' });
    const spec = await evaluate({ ...common, decoding: 'speculative', accept: 'exact' });
    expect(ar.status).toBe('completed');
    expect(spec.status).toBe('completed');
    let accepted = 0;
    let proposed = 0;
    for (const episode of spec.results.episodes) {
      expect(episode.outcome, `task ${episode.taskId}`).not.toBe('error');
      const name = `task${String(episode.taskId).padStart(2, '0')}-trial000.json`;
      const read = async (dir: string) => Trajectory.parse(JSON.parse(await readFile(path.join(dir, 'trajectories', name), 'utf8')));
      const [a, s] = [await read(ar.run.dir), await read(spec.run.dir)];
      expect(s.actions, name).toBe(a.actions);
      expect(s.outcome, name).toBe(a.outcome);
      // The policy's own cameras are kept with the episode, for Replay.
      expect(s.cameras, name).toBeTruthy();
      for (const c of s.chunks) {
        accepted += c.acceptedLayers;
        proposed += c.draftLayers;
      }
    }
    expect(proposed).toBeGreaterThan(0);
    expect(accepted / proposed).toBeGreaterThan(0.8);
  }, 300_000);
});
