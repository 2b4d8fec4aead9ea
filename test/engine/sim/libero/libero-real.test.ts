import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SceneDescription } from '../../../../engine/api/schemas/scene.js';
import { decodeGoal } from '../../../../engine/api/trajectory-codec.js';
import { RUN_DEFAULTS } from '../../../../engine/eval/defaults.js';
import { defaultBundleDir } from '../../../../engine/bundle/default-bundle.js';
import type { ResolvedRun } from '../../../../engine/eval/resolve.js';
import { runEvaluation } from '../../../../engine/eval/runner.js';
import { projectTask } from '../../../../engine/libero/project-tasks.js';
import { WAIT_ACTION } from '../../../../engine/libero/suites.js';
import { validateResults } from '../../../../engine/runs/results-schema.js';
import { initStatesFor } from '../../../../engine/sim/init-source.js';
import { LiberoSimulator } from '../../../../engine/sim/libero/simulator.js';
import { NO_REAL_LIBERO, OFT_SAMPLE_STATE, realLiberoPython } from '../../real-libero.js';

// The libero backend against REAL LIBERO (../shared/libero-stack's, set up as .libero-venv), kept
// small for CI: one task's reset, the wait steps, the scene, and one evaluation episode.
const python = realLiberoPython();
if (!python) console.log(`test/engine/sim/libero/libero-real.test.ts: ${NO_REAL_LIBERO}`);


let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-libero-real-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!python)('the libero backend on real LIBERO', () => {
  it("reproduces OFT's recorded state after the wait steps, and describes the compiled scene", async () => {
    const sim = await LiberoSimulator.create({ python: python! });
    try {
      expect(sim.hello.versions).toMatchObject({ robosuite: '1.4.1', mujoco: '3.14.0' });
      const task = projectTask('libero_spatial', 0);
      const init = initStatesFor('libero_spatial', 0, task.objects.length, { kind: 'libero', dir: sim.hello.liberoRoot })[0]!;
      let observation = await sim.reset(task, init, { index: 0 });
      for (let i = 0; i < 10; i++) {
        const result = await sim.step(WAIT_ACTION);
        observation = result.observation;
        // LIBERO's own check, atom by atom: its goal_state matched the task's atoms at reset.
        expect(result.goalAtoms).toEqual([false]);
        expect(result.success).toBe(false);
      }
      Array.from(observation.proprio).forEach((x, i) => expect(Math.abs(x - OFT_SAMPLE_STATE[i]!), `proprio[${i}]`).toBeLessThan(1e-3));
      // Object poses in the task's :objects order, unit quaternions, on the table (z above 0.85).
      expect(observation.objectPoses).toHaveLength(7 * task.objects.length);
      for (let o = 0; o < task.objects.length; o++) {
        const q = observation.objectPoses.subarray(7 * o + 3, 7 * o + 7);
        expect(Math.hypot(...q)).toBeCloseTo(1, 6);
        expect(observation.objectPoses[7 * o + 2]).toBeGreaterThan(0.85);
      }
      const scene = SceneDescription.parse(await sim.sceneDescription());
      expect(scene.meshes.length).toBeGreaterThan(5);
      for (const o of task.objects) expect(scene.bodies.some((b) => b.startsWith(o.name))).toBe(true);
      expect(await sim.bodyPoses()).toHaveLength(7 * scene.bodies.length);
      expect(JSON.stringify(scene).length).toBeLessThan(2_000_000);
    } finally {
      await sim.close();
    }
  }, 240_000);

  it('runs an evaluation episode of the default bundle end to end: results, trajectory and scene', async () => {
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
      runsRoot: path.join(tmp, 'runs'),
      resume: null,
    };
    const report = await runEvaluation(run);
    const results = validateResults(JSON.parse(await readFile(path.join(report.run.dir, 'results.json'), 'utf8')));
    expect(results.config.simulator.backend).toBe('libero');
    const [episode] = results.episodes;
    expect(episode!.error).toBeNull();
    expect(['success', 'failure']).toContain(episode!.outcome);
    const scene = JSON.parse(await readFile(path.join(report.run.trajectoriesDir, 'scene-task00.json'), 'utf8'));
    const trajectory = JSON.parse(await readFile(path.join(report.run.trajectoriesDir, episode!.trajectory!), 'utf8'));
    expect(trajectory.bodies).toBe(scene.description.bodies.length);
    expect(trajectory.steps).toBe(episode!.steps);
    // Goal rows from LIBERO's check: the last row holds every atom exactly when the episode succeeded.
    const goal = decodeGoal(trajectory)!;
    expect(goal.atoms).toEqual(['On(akita_black_bowl_1, plate_1)']);
    expect(goal.truth).toHaveLength(episode!.steps + 1);
    expect(goal.truth.at(-1) === 1).toBe(episode!.outcome === 'success');
  }, 300_000);
});
