import type { Strategy } from '../decoding/record.js';
import { BundlePolicy } from '../policy/bundle-policy.js';
import type { Policy, TaskContext } from '../policy/policy.js';
import type { Observation } from '../sim/simulator.js';
import { InputError } from '../util/input-error.js';
import { mulberry32 } from '../util/random.js';
import { BurstSchedule, GAP } from './perturbation.js';

/**
 * A trained policy as the perturbation of the scripted expert (DAgger-style data in DART's frame):
 * in bursts the simulator executes the policy's own chunk actions instead of the expert's, while
 * the expert keeps observing every step and the demonstration records its actions. After a burst
 * the expert takes over from wherever the policy took the arm, so the quiet steps that follow are
 * samples that start in the states the policy's own errors lead to (a grasp approached a few cm
 * short, a bowl carried beside the plate), labelled with the expert's correction. Random noise
 * (ActionPerturbation) reaches states around the expert's path; a policy's errors are
 * systematic, and these reach the states that policy actually visits.
 *
 * Within a burst the arm's six dims are the policy's; the gripper command stays the expert's. The
 * expert is a state machine whose phase follows its own gripper commands: had the policy grasped
 * and lifted the bowl inside a burst while the expert was still descending, the expert's labels
 * for the steps after it (open, go down to the grasp point) would teach dropping a held bowl.
 * As with the noise, `bursts` lists the steps the policy drove; training keeps only the chunks that
 * ran unperturbed.
 */

/** Steps of a policy burst: one chunk to two, so that its errors compound over a replan. */
export const POLICY_BURST: readonly [number, number] = [8, 16];
/** Executed dims of the policy's actions: OSC position and rotation deltas, not the gripper. */
const ARM_DIMS = 6;

/** A policy on one task: an observation to a chunk of env actions ([chunk x 7], row-major). */
export type ChunkPolicy = (observation: Observation) => Promise<Float64Array>;

export class PolicyPerturbation {
  private readonly schedule: BurstSchedule;
  private actions: Float64Array | null = null;
  private next = 0;

  constructor(
    private readonly policy: ChunkPolicy,
    seed: number,
  ) {
    this.schedule = new BurstSchedule(mulberry32(seed), POLICY_BURST, GAP);
  }

  /** [start, end) step ranges the policy drove. */
  get bursts(): [number, number][] {
    return this.schedule.bursts;
  }

  /** The action to execute at the next step: the expert's `action` or, in a burst, the policy's arm with the expert's gripper. */
  async apply(action: readonly number[], observation: Observation): Promise<number[]> {
    const phase = this.schedule.next();
    if (phase === 'quiet') {
      this.actions = null;
      return [...action];
    }
    // A chunk from the burst's first step, and a new one each time its actions run out (the
    // runner executes whole chunks the same way).
    if (phase === 'start' || !this.actions || this.next + 7 > this.actions.length) {
      this.actions = await this.policy(observation);
      this.next = 0;
    }
    const row = this.actions.subarray(this.next, this.next + 7);
    this.next += 7;
    return action.map((a, i) => (i < ARM_DIMS ? row[i]! : a));
  }
}

/** A policy on one task as the perturbation's chunk source: one observation at a time. */
export function chunkPolicyFor(policy: Policy, task: TaskContext): ChunkPolicy {
  return async (observation) => (await policy.inferBatch([{ observation, task }]))[0]!.actions;
}

/**
 * The policy that perturbs the expert's episodes: a bundle decoded on the CPU with the expert
 * worker's own sessions (one intra-op thread, so that N workers use N cores); greedy unless the
 * strategy is stochastic speculative; default decoding the bundle's (speculative where it can).
 */
export function loadPerturbingPolicy(dir: string, decoding?: Strategy): Promise<BundlePolicy> {
  return BundlePolicy.load({ dir, ep: 'cpu', ...(decoding ? { decoding } : {}), sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } });
}
