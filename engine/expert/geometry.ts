/**
 * The scripted expert's view of space: everything (robot hand, objects, fixture boards) as a
 * vertical prism, a footprint (circle or yawed rectangle) between two heights. Collision checks
 * between prisms are a footprint gap plus a height-interval test, which is all a top-down
 * pick-and-place needs and keeps the planner cheap and deterministic.
 */

export type Vec3 = readonly [number, number, number];
/** Quaternion (w, x, y, z), MuJoCo's order. */
export type Quat = readonly [number, number, number, number];

interface PrismBase {
  /** A name for debugging and for excluding an entity from a check. */
  owner: string;
  zMin: number;
  zMax: number;
}

export interface CirclePrism extends PrismBase {
  kind: 'circle';
  cx: number;
  cy: number;
  r: number;
}

export interface RectPrism extends PrismBase {
  kind: 'rect';
  cx: number;
  cy: number;
  /** Unit vector of the rectangle's first axis (the second is its left normal). */
  ux: number;
  uy: number;
  /** Half sizes along the first and second axis. */
  hx: number;
  hy: number;
}

export type Prism = CirclePrism | RectPrism;

/**
 * Signed horizontal gap between two footprints: positive = separated by at least that much,
 * negative = overlapping. Exact for circles; for rectangles it is the separating-axis bound
 * (never more than the true distance), which errs on the safe side.
 */
export function footprintGap(a: Prism, b: Prism): number {
  if (a.kind === 'circle' && b.kind === 'circle') return Math.hypot(a.cx - b.cx, a.cy - b.cy) - a.r - b.r;
  if (a.kind === 'circle' && b.kind === 'rect') return rectPointDistance(b, a.cx, a.cy) - a.r;
  if (a.kind === 'rect' && b.kind === 'circle') return rectPointDistance(a, b.cx, b.cy) - b.r;
  return rectRectGap(a as RectPrism, b as RectPrism);
}

/** Footprint gap when the height intervals overlap (with `zMargin`), else +Infinity. */
export function prismGap(a: Prism, b: Prism, zMargin = 0): number {
  if (a.zMin >= b.zMax + zMargin || b.zMin >= a.zMax + zMargin) return Infinity;
  return footprintGap(a, b);
}

function rectPointDistance(r: RectPrism, px: number, py: number): number {
  const dx = px - r.cx;
  const dy = py - r.cy;
  const u = Math.abs(dx * r.ux + dy * r.uy) - r.hx;
  const v = Math.abs(-dx * r.uy + dy * r.ux) - r.hy;
  if (u <= 0 && v <= 0) return Math.max(u, v);
  return Math.hypot(Math.max(u, 0), Math.max(v, 0));
}

function rectRectGap(a: RectPrism, b: RectPrism): number {
  const dx = b.cx - a.cx;
  const dy = b.cy - a.cy;
  let gap = -Infinity;
  for (const [ax, ay] of [[a.ux, a.uy], [-a.uy, a.ux], [b.ux, b.uy], [-b.uy, b.ux]] as const) {
    const ra = a.hx * Math.abs(ax * a.ux + ay * a.uy) + a.hy * Math.abs(-ax * a.uy + ay * a.ux);
    const rb = b.hx * Math.abs(ax * b.ux + ay * b.uy) + b.hy * Math.abs(-ax * b.uy + ay * b.ux);
    gap = Math.max(gap, Math.abs(dx * ax + dy * ay) - ra - rb);
  }
  return gap;
}

export function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

export function dist3(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

export function distXY(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** The same prism moved by (dx, dy, dz). */
export function shifted<P extends Prism>(p: P, dx: number, dy: number, dz: number): P {
  return { ...p, cx: p.cx + dx, cy: p.cy + dy, zMin: p.zMin + dz, zMax: p.zMax + dz };
}

// ---------------------------------------------------------------------------------------------
// Rigid transforms (only what fixture bodies need)

export interface Pose {
  pos: Vec3;
  quat: Quat;
}

export function quatMul(a: Quat, b: Quat): Quat {
  const [aw, ax, ay, az] = a;
  const [bw, bx, by, bz] = b;
  return [
    aw * bw - ax * bx - ay * by - az * bz,
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
  ];
}

export function rotateVec(q: Quat, v: Vec3): Vec3 {
  // v' = v + 2 w (u x v) + 2 u x (u x v), u = (x, y, z)
  const [w, x, y, z] = q;
  const tx = 2 * (y * v[2] - z * v[1]);
  const ty = 2 * (z * v[0] - x * v[2]);
  const tz = 2 * (x * v[1] - y * v[0]);
  return [v[0] + w * tx + (y * tz - z * ty), v[1] + w * ty + (z * tx - x * tz), v[2] + w * tz + (x * ty - y * tx)];
}

export function axisAngleQuat(axis: Vec3, angle: number): Quat {
  const n = Math.hypot(...axis) || 1;
  const s = Math.sin(angle / 2) / n;
  return [Math.cos(angle / 2), axis[0] * s, axis[1] * s, axis[2] * s];
}

/** `parent` followed by `child` (child expressed in the parent's frame). */
export function compose(parent: Pose, child: Pose): Pose {
  const p = rotateVec(parent.quat, child.pos);
  return { pos: [parent.pos[0] + p[0], parent.pos[1] + p[1], parent.pos[2] + p[2]], quat: quatMul(parent.quat, child.quat) };
}

/**
 * The prism holding a box of half sizes `half` at `pose`: its own yawed rectangle when the box is
 * upright (a rotation about z only), else a conservative axis-aligned bound.
 */
export function boxPrism(owner: string, pose: Pose, half: Vec3): RectPrism {
  const ex = rotateVec(pose.quat, [1, 0, 0]);
  const ey = rotateVec(pose.quat, [0, 1, 0]);
  const ez = rotateVec(pose.quat, [0, 0, 1]);
  const [cx, cy, cz] = pose.pos;
  if (Math.abs(Math.abs(ez[2]) - 1) < 1e-6) {
    const n = Math.hypot(ex[0], ex[1]);
    return { kind: 'rect', owner, cx, cy, ux: ex[0] / n, uy: ex[1] / n, hx: half[0], hy: half[1], zMin: cz - half[2], zMax: cz + half[2] };
  }
  const reach = (i: 0 | 1 | 2): number => Math.abs(ex[i]) * half[0] + Math.abs(ey[i]) * half[1] + Math.abs(ez[i]) * half[2];
  return { kind: 'rect', owner, cx, cy, ux: 1, uy: 0, hx: reach(0), hy: reach(1), zMin: cz - reach(2), zMax: cz + reach(2) };
}
