import type { TaskSpec } from '../libero/task.js';
import type { EmbeddedPhysics } from '../sim/embedded/physics.js';
import { PANDA_DEFAULT_BASE_POS } from '../sim/embedded/assets/panda.js';
import { fixtureDef, OBJECT_EXTENTS, type FixtureDef } from '../sim/embedded/assets/objects.js';
import { TABLE_SIZE, TABLE_TOP_Z } from '../sim/embedded/assets/table.js';
import { axisAngleQuat, boxPrism, compose, rotateVec, type CirclePrism, type Pose, type Prism, type Quat, type RectPrism, type Vec3 } from './geometry.js';

/**
 * What the scripted expert knows of the scene besides the observation: the exact collision boxes
 * of the fixtures (cabinet boards and drawers at their current joint positions, the stove), the
 * table, and each object's category. Read from the simulator (ground truth), never from images.
 */
export interface ExpertWorld {
  task: TaskSpec;
  /** The robot's base (its reach is measured from there). */
  robotBase: Vec3;
  /** Fixture boxes at the current joint positions, and the table top. */
  fixturePrisms(): Prism[];
}

/** The ExpertWorld of the simulator's current task (call after reset). */
export function expertWorld(sim: EmbeddedPhysics): ExpertWorld {
  const task = sim.task;
  const world = sim.world;
  const fixtures = sim.scene.entities.filter((e) => e.kind === 'fixture');
  const placement = sim.scene.fixturePlacement;
  // Rebuilt only when a fixture joint (a drawer, the stove's knob) has moved.
  let cached: { joints: number[]; prisms: Prism[] } | undefined;
  return {
    task,
    robotBase: PANDA_DEFAULT_BASE_POS,
    fixturePrisms() {
      const perFixture = fixtures.map((f) => world.jointPositions(f.name));
      const joints = perFixture.flat();
      if (!cached || joints.some((q, i) => Math.abs(q - cached!.joints[i]!) > 1e-4)) {
        const prisms: Prism[] = [tablePrism()];
        fixtures.forEach((f, i) => {
          const def = fixtureDef(f.category);
          const pose = placement[f.name];
          if (def && pose) prisms.push(...fixtureBoxes(f.name, def, pose, perFixture[i]!));
        });
        cached = { joints, prisms };
      }
      return [...cached.prisms];
    },
  };
}

export function tablePrism(): RectPrism {
  const [lx, ly, lz] = TABLE_SIZE;
  return { kind: 'rect', owner: 'main_table', cx: 0, cy: 0, ux: 1, uy: 0, hx: lx / 2, hy: ly / 2, zMin: TABLE_TOP_Z - lz, zMax: TABLE_TOP_Z };
}

/**
 * World prisms of a fixture's collision boxes. `joints` are its 1-dof joint positions in model
 * order, which is the depth-first order of the fixture's body tree (engine/sim/assets/objects.ts).
 */
export function fixtureBoxes(name: string, def: FixtureDef, pose: Pose, joints: readonly number[]): Prism[] {
  const out: Prism[] = [];
  let next = 0;
  const walk = (body: FixtureDef['root'], frame: Pose): void => {
    let at = frame;
    if (body.joint) {
      const q = joints[next++] ?? 0;
      const axis = body.joint.axis;
      at = body.joint.type === 'slide'
        ? compose(frame, { pos: [axis[0] * q, axis[1] * q, axis[2] * q], quat: [1, 0, 0, 0] })
        : compose(frame, { pos: [0, 0, 0], quat: axisAngleQuat(axis, q) });
    }
    for (const part of body.parts) {
      out.push(boxPrism(name, compose(at, { pos: part.box.pos, quat: part.box.quat ?? [1, 0, 0, 0] }), part.box.size));
    }
    for (const child of body.children ?? []) walk(child, compose(at, { pos: child.pos ?? [0, 0, 0], quat: child.quat ?? [1, 0, 0, 0] }));
  };
  walk(def.root, pose);
  return out;
}

/**
 * Footprints of the object categories (engine/sim/assets/objects.ts): round objects by their
 * outer radius (OBJECT_EXTENTS' radius bounds the boxes' corners and is a centimetre too wide),
 * the cookie box by its half sizes. Heights come from OBJECT_EXTENTS.
 */
const FOOTPRINTS: Readonly<Record<string, { r: number } | { half: readonly [number, number] }>> = {
  akita_black_bowl: { r: 0.0545 },
  plate: { r: 0.068 },
  glazed_rim_porcelain_ramekin: { r: 0.0445 },
  cookies: { half: [0.031, 0.0413] },
};

/**
 * An object's prism at its pose. A round object that tilts (a bowl hanging from one side of its
 * rim) is bounded as a tilted cylinder: its lowest and highest points, and a wider footprint.
 */
export function objectPrism(owner: string, category: string, pos: Vec3, quat: Quat): Prism {
  const e = OBJECT_EXTENTS[category];
  if (!e) throw new Error(`the expert knows no object category ${category}`);
  const shape = FOOTPRINTS[category] ?? { r: e.radius };
  if ('r' in shape) {
    const axis = rotateVec(quat, [0, 0, 1]);
    const cos = Math.min(1, Math.abs(axis[2]));
    const sin = Math.sqrt(1 - cos * cos);
    const ends = [pos[2] + e.bottom * axis[2], pos[2] + e.top * axis[2]];
    return {
      kind: 'circle', owner, cx: pos[0], cy: pos[1],
      r: shape.r + Math.max(Math.abs(e.bottom), Math.abs(e.top)) * sin,
      zMin: Math.min(...ends) - shape.r * sin,
      zMax: Math.max(...ends) + shape.r * sin,
    } satisfies CirclePrism;
  }
  const zMin = pos[2] + e.bottom;
  const zMax = pos[2] + e.top;
  return boxPrism(owner, { pos: [pos[0], pos[1], (zMin + zMax) / 2], quat }, [shape.half[0], shape.half[1], (zMax - zMin) / 2]);
}

/**
 * Outer silhouettes of graspable objects as rings (radius, height above the origin), bottom to
 * top: a held object tilts (a bowl held by its wall settles until the wall is flush with the pads,
 * about 15 degrees), and the rings place its lowest point exactly.
 */
const SILHOUETTES: Readonly<Record<string, readonly (readonly [number, number])[]>> = {
  akita_black_bowl: [[0.024, 0.0016], [0.044, 0.0158], [0.0532, 0.052]],
};

/** A possibly tilted object as one prism per pair of neighbouring rings (its upright prism if it has no silhouette). */
export function heldPrisms(owner: string, category: string, pos: Vec3, quat: Quat): Prism[] {
  const rings = SILHOUETTES[category];
  if (!rings) return [objectPrism(owner, category, pos, quat)];
  const axis = rotateVec(quat, [0, 0, 1]);
  const sin = Math.sqrt(Math.max(0, 1 - axis[2] * axis[2]));
  const at = ([r, h]: readonly [number, number]) => ({ x: pos[0] + h * axis[0], y: pos[1] + h * axis[1], z: pos[2] + h * axis[2], r });
  const out: Prism[] = [];
  for (let i = 1; i < rings.length; i++) {
    const a = at(rings[i - 1]!);
    const b = at(rings[i]!);
    out.push({
      kind: 'circle', owner,
      cx: (a.x + b.x) / 2, cy: (a.y + b.y) / 2,
      r: Math.max(a.r, b.r) + Math.hypot(a.x - b.x, a.y - b.y) / 2,
      zMin: Math.min(a.z - a.r * sin, b.z - b.r * sin),
      zMax: Math.max(a.z + a.r * sin, b.z + b.r * sin),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The Panda hand pointing down (engine/sim/assets/panda.ts), relative to the grip site

/** Open fingers: inner and outer faces' distance from the grip site along the finger axis. */
export const FINGER_INNER = 0.0395;
export const FINGER_OUTER = 0.0595;
const FINGER_HALF_WIDTH = 0.01;
/** The finger shells reach 9.4 mm below the grip site. */
export const FINGER_BOTTOM = -0.0094;
const HAND_HALF = [0.1, 0.03] as const;
const HAND_BOTTOM = 0.037;
/** Link 7 and the wrist above the hand, as one column. */
const WRIST_RADIUS = 0.06;
const WRIST_BOTTOM = 0.105;

/**
 * The open hand at grip site `grip`, fingers along the unit axis `(ux, uy)`: two fingers, the hand
 * box and the wrist column. Every prism reaches up without limit: the arm is above it, and a hand
 * that descends sweeps that column.
 */
export function handPrisms(grip: Vec3, ux: number, uy: number): Prism[] {
  const [x, y, z] = grip;
  const mid = (FINGER_INNER + FINGER_OUTER) / 2;
  const half = (FINGER_OUTER - FINGER_INNER) / 2;
  const finger = (side: 1 | -1): RectPrism => ({
    kind: 'rect', owner: 'robot', cx: x + side * mid * ux, cy: y + side * mid * uy, ux, uy, hx: half, hy: FINGER_HALF_WIDTH, zMin: z + FINGER_BOTTOM, zMax: Infinity,
  });
  return [
    finger(1),
    finger(-1),
    { kind: 'rect', owner: 'robot', cx: x, cy: y, ux, uy, hx: HAND_HALF[0], hy: HAND_HALF[1], zMin: z + HAND_BOTTOM, zMax: Infinity },
    { kind: 'circle', owner: 'robot', cx: x, cy: y, r: WRIST_RADIUS, zMin: z + WRIST_BOTTOM, zMax: Infinity },
  ];
}
