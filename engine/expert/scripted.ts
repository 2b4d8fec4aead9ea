import type { Atom, Formula, TaskSpec } from '../libero/task.js';
import type { Observation } from '../sim/simulator.js';
import { fingerYaw, handRotation, PositionLaw, wrapAngle, YawLaw } from './control.js';
import { dist3, distXY, footprintGap, sub, type Prism, type Quat, type Vec3 } from './geometry.js';
import { chooseGrasp, clearHeight, GRASPS, heightProfile, SURFACES, XY_MARGIN, type GraspChoice, type GraspSpec } from './grasp-plan.js';
import { handPrisms, heldPrisms, objectPrism, type ExpertWorld } from './scene-model.js';

/**
 * A scripted pick-and-place expert for LIBERO's "put X on Y" tasks (all of libero_spatial): it
 * holds the goal's first On atom's object by its wall and sets it on the second. Ground truth only
 * (object poses from the observation, fixture boxes from the simulator), a fixed sequence of
 * phases, and clipped feedback laws (control.ts) toward each phase's waypoint:
 *
 *   approach (open, above the grasp, turning the hand if the plan says so) -> descend -> close ->
 *   lift / carry (over a height profile that clears everything on the way) -> lower -> release ->
 *   retreat, and from there a new attempt if the goal does not hold yet.
 *
 * `act` is a policy: one action per observation, state kept per episode (`reset`), deterministic.
 */

export type ExpertPhase = 'approach' | 'descend' | 'close' | 'lift' | 'carry' | 'lower' | 'release' | 'retreat' | 'unhook';

/** Below this yaw error (rad) the hand counts as turned. */
const YAW_TOLERANCE = 0.05;
/**
 * Horizontal error (m) within which the hand counts as over its grasp. Grasps keep COMFORT room
 * around the fingers; asking for more precision costs steps where the arm is stretched.
 */
const ALIGNED = 0.01;
/** How far above the grasp the descent starts, at least. */
const HOVER_ABOVE = 0.05;
/** Lift at least this much before moving sideways. */
const MIN_LIFT = 0.02;
/** While carrying, the height needed over this much of the path ahead is reached before going on. */
const LOOKAHEAD = 0.05;
/** A held object swings a little as the hand accelerates: allowance below its current pose. */
const SWING = 0.005;
/** Press the object this far into its support when setting it down, so that they touch. */
const PRESS = 0.004;
/** Close enough over the support to set the object down; when the arm can get no closer, this will do. */
const PLACE_TOLERANCE = 0.006;
const PLACE_TOLERANCE_STALLED = 0.025;
/** Fingers closer than this (m, the two joints' sum) hold nothing. */
const EMPTY_GRIP = 0.004;
/** A held object that moves this far relative to the hand has been dropped. */
const SLIP = 0.03;
const RETREAT_UP = 0.08;
/** An object that rises this much after the hand opened is hanging on the fingers. */
const HOOKED = 0.015;
/** Steps without 1 mm of progress after which a phase counts as stalled (the arm at its reach). */
const STALL_STEPS = 6;

interface Attempt {
  grasp: GraspChoice;
  spec: GraspSpec;
  hoverZ: number;
  /** Frozen when the descent starts, so the hand does not chase an object its fingers nudge. */
  graspPoint?: Vec3;
  /** Object origin minus grip site once held. */
  hold?: Vec3;
  /** Grip site where the object was picked (lift) or let go (retreat). */
  anchor?: Vec3;
  /** Obstacles (indices into `obstacles()`) standing beside the object when it was picked. */
  beside?: Set<number>;
  /** The object's height when the hand let go, and whether it had to be shaken off the fingers. */
  releasedAt?: number;
  unhooked?: boolean;
}

export class ScriptedExpert {
  readonly object: string;
  readonly support: string;
  private readonly objectIndex: number;
  private readonly supportIndex: number;
  private readonly objectCategory: string;
  private readonly supportCategory: string;

  private phaseName: ExpertPhase = 'approach';
  private phaseSteps = 0;
  private attempt: Attempt | undefined;
  private attempts = 0;
  /** The hand's rotation at the first step, the reference every turn is relative to. */
  private reference: Float64Array | undefined;
  private referenceYaw = 0;
  private yawLaw: YawLaw | undefined;
  private readonly positionLaw = new PositionLaw();
  private lastFingers = 0;
  /** Smallest error seen in this phase and the steps since it last shrank by 1 mm. */
  private bestError = Infinity;
  private sinceProgress = 0;

  constructor(readonly task: TaskSpec) {
    const goal = firstOn(task.goal);
    if (!goal) throw new Error(`${task.file}: the scripted expert needs an (On object target) goal`);
    [this.object, this.support] = goal.args as [string, string];
    this.objectIndex = task.objects.findIndex((o) => o.name === this.object);
    this.supportIndex = task.objects.findIndex((o) => o.name === this.support);
    if (this.objectIndex < 0 || this.supportIndex < 0) {
      throw new Error(`${task.file}: the scripted expert places one object on another; ${this.object} on ${this.support} is not that`);
    }
    this.objectCategory = task.objects[this.objectIndex]!.category;
    this.supportCategory = task.objects[this.supportIndex]!.category;
    if (!GRASPS[this.objectCategory]) throw new Error(`${task.file}: the scripted expert cannot grasp a ${this.objectCategory}`);
    if (SURFACES[this.supportCategory] === undefined) throw new Error(`${task.file}: the scripted expert cannot place onto a ${this.supportCategory}`);
  }

  get phase(): ExpertPhase {
    return this.phaseName;
  }

  /** Attempts started so far (a new one follows a missed grasp, a drop or a failed placement). */
  get attemptCount(): number {
    return this.attempts;
  }

  reset(): void {
    this.phaseName = 'approach';
    this.phaseSteps = 0;
    this.attempt = undefined;
    this.attempts = 0;
    this.reference = undefined;
    this.yawLaw = undefined;
    this.bestError = Infinity;
    this.sinceProgress = 0;
    this.positionLaw.reset();
  }

  act(obs: Observation, world: ExpertWorld): number[] {
    const grip: Vec3 = [obs.proprio[0]!, obs.proprio[1]!, obs.proprio[2]!];
    const hand = handRotation(obs.proprio);
    const fingers = obs.proprio[6]! - obs.proprio[7]!;
    if (!this.reference) {
      this.reference = hand;
      this.referenceYaw = fingerYaw(hand);
    }
    const object = pose(obs, this.objectIndex);
    const support = pose(obs, this.supportIndex);
    this.attempt ??= this.plan(obs, world, grip);
    const a = this.attempt;
    const held = (): boolean => a.hold !== undefined && dist3(sub(object, grip), a.hold) < SLIP;

    let target: Vec3 = grip;
    let close = false;
    switch (this.phaseName) {
      case 'approach': {
        const g = graspPoint(object, a);
        // From the planned height, not the object's: never follow an object that rises with the hand.
        const hover: Vec3 = [g[0], g[1], a.hoverZ];
        // Rise first when below the travel height, then go over.
        target = grip[2] < hover[2] - 0.02 && distXY(grip, hover) > 0.03 ? [grip[0], grip[1], hover[2]] : hover;
        if (distXY(grip, hover) < ALIGNED && Math.abs(grip[2] - hover[2]) < 0.01 && Math.abs(this.yawError(hand)) < YAW_TOLERANCE) {
          a.graspPoint = g;
          this.enter('descend');
        }
        break;
      }
      case 'descend':
        target = a.graspPoint!;
        if (dist3(grip, target) < 0.005 || this.stalled(dist3(grip, target))) this.enter('close');
        break;
      case 'close':
        target = a.graspPoint!;
        close = true;
        if (this.phaseSteps >= 6 && Math.abs(fingers - this.lastFingers) < 2e-4) {
          if (fingers < EMPTY_GRIP) {
            this.enter('release'); // missed: open, back off, try again
          } else {
            a.hold = sub(object, grip);
            a.anchor = grip;
            a.beside = this.beside(obs, world, object);
            this.enter('lift');
          }
        }
        break;
      case 'lift':
      case 'carry': {
        close = true;
        const dx = support[0] - object[0];
        const dy = support[1] - object[1];
        const z = this.carryHeight(obs, world, grip, support);
        // Rise in place until the way ahead is clear, then go over the support.
        const rising = grip[2] < z - 0.005;
        target = rising ? [grip[0], grip[1], z] : [grip[0] + dx, grip[1] + dy, z];
        if (this.phaseName === 'lift' && !rising) this.enter('carry');
        const off = Math.hypot(dx, dy);
        if (!held()) this.enter('release');
        else if (this.phaseName === 'carry' && (off < PLACE_TOLERANCE || (this.stalled(off) && off < PLACE_TOLERANCE_STALLED))) this.enter('lower');
        break;
      }
      case 'lower': {
        close = true;
        const rest = this.restHeight(support);
        target = [grip[0] + support[0] - object[0], grip[1] + support[1] - object[1], grip[2] + (rest - PRESS - object[2])];
        if (!held()) this.enter('release');
        else if (object[2] < rest + 0.001 || this.stalled(object[2] - rest)) this.enter('release');
        break;
      }
      case 'release':
        a.anchor ??= grip;
        a.releasedAt ??= object[2];
        target = a.anchor;
        if (this.phaseSteps >= 5) this.enter('retreat');
        break;
      case 'retreat':
        close = a.unhooked === true;
        target = [a.anchor![0], a.anchor![1], a.anchor![2] + RETREAT_UP];
        if (!a.unhooked && object[2] > a.releasedAt! + HOOKED) {
          // The open fingers hold the object from the inside (both came down within its rim):
          // put it back down and close them, which lets go of it, then leave with them closed.
          this.enter('unhook');
        } else if (grip[2] > target[2] - 0.01 || this.stalled(target[2] - grip[2])) {
          this.attempt = undefined; // the goal does not hold yet: plan again from here
          this.enter('approach');
        }
        break;
      case 'unhook':
        target = a.anchor!;
        close = this.phaseSteps > 0 && dist3(grip, a.anchor!) < 0.01;
        if (this.phaseSteps > 30 || (close && Math.abs(fingers - this.lastFingers) < 2e-4 && fingers < EMPTY_GRIP)) {
          a.unhooked = true;
          this.enter('retreat');
        }
        break;
    }
    this.phaseSteps++;
    this.lastFingers = fingers;
    return [...this.positionLaw.action(grip, target), ...this.yawLaw!.action(hand), close ? 1 : -1];
  }

  private enter(phase: ExpertPhase): void {
    if (phase === 'release' && this.attempt) {
      this.attempt.anchor = undefined;
      this.attempt.releasedAt = undefined;
    }
    this.phaseName = phase;
    this.phaseSteps = 0;
    this.bestError = Infinity;
    this.sinceProgress = 0;
    this.positionLaw.reset();
  }

  /** True once `error` has not shrunk by 1 mm for STALL_STEPS steps of this phase. */
  private stalled(error: number): boolean {
    if (error < this.bestError - 0.001) {
      this.bestError = error;
      this.sinceProgress = 0;
    } else {
      this.sinceProgress++;
    }
    return this.sinceProgress >= STALL_STEPS;
  }

  /** A new attempt: the grasp (side and hand yaw) and the height to approach it at. */
  private plan(obs: Observation, world: ExpertWorld, grip: Vec3): Attempt {
    this.attempts++;
    const spec = GRASPS[this.objectCategory]!;
    const object = pose(obs, this.objectIndex);
    const support = pose(obs, this.supportIndex);
    const place: Vec3 = [support[0], support[1], this.restHeight(support)];
    // Turns are relative to the last attempt's (none at first), so keeping the yaw sends no rotation.
    const turned = this.yawLaw?.yaw ?? 0;
    const grasp = chooseGrasp({ object, place, yaw0: this.referenceYaw + turned, spec, obstacles: this.obstacles(obs, world), base: world.robotBase });
    this.yawLaw = new YawLaw(this.reference!, wrapAngle(turned + grasp.yawOffset));
    const g = graspPoint(object, { grasp, spec });
    // The open hand travels over everything, the object to grasp included.
    const hoverZ = clearHeight([grip[0], grip[1]], [g[0], g[1]], handPrisms([0, 0, 0], grasp.ux, grasp.uy), this.obstacles(obs, world, true));
    return { grasp, spec, hoverZ: Math.max(hoverZ, g[2] + HOVER_ABOVE) };
  }

  /**
   * The grip height to hold now: what the hand and the held object (as it hangs now, tilt
   * included) need over the next LOOKAHEAD of the way to over the support; at least MIN_LIFT
   * above the pick until it has left there.
   */
  private carryHeight(obs: Observation, world: ExpertWorld, grip: Vec3, support: Vec3): number {
    const a = this.attempt!;
    const object = pose(obs, this.objectIndex);
    const hold = sub(object, grip);
    const body: Prism[] = [
      ...handPrisms([0, 0, 0], a.grasp.ux, a.grasp.uy),
      ...heldPrisms(this.object, this.objectCategory, hold, quat(obs, this.objectIndex)).map((p) => ({ ...p, zMin: p.zMin - SWING })),
    ];
    const end: [number, number] = [support[0] - hold[0], support[1] - hold[1]];
    const profile = heightProfile([grip[0], grip[1]], end, body, this.obstacles(obs, world), a.beside);
    let z = Math.max(...profile.filter((p) => p.at <= LOOKAHEAD).map((p) => p.z));
    if (distXY(grip, a.anchor!) < 0.02) z = Math.max(z, a.anchor![2] + MIN_LIFT);
    return z;
  }

  /** Obstacles beside the object as it rests at the pick (near it, not under it): see heightProfile. */
  private beside(obs: Observation, world: ExpertWorld, object: Vec3): Set<number> {
    const body = objectPrism(this.object, this.objectCategory, object, quat(obs, this.objectIndex));
    const out = new Set<number>();
    this.obstacles(obs, world).forEach((o, i) => {
      if (footprintGap(body, o) < XY_MARGIN && o.zMin > body.zMax - 0.01) out.add(i);
    });
    return out;
  }

  /** The object's origin height when it rests on the support's surface. */
  private restHeight(support: Vec3): number {
    const bottom = objectPrism(this.object, this.objectCategory, [0, 0, 0], [1, 0, 0, 0]).zMin;
    return support[2] + SURFACES[this.supportCategory]! - bottom;
  }

  /** The fixtures and every object but the one to move (unless `withObject`), as prisms, in a fixed order. */
  private obstacles(obs: Observation, world: ExpertWorld, withObject = false): Prism[] {
    const out = world.fixturePrisms();
    this.task.objects.forEach((o, i) => {
      if (i !== this.objectIndex || withObject) out.push(objectPrism(o.name, o.category, pose(obs, i), quat(obs, i)));
    });
    return out;
  }

  private yawError(hand: Float64Array): number {
    return wrapAngle(this.referenceYaw + this.yawLaw!.yaw - fingerYaw(hand));
  }
}

// ---------------------------------------------------------------------------------------------

function firstOn(f: Formula): Atom | undefined {
  if (f.op === 'atom') return f.atom.predicate === 'on' ? f.atom : undefined;
  if (f.op === 'not') return undefined;
  for (const g of f.args) {
    const found = firstOn(g);
    if (found) return found;
  }
  return undefined;
}

function pose(obs: Observation, index: number): Vec3 {
  const p = obs.objectPoses;
  return [p[7 * index]!, p[7 * index + 1]!, p[7 * index + 2]!];
}

function quat(obs: Observation, index: number): Quat {
  const p = obs.objectPoses;
  return [p[7 * index + 3]!, p[7 * index + 4]!, p[7 * index + 5]!, p[7 * index + 6]!];
}

/** Where the open hand comes down to: `inset` nearer the centre than the wall it will hold. */
function graspPoint(object: Vec3, a: Pick<Attempt, 'grasp' | 'spec'>): Vec3 {
  const r = a.spec.radius - a.grasp.inset;
  return [object[0] + r * a.grasp.ux, object[1] + r * a.grasp.uy, object[2] + a.grasp.height];
}
