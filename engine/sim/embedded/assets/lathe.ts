/**
 * Procedural geometry for the embedded scene's round objects (bowl, plate, ramekin): a lathe mesh
 * (a profile revolved about z) for what the cameras and replay see, and a ring of thin boxes along
 * the same profile for what collides. Box collisions keep contacts stable and cheap, as LIBERO's
 * hand-fitted collision boxes do; meshes would collide through their convex hull and fill the bowl.
 */

export type Vec3 = [number, number, number];
/** MuJoCo order: w, x, y, z. */
export type Quat = [number, number, number, number];
/** A point of a profile: radius from the z axis, height. */
export type ProfilePoint = readonly [r: number, z: number];

export interface TriangleMesh {
  /** x, y, z per vertex. */
  vertices: number[];
  /** Three vertex indices per triangle, counter-clockwise seen from outside. */
  faces: number[];
}

export interface BoxSpec {
  pos: Vec3;
  quat: Quat;
  /** Half sizes along the box's local axes. */
  size: Vec3;
}

/** Compact number text for MJCF: 6 decimals at most, no trailing zeros, never `-0`. */
export function num(value: number): string {
  const rounded = Number(value.toFixed(6));
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

export function nums(values: readonly number[]): string {
  return values.map(num).join(' ');
}

/**
 * Revolves a closed profile about the z axis. The profile runs from the bottom centre (r = 0)
 * outwards, up the outside, over the rim and down the inside back to the axis; points with r = 0
 * become single pole vertices. Faces point outwards for that direction of travel.
 */
export function latheMesh(profile: readonly ProfilePoint[], segments: number): TriangleMesh {
  if (profile.length < 2) throw new Error('latheMesh: a profile needs at least two points');
  const vertices: number[] = [];
  // rings[i][j]: index of profile point i at angle j (poles repeat one index)
  const rings: number[][] = [];
  for (const [r, z] of profile) {
    const ring: number[] = [];
    if (r <= 1e-9) {
      const index = vertices.length / 3;
      vertices.push(0, 0, z);
      for (let j = 0; j < segments; j++) ring.push(index);
    } else {
      for (let j = 0; j < segments; j++) {
        const phi = (2 * Math.PI * j) / segments;
        ring.push(vertices.length / 3);
        vertices.push(r * Math.cos(phi), r * Math.sin(phi), z);
      }
    }
    rings.push(ring);
  }
  const faces: number[] = [];
  for (let i = 0; i + 1 < rings.length; i++) {
    const lower = rings[i]!;
    const upper = rings[i + 1]!;
    for (let j = 0; j < segments; j++) {
      const k = (j + 1) % segments;
      const a = lower[j]!;
      const b = lower[k]!;
      const c = upper[k]!;
      const d = upper[j]!;
      // (b - a) runs along the angle, (d - a) along the profile: their cross product points out.
      if (a !== b) faces.push(a, b, c);
      if (c !== d) faces.push(a, c, d);
    }
  }
  return { vertices, faces };
}

/** An inline `<mesh>` asset. */
export function meshAsset(name: string, mesh: TriangleMesh): string {
  return `<mesh name="${name}" vertex="${nums(mesh.vertices)}" face="${mesh.faces.join(' ')}"/>`;
}

export interface WallSegment {
  /** Where the wall's mid-surface starts and ends, in the profile plane. */
  from: ProfilePoint;
  to: ProfilePoint;
  thickness: number;
  /** Boxes around the ring. */
  count: number;
  /** Tangential overlap factor (1 = boxes just touch at the segment's larger radius). */
  overlap?: number;
  /** Angle of the first box, radians. */
  phase?: number;
}

/**
 * A ring of thin boxes lying along one profile segment: each box's local x is the wall normal,
 * y the tangent around z, z the direction along the profile. That is how a gripper finger finds a
 * flat wall to squeeze and another object finds a floor to rest on.
 */
export function ringOfBoxes(wall: WallSegment): BoxSpec[] {
  const [r0, z0] = wall.from;
  const [r1, z1] = wall.to;
  const dr = r1 - r0;
  const dz = z1 - z0;
  const length = Math.hypot(dr, dz);
  const rMid = (r0 + r1) / 2;
  const zMid = (z0 + z1) / 2;
  const halfWidth = ((Math.PI * Math.max(r0, r1)) / wall.count) * (wall.overlap ?? 1.05);
  const boxes: BoxSpec[] = [];
  for (let j = 0; j < wall.count; j++) {
    const phi = (wall.phase ?? 0) + (2 * Math.PI * j) / wall.count;
    const radial: Vec3 = [Math.cos(phi), Math.sin(phi), 0];
    const tangent: Vec3 = [-Math.sin(phi), Math.cos(phi), 0];
    const along: Vec3 = [(dr / length) * radial[0], (dr / length) * radial[1], dz / length];
    const normal: Vec3 = [(dz / length) * radial[0], (dz / length) * radial[1], -dr / length];
    boxes.push({
      pos: [rMid * radial[0], rMid * radial[1], zMid],
      quat: quatFromAxes(normal, tangent, along),
      size: [wall.thickness / 2, halfWidth, length / 2],
    });
  }
  return boxes;
}

/** The rotation whose columns are the given orthonormal, right-handed axes. */
export function quatFromAxes(x: Vec3, y: Vec3, z: Vec3): Quat {
  const [m00, m10, m20] = x;
  const [m01, m11, m21] = y;
  const [m02, m12, m22] = z;
  const trace = m00 + m11 + m22;
  let q: Quat;
  if (trace > 0) {
    const s = 2 * Math.sqrt(trace + 1);
    q = [s / 4, (m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s];
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    q = [(m21 - m12) / s, s / 4, (m01 + m10) / s, (m02 + m20) / s];
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    q = [(m02 - m20) / s, (m01 + m10) / s, s / 4, (m12 + m21) / s];
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    q = [(m10 - m01) / s, (m02 + m20) / s, (m12 + m21) / s, s / 4];
  }
  return q[0] < 0 ? [-q[0], -q[1], -q[2], -q[3]] : q;
}

/** Rotation about z by `yaw` radians. */
export function yawQuat(yaw: number): Quat {
  return [Math.cos(yaw / 2), 0, 0, Math.sin(yaw / 2)];
}

/** Rotates a vector by a unit quaternion. */
export function rotate(q: Quat, v: Vec3): Vec3 {
  const [w, x, y, z] = q;
  // v + 2w(u x v) + 2u x (u x v), u = (x, y, z)
  const cx = y * v[2] - z * v[1];
  const cy = z * v[0] - x * v[2];
  const cz = x * v[1] - y * v[0];
  return [
    v[0] + 2 * (w * cx + y * cz - z * cy),
    v[1] + 2 * (w * cy + z * cx - x * cz),
    v[2] + 2 * (w * cz + x * cy - y * cx),
  ];
}

/** Lowest and highest z a box reaches, and its largest distance from the z axis (a bound). */
export function boxExtent(box: BoxSpec): { zMin: number; zMax: number; radius: number } {
  const axes: Vec3[] = [
    rotate(box.quat, [box.size[0], 0, 0]),
    rotate(box.quat, [0, box.size[1], 0]),
    rotate(box.quat, [0, 0, box.size[2]]),
  ];
  const reach = (k: 0 | 1 | 2): number => axes.reduce((sum, a) => sum + Math.abs(a[k]), 0);
  const halfZ = reach(2);
  return {
    zMin: box.pos[2] - halfZ,
    zMax: box.pos[2] + halfZ,
    radius: Math.hypot(box.pos[0], box.pos[1]) + Math.hypot(reach(0), reach(1)),
  };
}
