import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { TaskSpec } from '../libero/task.js';
import type { EpisodeOptions, EpisodeRun, ExpertEpisode } from './episodes.js';
import { spawnWorker, workerModule } from '../workers/spawn.js';
import type { WorkerJob, WorkerMessage } from './worker.js';

/**
 * Expert episodes across worker threads, each with its own embedded simulator (MuJoCo is one
 * WebAssembly instance per thread). Episodes are handed out one at a time, in the given order, to
 * whichever worker is free; results come back in completion order. A worker that dies takes only
 * its current episode with it (an `error` result naming the cause) and is replaced. Aborting stops
 * handing out work and ends the workers; what finished before is returned.
 */

export interface PoolOptions extends EpisodeOptions {
  /** Worker threads; default: one per CPU, at most one per episode. */
  workers?: number;
  signal?: AbortSignal;
  /** Called as each episode finishes, in completion order. */
  onResult?(run: EpisodeRun, progress: { done: number; total: number }): void;
  /** The TypeScript (or JavaScript) module a worker runs; default ./worker.ts. Tests substitute their own. */
  workerModule?: string | URL;
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
/** Workers that die before ever becoming ready, after which the pool stops replacing them. */
const MAX_START_FAILURES = 3;

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: { id: number; episode: ExpertEpisode };
  /** Task keys this worker already holds. */
  tasks: Set<number>;
  lastError?: string;
}

export function runExpertPool(episodes: readonly ExpertEpisode[], options: PoolOptions = {}): Promise<PoolReport> {
  const started = performance.now();
  const total = episodes.length;
  const count = Math.max(1, Math.min(options.workers ?? os.availableParallelism(), total || 1));
  const module = String(options.workerModule ?? DEFAULT_WORKER);
  const episodeOptions: EpisodeOptions = {};
  if (options.record !== undefined) episodeOptions.record = options.record;
  if (options.maxSteps !== undefined) episodeOptions.maxSteps = options.maxSteps;

  const taskKeys = new Map<TaskSpec, number>();
  const keyOf = (task: TaskSpec): number => {
    let key = taskKeys.get(task);
    if (key === undefined) taskKeys.set(task, (key = taskKeys.size));
    return key;
  };

  return new Promise<PoolReport>((resolve) => {
    const runs: EpisodeRun[] = [];
    const slots = new Set<Slot>();
    let next = 0;
    let startFailures = 0;
    let lastStartError = 'unknown';
    let finished = false;
    const cancelled = (): boolean => options.signal?.aborted ?? false;

    const finish = (): void => {
      if (finished) return;
      finished = true;
      options.signal?.removeEventListener('abort', onAbort);
      for (const s of slots) void s.worker.terminate();
      slots.clear();
      resolve({ runs, cancelled: cancelled() && runs.length < total, workers: count, wallMs: performance.now() - started });
    };

    const record = (run: EpisodeRun): void => {
      runs.push(run);
      options.onResult?.(run, { done: runs.length, total });
    };

    /** An episode that could not run: an `error` result without steps. */
    const failed = (episode: ExpertEpisode, error: string): EpisodeRun => ({
      result: { suite: episode.suite, taskId: episode.taskId, initIndex: episode.initIndex, outcome: 'error', steps: 0, error, ms: 0 },
    });

    const settle = (): void => {
      if (finished) return;
      const busy = [...slots].some((s) => s.job);
      if (!busy && (next >= total || cancelled() || slots.size === 0)) {
        // No worker left to run the rest (they kept dying at start): report those as errors.
        if (!cancelled()) while (next < total) record(failed(episodes[next++]!, `no expert worker could start: ${lastStartError}`));
        finish();
      }
    };

    const dispatch = (slot: Slot): void => {
      if (finished || cancelled() || next >= total) {
        settle();
        return;
      }
      const id = next++;
      const episode = episodes[id]!;
      const taskKey = keyOf(episode.task);
      const { task, ...rest } = episode;
      const job: WorkerJob = { type: 'run', id, taskKey, episode: rest, options: episodeOptions };
      if (!slot.tasks.has(taskKey)) {
        job.task = task;
        slot.tasks.add(taskKey);
      }
      slot.job = { id, episode };
      slot.worker.postMessage(job);
    };

    const spawn = (): void => {
      const worker = spawnWorker(module);
      const slot: Slot = { worker, ready: false, tasks: new Set() };
      slots.add(slot);
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          slot.ready = true;
          dispatch(slot);
        } else if (message.type === 'result') {
          slot.job = undefined;
          record(message.run);
          dispatch(slot);
        } else {
          slot.lastError = message.message;
          void worker.terminate();
        }
      });
      worker.on('error', (error) => {
        slot.lastError = error.stack ?? String(error);
      });
      worker.on('exit', (code) => {
        slots.delete(slot);
        if (finished) return;
        const cause = slot.lastError ?? `exit code ${code}`;
        if (slot.job) {
          const { episode } = slot.job;
          record(failed(episode, `the worker running ${episode.suite} task ${episode.taskId} init ${episode.initIndex} died: ${cause}`));
        }
        if (!slot.ready) {
          startFailures++;
          lastStartError = cause;
        }
        if (!cancelled() && next < total && startFailures < MAX_START_FAILURES) spawn();
        settle();
      });
    };

    const onAbort = (): void => {
      for (const s of slots) void s.worker.terminate();
      finish();
    };
    if (cancelled()) {
      finish();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (total === 0) {
      finish();
      return;
    }
    for (let i = 0; i < count; i++) spawn();
  });
}
