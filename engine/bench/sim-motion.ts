import { percentile } from '../eval/metrics.js';
import type { TaskSpec } from '../libero/task.js';
import type { EmbeddedPhysics } from '../sim/embedded/physics.js';
import { SUBSTEPS_PER_ENV_STEP } from '../sim/embedded/osc.js';
import type { InitState } from '../sim/simulator.js';

/** What the simulator benches share: one arm motion, their median, one timed block of bare physics. */

/** The arm moving as under a policy: a slow circle, the gripper closing and opening. */
export const benchAction = (t: number): number[] => [0.3 * Math.cos(t / 15), 0.3 * Math.sin(t / 15), 0.1 * Math.sin(t / 7), 0, 0, 0, t % 40 < 20 ? -1 : 1];

export const median = (xs: readonly number[]): number => percentile(xs, 50);

/**
 * Bare physics on the motion's path from `start`: for steps first..first+block, an untimed env step
 * writes the controller's torques, then 25 mj_step calls are timed into `into` (ms).
 */
export function timeBareBlock(sim: EmbeddedPhysics, task: TaskSpec, start: InitState, first: number, block: number, into: number[]): void {
  sim.reset(task, start);
  for (let t = first; t < first + block; t++) {
    sim.step(benchAction(t));
    const t0 = performance.now();
    sim.physicsSteps(SUBSTEPS_PER_ENV_STEP);
    into.push(performance.now() - t0);
  }
}
