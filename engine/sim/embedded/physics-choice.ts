import { InputError } from '../../util/input-error.js';
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

/** `native` asked where it cannot load: the reason by name (exit status 2 on the CLI), never a silent fallback. */
export class PhysicsUnavailable extends InputError {
  constructor(from: string, message: string) {
    // The CLI prefixes a flag's name and value (engine/cli.ts inputLine); a variable says itself.
    super(from, from === 'RSD_PHYSICS' ? `RSD_PHYSICS=native: ${message}` : message);
    this.name = 'PhysicsUnavailable';
  }
}

export const PHYSICS_REQUESTS: readonly PhysicsRequest[] = [...PHYSICS_BUILDS, 'auto'];

/** A physics request from a flag or $RSD_PHYSICS; anything else is an input error naming `from`. */
export function parsePhysics(value: string | undefined, from: string): PhysicsRequest | undefined {
  if (value === undefined || value === '') return undefined;
  if ((PHYSICS_REQUESTS as readonly string[]).includes(value)) return value as PhysicsRequest;
  throw new InputError(from, `${from === 'RSD_PHYSICS' ? 'RSD_PHYSICS: ' : ''}"${value}" is not a physics build (expected ${PHYSICS_REQUESTS.join(', ')})`);
}

/** The request of a flag, else $RSD_PHYSICS, else `wasm`; `from` names where it came from, for errors. */
export function physicsRequest(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { request: PhysicsRequest; from: string } {
  const given = parsePhysics(flag, '--physics');
  if (given) return { request: given, from: '--physics' };
  const fromEnv = parsePhysics(env.RSD_PHYSICS, 'RSD_PHYSICS');
  return fromEnv ? { request: fromEnv, from: 'RSD_PHYSICS' } : { request: 'wasm', from: 'default' };
}

/**
 * The build a request runs on this machine: `auto` falls back to wasm with a `log` line;
 * `native` that cannot load throws PhysicsUnavailable naming `from` (the flag or variable).
 */
export async function resolvePhysics(request: PhysicsRequest, log: (line: string) => void, from = 'physics', env: NodeJS.ProcessEnv = process.env): Promise<PhysicsBuild> {
  if (request === 'wasm') return 'wasm';
  const native = await loadNativeMujoco(env);
  if (!('reason' in native)) return 'native';
  if (request === 'native') throw new PhysicsUnavailable(from, `native MuJoCo cannot run here: ${native.reason}`);
  log(`physics auto: running MuJoCo's WebAssembly build, because native MuJoCo cannot run here: ${native.reason}`);
  return 'wasm';
}

/** The module of a build, loaded once per thread. */
export async function loadPhysics(build: PhysicsBuild): Promise<MujocoModule> {
  if (build === 'wasm') return (await loadMujoco()).module;
  const native = await loadNativeMujoco();
  if ('reason' in native) throw new PhysicsUnavailable('physics', `native MuJoCo cannot run here: ${native.reason}`);
  return native.module;
}
