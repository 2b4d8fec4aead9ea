import { distXY, footprintGap, prismGap, shifted, type Prism, type Vec3 } from './geometry.js';
import { handPrisms } from './scene-model.js';

/**
 * Where and how the expert holds an object, and how high it must travel. A bowl is held by its
 * wall: one finger inside, one outside, the grip site on the wall's mid-line.
 */

export interface GraspSpec {
  /** Horizontal distance from the object's origin to the grip site once held (the wall's mid-line). */
  radius: number;
  /** Heights of the grip site above the object's origin, preferred first, each with the largest inset it takes. */
  heights: readonly { z: number; maxInset: number }[];
  /**
   * How much nearer the centre the open hand may come down, preferred first: the outer finger then
   * lands closer to the wall (an open Panda hand spans 8 cm, the wall 2.6 mm), and closing pushes
   * the light object over until the wall sits between the pads.
   */
  insets: readonly number[];
}

/**
 * akita_black_bowl (engine/sim/assets/objects.ts): the wall rises from r 4.2 cm (z 1.6 cm) to
 * r 5.2 cm (z 5.2 cm); with the grip site 3-3.6 cm up, the pads (z -0.4..+1.2 cm around it) pinch
 * it around r 4.5..5 cm, and the inner finger's tip stays well above the bowl's floor.
 */
export const GRASPS: Readonly<Record<string, GraspSpec>> = {
  akita_black_bowl: {
    radius: 0.047,
    // Closing after the largest inset pushes the bowl 2 cm. Pushed from the higher grip (pads 3.2-4.8
    // cm up the wall, under its flared rim) inside the cabinet's top drawer (task 4), the wall then
    // slipped out of the pads on the lift in 47 of 100 demo-pool first attempts, each costing a
    // second; from the lower grip none did. Task 6 needs the higher grip, with smaller insets.
    heights: [
      { z: 0.03, maxInset: 0.02 },
      { z: 0.036, maxInset: 0.01 },
    ],
    insets: [0, 0.01, 0.02],
  },
};

/** Height of a support's top surface above its origin, where a placed object comes to rest. */
export const SURFACES: Readonly<Record<string, number>> = {
  plate: 0.0053, // the plate's flat centre (its rim is higher, but outside the bowl's foot)
};

/** Clearances the planner keeps on the way: horizontally from every obstacle, and above it. */
export const XY_MARGIN = 0.01;
export const Z_MARGIN = 0.012;
/**
 * At the grasp and the place the hand is steered to within millimetres, but it leans 3 degrees and
 * turns late: a grasp with COMFORT room around the hand is preferred to one that turns it less.
 */
const COMFORT = 0.015;
const GRASP_Z_MARGIN = 0.004;

/** Finger-axis yaw offsets tried, smallest turn first (the hand's yaw is kept when it can be). */
const YAW_OFFSETS_DEG = [0, 15, -15, 30, -30, 45, -45, 60, -60, 75, -75, 90];

export interface GraspChoice {
  /** Yaw offset of the finger axis from `yaw0`, radians. */
  yawOffset: number;
  /** Unit finger axis, pointing from the object's centre to the held wall. */
  ux: number;
  uy: number;
  /** Grip-site height above the object's origin. */
  height: number;
  /** Where the open hand comes down: at `radius - inset` along the axis. */
  inset: number;
  /** Smallest horizontal gap of the hand to any obstacle, at the grasp and at the place. */
  clearance: number;
  /** The farther of the grip site's horizontal distances from the robot's base, picking and placing. */
  reach: number;
}

export interface GraspQuery {
  object: Vec3;
  /** Where the object's origin will be when placed. */
  place: Vec3;
  /** The finger-axis yaw (radians) the offsets turn from: the hand's present target. */
  yaw0: number;
  spec: GraspSpec;
  /** Everything but the grasped object itself. */
  obstacles: readonly Prism[];
  /** The robot's base: of two sides that both clear, the one nearer it (the arm stretches less). */
  base: Vec3;
}

/**
 * The grasp whose hand clears every obstacle both where it picks and where it places. Preferred: a
 * grasp with COMFORT clearance with the least turn of the hand, then the smallest inset and
 * height, then the side nearer the robot (at the far edge of the table a Panda pointing down is
 * near full stretch). Without one, the roomiest grasp.
 */
export function chooseGrasp(q: GraspQuery): GraspChoice {
  let roomiest: GraspChoice | undefined;
  for (const deg of YAW_OFFSETS_DEG) {
    const yawOffset = (deg * Math.PI) / 180;
    for (const inset of q.spec.insets) {
      for (const { z: height, maxInset } of q.spec.heights) {
        if (inset > maxInset) continue;
        let best: GraspChoice | undefined;
        for (const side of [1, -1] as const) {
          const ux = side * Math.cos(q.yaw0 + yawOffset);
          const uy = side * Math.sin(q.yaw0 + yawOffset);
          const at = (o: Vec3, r: number): Vec3 => [o[0] + r * ux, o[1] + r * uy, o[2] + height];
          const pick = at(q.object, q.spec.radius - inset);
          const place = at(q.place, q.spec.radius);
          const clearance = Math.min(handClearance(pick, ux, uy, q.obstacles), handClearance(place, ux, uy, q.obstacles));
          const reach = Math.max(distXY(pick, q.base), distXY(place, q.base));
          const choice = { yawOffset, ux, uy, height, inset, clearance, reach };
          const better = !best || (clearance >= COMFORT && best.clearance >= COMFORT ? reach < best.reach : clearance > best.clearance);
          if (better) best = choice;
        }
        if (best!.clearance >= COMFORT) return best!;
        if (!roomiest || best!.clearance > roomiest.clearance + 1e-9) roomiest = best;
      }
    }
  }
  return roomiest!;
}

/** The hand's smallest horizontal gap to the obstacles it would meet coming straight down to `grip`. */
function handClearance(grip: Vec3, ux: number, uy: number, obstacles: readonly Prism[]): number {
  let gap = Infinity;
  for (const h of handPrisms(grip, ux, uy)) for (const o of obstacles) gap = Math.min(gap, prismGap(h, o, GRASP_Z_MARGIN));
  return gap;
}

/** One point of a height profile: `at` metres along the path, the grip must be at least `z` high. */
export interface ProfilePoint {
  at: number;
  z: number;
}

/**
 * The lowest grip-site heights at which `body` (prisms relative to a grip site at the origin: the
 * hand, and what it holds) passes the obstacles along the straight path from `a` to `b` (x, y),
 * one point per centimetre, keeping XY_MARGIN around and Z_MARGIN above each obstacle it would
 * pass over. Obstacles in `beside` (things standing next to the held object when it was picked)
 * count only where the path brings the body nearer to them than at its start: moving away from a
 * neighbour never means rising over it.
 */
export function heightProfile(
  a: readonly [number, number],
  b: readonly [number, number],
  body: readonly Prism[],
  obstacles: readonly Prism[],
  beside: ReadonlySet<number> = new Set(),
): ProfilePoint[] {
  const length = Math.hypot(b[0] - a[0], b[1] - a[1]);
  const n = Math.max(1, Math.ceil(length / 0.01));
  const placed = Array.from({ length: n + 1 }, (_, i) => body.map((part) => shifted(part, a[0] + (i / n) * (b[0] - a[0]), a[1] + (i / n) * (b[1] - a[1]), 0)));
  return placed.map((parts, i) => {
    let z = -Infinity;
    obstacles.forEach((o, oi) => {
      parts.forEach((p, pi) => {
        const gap = footprintGap(p, o);
        if (gap >= XY_MARGIN) return;
        if (beside.has(oi) && gap >= footprintGap(placed[0]![pi]!, o) - 0.002) return;
        z = Math.max(z, o.zMax + Z_MARGIN - p.zMin);
      });
    });
    return { at: (i / n) * length, z };
  });
}

/** The highest point of `heightProfile`: one height that clears the whole path. */
export function clearHeight(a: readonly [number, number], b: readonly [number, number], body: readonly Prism[], obstacles: readonly Prism[]): number {
  return Math.max(...heightProfile(a, b, body, obstacles).map((p) => p.z));
}
