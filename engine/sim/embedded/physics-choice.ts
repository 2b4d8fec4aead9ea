import { loadMujoco } from './mujoco.js';
import { PHYSICS_BUILDS, type MujocoModule, type PhysicsBuild, type PhysicsRequest } from './mujoco-api.js';
import { loadNativeMujoco } from './native.js';

/**
 * Which MuJoCo build runs the embedded physics. `wasm` (the default: the official WebAssembly
 * build gives the same numbers on every machine, so runs stay comparable), `native` (MuJoCo
 * 3.14.0's shared library through the addon: faster, but its SIMD/FMA arithmetic drifts from the
 * wasm build's within a few steps, docs/architecture.md), `auto` (native where it loads, else wasm,
 * saying why in a log line).
 */

/** `native` asked where it cannot load: the reason by name, never a silent fallback. */
export class PhysicsUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PhysicsUnavailable';
  }
}

export const PHYSICS_REQUESTS: readonly PhysicsRequest[] = [...PHYSICS_BUILDS, 'auto'];

/** A physics request from a flag or $RSD_PHYSICS; anything else is an error naming `from`. */
export function parsePhysics(value: string | undefined, from: string): PhysicsRequest | undefined {
  if (value === undefined || value === '') return undefined;
  if ((PHYSICS_REQUESTS as readonly string[]).includes(value)) return value as PhysicsRequest;
  throw new Error(`${from}: "${value}" is not a physics build (${PHYSICS_REQUESTS.join(', ')})`);
}

/** The request of a flag, else $RSD_PHYSICS, else `wasm`. */
export function physicsRequest(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): PhysicsRequest {
  return parsePhysics(flag, '--physics') ?? parsePhysics(env.RSD_PHYSICS, 'RSD_PHYSICS') ?? 'wasm';
}

/** The build a request runs on this machine: `auto` falls back with a `log` line; `native` that cannot load throws PhysicsUnavailable. */
export async function resolvePhysics(request: PhysicsRequest, log: (line: string) => void): Promise<PhysicsBuild> {
  if (request === 'wasm') return 'wasm';
  const native = await loadNativeMujoco();
  if (!('reason' in native)) return 'native';
  if (request === 'native') throw new PhysicsUnavailable(`--physics native: native MuJoCo cannot run here: ${native.reason}`);
  log(`physics auto: running MuJoCo's WebAssembly build, because native MuJoCo cannot run here: ${native.reason}`);
  return 'wasm';
}

/** The module of a build, loaded once per thread. */
export async function loadPhysics(build: PhysicsBuild): Promise<MujocoModule> {
  if (build === 'wasm') return (await loadMujoco()).module;
  const native = await loadNativeMujoco();
  if ('reason' in native) throw new PhysicsUnavailable(`native MuJoCo cannot run here: ${native.reason}`);
  return native.module;
}
