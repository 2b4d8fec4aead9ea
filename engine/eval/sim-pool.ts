import type { InitState } from '../libero/init-states.js';
import type { TaskSpec } from '../libero/task.js';
import type { SimulatorSpec } from '../api/schemas/run-request.js';
import type { CameraRequest } from '../sim/cameras.js';
import type { Observation, SceneDescription } from '../sim/simulator.js';
import { compileMujoco } from '../sim/embedded/mujoco.js';
import { PrestartedWorkers, runWorkerPool } from '../workers/pool.js';
import { workerModule, type WorkerStart } from '../workers/spawn.js';
import type { EpisodeEnd, EpisodeJob, FromWorker, ToWorker } from './sim-worker.js';

/**
 * Evaluation episodes across worker threads, each with its own simulator (engine/eval/sim-worker.ts),
 * on the shared pool (engine/workers/pool.ts: order, replacement of dead workers, abort). What is
 * evaluation's own: when a worker asks for a chunk the pool calls `requestChunk` and sends back the
 * actions (or ends the episode as an error when the promise rejects); a task's scene is asked for
 * once; an episode whose worker died ends as an `error` naming the cause; and when no worker can
 * start at all the run fails (SimPoolError) rather than reporting every episode as an error.
 */

export interface PoolEpisode {
  taskId: number;
  trial: number;
  initIndex: number;
  task: TaskSpec;
  init: InitState;
}

export interface PoolCallbacks {
  onStart?(episode: PoolEpisode): void;
  /** The task's scene description, asked for with `wantScene`. */
  onScene?(episode: PoolEpisode, description: SceneDescription): void;
  requestChunk(episode: PoolEpisode, request: { step: number; observation: Observation }): Promise<Float64Array>;
  onStep?(episode: PoolEpisode, step: { step: number; action: number[]; proprio: number[]; success: boolean }): void;
  onFinished(episode: PoolEpisode, end: EpisodeEnd): void;
  /** The episode's simulator was lost; it runs again from its start (what was recorded for it is void). */
  onRetry?(episode: PoolEpisode, error: string): void;
  /** How the workers start (engine/workers/spawn.ts: the cached bundle, or tsx and why). */
  onWorkerStart?(start: WorkerStart): void;
  /** A worker is ready for its first episode; `ready` counts them. */
  onWorkerReady?(ready: number): void;
}

export interface PoolRunOptions {
  /** The kind of simulator each worker makes (engine/sim/factory.ts). */
  simulator: SimulatorSpec;
  /** The cameras each worker's simulator renders (the policy's and the run's recordCameras); all are recorded. */
  cameras?: readonly CameraRequest[];
  maxSteps: number;
  waitSteps: number;
  /** Whether to ask for the scene with an episode of this task (the first one, if not stored yet). */
  wantScene(taskId: number): boolean;
  stepLog?: boolean;
  signal?: AbortSignal;
  /** Workers started ahead by `prestartSimWorkers` (same simulator and module), sent the cameras here. */
  prestarted?: PrestartedWorkers | undefined;
}

const DEFAULT_WORKER = workerModule(import.meta.url, './sim-worker.ts', 'sim-worker');

/** Whether the workers run MuJoCo's WebAssembly build (not native MuJoCo, which has nothing to compile). */
const runsWasm = (simulator: SimulatorSpec): boolean => simulator.kind === 'embedded' && (simulator.physics ?? 'wasm') === 'wasm';

/** The compiled MuJoCo module for the workers of a simulator of this kind, or none. */
async function sharedMujoco(simulator: SimulatorSpec): Promise<{ mujocoModule?: WebAssembly.Module }> {
  // $RSD_SHARE_MUJOCO=0 makes each worker compile its own (as before; `rsd bench eval` measures both).
  if (!runsWasm(simulator) || process.env.RSD_SHARE_MUJOCO === '0') return {};
  // When it cannot compile here, each worker tries itself and reports why it cannot start.
  const mujocoModule = await compileMujoco().catch(() => undefined);
  return mujocoModule ? { mujocoModule } : {};
}

/**
 * Starts `count` evaluation workers before the run knows its cameras (the runner loads the policy
 * meanwhile): each loads its module and MuJoCo, then waits for the cameras (runSimPool sends them).
 */
export async function prestartSimWorkers(simulator: SimulatorSpec, count: number, module: string | URL = DEFAULT_WORKER): Promise<PrestartedWorkers> {
  // The workers start first; MuJoCo compiles here while they boot and follows in a message.
  const share = runsWasm(simulator) && process.env.RSD_SHARE_MUJOCO !== '0';
  const workers = await PrestartedWorkers.start(module, { simulator, deferred: true, mujocoFollows: share }, count);
  if (share) workers.post({ type: 'mujoco', module: (await sharedMujoco(simulator)).mujocoModule ?? null } satisfies ToWorker);
  return workers;
}

export class SimPoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimPoolError';
  }
}

/** Runs `episodes` on `count` workers; resolves when every episode ended or the signal aborted. */
export async function runSimPool(episodes: readonly PoolEpisode[], count: number, callbacks: PoolCallbacks, options: PoolRunOptions, workerModule: string | URL = DEFAULT_WORKER): Promise<{ cancelled: boolean }> {
  const scenesAsked = new Set<number>();
  // MuJoCo's WebAssembly compiled once here and posted to every worker (engine/sim/embedded/mujoco.ts).
  const cameras = options.cameras ?? [];
  options.prestarted?.post({ type: 'configure', cameras: [...cameras] } satisfies ToWorker);
  const outcome = await runWorkerPool<PoolEpisode, ToWorker, Extract<FromWorker, { id: number }>>({
    module: workerModule,
    workerData: { simulator: options.simulator, cameras, ...(await sharedMujoco(options.simulator)) },
    prestarted: options.prestarted,
    onWorkerStart: callbacks.onWorkerStart,
    onReady: callbacks.onWorkerReady,
    workers: count,
    jobs: episodes,
    signal: options.signal,
    taskOf: (episode) => episode.task,
    start(episode, { id, taskKey, withTask }) {
      const wantScene = !scenesAsked.has(episode.taskId) && options.wantScene(episode.taskId);
      if (wantScene) scenesAsked.add(episode.taskId);
      const job: EpisodeJob = { type: 'episode', id, taskKey, init: episode.init, initIndex: episode.initIndex, maxSteps: options.maxSteps, waitSteps: options.waitSteps, wantScene, stepLog: options.stepLog ?? false };
      if (withTask) job.task = episode.task;
      callbacks.onStart?.(episode);
      return job;
    },
    ends: (message) => message.type === 'finished',
    onMessage(message, running) {
      const { job: episode, id } = running;
      switch (message.type) {
        case 'scene':
          return callbacks.onScene?.(episode, message.description);
        case 'step':
          return callbacks.onStep?.(episode, message);
        case 'observe':
          callbacks.requestChunk(episode, message).then(
            (actions) => running.send({ type: 'chunk', id, actions }),
            (error: unknown) => running.send({ type: 'abort', id, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
          );
          return;
        case 'retry':
          return callbacks.onRetry?.(episode, message.error);
        case 'finished':
          return callbacks.onFinished(episode, message.end);
      }
    },
    onLost(episode, cause) {
      callbacks.onFinished(episode, { outcome: 'error', steps: 0, error: `the worker running task ${episode.taskId} trial ${episode.trial} died: ${cause}`, simMs: 0, trajectory: null, cameras: null, chunks: [] });
    },
  });
  if (outcome.unstarted.length > 0) throw new SimPoolError(`no evaluation worker could start: ${outcome.startError}`);
  return { cancelled: outcome.cancelled };
}
