import type { SimulatorSpec } from '../api/schemas/run-request.js';
import { EmbeddedSimulator } from './embedded/simulator.js';
import type { Simulator } from './simulator.js';

export type { SimulatorSpec };

/** A simulator of the kind a run configuration names; one per thread (MuJoCo is one instance per thread). */
export async function createSimulator(spec: SimulatorSpec): Promise<Simulator> {
  switch (spec.kind) {
    case 'embedded':
      return EmbeddedSimulator.create();
  }
}

