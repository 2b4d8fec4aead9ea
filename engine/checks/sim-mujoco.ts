import { loadMujoco } from '../sim/embedded/mujoco.js';
import { message, type Check } from './types.js';

export const mujocoCheck: Check = {
  id: 'sim.mujoco',
  title: 'Embedded MuJoCo',
  group: 'simulator',
  purpose: 'The physics engine of the embedded simulator: the official MuJoCo WebAssembly build, running in the engine with no Python.',
  reads: [],
  async run() {
    try {
      const mj = await loadMujoco();
      return { status: 'pass', detail: `MuJoCo ${mj.module.mj_versionString()} (@mujoco/mujoco ${mj.packageVersion}, WebAssembly) loaded in ${mj.loadMs.toFixed(0)} ms.` };
    } catch (thrown) {
      return {
        status: 'fail',
        detail: `@mujoco/mujoco failed to load: ${message(thrown)}. The embedded simulator cannot run without it.`,
        fix: { kind: 'command', command: 'npm ci', hint: "Reinstall the app's packages in its folder." },
      };
    }
  },
};
