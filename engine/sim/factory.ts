import type { SimulatorSpec } from '../api/schemas/run-request.js';
import { EmbeddedSimulator } from './embedded/simulator.js';
import { LiberoSimulator } from './libero/simulator.js';
import type { Simulator } from './simulator.js';
import type { SimulatorOptions } from './cameras.js';
import { packageVersion } from '../util/packages.js';
import { resolvePhysics } from './embedded/physics-choice.js';

export type { SimulatorSpec };

/** A simulator of the kind a run configuration names; one per thread (MuJoCo is one instance per thread). */
export async function createSimulator(spec: SimulatorSpec, options: SimulatorOptions = {}): Promise<Simulator> {
  const cameras = options.cameras ? [...options.cameras] : undefined;
  switch (spec.kind) {
    case 'embedded':
      // `auto` is normally resolved once by the caller (resolveSimulatorSpec); here it says why on stderr.
      return EmbeddedSimulator.create({ cameras, physics: await resolvePhysics(spec.physics ?? 'wasm', (line) => console.warn(line)) });
    case 'libero':
      return LiberoSimulator.create({ python: spec.python ?? 'python3', cameras });
  }
}


/**
 * The backend and version results.json records, asked before a run starts: the embedded one is
 * known from its package; the libero one starts a worker for its hello (LIBERO's, robosuite's and
 * MuJoCo's versions), which also names a missing interpreter, a missing LIBERO or a worker of
 * another protocol before the run's folder exists.
 */
export async function describeSimulator(spec: SimulatorSpec): Promise<{ backend: string; version: string }> {
  switch (spec.kind) {
    case 'embedded': {
      const build = await resolvePhysics(spec.physics ?? 'wasm', (line) => console.warn(line));
      return { backend: 'embedded', version: `MuJoCo ${packageVersion('@mujoco/mujoco')} (${build})` };
    }
    case 'libero': {
      const sim = await LiberoSimulator.create({ python: spec.python ?? 'python3' });
      await sim.close();
      return { backend: 'libero', version: sim.version };
    }
  }
}

/**
 * The spec with its physics request resolved to the build that will run (`auto` -> native or
 * wasm, saying why in `log` when it falls back); `native` that cannot load throws
 * PhysicsUnavailable. Other kinds pass through.
 */
export async function resolveSimulatorSpec(spec: SimulatorSpec, log: (line: string) => void, from?: string, env: NodeJS.ProcessEnv = process.env): Promise<SimulatorSpec> {
  if (spec.kind !== 'embedded' || spec.physics === undefined || spec.physics === 'wasm') return spec;
  return { ...spec, physics: await resolvePhysics(spec.physics, log, from, env) };
}
