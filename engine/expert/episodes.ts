import type { EpisodeOutcome } from '../api/schemas/results.js';
import type { InitState } from '../libero/init-states.js';
import { MAX_STEPS, NUM_WAIT_STEPS, suiteTask, WAIT_ACTION, type SuiteName } from '../libero/suites.js';
import type { TaskSpec } from '../libero/task.js';
import type { Strategy } from '../decoding/record.js';
import { embeddedPhysics } from '../sim/embedded/simulator.js';
import type { Simulator } from '../sim/simulator.js';
import { DemoRecorder, type DemoCamera, type DemoEpisode } from './demos.js';
import { ActionPerturbation } from './perturbation.js';
import type { Policy } from '../policy/policy.js';
import { chunkPolicyFor, PolicyPerturbation } from './policy-perturbation.js';
import { expertWorld } from './scene-model.js';
import { ScriptedExpert, type ExpertPhase } from './scripted.js';

/**
 * One expert episode, run exactly as OpenVLA-OFT's run_libero_eval.py runs a policy
 * (docs/libero.md 1.3): reset to the initial state, NUM_WAIT_STEPS steps of the wait action
 * whose `done` is ignored, then up to the suite's maximum of policy steps, ending at the first step
 * whose goal check holds. A thrown error (a SimulationError: bad action, MuJoCo instability) ends
 * the episode as `error` with its message; OFT would count it as a failure.
 */

export interface ExpertEpisode {
  suite: SuiteName;
  taskId: number;
  task: TaskSpec;
  initIndex: number;
  init: InitState;
  /** Recorded with demonstrations: `libero` or `project`. */
  initSource?: string;
  /** DART-style noise on the executed actions (perturbation.ts); the recorded actions stay the expert's. */
  perturbation?: { std: number; seed: number };
  /**
   * A trained policy drives the arm in bursts (policy-perturbation.ts): its bundle folder, the
   * decoding strategy (default: the bundle's fastest greedy one) and the bursts' seed. The recorded
   * actions stay the expert's. Not with `perturbation`.
   */
  policy?: { bundle: string; decoding?: Strategy; seed: number };
}

/** An episode's outcome, as results record it (engine/api/schemas/results.ts). */
export type { EpisodeOutcome };

export interface EpisodeResult {
  suite: SuiteName;
  taskId: number;
  initIndex: number;
  outcome: EpisodeOutcome;
  /** Policy steps taken (the wait steps not counted). */
  steps: number;
  /** The perturbation's std when the executed actions were perturbed. */
  noise?: number;
  /** The bundle folder of the policy that drove the arm in bursts. */
  policy?: string;
  /** The expert's phase and attempt count when the episode ended: where a failure got stuck. */
  phase?: ExpertPhase;
  attempts?: number;
  error?: string;
  ms: number;
}

export interface EpisodeRun {
  result: EpisodeResult;
  demo?: DemoEpisode;
}

export interface EpisodeOptions {
  /** Record every policy step's observation and action. */
  record?: boolean;
  /**
   * With `record`: each step's images of these cameras as the policy's tensors (demos.ts). The
   * simulator must render each at its `render` size (the pool's `simCameras`).
   */
  cameras?: DemoCamera[];
  /** Policy steps at most; default the suite's (220 for libero_spatial). */
  maxSteps?: number;
}

/**
 * `policy`: the loaded policy of `episode.policy` (worker.ts keeps one per folder); required with it.
 * Async because the policy's onnxruntime sessions are; an episode without one never waits.
 */
export async function runExpertEpisode(sim: Simulator, episode: ExpertEpisode, options: EpisodeOptions = {}, policy?: Policy): Promise<EpisodeRun> {
  const started = performance.now();
  const maxSteps = options.maxSteps ?? MAX_STEPS[episode.suite];
  const recorder = options.record ? new DemoRecorder(episode.task.objects.length, options.cameras) : undefined;
  let outcome: EpisodeOutcome = 'failure';
  let error: string | undefined;
  let steps = 0;
  let expert: ScriptedExpert | undefined;
  let perturbation: ActionPerturbation | undefined;
  let driver: PolicyPerturbation | undefined;
  try {
    if (episode.perturbation && episode.policy) throw new Error('an expert episode is perturbed by noise or by a policy, not both');
    if (episode.perturbation) perturbation = new ActionPerturbation(episode.perturbation.std, episode.perturbation.seed);
    if (episode.policy) {
      if (!policy) throw new Error(`expert episode with policy ${episode.policy.bundle} run without its loaded bundle`);
      const task = { suite: episode.suite, taskId: episode.taskId, instruction: suiteTask(episode.suite, episode.taskId).instruction, objects: episode.task.objects.map((o) => o.name) };
      driver = new PolicyPerturbation(chunkPolicyFor(policy, task), episode.policy.seed);
    }
    expert = new ScriptedExpert(episode.task);
    let observation = await sim.reset(episode.task, episode.init);
    for (let t = 0; t < NUM_WAIT_STEPS; t++) observation = (await sim.step(WAIT_ACTION)).observation;
    const world = expertWorld(embeddedPhysics(sim, 'the scripted expert'));
    while (steps < maxSteps) {
      const action = expert.act(observation, world);
      recorder?.add(observation.proprio, observation.objectPoses, action, observation.images);
      const executed = driver ? await driver.apply(action, observation) : perturbation ? perturbation.apply(action) : action;
      const result = await sim.step(executed);
      steps++;
      observation = result.observation;
      if (result.success) {
        outcome = 'success';
        break;
      }
    }
  } catch (thrown) {
    outcome = 'error';
    error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  }
  const result: EpisodeResult = {
    suite: episode.suite,
    taskId: episode.taskId,
    initIndex: episode.initIndex,
    outcome,
    steps,
    ms: performance.now() - started,
  };
  if (episode.perturbation) result.noise = episode.perturbation.std;
  if (episode.policy) result.policy = episode.policy.bundle;
  if (expert) {
    result.phase = expert.phase;
    result.attempts = expert.attemptCount;
  }
  if (error !== undefined) result.error = error;
  const run: EpisodeRun = { result };
  if (recorder) {
    const bursts = (driver ?? perturbation)?.bursts;
    const info = suiteTask(episode.suite, episode.taskId);
    run.demo = recorder.finish({
      suite: episode.suite,
      taskId: episode.taskId,
      taskName: info.name,
      instruction: info.instruction,
      initIndex: episode.initIndex,
      initSource: episode.initSource ?? 'libero',
      ...(perturbation ? { noise: perturbation.std } : {}),
      // contentHash without its `sha256:` prefix, as demonstrations have always recorded it.
      ...(driver && policy ? { policy: { name: policy.metadata.name, contentHash: policy.metadata.hash.replace(/^sha256:/, ''), decoding: policy.metadata.decoding.strategy } } : {}),
      ...(bursts ? { perturbedSteps: bursts.map(([a, b]) => [a, b] as [number, number]) } : {}),
      objects: episode.task.objects.map((o) => o.name),
      outcome,
      ...(error !== undefined ? { error } : {}),
    });
  }
  return run;
}
