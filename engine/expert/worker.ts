import { parentPort, workerData } from 'node:worker_threads';
import type { TaskSpec } from '../libero/task.js';
import { createSimulator } from '../sim/factory.js';
import type { Simulator } from '../sim/simulator.js';
import { runExpertEpisode, type EpisodeOptions, type EpisodeRun, type ExpertEpisode } from './episodes.js';
import type { Policy } from '../policy/policy.js';
import { loadPerturbingPolicy } from './policy-perturbation.js';
import type { ExpertWorkerData } from './pool.js';

/**
 * The expert pool's worker thread: its own simulator (the embedded one: the scripted expert reads
 * its ground truth; one MuJoCo WebAssembly instance per thread), running one episode per message. Started through worker-bootstrap.mjs.
 */

/** Main thread -> worker: run one episode. `task` comes with the first job of each task key. */
export interface WorkerJob {
  type: 'run';
  id: number;
  taskKey: number;
  task?: TaskSpec;
  episode: Omit<ExpertEpisode, 'task'>;
  options: EpisodeOptions;
}

export type WorkerMessage = { type: 'ready' } | { type: 'result'; id: number; run: EpisodeRun } | { type: 'fatal'; message: string };

export interface WorkerHooks {
  /** Called before each episode (tests use it to make a worker die mid-run). */
  beforeRun?(job: WorkerJob): void;
}

export async function startWorker(hooks: WorkerHooks = {}): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('engine/expert/worker.ts runs in a worker thread');
  let sim: Simulator;
  try {
    // Cameras the pool asked for (a recording with images, a vision policy's bursts); none otherwise.
    const { cameras, physics } = (workerData ?? {}) as ExpertWorkerData;
    sim = await createSimulator({ kind: 'embedded', ...(physics ? { physics } : {}) }, cameras ? { cameras } : {});
  } catch (error) {
    port.postMessage({ type: 'fatal', message: `MuJoCo failed to start in a worker: ${(error as Error).message}` } satisfies WorkerMessage);
    return;
  }
  // Task specs by key: the simulator recompiles when the TaskSpec object changes, so a task's
  // episodes must share one object.
  const tasks = new Map<number, TaskSpec>();
  // Policies that perturb episodes, loaded once per (bundle folder, decoding).
  const policies = new Map<string, Promise<Policy>>();
  const policyFor = (spec: NonNullable<ExpertEpisode['policy']>): Promise<Policy> => {
    const key = policyKey(spec);
    let p = policies.get(key);
    if (!p) policies.set(key, (p = loadPerturbingPolicy(spec.bundle, spec.decoding)));
    return p;
  };
  port.on('message', (job: WorkerJob) => {
    if (job.task) tasks.set(job.taskKey, job.task);
    const task = tasks.get(job.taskKey);
    if (!task) throw new Error(`worker got task key ${job.taskKey} without its task`);
    hooks.beforeRun?.(job);
    void (async () => {
      const spec = job.episode.policy;
      let policy: Policy | undefined;
      let run: EpisodeRun | undefined;
      try {
        policy = spec ? await policyFor(spec) : undefined;
      } catch (error) {
        // The policy's bundle did not load: this episode is an error, the next one tries again.
        policies.delete(policyKey(spec!));
        const { suite, taskId, initIndex } = job.episode;
        run = { result: { suite, taskId, initIndex, outcome: 'error', steps: 0, error: `policy bundle ${spec!.bundle}: ${(error as Error).message}`, ms: 0 } };
      }
      run ??= await runExpertEpisode(sim, { ...job.episode, task }, job.options, policy);
      port.postMessage({ type: 'result', id: job.id, run } satisfies WorkerMessage);
    })();
  });
  port.postMessage({ type: 'ready' } satisfies WorkerMessage);
}

function policyKey(spec: NonNullable<ExpertEpisode['policy']>): string {
  return `${spec.bundle}\n${spec.decoding ?? ''}`;
}

// Started as the pool's worker (not when a test's worker module imports startWorker).
// Not top-level await: the packaged app bundles this file as CommonJS.
if (workerData?.module === import.meta.url) void startWorker();
