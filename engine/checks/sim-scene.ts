import { projectTask } from '../libero/project-tasks.js';
import { suiteTask, WAIT_ACTION } from '../libero/suites.js';
import { embeddedPhysics } from '../sim/embedded/simulator.js';
import { createSimulator } from '../sim/factory.js';
import type { Simulator } from '../sim/simulator.js';
import { loadMujoco } from '../sim/embedded/mujoco.js';
import { message, type Check } from './types.js';

const SUITE = 'libero_spatial';

export const sceneCheck: Check = {
  id: 'sim.scene',
  title: 'Embedded LIBERO scene',
  group: 'simulator',
  purpose: "The project's own libero_spatial scene (Panda arm, table, objects) compiles in MuJoCo, resets and steps under the arm's controller.",
  reads: [],
  async run() {
    try {
      await loadMujoco();
    } catch {
      return { status: 'unknown', detail: 'Not checked: MuJoCo did not load (see the "Embedded MuJoCo" row).' };
    }
    const started = performance.now();
    let sim: Simulator | undefined;
    try {
      sim = await createSimulator({ kind: 'embedded' });
      const task = projectTask(SUITE, 0);
      const state = embeddedPhysics(sim, 'the scene check').defaultState(task);
      await sim.reset(task, state);
      const { observation } = await sim.step(WAIT_ACTION);
      if (!observation.proprio.every(Number.isFinite)) throw new Error('the robot state is not finite after one step');
      const ms = (performance.now() - started).toFixed(0);
      return {
        status: 'pass',
        detail: `${SUITE} task 0 ("${suiteTask(SUITE, 0).instruction}"): scene compiled (nq ${state.qpos.length}, nv ${state.qvel.length}, ${task.objects.length} objects), reset and stepped once under OSC control in ${ms} ms.`,
      };
    } catch (thrown) {
      return { status: 'fail', detail: `The embedded ${SUITE} scene did not run: ${message(thrown)}` };
    } finally {
      await sim?.close();
    }
  },
};
