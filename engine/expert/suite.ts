import { projectTask } from '../libero/project-tasks.js';
import type { PhysicsBuild } from '../sim/embedded/mujoco-api.js';
import { suiteName, suiteTasks, type SuiteName } from '../libero/suites.js';
import type { EpisodeRun, ExpertEpisode } from './episodes.js';
import { perturbationSeed } from './perturbation.js';
import { runExpertPool, type PoolOptions } from './pool.js';
import type { Strategy } from '../decoding/record.js';
import { initSourceName, initStatesFor, type InitSource } from '../sim/init-source.js';

/**
 * What `rsd expert` runs: a suite's tasks (the project's own definitions) from LIBERO's initial
 * states or the project's, across the worker pool, summarised per task.
 */

export type { InitSource };

export interface ExpertSuiteOptions extends Omit<PoolOptions, 'workerModule'> {
  suite: string;
  /** Task ids; default all of the suite's. */
  tasks?: readonly number[];
  /** Initial states per task, the first `trials` of the source (default 50). */
  trials?: number;
  initSource: InitSource;
  /**
   * DART-style perturbation levels (std of the noise on executed actions, perturbation.ts): each
   * initial state runs once per level, 0 meaning unperturbed. Default [0].
   */
  noise?: readonly number[];
  /** Seeds the perturbations (default 0). */
  seed?: number;
  /**
   * Trained policies that drive the arm in bursts (policy-perturbation.ts): each initial state
   * also runs once per policy. Bundle folders as given.
   */
  policies?: readonly PolicySpec[];
  /** The order episodes are handed out in (expertEpisodes); default `task`. */
  order?: EpisodeOrder;
}

/**
 * `task`: task by task, so a worker mostly keeps one compiled scene. `interleaved`: initial state
 * by initial state, each across every perturbation and task, so that a recording stopped early
 * (a time limit) still covers every task and level evenly; a worker then compiles a scene for most
 * episodes (about 50-100 ms against an episode's 1-3 s).
 */
export type EpisodeOrder = 'task' | 'interleaved';

export interface PolicySpec {
  bundle: string;
  decoding?: Strategy;
}

/** Level index of a policy's bursts in perturbationSeed: apart from the noise levels'. */
const POLICY_LEVEL = 1000;

export interface TaskSummary {
  taskId: number;
  name: string;
  trials: number;
  successes: number;
  failures: number;
  errors: number;
  successRate: number;
  /** Mean policy steps of the successful episodes. */
  meanSteps: number;
  /** The episodes that did not succeed: where they ended, or why. */
  unsuccessful: { initIndex: number; outcome: string; phase?: string; error?: string }[];
}

export interface ExpertSuiteReport {
  suite: SuiteName;
  initSource: string;
  perTask: TaskSummary[];
  runs: EpisodeRun[];
  workers: number;
  /** The MuJoCo build the workers ran (engine/sim/embedded/physics-choice.ts). */
  physics: PhysicsBuild;
  wallMs: number;
  cancelled: boolean;
}

/** The episodes of a suite run, grouped by task so each worker mostly keeps one compiled scene. */
export function expertEpisodes(
  suite: string,
  tasks: readonly number[] | undefined,
  trials: number,
  source: InitSource,
  noise: readonly number[] = [0],
  seed = 0,
  policies: readonly PolicySpec[] = [],
  order: EpisodeOrder = 'task',
): ExpertEpisode[] {
  const s = suiteName(suite);
  const ids = tasks ?? suiteTasks(s).map((t) => t.id);
  const episodes: ExpertEpisode[] = [];
  // Position of each episode among its initial state's perturbations (for the interleaved order).
  const variant = new Map<ExpertEpisode, number>();
  for (const taskId of ids) {
    const task = projectTask(s, taskId);
    const states = initStatesFor(s, taskId, task.objects.length, source);
    if (states.length < trials) throw new Error(`${s} task ${taskId} has ${states.length} initial states in ${initSourceName(source)}, fewer than the ${trials} trials asked for`);
    states.slice(0, trials).forEach((init, initIndex) => {
      noise.forEach((std, level) => {
        const episode: ExpertEpisode = { suite: s, taskId, task, initIndex, init, initSource: source.kind };
        if (std > 0) episode.perturbation = { std, seed: perturbationSeed(seed, taskId, initIndex, level) };
        episodes.push(episode);
        variant.set(episode, level);
      });
      policies.forEach((spec, p) => {
        const policy = { ...spec, seed: perturbationSeed(seed, taskId, initIndex, POLICY_LEVEL + p) };
        const episode: ExpertEpisode = { suite: s, taskId, task, initIndex, init, initSource: source.kind, policy };
        episodes.push(episode);
        variant.set(episode, noise.length + p);
      });
    });
  }
  if (order === 'interleaved') {
    // Stable: within one (initial state, perturbation) the tasks keep their order.
    return episodes
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.initIndex - b.e.initIndex || variant.get(a.e)! - variant.get(b.e)! || a.i - b.i)
      .map(({ e }) => e);
  }
  return episodes;
}

export async function runExpertSuite(options: ExpertSuiteOptions): Promise<ExpertSuiteReport> {
  const suite = suiteName(options.suite);
  const trials = options.trials ?? 50;
  const episodes = expertEpisodes(suite, options.tasks, trials, options.initSource, options.noise, options.seed, options.policies, options.order);
  const report = await runExpertPool(episodes, options);
  const ids = [...new Set(episodes.map((e) => e.taskId))];
  return {
    suite,
    initSource: initSourceName(options.initSource),
    perTask: ids.map((id) => summarizeTask(suite, id, report.runs)),
    runs: report.runs,
    workers: report.workers,
    physics: options.physics ?? 'wasm',
    wallMs: report.wallMs,
    cancelled: report.cancelled,
  };
}

export function summarizeTask(suite: SuiteName, taskId: number, runs: readonly EpisodeRun[]): TaskSummary {
  const mine = runs.map((r) => r.result).filter((r) => r.suite === suite && r.taskId === taskId);
  const ok = mine.filter((r) => r.outcome === 'success');
  return {
    taskId,
    name: suiteTasks(suite)[taskId]!.name,
    trials: mine.length,
    successes: ok.length,
    failures: mine.filter((r) => r.outcome === 'failure').length,
    errors: mine.filter((r) => r.outcome === 'error').length,
    successRate: mine.length === 0 ? 0 : ok.length / mine.length,
    meanSteps: ok.length === 0 ? 0 : ok.reduce((sum, r) => sum + r.steps, 0) / ok.length,
    unsuccessful: mine
      .filter((r) => r.outcome !== 'success')
      .sort((a, b) => a.initIndex - b.initIndex)
      .map((r) => ({ initIndex: r.initIndex, outcome: r.outcome, ...(r.phase ? { phase: r.phase } : {}), ...(r.error ? { error: r.error } : {}) })),
  };
}
