import { type BoxSpec, type Vec3, rotate } from './lathe.js';

/**
 * The pruned scene's contact bits (issue 20, docs/scene-conventions.md "Collision model"). The
 * plate and the ramekin stand on the table through the lowest edges of their ring walls: 24 and 32
 * box-box contacts every substep for two objects that sit still, most of a step's contacts. In the
 * pruned scene their wall boxes no longer touch the table; small spheres at those edges' lowest
 * corners (every other corner pair, the feet) carry them instead, at the same height and on the same
 * ring. The walls still collide with everything else (gripper, arm, other objects, fixtures), the
 * feet with the table only.
 *
 * MuJoCo collides two geoms when (contype1 & conaffinity2) || (contype2 & conaffinity1). Every
 * other collision geom of the project is contype 1 or 2 (arm shells) or 0 (finger shells) with
 * conaffinity 1, so:
 * - table: contype 1 | 4, conaffinity 0: it still meets every geom of conaffinity 1 (all of them
 *   but walls and feet), through its contype;
 * - walls: contype 1 | 2, conaffinity 2: they meet every conaffinity-1 geom and each other, never
 *   the table (contype 5 & 2 = 0, 3 & 0 = 0);
 * - feet: contype 0, conaffinity 4: the table's bit 4 only.
 */
export const CONTACT_BITS = {
  table: { contype: 5, conaffinity: 0 },
  wall: { contype: 3, conaffinity: 2 },
  foot: { contype: 0, conaffinity: 4 },
} as const;

/** A foot's radius: small, so that it touches the table only where the wall's corner did. */
export const FOOT_RADIUS = 0.001;

/** Take every `FOOT_SPACING`-th of the ring's corner pairs as a foot. */
export const FOOT_SPACING = 2;

/**
 * Where a ring of wall boxes (lathe.ts ringOfBoxes) touches a flat table: each box's two lowest
 * corners; neighbouring boxes overlap, so box j's upper-angle corner and box j+1's lower-angle one
 * lie a degree or two apart. One point per box (its upper-angle lowest corner), every
 * `FOOT_SPACING`-th box: the feet's centres are those points raised by FOOT_RADIUS, so each
 * sphere's lowest point is the corner.
 */
export function ringFeet(walls: readonly BoxSpec[]): Vec3[] {
  return walls
    .filter((_, j) => j % FOOT_SPACING === 0)
    .map((b) => {
      let best: Vec3 | undefined;
      for (const sx of [-1, 1]) {
        for (const sz of [-1, 1]) {
          // +y is the tangent, towards larger angles: the upper-angle end of the box.
          const v = rotate(b.quat, [sx * b.size[0], b.size[1], sz * b.size[2]]);
          const corner: Vec3 = [b.pos[0] + v[0], b.pos[1] + v[1], b.pos[2] + v[2]];
          if (!best || corner[2] < best[2]) best = corner;
        }
      }
      return [best![0], best![1], best![2] + FOOT_RADIUS];
    });
}
