import { axisAngleToMat, OSC_POS_SCALE, OSC_ROT_SCALE } from '../sim/embedded/osc.js';
import type { Vec3 } from './geometry.js';

/**
 * The expert's feedback laws, producing OSC_POSE actions: positions in the world frame scaled by
 * 0.05 m, rotations as world-frame axis-angle scaled by 0.5 rad, never outside [-1, 1].
 */

/**
 * A clipped PI law for the grip site: action = (KP e + KI sum e) / 0.05 m, the horizontal part
 * clipped as a vector (its direction kept), the vertical part apart, so that a long move sideways
 * does not starve the height. The integral matters where the arm is stretched: OSC_POSE there
 * settles slowly with a centimetre or two of error (uncoupled position and orientation loops),
 * which a proportional law alone leaves. It integrates only near the target and is bounded, so
 * long moves do not wind it up.
 */
export class PositionLaw {
  static readonly KP = 1;
  static readonly KI = 0.3;
  static readonly INTEGRATE_WITHIN = 0.03;
  static readonly INTEGRAL_LIMIT = 0.05;
  private integral = [0, 0, 0];

  reset(): void {
    this.integral = [0, 0, 0];
  }

  action(grip: Vec3, target: Vec3): [number, number, number] {
    const e = [target[0] - grip[0], target[1] - grip[1], target[2] - grip[2]];
    if (Math.hypot(e[0]!, e[1]!, e[2]!) < PositionLaw.INTEGRATE_WITHIN) {
      const lim = PositionLaw.INTEGRAL_LIMIT;
      this.integral = this.integral.map((v, i) => Math.max(-lim, Math.min(lim, v + e[i]!)));
    }
    const u = e.map((v, i) => (PositionLaw.KP * v + PositionLaw.KI * this.integral[i]!) / OSC_POS_SCALE);
    const [x, y] = clipVec([u[0]!, u[1]!]);
    return [x!, y!, clip(u[2]!)];
  }
}

/**
 * Keeps the hand pointing down and turns it about the vertical by `yaw` from its reference
 * orientation (the first observation's). With no turn it sends zeros: the controller then holds
 * its own orientation goal, which is steadier than any correction. Turning, a clipped P law on the
 * axis-angle error, and zeros once within DEADBAND (the goal then stays where the last one put it).
 */
export class YawLaw {
  static readonly DEADBAND = 0.01;
  private readonly desired: Float64Array;
  readonly turning: boolean;

  constructor(
    reference: Float64Array,
    readonly yaw: number,
  ) {
    const turn = new Float64Array(9);
    axisAngleToMat(0, 0, yaw, turn);
    this.desired = matMul(turn, reference);
    this.turning = Math.abs(yaw) > 1e-9;
  }

  action(hand: Float64Array): [number, number, number] {
    if (!this.turning) return [0, 0, 0];
    const e = rotationError(this.desired, hand);
    if (Math.hypot(...e) < YawLaw.DEADBAND) return [0, 0, 0];
    const [x, y, z] = clipVec(e.map((v) => v / OSC_ROT_SCALE));
    return [x!, y!, z!];
  }
}

/** The hand's rotation matrix (row-major) from the proprio's axis-angle. */
export function handRotation(proprio: ArrayLike<number>): Float64Array {
  const m = new Float64Array(9);
  axisAngleToMat(proprio[3]!, proprio[4]!, proprio[5]!, m);
  return m;
}

/** The fingers' axis (the hand's y axis) as a yaw angle. Row-major: column 1 is (m1, m4, m7). */
export function fingerYaw(hand: Float64Array): number {
  return Math.atan2(hand[4]!, hand[1]!);
}

export function wrapAngle(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}

/** Scales the vector down (keeping its direction) until every component is within [-1, 1]. */
export function clipVec(v: readonly number[]): number[] {
  const m = Math.max(1, ...v.map(Math.abs));
  return v.map((x) => x / m);
}

function clip(x: number): number {
  return Math.max(-1, Math.min(1, x));
}

function matMul(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(9);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) out[3 * r + c] = a[3 * r]! * b[c]! + a[3 * r + 1]! * b[3 + c]! + a[3 * r + 2]! * b[6 + c]!;
  return out;
}

/** Axis-angle (world frame) of desired * current^T: the turn that takes the hand to `desired`. */
export function rotationError(desired: Float64Array, current: Float64Array): number[] {
  const e = new Float64Array(9);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) e[3 * r + c] = desired[3 * r]! * current[3 * c]! + desired[3 * r + 1]! * current[3 * c + 1]! + desired[3 * r + 2]! * current[3 * c + 2]!;
  }
  const angle = Math.acos(clip((e[0]! + e[4]! + e[8]! - 1) / 2));
  const axis = [e[7]! - e[5]!, e[2]! - e[6]!, e[3]! - e[1]!];
  const n = Math.hypot(...axis);
  if (n < 1e-12) return [0, 0, 0];
  return axis.map((x) => (x / n) * angle);
}
