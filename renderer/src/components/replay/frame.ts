/**
 * The replay controller's one job: turn (trajectory, cursor) into the body poses of a frame. Pure
 * and allocation-free (it writes into `out`), so it can run every animation frame.
 *
 * Between two recorded rows the pose is interpolated: positions linearly, orientations by
 * spherical interpolation (quaternions wxyz, as MuJoCo stores them).
 */
export function posesAt(poses: Float32Array, bodies: number, rows: number, cursor: number, out: Float32Array): Float32Array {
  const stride = bodies * 7;
  if (rows <= 0 || bodies <= 0) return out;
  const t = Math.min(Math.max(cursor, 0), rows - 1);
  const r0 = Math.floor(t);
  const r1 = Math.min(r0 + 1, rows - 1);
  const f = t - r0;
  const a = r0 * stride;
  const b = r1 * stride;
  if (f < 1e-6 || r0 === r1) {
    out.set(poses.subarray(a, a + stride));
    return out;
  }
  for (let i = 0; i < bodies; i++) {
    const o = i * 7;
    for (let k = 0; k < 3; k++) out[o + k] = poses[a + o + k]! + (poses[b + o + k]! - poses[a + o + k]!) * f;
    slerpInto(poses, a + o + 3, poses, b + o + 3, f, out, o + 3);
  }
  return out;
}

/** Spherical interpolation of two unit quaternions (any component order), shortest arc. */
export function slerpInto(qa: ArrayLike<number>, ia: number, qb: ArrayLike<number>, ib: number, f: number, out: Float32Array | number[], io: number): void {
  const a0 = qa[ia]!, a1 = qa[ia + 1]!, a2 = qa[ia + 2]!, a3 = qa[ia + 3]!;
  let b0 = qb[ib]!, b1 = qb[ib + 1]!, b2 = qb[ib + 2]!, b3 = qb[ib + 3]!;
  let cos = a0 * b0 + a1 * b1 + a2 * b2 + a3 * b3;
  if (cos < 0) {
    cos = -cos;
    b0 = -b0;
    b1 = -b1;
    b2 = -b2;
    b3 = -b3;
  }
  let wa: number;
  let wb: number;
  if (cos > 0.9995) {
    wa = 1 - f;
    wb = f;
  } else {
    const theta = Math.acos(Math.min(cos, 1));
    const sin = Math.sin(theta);
    wa = Math.sin((1 - f) * theta) / sin;
    wb = Math.sin(f * theta) / sin;
  }
  let x0 = wa * a0 + wb * b0, x1 = wa * a1 + wb * b1, x2 = wa * a2 + wb * b2, x3 = wa * a3 + wb * b3;
  const n = Math.hypot(x0, x1, x2, x3) || 1;
  x0 /= n;
  x1 /= n;
  x2 /= n;
  x3 /= n;
  out[io] = x0;
  out[io + 1] = x1;
  out[io + 2] = x2;
  out[io + 3] = x3;
}
