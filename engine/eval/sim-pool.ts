import type { Worker } from 'node:worker_threads';
import type { InitState } from '../libero/init-states.js';
import type { TaskSpec } from '../libero/task.js';
import type { Observation, SceneDescription } from '../sim/simulator.js';
import { spawnWorker, workerModule } from '../workers/spawn.js';
import type { EpisodeEnd, EpisodeJob, FromWorker, ToWorker } from './sim-worker.js';

/**
 * Evaluation episodes across worker threads, one MuJoCo each (engine/eval/sim-worker.ts). The pool
 * hands episodes out one at a time, in order, to whichever worker is free; when a worker asks for a
 * chunk it calls `requestChunk` and sends back the actions (or ends the episode as an error when
 * the promise rejects). A worker that dies takes only its current episode with it (an `error`
 * end naming the cause) and is replaced. Aborting stops handing out work and ends the workers;
 * episodes in flight are dropped (not reported), so a resumed run redoes them.
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
}

export interface PoolRunOptions {
  maxSteps: number;
  waitSteps: number;
  /** Whether to ask for the scene with an episode of this task (the first one, if not stored yet). */
  wantScene(taskId: number): boolean;
  stepLog?: boolean;
  signal?: AbortSignal;
}

const DEFAULT_WORKER = workerModule(import.meta.url, './sim-worker.ts', 'sim-worker');
/** Workers that die before ever becoming ready, after which the pool stops replacing them. */
const MAX_START_FAILURES = 3;

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: { id: number; episode: PoolEpisode };
  tasks: Set<number>;
  lastError?: string;
}

export class SimPoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimPoolError';
  }
}

/** Runs `episodes` on `count` workers; resolves when every episode ended or the signal aborted. */
export function runSimPool(episodes: readonly PoolEpisode[], count: number, callbacks: PoolCallbacks, options: PoolRunOptions, workerModule: string | URL = DEFAULT_WORKER): Promise<{ cancelled: boolean }> {
  const total = episodes.length;
  const workers = Math.max(1, Math.min(count, total || 1));
  const module = String(workerModule);
  const taskKeys = new Map<TaskSpec, number>();
  const keyOf = (task: TaskSpec): number => {
    let key = taskKeys.get(task);
    if (key === undefined) taskKeys.set(task, (key = taskKeys.size));
    return key;
  };
  const scenesAsked = new Set<number>();

  return new Promise((resolve, reject) => {
    const slots = new Set<Slot>();
    let next = 0;
    let ended = 0;
    let startFailures = 0;
    let lastStartError = 'unknown';
    let finished = false;
    const aborted = (): boolean => options.signal?.aborted ?? false;

    const finish = (error?: Error): void => {
      if (finished) return;
      finished = true;
      options.signal?.removeEventListener('abort', onAbort);
      for (const s of slots) void s.worker.terminate();
      slots.clear();
      if (error) reject(error);
      else resolve({ cancelled: aborted() && ended < total });
    };

    const end = (episode: PoolEpisode, result: EpisodeEnd): void => {
      ended++;
      try {
        callbacks.onFinished(episode, result);
      } catch (error) {
        finish(error as Error);
      }
    };

    const settle = (): void => {
      if (finished) return;
      const busy = [...slots].some((s) => s.job);
      if (busy) return;
      if (aborted() || next >= total) return finish();
      if (slots.size === 0) finish(new SimPoolError(`no evaluation worker could start: ${lastStartError}`));
    };

    const dispatch = (slot: Slot): void => {
      if (finished || aborted() || next >= total) return settle();
      const id = next++;
      const episode = episodes[id]!;
      const taskKey = keyOf(episode.task);
      const wantScene = !scenesAsked.has(episode.taskId) && options.wantScene(episode.taskId);
      if (wantScene) scenesAsked.add(episode.taskId);
      const job: EpisodeJob = { type: 'episode', id, taskKey, init: episode.init, maxSteps: options.maxSteps, waitSteps: options.waitSteps, wantScene, stepLog: options.stepLog ?? false };
      if (!slot.tasks.has(taskKey)) {
        job.task = episode.task;
        slot.tasks.add(taskKey);
      }
      slot.job = { id, episode };
      callbacks.onStart?.(episode);
      slot.worker.postMessage(job satisfies ToWorker);
    };

    const spawn = (): void => {
      const worker = spawnWorker(module);
      const slot: Slot = { worker, ready: false, tasks: new Set() };
      slots.add(slot);
      const send = (message: ToWorker): void => {
        if (!finished && slots.has(slot)) worker.postMessage(message);
      };
      worker.on('message', (message: FromWorker) => {
        if (finished) return;
        const job = slot.job;
        switch (message.type) {
          case 'ready':
            slot.ready = true;
            dispatch(slot);
            return;
          case 'fatal':
            slot.lastError = message.message;
            void worker.terminate();
            return;
        }
        if (!job || job.id !== message.id) return;
        switch (message.type) {
          case 'scene':
            callbacks.onScene?.(job.episode, message.description);
            return;
          case 'step':
            callbacks.onStep?.(job.episode, message);
            return;
          case 'observe':
            callbacks.requestChunk(job.episode, message).then(
              (actions) => send({ type: 'chunk', id: job.id, actions }),
              (error: unknown) => send({ type: 'abort', id: job.id, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
            );
            return;
          case 'finished':
            slot.job = undefined;
            end(job.episode, message.end);
            dispatch(slot);
            return;
        }
      });
      worker.on('error', (error) => {
        slot.lastError = error.stack ?? String(error);
      });
      worker.on('exit', (code) => {
        slots.delete(slot);
        if (finished) return;
        const cause = slot.lastError ?? `exit code ${code}`;
        if (slot.job && !aborted()) {
          const { episode } = slot.job;
          end(episode, { outcome: 'error', steps: 0, error: `the worker running task ${episode.taskId} trial ${episode.trial} died: ${cause}`, simMs: 0, trajectory: null, chunks: [] });
        }
        if (!slot.ready) {
          startFailures++;
          lastStartError = cause;
        }
        if (!aborted() && next < total && startFailures < MAX_START_FAILURES) spawn();
        settle();
      });
    };

    const onAbort = (): void => finish();
    if (aborted() || total === 0) return finish();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    for (let i = 0; i < workers; i++) spawn();
  });
}
