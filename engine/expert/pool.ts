import os from 'node:os';
import type { PhysicsBuild } from '../sim/embedded/mujoco-api.js';
import type { CameraRequest } from '../sim/cameras.js';
import { runWorkerPool } from '../workers/pool.js';
import { workerModule } from '../workers/spawn.js';
import type { EpisodeOptions, EpisodeRun, ExpertEpisode } from './episodes.js';
import type { WorkerJob, WorkerMessage } from './worker.js';

/**
 * Expert episodes across worker threads, each with its own embedded simulator (MuJoCo is one
 * WebAssembly instance per thread), on the shared pool (engine/workers/pool.ts: episodes handed out
 * in the given order, dead workers replaced, abort). What is the expert's own: results are collected
 * in completion order; an episode whose worker died is an `error` result naming the cause; when no
 * worker can start, the episodes never handed out are `error` results too. Aborting returns what
 * finished before.
 */

export interface PoolOptions extends EpisodeOptions {
  /** Worker threads; default: one per CPU, at most one per episode. */
  workers?: number;
  signal?: AbortSignal;
  /** Called as each episode finishes, in completion order. */
  onResult?(run: EpisodeRun, progress: { done: number; total: number }): void;
  /** The TypeScript (or JavaScript) module a worker runs; default ./worker.ts. Tests substitute their own. */
  workerModule?: string | URL;
  /** Cameras each worker's simulator renders (the recorded ones and those of perturbing policies); default none. */
  simCameras?: readonly CameraRequest[];
  /** The MuJoCo build each worker's simulator runs (resolved already: engine/sim/embedded/physics-choice.ts); default wasm. */
  physics?: PhysicsBuild;
}

/** What each expert worker finds in workerData. */
export interface ExpertWorkerData {
  cameras?: CameraRequest[];
  physics?: PhysicsBuild;
}

export interface PoolReport {
  /** In completion order. */
  runs: EpisodeRun[];
  /** True when the signal aborted the run before every episode finished. */
  cancelled: boolean;
  workers: number;
  wallMs: number;
}

const DEFAULT_WORKER = workerModule(import.meta.url, './worker.ts', 'expert-worker');

export async function runExpertPool(episodes: readonly ExpertEpisode[], options: PoolOptions = {}): Promise<PoolReport> {
  const started = performance.now();
  const total = episodes.length;
  const episodeOptions: EpisodeOptions = {};
  if (options.record !== undefined) episodeOptions.record = options.record;
  if (options.maxSteps !== undefined) episodeOptions.maxSteps = options.maxSteps;
  if (options.cameras !== undefined) episodeOptions.cameras = options.cameras;
  const workerData: ExpertWorkerData | undefined =
    options.simCameras?.length || options.physics ? { ...(options.simCameras?.length ? { cameras: [...options.simCameras] } : {}), ...(options.physics ? { physics: options.physics } : {}) } : undefined;

  const runs: EpisodeRun[] = [];
  const record = (run: EpisodeRun): void => {
    runs.push(run);
    options.onResult?.(run, { done: runs.length, total });
  };

  const outcome = await runWorkerPool<ExpertEpisode, WorkerJob, Extract<WorkerMessage, { id: number }>>({
    module: options.workerModule ?? DEFAULT_WORKER,
    workerData,
    workers: options.workers ?? os.availableParallelism(),
    jobs: episodes,
    signal: options.signal,
    taskOf: (episode) => episode.task,
    start({ task, ...episode }, { id, taskKey, withTask }) {
      const job: WorkerJob = { type: 'run', id, taskKey, episode, options: episodeOptions };
      if (withTask) job.task = task;
      return job;
    },
    ends: (message) => message.type === 'result',
    onMessage: (message) => record(message.run),
    onLost: (episode, cause) => record(failed(episode, `the worker running ${episode.suite} task ${episode.taskId} init ${episode.initIndex} died: ${cause}`)),
  });
  // No worker could start (they kept dying before ready): the episodes never handed out are errors.
  for (const episode of outcome.unstarted) record(failed(episode, `no expert worker could start: ${outcome.startError}`));
  return { runs, cancelled: outcome.cancelled, workers: outcome.workers, wallMs: performance.now() - started };
}

/** An episode that could not run: an `error` result without steps. */
function failed(episode: ExpertEpisode, error: string): EpisodeRun {
  return { result: { suite: episode.suite, taskId: episode.taskId, initIndex: episode.initIndex, outcome: 'error', steps: 0, error, ms: 0 } };
}
