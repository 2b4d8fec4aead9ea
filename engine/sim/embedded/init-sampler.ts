import { PANDA_FINGER_INIT_QPOS, PANDA_INIT_QPOS, mountedPanda } from './assets/panda.js';
import { type Quat, type Vec3 } from './assets/lathe.js';
import { OBJECT_EXTENTS, fixtureDef, regionSurface } from './assets/objects.js';
import { TABLE_NAME, TABLE_TOP_Z } from './assets/table.js';
import { SimulationError, type EmbeddedPhysics } from './physics.js';
import { buildScene, type Scene } from './scene.js';
import type { InitState } from '../../libero/init-states.js';
import { evaluateAtom } from '../../libero/predicates.js';
import { NUM_WAIT_STEPS, WAIT_ACTION } from '../../libero/suites.js';
import type { Atom, Entity, Region, TaskSpec } from '../../libero/task.js';
import type { Rng } from '../../util/random.js';

/**
 * The project's own initial states for LIBERO's tabletop tasks: one state is sampled the way
 * LIBERO's placement initializer samples it (LIBERO:`envs/bddl_base_domain.py
 * _add_placement_initializer`, `envs/regions/*.py`), with the choices below where the project
 * departs from it, then settled in the embedded simulator and verified.
 *
 * Sampling, per `:init` atom:
 * - `(On obj main_table_<region>)`: x, y uniform in the region's `:ranges` box (relative to the table
 *   centre, which is the world origin in x and y: engine/sim/assets/table.ts `targetZone`, as
 *   scene.ts places its TargetZone sites). LIBERO's TableRegionSampler instead draws from
 *   `[min + r, max - r]` with the object's horizontal radius r = 0.025, which for the 2 cm regions of
 *   libero_spatial is the region's centre +-1.5 cm (its own `.pruned_init` rows show this spread):
 *   a box larger than the TargetZone, so about half of LIBERO's rows start with their `On(obj,
 *   main_table_*)` atom false. Sampling in the zone itself keeps every init atom true.
 * - `(On obj <fixture>_<region>)` (cabinet top, stove burner): LIBERO's SiteRegionRandomSampler:
 *   offsets along the world axes, uniform in +-|size/2 - r| around the region's supporting surface,
 *   `size` being the site's half sizes (LIBERO halves them again) and r = 0.025.
 * - `(In obj <fixture>_<region>)` (a drawer): the region's centre, as LIBERO's
 *   InSiteRegionRandomSampler (its ranges are zero), on the drawer's floor.
 * - `(On obj other_obj)`: on top of the other object, centred on it (LIBERO's ObjectBasedSampler,
 *   ranges zero).
 * - `(Open|Close|TurnOn|TurnOff x)`: the joint(s) uniform in LIBERO's default ranges for that state
 *   (LIBERO:`envs/regions/object_property_sampler.py`, `envs/objects/articulated_objects.py`).
 * - Orientation: LIBERO's objects take their class's `rotation`, not the region's `:yaw_rotation`
 *   (which only fixtures use). libero_spatial's objects (GoogleScannedObject, HopeBaseObject) have
 *   rotation (pi/2, pi/2) about "x", for which the samplers return `[sin(a/2), 0, 0, cos(a/2)]` (x, y,
 *   z, w) and LIBERO writes it into the free joint as (w, x, y, z): a fixed yaw of pi - a = pi/2 about
 *   z, quaternion (0.7071, 0, 0, 0.7071), which is what every row of LIBERO's spatial init files
 *   holds. The draw is made as LIBERO makes it (uniform between equal bounds).
 * - Fixtures (cabinet, stove) stay where the scene placed them (`sim.scene.fixturePlacement`; by
 *   default the centre of their region, mid yaw). LIBERO re-samples their pose at every reset, but a
 *   fixture pose is not part of a state row (fixtures have no free joint), so the project keeps one
 *   deterministic placement per task and a row is then a complete description of an episode start.
 * - Objects start DROP_GAP above their support and are dropped by the settle.
 *
 * Rejection: the whole scene is re-sampled (so the result is uniform over the valid placements) when
 * - two entities' collision geoms touch right after placement (MuJoCo's contacts after mj_forward;
 *   with the drop gap this is a true interpenetration, e.g. a bowl's wall inside the plate's rim);
 * - the simulation goes unstable while settling;
 * - after the settle (SETTLE_STEPS wait actions), or after the episode's NUM_WAIT_STEPS wait actions
 *   from the stored state: an init atom is false (predicates.ts `evaluateAtom`, LIBERO's semantics),
 *   an object is tilted more than MAX_TILT from upright, or anything still moves.
 *
 * The stored state: time 0, qvel 0 (as LIBERO's rows), the robot at MountedPanda's init_qpos and
 * its finger init (the settle keeps the arm there under OSC; the wait action opens the fingers, which
 * the stored row undoes), objects at their settled poses and fixture joints at their settled values.
 * It is verified again exactly as an episode uses it: reset to it, NUM_WAIT_STEPS wait actions.
 */

/** Bumped whenever a change alters the states generated for a seed. */
export const GENERATOR_VERSION = 1;

export { mulberry32, mulberry32At, MULBERRY32_STEP, type Rng } from '../../util/random.js';

// ---------------------------------------------------------------------------------------------
// LIBERO's facts used by the sampler

/**
 * LIBERO objects' `horizontal_radius` (their `horizontal_radius_site` x, e.g. 0.025 in
 * stable_scanned_objects/akita_black_bowl.xml); the spread of every object in LIBERO's spatial
 * `.pruned_init` rows (+-0.015 around 2 cm regions) agrees for all four.
 */
export const LIBERO_HORIZONTAL_RADIUS: Readonly<Record<string, number>> = {
  akita_black_bowl: 0.025,
  plate: 0.025,
  glazed_rim_porcelain_ramekin: 0.025,
  cookies: 0.025,
};

/** LIBERO object classes' `rotation` about `rotation_axis` "x" (google_scanned_objects.py, hope_objects.py). */
export const LIBERO_OBJECT_ROTATION: Readonly<Record<string, readonly [number, number]>> = {
  akita_black_bowl: [Math.PI / 2, Math.PI / 2],
  plate: [Math.PI / 2, Math.PI / 2],
  glazed_rim_porcelain_ramekin: [Math.PI / 2, Math.PI / 2],
  cookies: [Math.PI / 2, Math.PI / 2],
};

/** `default_{open,close,turnon,turnoff}_ranges` of LIBERO's articulated objects (articulated_objects.py). */
export const LIBERO_JOINT_RANGES: Readonly<Record<string, Partial<Record<JointState, readonly [number, number]>>>> = {
  wooden_cabinet: { open: [-0.16, -0.14], close: [0, 0.005] },
  flat_stove: { turnon: [0.5, 2.1], turnoff: [-0.005, 0] },
};

type JointState = 'open' | 'close' | 'turnon' | 'turnoff';

// ---------------------------------------------------------------------------------------------
// Options and results

/** Height objects are dropped from, above their support's surface. */
export const DROP_GAP = 0.002;
/** Wait actions after placement before the first check (the episode then adds NUM_WAIT_STEPS more). */
export const SETTLE_STEPS = 15;
/** Largest tilt of an object's z axis from vertical, radians, after settling. */
export const MAX_TILT = (5 * Math.PI) / 180;
/** At rest: largest object speed (m/s, over the last env step), angular speed (rad/s) and fixture joint speed. */
export const MAX_SPEED = 0.005;
export const MAX_ANGULAR_SPEED = 0.05;
export const MAX_JOINT_SPEED = 0.005;
/** Largest drift of an object from its stored pose over the episode's wait steps, metres. */
export const MAX_DRIFT = 0.002;

export interface SamplerOptions {
  /** Whole-scene attempts before giving up (default 2000). */
  maxAttempts?: number;
  settleSteps?: number;
}

export type RejectReason = 'overlap' | 'unstable' | 'atoms' | 'tilted' | 'moving';

export interface SampleResult {
  state: InitState;
  /** Attempts made, the accepted one included. */
  attempts: number;
  rejections: Record<RejectReason, number>;
}

export class InitSamplerError extends Error {
  override name = 'InitSamplerError';
}

export function emptyRejections(): Record<RejectReason, number> {
  return { overlap: 0, unstable: 0, atoms: 0, tilted: 0, moving: 0 };
}

// ---------------------------------------------------------------------------------------------
// Sampling

/** One settled, verified initial state of `task` (see the header); `rng` drives every draw. */
export function sampleInitState(sim: EmbeddedPhysics, task: TaskSpec, rng: Rng, options: SamplerOptions = {}): InitState {
  return sampleInitStateDetailed(sim, task, rng, options).state;
}

export function sampleInitStateDetailed(sim: EmbeddedPhysics, task: TaskSpec, rng: Rng, options: SamplerOptions = {}): SampleResult {
  const maxAttempts = options.maxAttempts ?? 2000;
  const settleSteps = options.settleSteps ?? SETTLE_STEPS;
  const plan = planFor(sim, task);
  const rejections = emptyRejections();
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const placed = plan.sample(rng);
    const verdict = trial(sim, task, plan, placed, settleSteps);
    if (typeof verdict === 'string') {
      rejections[verdict]++;
      continue;
    }
    return { state: verdict, attempts: attempt, rejections };
  }
  throw new InitSamplerError(
    `${task.file}: no valid initial state in ${maxAttempts} attempts (rejected: ${Object.entries(rejections)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
  );
}

/** Place, settle, check, store, re-check as an episode starts: the stored state or why it was rejected. */
function trial(sim: EmbeddedPhysics, task: TaskSpec, plan: Plan, qpos: Float64Array, settleSteps: number): InitState | RejectReason {
  const zeros = new Float64Array(plan.nv);
  sim.reset(task, { time: 0, qpos, qvel: zeros });
  if (plan.anyOverlap(sim)) return 'overlap';
  const settled = run(sim, plan, settleSteps);
  if (typeof settled === 'string') return settled;
  const stored = plan.storedQpos(sim, settled.poses);
  const init: InitState = { time: 0, qpos: stored, qvel: zeros.slice() };
  const again = run(sim, plan, NUM_WAIT_STEPS, init);
  if (typeof again === 'string') return again;
  // Drift from the stored poses over the episode's wait steps.
  for (let i = 0; i < plan.objects.length; i++) {
    const a = plan.objectAdr[i]!;
    const p = again.poses.subarray(7 * i, 7 * i + 3);
    if (Math.hypot(p[0]! - stored[a]!, p[1]! - stored[a + 1]!, p[2]! - stored[a + 2]!) > MAX_DRIFT) return 'moving';
  }
  return { time: 0, qpos: stored, qvel: zeros.slice() };
}

/** `steps` wait actions (from `from` if given, else from the current state), then the checks. */
function run(sim: EmbeddedPhysics, plan: Plan, steps: number, from?: InitState): { poses: Float64Array } | RejectReason {
  let poses = from ? sim.reset(plan.task, from).objectPoses : undefined;
  let joints = plan.fixtureJoints(sim);
  let before = poses;
  let jointsBefore = joints;
  try {
    for (let k = 0; k < steps; k++) {
      before = poses;
      jointsBefore = joints;
      poses = sim.step(WAIT_ACTION).observation.objectPoses;
      joints = plan.fixtureJoints(sim);
    }
  } catch (error) {
    if (error instanceof SimulationError) return 'unstable';
    throw error;
  }
  if (!poses || !before) throw new InitSamplerError('settling needs at least two steps');
  for (const atom of plan.task.init) if (!evaluateAtom(atom, sim.world)) return 'atoms';
  const dt = ENV_STEP_SECONDS;
  for (let i = 0; i < plan.objects.length; i++) {
    const q = poses.subarray(7 * i + 3, 7 * i + 7);
    if (tilt(q) > MAX_TILT) return 'tilted';
    const p = poses.subarray(7 * i, 7 * i + 3);
    const p0 = before.subarray(7 * i, 7 * i + 3);
    if (Math.hypot(p[0]! - p0[0]!, p[1]! - p0[1]!, p[2]! - p0[2]!) / dt > MAX_SPEED) return 'moving';
    if (rotationAngle(before.subarray(7 * i + 3, 7 * i + 7), q) / dt > MAX_ANGULAR_SPEED) return 'moving';
  }
  for (let j = 0; j < joints.length; j++) if (Math.abs(joints[j]! - jointsBefore[j]!) / dt > MAX_JOINT_SPEED) return 'moving';
  return { poses: Float64Array.from(poses) };
}

/** One env step: 25 substeps of 2 ms. */
const ENV_STEP_SECONDS = 0.05;

/** Angle between a body's z axis and the world's, from its (w, x, y, z) quaternion. */
export function tilt(q: ArrayLike<number>): number {
  const x = q[1]!;
  const y = q[2]!;
  const n = q[0]! ** 2 + x * x + y * y + q[3]! ** 2;
  return Math.acos(Math.min(1, Math.max(-1, 1 - (2 * (x * x + y * y)) / n)));
}

/** The angle of the rotation taking orientation a to b. */
function rotationAngle(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const dot = Math.abs(a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]! + a[3]! * b[3]!);
  return 2 * Math.acos(Math.min(1, dot));
}

// ---------------------------------------------------------------------------------------------
// The plan: how each object and joint of a task is sampled, and where it sits in qpos

type Support =
  | { kind: 'table'; region: Region }
  | { kind: 'site'; region: Region; fixture: Entity; inside: boolean }
  | { kind: 'object'; below: string };

interface JointDraw {
  /** qpos address. */
  adr: number;
  range: readonly [number, number];
}

class Plan {
  readonly objects: Entity[];
  /** qpos address of each object's free joint, in `:objects` order. */
  readonly objectAdr: number[];
  readonly nq: number;
  readonly nv: number;
  private readonly base: Float64Array;
  private readonly supports = new Map<string, Support>();
  private readonly jointDraws: JointDraw[] = [];
  /** qpos address of each fixture joint, by full name. */
  private readonly jointAdr = new Map<string, number>();
  private readonly fixturesWithJoints: string[];
  private readonly pairs: [string, string][] = [];
  private readonly halfSizes = new Map<string, readonly [number, number, number]>();

  constructor(
    readonly task: TaskSpec,
    private readonly scene: Scene,
  ) {
    this.objects = task.objects;
    // Layout (docs/scene-conventions.md): robot 9, objects' free joints, fixtures' 1-dof joints.
    let adr = PANDA_INIT_QPOS.length + PANDA_FINGER_INIT_QPOS.length;
    let nv = adr;
    this.objectAdr = [];
    const byName = new Map(scene.entities.map((e) => [e.name, e]));
    for (const o of task.objects) {
      const e = byName.get(o.name);
      if (!e || e.joints.length !== 1) throw new InitSamplerError(`${task.file}: object ${o.name} has no single free joint in the scene`);
      this.objectAdr.push(adr);
      adr += 7;
      nv += 6;
    }
    const fixtures = scene.entities.filter((e) => e.kind === 'fixture');
    for (const f of fixtures) {
      for (const j of f.joints) {
        this.jointAdr.set(j, adr);
        adr += 1;
        nv += 1;
      }
    }
    this.fixturesWithJoints = fixtures.filter((f) => f.joints.length > 0).map((f) => f.name);
    this.nq = adr;
    this.nv = nv;
    this.base = defaultQpos(scene, this.nq, this.objectAdr, this.jointAdr, task);

    // Entities that must not touch after placement: every object and non-table fixture, pairwise.
    const solid = [...task.objects.map((o) => o.name), ...fixtures.map((f) => f.name)];
    for (let i = 0; i < solid.length; i++) for (let j = i + 1; j < solid.length; j++) this.pairs.push([solid[i]!, solid[j]!]);

    const regions = new Map(task.regions.map((r) => [r.name, r]));
    const objectNames = new Set(task.objects.map((o) => o.name));
    const fixtureByName = new Map(task.fixtures.map((f) => [f.name, f]));
    for (const atom of task.init) {
      if (atom.predicate === 'on' || atom.predicate === 'in') {
        const [what, where] = atom.args as [string, string];
        if (!objectNames.has(what)) continue; // fixtures stay where the scene put them
        if (this.supports.has(what)) throw new InitSamplerError(`${task.file}: ${what} has two placements in :init`);
        this.supports.set(what, this.supportOf(atom, where, regions, objectNames, fixtureByName));
      } else if (atom.predicate === 'open' || atom.predicate === 'close' || atom.predicate === 'turnon' || atom.predicate === 'turnoff') {
        this.addJointDraws(atom, atom.predicate, fixtureByName);
      }
    }
    for (const o of task.objects) {
      if (!this.supports.has(o.name)) throw new InitSamplerError(`${task.file}: object ${o.name} has no (On ...) or (In ...) in :init, so no place to sample it`);
      if (!OBJECT_EXTENTS[o.category]) throw new InitSamplerError(`${task.file}: no model extents for category ${o.category}`);
      if (!LIBERO_OBJECT_ROTATION[o.category]) throw new InitSamplerError(`${task.file}: the sampler knows no LIBERO rotation for category ${o.category} (${o.name})`);
    }
  }

  private supportOf(atom: Atom, where: string, regions: Map<string, Region>, objects: Set<string>, fixtures: Map<string, Entity>): Support {
    if (objects.has(where)) {
      if (atom.predicate === 'in') throw new InitSamplerError(`${this.task.file}: (In ${atom.args[0]} ${where}): In needs a region`);
      return { kind: 'object', below: where };
    }
    const region = regions.get(where);
    if (!region) throw new InitSamplerError(`${this.task.file}: (${atom.predicate} ${atom.args.join(' ')}): ${where} is neither an object nor a region`);
    if (region.target === TABLE_NAME) {
      if (atom.predicate === 'in') throw new InitSamplerError(`${this.task.file}: (In ${atom.args[0]} ${where}) on the table is not supported`);
      return { kind: 'table', region };
    }
    const fixture = fixtures.get(region.target);
    const def = fixture && fixtureDef(fixture.category);
    if (!fixture || !def?.regions[region.localName]) {
      throw new InitSamplerError(`${this.task.file}: region ${where} belongs to ${region.target}, which has no supporting surface for ${region.localName}`);
    }
    return { kind: 'site', region, fixture, inside: atom.predicate === 'in' };
  }

  private addJointDraws(atom: Atom, state: JointState, fixtures: Map<string, Entity>): void {
    const target = atom.args[0]!;
    const fixture = [...fixtures.values()].find((f) => target === f.name || target.startsWith(`${f.name}_`));
    const def = fixture && fixtureDef(fixture.category);
    const range = fixture && LIBERO_JOINT_RANGES[fixture.category]?.[state];
    if (!fixture || !def || !range) throw new InitSamplerError(`${this.task.file}: (${atom.predicate} ${target}): no joint range for it`);
    const local = target === fixture.name ? undefined : target.slice(fixture.name.length + 1);
    const joints = local ? [def.regions[local]?.joint] : [...this.jointAdr.keys()].filter((j) => j.startsWith(`${fixture.name}_`)).map((j) => j.slice(fixture.name.length + 1));
    for (const j of joints) {
      const adr = j === undefined ? undefined : this.jointAdr.get(`${fixture.name}_${j}`);
      if (adr === undefined) throw new InitSamplerError(`${this.task.file}: (${atom.predicate} ${target}): no joint in the scene`);
      this.jointDraws.push({ adr, range });
    }
  }

  /** Robot at init, objects and fixture joints at the scene's defaults. */
  defaultQpos(): Float64Array {
    return Float64Array.from(this.base);
  }

  /** A placement: robot at init, fixture joints drawn, every object on its support with its LIBERO orientation. */
  sample(rng: Rng): Float64Array {
    const qpos = Float64Array.from(this.base);
    for (const { adr, range } of this.jointDraws) qpos[adr] = uniform(rng, range[0], range[1]);
    const placed = new Map<string, Vec3>();
    const place = (o: Entity, path: string[]): Vec3 => {
      const done = placed.get(o.name);
      if (done) return done;
      if (path.includes(o.name)) throw new InitSamplerError(`${this.task.file}: objects stacked in a cycle: ${[...path, o.name].join(' on ')}`);
      const extent = OBJECT_EXTENTS[o.category]!;
      const support = this.supports.get(o.name)!;
      let pos: Vec3;
      if (support.kind === 'table') {
        const [xMin, yMin, xMax, yMax] = support.region.ranges[0]!;
        pos = [uniform(rng, xMin, xMax), uniform(rng, yMin, yMax), TABLE_TOP_Z - extent.bottom + DROP_GAP];
      } else if (support.kind === 'site') {
        const surface = this.surface(support.region, support.fixture, qpos);
        let dx = 0;
        let dy = 0;
        if (!support.inside) {
          const r = LIBERO_HORIZONTAL_RADIUS[o.category];
          if (r === undefined) throw new InitSamplerError(`${this.task.file}: no LIBERO horizontal radius for category ${o.category}`);
          const [hx, hy] = this.siteHalfSize(support.region);
          const ax = Math.abs(hx / 2 - r);
          const ay = Math.abs(hy / 2 - r);
          dx = uniform(rng, -ax, ax);
          dy = uniform(rng, -ay, ay);
        }
        pos = [surface[0] + dx, surface[1] + dy, surface[2] - extent.bottom + DROP_GAP];
      } else {
        const belowEntity = this.objects.find((b) => b.name === support.below)!;
        const below = place(belowEntity, [...path, o.name]);
        pos = [below[0], below[1], below[2] + OBJECT_EXTENTS[belowEntity.category]!.top - extent.bottom + DROP_GAP];
      }
      const [lo, hi] = LIBERO_OBJECT_ROTATION[o.category]!;
      const a = uniform(rng, lo, hi);
      // LIBERO's (x, y, z, w) quaternion for rotation a about x, written as MuJoCo's (w, x, y, z).
      const quat: Quat = [Math.sin(a / 2), 0, 0, Math.cos(a / 2)];
      const adr = this.objectAdr[this.objects.indexOf(o)]!;
      qpos.set(pos, adr);
      qpos.set(quat, adr + 3);
      placed.set(o.name, pos);
      return pos;
    };
    for (const o of this.objects) place(o, []);
    return qpos;
  }

  /** World position of a fixture region's supporting surface, its joint at the sampled qpos. */
  private surface(region: Region, fixture: Entity, qpos: Float64Array): Vec3 {
    const r = fixtureDef(fixture.category)!.regions[region.localName]!;
    const pose = this.scene.fixturePlacement[fixture.name];
    if (!pose) throw new InitSamplerError(`${this.task.file}: the scene has no placement for fixture ${fixture.name}`);
    return regionSurface(r, pose, r.joint ? (qpos[this.jointAdr.get(`${fixture.name}_${r.joint}`) ?? -1] ?? 0) : 0);
  }

  /** The region site's half sizes, read from the compiled scene by `readHalfSizes`. */
  siteHalfSize(region: Region): readonly [number, number, number] {
    const h = this.halfSizes.get(region.name);
    if (!h) throw new InitSamplerError(`${this.task.file}: no site for region ${region.name}`);
    return h;
  }

  readHalfSizes(sim: EmbeddedPhysics): void {
    for (const s of this.supports.values()) {
      if (s.kind !== 'site') continue;
      const site = sim.world.site(s.region.name);
      if (!site) throw new InitSamplerError(`${this.task.file}: the scene has no site ${s.region.name}`);
      this.halfSizes.set(s.region.name, site.halfSize);
    }
  }

  anyOverlap(sim: EmbeddedPhysics): boolean {
    const world = sim.world;
    return this.pairs.some(([a, b]) => world.inContact(a, b));
  }

  fixtureJoints(sim: EmbeddedPhysics): number[] {
    return this.fixturesWithJoints.flatMap((f) => sim.world.jointPositions(f));
  }

  /** The state row to store: robot at its init, objects as settled (poses from the last observation), fixture joints as settled. */
  storedQpos(sim: EmbeddedPhysics, poses: Float64Array): Float64Array {
    const qpos = Float64Array.from(this.base);
    this.objectAdr.forEach((adr, i) => qpos.set(poses.subarray(7 * i, 7 * i + 7), adr));
    let k = 0;
    const values = this.fixtureJoints(sim);
    for (const f of this.fixturesWithJoints) {
      for (const j of this.scene.entities.find((e) => e.name === f)!.joints) qpos[this.jointAdr.get(j)!] = values[k++]!;
    }
    return qpos;
  }
}

function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

/** Robot at MountedPanda's init, every other joint at the scene's default (docs/scene-conventions.md order). */
function defaultQpos(scene: Scene, nq: number, objectAdr: readonly number[], jointAdr: ReadonlyMap<string, number>, task: TaskSpec): Float64Array {
  const qpos = new Float64Array(nq);
  qpos.set(PANDA_INIT_QPOS, 0);
  qpos.set(PANDA_FINGER_INIT_QPOS, PANDA_INIT_QPOS.length);
  task.objects.forEach((o, i) => {
    const values = scene.defaultJointQpos[`${o.name}_joint0`];
    if (values) qpos.set(values, objectAdr[i]!);
  });
  for (const [joint, adr] of jointAdr) qpos[adr] = scene.defaultJointQpos[joint]?.[0] ?? 0;
  return qpos;
}

/** The default state of a task's scene: robot at init, objects and joints as the scene builder placed them. */
export function defaultInitState(task: TaskSpec, scene: Scene = buildScene(task, mountedPanda())): InitState {
  const plan = new Plan(task, scene);
  return { time: 0, qpos: plan.defaultQpos(), qvel: new Float64Array(plan.nv) };
}

const plans = new WeakMap<EmbeddedPhysics, { task: TaskSpec; scene: Scene; plan: Plan }>();

/** The task's plan on this simulator, compiling the task first if the simulator runs another. */
function planFor(sim: EmbeddedPhysics, task: TaskSpec): Plan {
  const cached = plans.get(sim);
  let current: TaskSpec | undefined;
  try {
    current = sim.task;
  } catch {
    current = undefined;
  }
  if (cached && cached.task === task && current === task && cached.scene === sim.scene) return cached.plan;
  if (current !== task) {
    const bootstrap = new Plan(task, buildScene(task, mountedPanda()));
    sim.reset(task, { time: 0, qpos: bootstrap.defaultQpos(), qvel: new Float64Array(bootstrap.nv) });
  }
  const plan = new Plan(task, sim.scene);
  plan.readHalfSizes(sim);
  plans.set(sim, { task, scene: sim.scene, plan });
  return plan;
}
