import { mulberry32, type Rng } from '../util/random.js';

/**
 * DART-style perturbation of the scripted expert (Laskey et al. 2017, "DART: Noise Injection for
 * Robust Imitation Learning"): the simulator executes the expert's action plus noise, while the
 * demonstration records the expert's own action. The recorded episodes then visit the states a
 * policy's own errors lead to, each labelled with the expert's correction, which clean
 * demonstrations never show.
 *
 * The noise comes in bursts: BURST steps of noise, then a quiet GAP of at least one chunk. A policy
 * is trained on chunks a[t : t+8], and a chunk that spans perturbed steps holds the expert's
 * reactions to noise that came after t, which nothing at t predicts: a policy trained on them
 * learned to jitter around the hover point instead of descending (first perturbed bundle, task 1:
 * 0 of 10). Training keeps only the chunks whose steps ran unperturbed (`perturbedSteps` in the
 * demonstration), which start in the states the bursts led to.
 *
 * Within a burst the noise is on the three translation dims, an AR(1) process
 * n_t = RHO n_{t-1} + sqrt(1 - RHO^2) std e_t with stationary std `std` (a policy's errors are
 * whole chunks off, not white noise); executed actions are clipped to [-1, 1]. Rotation and the
 * gripper command stay the expert's: with noise on the rotation dims the expert cannot hold its
 * 0.05 rad yaw tolerance and stalls in its approach (std 0.1 on all six dims: 6 of 8 episodes of
 * tasks 0 and 6 failed, all in `approach`), and the policies' failures are misplaced grasps.
 */

/** The perturbed action dims: x, y, z of the OSC position delta. */
const DIMS = 3;

/** Per-step correlation of the noise within a burst. */
export const RHO = 0.9;
/** Steps of a burst, and of the quiet gap after it (at least a chunk of 8 and one more), uniform. */
export const BURST: readonly [number, number] = [4, 12];
export const GAP: readonly [number, number] = [9, 20];

/**
 * When a perturbation acts: bursts of `burst` steps separated by quiet gaps of `gap` steps (both
 * uniform), starting inside a gap of random length so that bursts fall at every phase of the task.
 * Shared by the noise (ActionPerturbation) and the policy (policy-perturbation.ts); its draws and
 * the caller's come from one seeded stream, in step order.
 */
export class BurstSchedule {
  /** Steps left in the current burst (> 0) or gap (< 0 counts up to 0). */
  private left: number;
  private inBurst = false;
  private step = 0;
  /** [start, end) step ranges that were perturbed. */
  readonly bursts: [number, number][] = [];

  constructor(
    readonly rng: Rng,
    private readonly burst: readonly [number, number],
    private readonly gap: readonly [number, number] = GAP,
  ) {
    this.left = this.uniformInt(0, gap[1]);
  }

  /** Advances one step: `start` (a burst begins), `burst` (it goes on) or `quiet`. */
  next(): 'start' | 'burst' | 'quiet' {
    const t = this.step++;
    let started = false;
    if (this.left <= 0) {
      this.inBurst = !this.inBurst;
      this.left = this.inBurst ? this.uniformInt(...this.burst) : this.uniformInt(...this.gap);
      if (this.inBurst) {
        this.bursts.push([t, t]);
        started = true;
      }
    }
    this.left--;
    if (!this.inBurst) return 'quiet';
    this.bursts[this.bursts.length - 1]![1] = t + 1;
    return started ? 'start' : 'burst';
  }

  /** Uniform integer in [lo, hi]. */
  uniformInt(lo: number, hi: number): number {
    return lo + Math.floor(this.rng() * (hi - lo + 1));
  }
}

export class ActionPerturbation {
  private readonly schedule: BurstSchedule;
  private readonly state = new Float64Array(DIMS);

  constructor(readonly std: number, seed: number) {
    if (!(std >= 0) || !Number.isFinite(std)) throw new RangeError(`perturbation std must be a finite number >= 0, got ${std}`);
    this.schedule = new BurstSchedule(mulberry32(seed), BURST);
  }

  /** [start, end) step ranges whose executed actions were perturbed. */
  get bursts(): [number, number][] {
    return this.schedule.bursts;
  }

  /** The action to execute for the expert's `action` (7 values) at the next step; `action` is not changed. */
  apply(action: readonly number[]): number[] {
    if (this.std === 0) return [...action];
    const phase = this.schedule.next();
    if (phase === 'start') {
      for (let i = 0; i < DIMS; i++) this.state[i] = this.std * this.gaussian();
    } else if (phase === 'burst') {
      const innovation = Math.sqrt(1 - RHO * RHO) * this.std;
      for (let i = 0; i < DIMS; i++) this.state[i] = RHO * this.state[i]! + innovation * this.gaussian();
    }
    if (phase === 'quiet') return [...action];
    return action.map((a, i) => (i < DIMS ? Math.max(-1, Math.min(1, a + this.state[i]!)) : a));
  }

  /** Standard normal by Box-Muller, from the seeded stream. */
  private gaussian(): number {
    const rng = this.schedule.rng;
    const u = 1 - rng(); // (0, 1]: log(0) never happens
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  }
}

/** The seed of one perturbed episode: a hash of (seed, task, initial state, noise level index). */
export function perturbationSeed(seed: number, taskId: number, initIndex: number, level: number): number {
  let h = seed >>> 0;
  for (const v of [taskId, initIndex, level]) h = Math.imul(h ^ (v + 0x9e3779b9), 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}
