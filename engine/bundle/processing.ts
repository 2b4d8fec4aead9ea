import type { Manifest } from './manifest.js';

/**
 * Pre- and post-processing of the policy's vectors, as OpenVLA-OFT does it on LIBERO
 * (docs/libero.md 4.3 and 4.4): BOUNDS_Q99 proprio normalisation, action
 * un-normalisation and the gripper's binarise/invert. Images are in image.ts.
 */

export type Q99 = Manifest['action']['normalization'];
export type ActionSpec = Manifest['action'];
export type GripperSpec = ActionSpec['gripper'];

/** OFT adds this to the q99 - q01 range in both directions, so a constant dimension does not divide by zero. */
export const Q99_EPS = 1e-8;

/** Bad input to processing. `field` names the offending vector or entry (`proprio`, `actions[3][6]`). */
export class ProcessingError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'ProcessingError';
    this.field = field;
  }
}

/** The statistics' three vectors agree with each other and with `x`, or an error naming the first that does not. */
function checkQ99(name: string, length: number, norm: Q99): void {
  const n = norm.q01.length;
  if (norm.q99.length !== n) throw new ProcessingError('q99', `q99 has ${norm.q99.length} values but q01 has ${n}`);
  if (norm.mask.length !== n) throw new ProcessingError('mask', `mask has ${norm.mask.length} values but q01 has ${n}`);
  if (length !== n) throw new ProcessingError(name, `${name} has ${length} values but the q99 normalisation has ${n}`);
}

function checkFinite(name: string, x: ArrayLike<number>): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new ProcessingError(`${name}[${i}]`, `${name}[${i}] = ${x[i]} is not finite`);
  }
}

/** BOUNDS_Q99: clip(2 (x - q01) / (q99 - q01 + 1e-8) - 1, -1, 1) on masked dims, x unchanged elsewhere. */
export function normalizeQ99(x: ArrayLike<number>, norm: Q99, name = 'vector'): Float64Array {
  checkQ99(name, x.length, norm);
  checkFinite(name, x);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!norm.mask[i]) {
      out[i] = v;
      continue;
    }
    const lo = norm.q01[i]!;
    const n = (2 * (v - lo)) / (norm.q99[i]! - lo + Q99_EPS) - 1;
    out[i] = Math.min(1, Math.max(-1, n));
  }
  return out;
}

/** Inverse of BOUNDS_Q99 on masked dims: 0.5 (n + 1) (q99 - q01 + 1e-8) + q01. No clip, as OFT. */
export function unnormalizeQ99(n: ArrayLike<number>, norm: Q99, name = 'vector'): Float64Array {
  checkQ99(name, n.length, norm);
  const out = new Float64Array(n.length);
  unnormalizeInto(n, 0, norm, out, 0);
  return out;
}

function unnormalizeInto(src: ArrayLike<number>, from: number, norm: Q99, dst: Float64Array, to: number): void {
  for (let i = 0; i < norm.q01.length; i++) {
    const v = src[from + i]!;
    const lo = norm.q01[i]!;
    dst[to + i] = norm.mask[i] ? 0.5 * (v + 1) * (norm.q99[i]! - lo + Q99_EPS) + lo : v;
  }
}

/**
 * The model's gripper value (1 = open, 0 = close) to the env's (-1 = open, +1 = close), as OFT's
 * normalize_gripper_action then invert_gripper_action: g -> 2g - 1, then sign() when binarising,
 * then negated when inverting. With binarise and invert: g < 0.5 -> +1 (close), g > 0.5 -> -1 (open).
 *
 * g exactly 0.5 gives sign(0) = 0, and inverting gives -0: we keep that rather than pick a side,
 * because it is what OFT sends. robosuite's Panda gripper moves by sign(action) per substep, so 0
 * (or -0) leaves the fingers where they are. Without binarise the value stays continuous and unclipped.
 */
export function gripperToEnv(g: number, gripper: GripperSpec): number {
  let v = 2 * g - 1;
  if (gripper.binarize) v = Math.sign(v);
  if (gripper.invert) v = -v;
  return v;
}

/**
 * A decoded chunk of normalised actions [C*7] (dims 0-5 q99-normalised, dim 6 the gripper in the
 * model's convention) to the env's actions [C*7]: un-normalise the masked dims, then the gripper.
 */
export function postprocessChunk(actionsNormalized: Float32Array, action: ActionSpec): Float64Array {
  const { dim, chunk, normalization: norm, gripper } = action;
  const expected = chunk * dim;
  if (actionsNormalized.length !== expected) {
    throw new ProcessingError('actions', `actions has ${actionsNormalized.length} values but the manifest's chunk ${chunk} x dim ${dim} needs ${expected}`);
  }
  checkQ99('action', dim, norm);
  const out = new Float64Array(expected);
  for (let t = 0; t < chunk; t++) {
    const at = t * dim;
    for (let d = 0; d < dim; d++) {
      const v = actionsNormalized[at + d]!;
      // A NaN here would reach the controller as a NaN torque; refuse it by name instead.
      if (!Number.isFinite(v)) throw new ProcessingError(`actions[${t}][${d}]`, `actions[${t}][${d}] = ${v} is not finite`);
    }
    unnormalizeInto(actionsNormalized, at, norm, out, at);
    out[at + gripper.index] = gripperToEnv(out[at + gripper.index]!, gripper);
  }
  return out;
}
