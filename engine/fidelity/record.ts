import { expertWorld, type ExpertWorld } from '../expert/scene-model.js';
import { ScriptedExpert } from '../expert/scripted.js';
import type { InitState } from '../libero/init-states.js';
import { NUM_WAIT_STEPS, WAIT_ACTION, type SuiteName } from '../libero/suites.js';
import type { TaskSpec } from '../libero/task.js';
import type { Policy, TaskContext } from '../policy/policy.js';
import { embeddedPhysics } from '../sim/embedded/simulator.js';
import type { Observation, Simulator } from '../sim/simulator.js';
import { mulberry32At } from '../util/random.js';
import { TrackRecorder, type Track } from './track.js';

/**
 * The action sequences the fidelity report replays: a SOURCE run closed-loop in the embedded
 * simulator, exactly as `rsd eval` and `rsd expert` run an episode (docs/libero.md 1.3): reset to
 * the initial state, NUM_WAIT_STEPS steps of WAIT_ACTION, then policy steps until the goal holds or
 * the suite's step limit. Every env action is kept, wait steps included, with the embedded run's
 * own track (grip site, objects, success per step).
 */

export interface SourceEpisode {
  suite: SuiteName;
  taskId: number;
  task: TaskSpec;
  initIndex: number;
  init: InitState;
}

export interface Recording {
  /** Every env action executed, 7 numbers each, the wait steps first; after a success, SETTLE_STEPS wait actions (not executed in the source). */
  actions: number[][];
  /** The embedded run itself. */
  track: Track;
}

/** Picks the next env action from the latest observation. */
export type ActionSource = (observation: Observation) => ArrayLike<number> | Promise<ArrayLike<number>>;

/** Wait actions appended to a source's actions after its success (1 s of simulated time). */
export const SETTLE_STEPS = 20;

/**
 * One closed-loop episode in `sim`: the wait steps, then `act` until the goal holds or `maxSteps`
 * policy steps ran. A thrown error (a SimulationError, a policy that failed) ends it as `error`,
 * with the actions of the steps that completed.
 */
export async function recordClosedLoop(sim: Simulator, episode: SourceEpisode, maxSteps: number, act: ActionSource): Promise<Recording> {
  const recorder = new TrackRecorder(episode.task.objects.length, NUM_WAIT_STEPS);
  const actions: number[][] = [];
  try {
    let observation = await sim.reset(episode.task, episode.init, { index: episode.initIndex });
    recorder.state(observation);
    for (let t = 0; t < NUM_WAIT_STEPS; t++) {
      const result = await sim.step(WAIT_ACTION);
      actions.push([...WAIT_ACTION]);
      recorder.state(result.observation, result.success);
      observation = result.observation;
    }
    while (recorder.policySteps < maxSteps) {
      const action = Array.from(await act(observation));
      const result = await sim.step(action);
      actions.push(action);
      recorder.state(result.observation, result.success);
      observation = result.observation;
      if (result.success) {
        recorder.succeed();
        // The sequence goes on with wait actions (the arm still, the gripper opening), so that a
        // replay whose goal comes a few steps later (the bowl released onto the plate a little
        // later, or still settling) is not counted as disagreeing; the source's own track ends
        // here, as LIBERO's loop does.
        for (let t = 0; t < SETTLE_STEPS; t++) actions.push([...WAIT_ACTION]);
        break;
      }
    }
  } catch (thrown) {
    recorder.fail(thrown);
  }
  return { actions, track: recorder.track };
}

/** The scripted expert's episode (engine/expert): it reads the embedded simulator's ground truth. */
export function recordExpert(sim: Simulator, episode: SourceEpisode, maxSteps: number): Promise<Recording> {
  const expert = new ScriptedExpert(episode.task);
  let world: ExpertWorld | undefined;
  return recordClosedLoop(sim, episode, maxSteps, (observation) => {
    world ??= expertWorld(embeddedPhysics(sim, 'the scripted expert'));
    return expert.act(observation, world);
  });
}

/**
 * A policy's episode as the evaluation runner runs it: a chunk per query, all of its actions
 * executed open loop before the next query, and the runner's per-episode random stream (trial =
 * the initial state's index), so that sampled decoding draws what `rsd eval` would.
 */
export function recordPolicy(sim: Simulator, episode: SourceEpisode, maxSteps: number, policy: Policy, context: TaskContext, seed: number): Promise<Recording> {
  const rng = mulberry32At(seed >>> 0, (episode.taskId * 1_000_003 + episode.initIndex * 7919) >>> 0);
  let chunk: Float64Array | null = null;
  let next = 0;
  return recordClosedLoop(sim, episode, maxSteps, async (observation) => {
    if (!chunk || next + 7 > chunk.length) {
      const [decoded] = await policy.inferBatch([{ observation, task: context, rng: { next: rng } }]);
      if (!decoded || decoded.actions.length < 7) throw new Error(`the policy returned ${decoded?.actions.length ?? 0} action values, expected a chunk of 7-D actions`);
      chunk = decoded.actions;
      next = 0;
    }
    const action = chunk.subarray(next, next + 7);
    next += 7;
    return action;
  });
}

/** What drives a source: the expert needs nothing, the bundle its loaded policy. */
export type SourceDriver = { kind: 'expert' } | { kind: 'bundle'; policy: Policy; context: TaskContext; seed: number };

export function recordSource(sim: Simulator, episode: SourceEpisode, maxSteps: number, driver: SourceDriver): Promise<Recording> {
  return driver.kind === 'expert' ? recordExpert(sim, episode, maxSteps) : recordPolicy(sim, episode, maxSteps, driver.policy, driver.context, driver.seed);
}

