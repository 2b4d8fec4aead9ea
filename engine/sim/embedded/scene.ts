import type { Atom, Entity, Region, TaskSpec } from '../../libero/task.js';
import { type Vec3, yawQuat } from './assets/lathe.js';
import type { MjcfParts } from './assets/mjcf.js';
import {
  CATEGORY_SUITES,
  FIXTURE_HEIGHT_ABOVE_TABLE,
  FIXTURE_MODELS,
  type FixtureDef,
  type ModelParts,
  OBJECT_EXTENTS,
  OBJECT_MODELS,
  type Pose,
  fixtureDef,
  regionSurface,
} from './assets/objects.js';
import { TABLE_NAME, TABLE_TOP_Z, type TableOptions, tableArena, targetZone } from './assets/table.js';

/**
 * Builds one MJCF document for a parsed LIBERO task (docs/scene-conventions.md): the table arena,
 * the robot first, then the BDDL `:objects` in order, then the `:fixtures` in order, so that
 * qpos/qvel follow LIBERO's flattened state and its init-state rows apply unchanged.
 */

export type { Pose } from './assets/objects.js';

/** The physics options of robosuite 1.4 (docs/libero.md 4.5). */
export const SCENE_OPTION =
  '<option timestep="0.002" integrator="Euler" impratio="20" cone="elliptic" density="1.2" viscosity="0.00002"/>';

/** The only problem class (workspace) the embedded scene builds: LIBERO's tabletop. */
const SUPPORTED_PROBLEM = 'libero_tabletop_manipulation';

/** Which suites use each BDDL problem class (from LIBERO's task lists), for error messages. */
const PROBLEM_SUITES: Readonly<Record<string, readonly string[]>> = {
  libero_tabletop_manipulation: ['libero_goal', 'libero_spatial'],
  libero_floor_manipulation: ['libero_object'],
  libero_kitchen_tabletop_manipulation: ['libero_10', 'libero_90'],
  libero_living_room_tabletop_manipulation: ['libero_10', 'libero_90'],
  libero_study_tabletop_manipulation: ['libero_10', 'libero_90'],
};

export class SceneError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'SceneError';
  }
}

export interface SceneEntity {
  name: string;
  category: string;
  kind: 'object' | 'fixture';
  /** Bodies, the root (named as the entity) first. */
  bodies: string[];
  /** Joints in qpos order: `<name>_joint0` for objects, e.g. `<name>_top_level` for fixtures. */
  joints: string[];
  /** Group-0 geoms: what `contact(x, y)` looks at. */
  collisionGeoms: string[];
  visualGeoms: string[];
  /** Region sites the entity carries. */
  sites: string[];
}

export interface SceneOptions {
  /**
   * Explicit fixture poses by fixture name (LIBERO samples them per episode; its bridge can report
   * them). Missing fixtures get the deterministic default: the centre of their `main_table_*` region,
   * yaw at the middle of its yaw range.
   */
  fixturePlacement?: Readonly<Record<string, Pose>>;
  /** Table arena options (visual walls). */
  arena?: TableOptions;
  /**
   * The pruned collision model (assets/contact-pruning.ts): the plate and the ramekin stand on the
   * table through a few feet instead of their ring walls. Default true; false builds the scene as
   * before issue 20 (the comparison `rsd bench sim` makes, and the one the stored init states were
   * settled in).
   */
  contactPruning?: boolean;
}

export interface Scene {
  xml: string;
  /** Objects in `:objects` order, then fixtures in `:fixtures` order (the table is the arena, not an entity). */
  entities: SceneEntity[];
  /** The pose each fixture was placed at. */
  fixturePlacement: Record<string, Pose>;
  /**
   * A collision-free default state for every non-robot joint (free joints: x y z qw qx qy qz;
   * drawers opened or the stove turned on where the task's `:init` says so). Episodes normally
   * set qpos from an init state instead; the body poses in the XML equal these for free joints.
   */
  defaultJointQpos: Record<string, number[]>;
  /** The table's TargetZone sites. */
  tableSites: string[];
}

export function buildScene(task: TaskSpec, robot: MjcfParts, options: SceneOptions = {}): Scene {
  checkSupported(task);
  const regions = new Map(task.regions.map((r) => [r.name, r]));
  const fixtures = task.fixtures.filter((f) => f.category !== 'table');

  const fixturePlacement: Record<string, Pose> = {};
  for (const f of fixtures) fixturePlacement[f.name] = options.fixturePlacement?.[f.name] ?? defaultFixturePose(task, f, regions);

  const jointStates = fixtureJointStates(task, fixtures);
  const objectPoses = defaultObjectPoses(task, regions, fixturePlacement, jointStates);

  const contactPruning = options.contactPruning ?? true;
  const arena = tableArena(task.regions, { ...options.arena, contactPruning });
  const entities: SceneEntity[] = [];
  const parts: MjcfParts[] = [arena, robot];
  const add = (entity: Entity, kind: SceneEntity['kind'], model: ModelParts): void => {
    parts.push(model);
    const { bodies, joints, collisionGeoms, visualGeoms, sites } = model;
    entities.push({ name: entity.name, category: entity.category, kind, bodies, joints, collisionGeoms, visualGeoms, sites });
  };
  for (const o of task.objects) add(o, 'object', OBJECT_MODELS[o.category]!(o.name, objectPoses[o.name], { contactPruning }));
  for (const f of fixtures) add(f, 'fixture', FIXTURE_MODELS[f.category]!(f.name, fixturePlacement[f.name]));

  const defaultJointQpos: Record<string, number[]> = {};
  for (const o of task.objects) {
    const pose = objectPoses[o.name]!;
    defaultJointQpos[`${o.name}_joint0`] = [...pose.pos, ...pose.quat];
  }
  for (const e of entities.filter((x) => x.kind === 'fixture')) {
    for (const j of e.joints) defaultJointQpos[j] = [jointStates.get(j) ?? 0];
  }

  // Robot first in <worldbody> (its joints lead qpos), then objects, then fixtures; the arena has no joints.
  const worldbody = [robot.worldbody, ...parts.slice(2).map((p) => p.worldbody)];
  const xml = [
    `<mujoco model="rsd_${task.problem}">`,
    // IMPORTANT: radians, as robosuite; the Panda's joint ranges and the stove's hinge range are in radians.
    '<compiler angle="radian" autolimits="true"/>',
    SCENE_OPTION,
    '<visual><map znear="0.001"/></visual>',
    // Every instance of a category brings the same default classes: keep each chunk once.
    section('default', [...new Set(parts.map((p) => p.defaults))]),
    section('asset', [uniqueLines(parts.map((p) => p.assets))]),
    '<worldbody>',
    arena.worldbody,
    ...worldbody,
    '</worldbody>',
    section('contact', parts.map((p) => p.contactExcludes ?? '')),
    section('actuator', [robot.actuators]),
    section('sensor', parts.map((p) => p.sensors ?? '')),
    '</mujoco>',
  ]
    .filter((s) => s !== '')
    .join('\n');
  return { xml, entities, fixturePlacement, defaultJointQpos, tableSites: arena.sites };
}

function section(tag: string, bodies: readonly string[]): string {
  const inner = bodies.filter((b) => b.trim() !== '').join('\n');
  return inner === '' ? '' : `<${tag}>\n${inner}\n</${tag}>`;
}

/**
 * Two instances of a category bring the same assets (meshes, materials), one element per line:
 * keep each self-closed element once; anything else (a multi-line element) passes unchanged.
 */
function uniqueLines(chunks: readonly string[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of chunks.join('\n').split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    if (/^<[^<>]*\/>$/.test(t)) {
      if (seen.has(t)) continue;
      seen.add(t);
    }
    out.push(line);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// What the embedded simulator supports

function checkSupported(task: TaskSpec): void {
  if (task.problem !== SUPPORTED_PROBLEM) {
    const suites = PROBLEM_SUITES[task.problem];
    throw new SceneError(
      task.file,
      `the embedded simulator builds only ${SUPPORTED_PROBLEM} scenes, not ${task.problem}` +
        (suites ? ` (used by ${suites.join(', ')})` : '') +
        '; use the LIBERO backend for it',
    );
  }
  const missing: string[] = [];
  for (const o of task.objects) if (!OBJECT_MODELS[o.category]) missing.push(`object category "${o.category}" (${o.name})`);
  for (const f of task.fixtures) {
    if (f.category !== 'table' && !FIXTURE_MODELS[f.category]) missing.push(`fixture category "${f.category}" (${f.name})`);
  }
  if (missing.length > 0) {
    const needs = missing.map((m) => {
      const category = /"([^"]+)"/.exec(m)![1]!;
      const suites = CATEGORY_SUITES[category];
      return `${m}, needed by ${suites ? suites.join(', ') : 'no LIBERO suite'}`;
    });
    throw new SceneError(
      task.file,
      `the embedded simulator has no model for ${needs.join('; ')}. It has: ${[...Object.keys(OBJECT_MODELS), ...Object.keys(FIXTURE_MODELS)].join(', ')}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Default placement

const onAtoms = (task: TaskSpec): Atom[] => task.init.filter((a) => a.predicate === 'on' || a.predicate === 'in');

/** Centre of the fixture's `main_table_*` region, mid yaw, 5 mm above the table (LIBERO's fixture height). */
export function defaultFixturePose(task: TaskSpec, fixture: Entity, regions: ReadonlyMap<string, Region> = new Map(task.regions.map((r) => [r.name, r]))): Pose {
  const atom = onAtoms(task).find((a) => a.args[0] === fixture.name && regions.get(a.args[1]!)?.target === TABLE_NAME);
  if (!atom) {
    throw new SceneError(task.file, `fixture ${fixture.name} has no (On ${fixture.name} ${TABLE_NAME}_...) in :init; pass options.fixturePlacement for it`);
  }
  const region = regions.get(atom.args[1]!)!;
  const { centre } = targetZone(region);
  const yawRange = region.yawRotation[0];
  const yaw = yawRange ? (yawRange[0] + yawRange[1]) / 2 : 0;
  return { pos: [centre[0], centre[1], TABLE_TOP_Z + FIXTURE_HEIGHT_ABOVE_TABLE], quat: yawQuat(yaw) };
}

/** Joint qpos implied by Open/Close/TurnOn/TurnOff atoms in `:init`, by full joint name. */
function fixtureJointStates(task: TaskSpec, fixtures: readonly Entity[]): Map<string, number> {
  const states = new Map<string, number>();
  for (const atom of task.init) {
    const p = atom.predicate;
    if (p !== 'open' && p !== 'close' && p !== 'turnon' && p !== 'turnoff') continue;
    const target = atom.args[0]!;
    const fixture = fixtures.find((f) => target === f.name || target.startsWith(`${f.name}_`));
    const def = fixture && fixtureDef(fixture.category);
    const value = def?.states[p];
    if (!fixture || !def || value === undefined) continue;
    const local = target === fixture.name ? undefined : target.slice(fixture.name.length + 1);
    const joints = local ? [def.regions[local]?.joint].filter((j) => j !== undefined) : allJoints(def);
    for (const j of joints) states.set(`${fixture.name}_${j}`, value);
  }
  return states;
}

function allJoints(def: FixtureDef): string[] {
  const out: string[] = [];
  const walk = (b: FixtureDef['root']): void => {
    if (b.joint) out.push(b.joint.local);
    for (const c of b.children ?? []) walk(c);
  };
  walk(def.root);
  return out;
}

const DROP_GAP = 0.003;
/** Gap kept between neighbouring objects' bounding cylinders. */
const CLEARANCE = 0.005;
/** Where objects that would collide at their BDDL spot wait: along the table's far edge. */
const PARKING_X = 0.38;

/**
 * A collision-free default pose per object, from the task's `:init`: table regions' centres,
 * stacked on the object or fixture region named by `On`/`In` (drawers as `Open` leaves them), a few
 * millimetres up so it settles. Table objects that would overlap are pushed apart; objects with no
 * usable support wait in a row along the table's far edge.
 */
function defaultObjectPoses(
  task: TaskSpec,
  regions: ReadonlyMap<string, Region>,
  fixturePlacement: Readonly<Record<string, Pose>>,
  jointStates: ReadonlyMap<string, number>,
): Record<string, Pose> {
  const categories = new Map(task.objects.map((o) => [o.name, o.category]));
  const fixtureCategory = new Map(task.fixtures.map((f) => [f.name, f.category]));
  const support = new Map<string, string>();
  for (const a of onAtoms(task)) if (categories.has(a.args[0]!)) support.set(a.args[0]!, a.args[1]!);

  const poses: Record<string, Pose> = {};
  const placing = new Set<string>();
  let parked = 0;
  const park = (name: string): Pose => {
    const extent = OBJECT_EXTENTS[categories.get(name)!]!;
    return { pos: [PARKING_X, -0.5 + 0.16 * parked++, TABLE_TOP_Z - extent.bottom + DROP_GAP], quat: [1, 0, 0, 0] };
  };
  const place = (name: string): Pose => {
    const done = poses[name];
    if (done) return done;
    const extent = OBJECT_EXTENTS[categories.get(name)!]!;
    const target = support.get(name);
    let pose: Pose | undefined;
    if (target && !placing.has(target)) {
      placing.add(name);
      if (categories.has(target)) {
        // On another object: centred on it, above its top.
        const below = place(target);
        const top = OBJECT_EXTENTS[categories.get(target)!]!.top;
        pose = { pos: [below.pos[0], below.pos[1], below.pos[2] + top - extent.bottom + DROP_GAP], quat: [1, 0, 0, 0] };
      } else {
        const region = regions.get(target);
        if (region?.target === TABLE_NAME) {
          const { centre } = targetZone(region);
          pose = { pos: [centre[0], centre[1], TABLE_TOP_Z - extent.bottom + DROP_GAP], quat: [1, 0, 0, 0] };
        } else if (region) {
          const surface = fixtureSurface(region, fixtureCategory, fixturePlacement, jointStates);
          if (surface) pose = { pos: [surface[0], surface[1], surface[2] - extent.bottom + DROP_GAP], quat: [1, 0, 0, 0] };
        }
      }
      placing.delete(name);
    }
    poses[name] = pose ?? park(name);
    return poses[name];
  };
  for (const o of task.objects) place(o.name);

  // Objects resting on the table must not overlap (BDDL regions are small, objects are not): push
  // a later object straight away from the earlier one it overlaps, keeping the layout's sense
  // ("between the plate and the ramekin"); park it if that does not resolve.
  const onTable = task.objects.filter((o) => regions.get(support.get(o.name) ?? '')?.target === TABLE_NAME);
  const overlapping = (a: Entity, others: readonly Entity[]): { other: Entity; deficit: number } | undefined => {
    const pa = poses[a.name]!.pos;
    for (const b of others) {
      const pb = poses[b.name]!.pos;
      const reach = OBJECT_EXTENTS[a.category]!.radius + OBJECT_EXTENTS[b.category]!.radius + CLEARANCE;
      const deficit = reach - Math.hypot(pa[0] - pb[0], pa[1] - pb[1]);
      if (deficit > 0) return { other: b, deficit };
    }
    return undefined;
  };
  for (let i = 0; i < onTable.length; i++) {
    const a = onTable[i]!;
    const earlier = onTable.slice(0, i);
    for (let attempt = 0; attempt < 8; attempt++) {
      const hit = overlapping(a, earlier);
      if (!hit) break;
      const pa = poses[a.name]!.pos;
      const pb = poses[hit.other.name]!.pos;
      const d = Math.hypot(pa[0] - pb[0], pa[1] - pb[1]);
      const [ux, uy] = d > 1e-6 ? [(pa[0] - pb[0]) / d, (pa[1] - pb[1]) / d] : [0, 1];
      poses[a.name] = { pos: [pa[0] + ux * hit.deficit, pa[1] + uy * hit.deficit, pa[2]], quat: poses[a.name]!.quat };
    }
    if (overlapping(a, earlier)) poses[a.name] = park(a.name);
    restack(a.name);
  }
  // Anything stacked on a moved object follows it.
  function restack(moved: string): void {
    for (const [upper, lower] of support) {
      if (lower !== moved) continue;
      const base = poses[moved]!.pos;
      const top = OBJECT_EXTENTS[categories.get(moved)!]!.top;
      const bottom = OBJECT_EXTENTS[categories.get(upper)!]!.bottom;
      poses[upper] = { pos: [base[0], base[1], base[2] + top - bottom + DROP_GAP], quat: [1, 0, 0, 0] };
      restack(upper);
    }
  }
  return poses;
}

/** World position of a fixture region's supporting surface, with its drawer at the task's initial state. */
function fixtureSurface(
  region: Region,
  fixtureCategory: ReadonlyMap<string, string>,
  fixturePlacement: Readonly<Record<string, Pose>>,
  jointStates: ReadonlyMap<string, number>,
): Vec3 | undefined {
  const category = fixtureCategory.get(region.target);
  const pose = fixturePlacement[region.target];
  const r = category ? fixtureDef(category)?.regions[region.localName] : undefined;
  if (!pose || !r) return undefined;
  return regionSurface(r, pose, r.joint ? (jointStates.get(`${region.target}_${r.joint}`) ?? 0) : 0);
}
