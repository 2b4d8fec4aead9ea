import type { SimulatorSpec } from '../api/schemas/run-request.js';
import { EmbeddedSimulator } from './embedded/simulator.js';
import { LiberoSimulator } from './libero/simulator.js';
import type { Simulator } from './simulator.js';
import { packageVersion } from '../util/packages.js';

export type { SimulatorSpec };

/** A simulator of the kind a run configuration names; one per thread (MuJoCo is one instance per thread). */
export async function createSimulator(spec: SimulatorSpec): Promise<Simulator> {
  switch (spec.kind) {
    case 'embedded':
      return EmbeddedSimulator.create();
    case 'libero':
      return LiberoSimulator.create({ python: spec.python ?? 'python3' });
  }
}


/** The backend and version results.json records, known without starting a simulator. */
export function describeSimulator(spec: SimulatorSpec): { backend: string; version: string } {
  switch (spec.kind) {
    case 'embedded':
      return { backend: 'embedded', version: `MuJoCo ${packageVersion('@mujoco/mujoco')}` };
    case 'libero':
      // The worker reports LIBERO's, robosuite's and MuJoCo's versions when it starts (the checks show them).
      return { backend: 'libero', version: `LIBERO via ${spec.python ?? 'python3'}` };
  }
}
