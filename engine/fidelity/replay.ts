import type { InitState } from '../libero/init-states.js';
import type { TaskSpec } from '../libero/task.js';
import type { Simulator } from '../sim/simulator.js';
import { TrackRecorder, type Track } from './track.js';

/**
 * An action sequence replayed open loop in any `Simulator` (whatever createSimulator made): reset
 * to the initial state, then every action in order, the state recorded after each. It stops at the
 * first step after the wait steps whose goal check holds, as LIBERO's episode loop would; a thrown
 * error ends it as `error` with the states before it.
 */
export interface ReplayOptions {
  waitSteps: number;
  /** The initial state's index (the libero backend draws its fixtures' poses for that episode, as OFT's would be). */
  initIndex: number;
  /** Called after the reset, before the first step (the caller reads the scene's fixture poses). */
  afterReset?(): Promise<void>;
}

export async function replayActions(sim: Simulator, task: TaskSpec, init: InitState, actions: readonly ArrayLike<number>[], options: ReplayOptions): Promise<Track> {
  const recorder = new TrackRecorder(task.objects.length, options.waitSteps);
  try {
    recorder.state(await sim.reset(task, init, { index: options.initIndex }));
    await options.afterReset?.();
    for (const action of actions) {
      const result = await sim.step(action);
      recorder.state(result.observation, result.success);
      if (result.success && recorder.steps > options.waitSteps) {
        recorder.succeed();
        break;
      }
    }
  } catch (thrown) {
    recorder.fail(thrown);
  }
  return recorder.track;
}
