import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { defaultBundleDir } from '../../../engine/bundle/default-bundle.js';
import { appRoot } from '../../../engine/util/app-root.js';
import { Trajectory } from '../../../engine/api/schemas/trajectory.js';

// The shipped bundles in closed loop: the default (state-based, assets/bundles/default) and the
// vision bundle (both cameras rendered by the embedded simulator, proprio, instruction tokens;
// assets/bundles/vision). Speculative decoding with `exact` acceptance is lossless, so it must
// execute exactly the actions that autoregressive decoding of the same main model executes,
// episode for episode. A subset here (one trial of each task); docs/benchmarks.md compares all
// 500 evaluation episodes of each.
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-default-bundle-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const SHIPPED = [
  { name: 'default', dir: () => defaultBundleDir(), maxSteps: 60, cameras: false },
  { name: 'vision', dir: () => path.join(appRoot(), 'assets', 'bundles', 'vision'), maxSteps: 40, cameras: true },
];

describe.each(SHIPPED)('the shipped $name bundle', ({ dir, maxSteps, cameras }) => {
  it('executes the same actions with speculative exact decoding as with autoregressive decoding', async () => {
    const bundleDir = dir();
    const common = { bundleDir, tasks: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], trials: 1, maxSteps, workers: 2, runsRoot: tmp };
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
      // A vision policy's own cameras are kept with the episode, for Replay; a state policy's run records none.
      expect(Boolean(s.cameras), name).toBe(cameras);
      for (const c of s.chunks) {
        accepted += c.acceptedLayers;
        proposed += c.draftLayers;
      }
    }
    // The draft is doing the work (not every proposal refused, which would also be lossless).
    expect(proposed).toBeGreaterThan(0);
    expect(accepted / proposed).toBeGreaterThan(0.8);
  }, 300_000);
});
