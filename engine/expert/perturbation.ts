import { mulberry32, type Rng } from '../util/random.js';

/**
 * DART-style perturbation of the scripted expert (Laskey et al. 2017, "DART: Noise Injection for
 * Robust Imitation Learning"): the simulator executes the expert's action plus noise, while the
 * demonstration records the expert's own action. The recorded episodes then visit the states a
 * policy's own errors lead to, each labelled with the expert's correction, which clean
 * demonstrations never show.
 *
 * The noise is on the three translation dims only and temporally
 * correlated, an AR(1) process n_t = RHO n_{t-1} + sqrt(1 - RHO^2) std e_t with stationary std
 * `std`: a policy's errors are whole chunks off (8 steps executed open loop), not white noise.
 * Executed actions are clipped to the valid range [-1, 1]. Rotation and the gripper command stay the
 * expert's: with noise on the rotation dims the expert cannot hold its 0.05 rad yaw tolerance and
 * stalls in its approach (std 0.1 on all six dims: 6 of 8 episodes of tasks 0 and 6 failed, all in
 * `approach`), and the policies' failures are misplaced grasps, not turns.
 */

/** The perturbed action dims: x, y, z of the OSC position delta. */
const DIMS = 3;

/** Per-step correlation of the noise: a correlation time of about ten steps, one chunk. */
export const RHO = 0.9;

export class ActionPerturbation {
  private readonly rng: Rng;
  private readonly state = new Float64Array(DIMS);
  private started = false;

  constructor(readonly std: number, seed: number) {
    if (!(std >= 0) || !Number.isFinite(std)) throw new RangeError(`perturbation std must be a finite number >= 0, got ${std}`);
    this.rng = mulberry32(seed);
  }

  /** The action to execute for the expert's `action` (7 values); `action` is not changed. */
  apply(action: readonly number[]): number[] {
    if (this.std === 0) return [...action];
    const innovation = this.started ? Math.sqrt(1 - RHO * RHO) : 1;
    for (let i = 0; i < DIMS; i++) this.state[i] = (this.started ? RHO * this.state[i]! : 0) + innovation * this.std * this.gaussian();
    this.started = true;
    return action.map((a, i) => (i < DIMS ? Math.max(-1, Math.min(1, a + this.state[i]!)) : a));
  }

  /** Standard normal by Box-Muller, from the seeded stream. */
  private gaussian(): number {
    const u = 1 - this.rng(); // (0, 1]: log(0) never happens
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.rng());
  }
}

/** The seed of one perturbed episode: a hash of (seed, task, initial state, noise level index). */
export function perturbationSeed(seed: number, taskId: number, initIndex: number, level: number): number {
  let h = seed >>> 0;
  for (const v of [taskId, initIndex, level]) h = Math.imul(h ^ (v + 0x9e3779b9), 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}
