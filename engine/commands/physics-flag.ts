import type { PhysicsBuild } from '../sim/embedded/mujoco-api.js';
import { physicsRequest, resolvePhysics } from '../sim/embedded/physics-choice.js';

/** `--physics`'s help line, shared by the commands that take it. */
export const PHYSICS_HELP = '--physics wasm|native|auto  MuJoCo build (default wasm, or $RSD_PHYSICS)';

/**
 * `--physics` (else $RSD_PHYSICS, else wasm) resolved to the build that runs here: `auto` says on
 * stderr why it falls back to wasm; `native` that cannot load is an input error (exit 2).
 */
export async function physicsFlag(flag: string | undefined, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<PhysicsBuild> {
  const { request, from } = physicsRequest(flag);
  return resolvePhysics(request, log, from);
}
