import type { SimulatorSpec } from '../api/schemas/run-request.js';
import { EmbeddedSimulator } from './embedded/simulator.js';
import type { Simulator } from './simulator.js';
import { packageVersion } from '../util/packages.js';

export type { SimulatorSpec };

/** A simulator of the kind a run configuration names; one per thread (MuJoCo is one instance per thread). */
export async function createSimulator(spec: SimulatorSpec): Promise<Simulator> {
  switch (spec.kind) {
    case 'embedded':
      return EmbeddedSimulator.create();
    case 'libero':
      // Placeholder until the bridge's client (engine/sim/libero) lands; the integrator replaces it.
      throw new Error('the libero simulator is not in this build yet (engine/sim/libero)');
  }
}


/** The backend and version results.json records, known without starting a simulator. */
export function describeSimulator(spec: SimulatorSpec): { backend: string; version: string } {
  switch (spec.kind) {
    case 'embedded':
      return { backend: 'embedded', version: `MuJoCo ${packageVersion('@mujoco/mujoco')}` };
    case 'libero':
      // Placeholder until the bridge's client (engine/sim/libero) lands; resolveResume matches `libero`.
      return { backend: 'libero', version: 'LIBERO (Python bridge)' };
  }
}
