import type { FixtureOffset } from '../api/schemas/fidelity.js';
import { compose, quatMul, rotateVec, type Pose, type Quat, type Vec3 } from '../expert/geometry.js';
import type { Pose as ScenePose } from '../sim/embedded/scene.js';

/**
 * Fixture poses across backends. Real LIBERO draws the fixtures' poses (cabinet, stove) at every
 * reset (docs/libero.md 3), the embedded simulator puts them at their regions' centres unless told
 * otherwise (EmbeddedOptions.fixturePlacement). To replay with the reference's fixtures, their root
 * poses are read from the reference's body poses after its reset: from a body both scenes have,
 * preferring the fixture's root body (named the fixture, or robosuite's `<fixture>_main`), else one
 * of its child bodies (`<fixture>_*`), whose offset from the root the embedded scene gives after the
 * same reset (same initial state, so the same drawer and knob positions).
 */

/** Bodies by name with their world poses (xyz, wxyz: 7 numbers each), as sceneDescription() and bodyPoses() give them. */
export interface BodyFrames {
  bodies: readonly string[];
  poses: ArrayLike<number>;
}

export interface ReferenceFixtures {
  /** Root poses for EmbeddedOptions.fixturePlacement: only the fixtures found. */
  placement: Record<string, ScenePose>;
  /** Per fixture: which body gave its pose, and how far it lies from the embedded default. */
  offsets: FixtureOffset[];
}

const IDENTITY: Pose = { pos: [0, 0, 0], quat: [1, 0, 0, 0] };

const poseAt = (frames: BodyFrames, index: number): Pose => {
  const p = frames.poses;
  const o = 7 * index;
  return { pos: [p[o]!, p[o + 1]!, p[o + 2]!], quat: [p[o + 3]!, p[o + 4]!, p[o + 5]!, p[o + 6]!] };
};

export function inversePose(pose: Pose): Pose {
  const q = pose.quat;
  const conj: Quat = [q[0], -q[1], -q[2], -q[3]];
  const p = rotateVec(conj, pose.pos);
  return { pos: [-p[0], -p[1], -p[2]], quat: conj };
}

/** Angle (radians, in [0, pi]) of the rotation between two unit quaternions (atan2: exact near 0). */
export function quatAngle(a: Quat, b: Quat): number {
  const r = quatMul([a[0], -a[1], -a[2], -a[3]], b);
  return 2 * Math.atan2(Math.hypot(r[1], r[2], r[3]), Math.abs(r[0]));
}

const distance = (a: Vec3, b: Vec3): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** Bodies that may carry a fixture's pose, best first. */
function candidates(fixture: string, embedded: BodyFrames): string[] {
  const children = embedded.bodies.filter((b) => b.startsWith(`${fixture}_`) && b !== `${fixture}_main`);
  return [fixture, `${fixture}_main`, ...children];
}

/**
 * The reference's fixture root poses. `embedded`: the embedded scene's bodies after a reset to the
 * same initial state with its default placement `defaults` (root poses by fixture name).
 */
export function referenceFixtures(fixtures: readonly string[], reference: BodyFrames, embedded: BodyFrames, defaults: Readonly<Record<string, Pose>>): ReferenceFixtures {
  const placement: Record<string, ScenePose> = {};
  const offsets: FixtureOffset[] = [];
  for (const fixture of fixtures) {
    const root = defaults[fixture];
    let found: { body: string; pose: Pose; embedded: Pose } | null = null;
    if (root) {
      for (const body of candidates(fixture, embedded)) {
        const r = reference.bodies.indexOf(body);
        if (r < 0) continue;
        const e = embedded.bodies.indexOf(body);
        // The root body itself, or a child whose offset from the root the embedded scene shows.
        const isRoot = body === fixture || body === `${fixture}_main`;
        if (!isRoot && e < 0) continue;
        const local = isRoot ? IDENTITY : compose(inversePose(root), poseAt(embedded, e));
        // The embedded root measured the same way (as compiled: MJCF keeps 6 decimals of the default).
        const embeddedRoot = isRoot ? (e < 0 ? root : poseAt(embedded, e)) : compose(poseAt(embedded, e), inversePose(local));
        found = { body, pose: compose(poseAt(reference, r), inversePose(local)), embedded: embeddedRoot };
        break;
      }
    }
    if (!found || !root) {
      offsets.push({ fixture, body: null, position: null, angle: null });
      continue;
    }
    const quat = normalized(found.pose.quat);
    placement[fixture] = { pos: [...found.pose.pos], quat: [...quat] };
    offsets.push({ fixture, body: found.body, position: distance(found.pose.pos, found.embedded.pos), angle: quatAngle(quat, normalized(found.embedded.quat)) });
  }
  return { placement, offsets };
}

function normalized(q: Quat): Quat {
  const n = Math.hypot(...q) || 1;
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}
