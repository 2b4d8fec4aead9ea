import type { Worker } from 'node:worker_threads';
import { resolveWorkerStart, spawnWorker, type WorkerStart } from './spawn.js';

/**
 * Jobs across worker threads, each with its own simulator (evaluation: engine/eval/sim-pool.ts;
 * the expert: engine/expert/pool.ts). Jobs are handed out one at a time, in order, to whichever
 * worker is free. A worker that dies takes only its current job with it (`onLost`, naming the
 * cause) and is replaced; after MAX_START_FAILURES workers that died before they were ready the pool
 * stops replacing them and reports the jobs it could not hand out. Aborting stops handing out work
 * and ends the workers; jobs in flight are dropped, not reported, so a resumed run redoes them.
 *
 * The protocol: a worker posts `ready` once it takes jobs, or `fatal` when it cannot run at all;
 * its other messages name the job they are about by `id` (the job's index), so that a message about
 * a job the worker no longer runs is dropped.
 */

/** What every pool worker may post besides its job messages. */
export type ControlMessage = { type: 'ready' } | { type: 'fatal'; message: string };

/** A worker's message about one job (any `type` but `ready` and `fatal`). */
export interface JobMessage {
  type: string;
  id: number;
}

/** A job on a worker, as the domain sees it. */
export interface RunningJob<J, ToWorker> {
  readonly job: J;
  /** The job's index in `jobs`; the worker's messages about it carry it as `id`. */
  readonly id: number;
  /** Posts to the job's worker while it still runs this job; later replies are dropped. */
  send(message: ToWorker): void;
}

export interface WorkerPoolSpec<J, ToWorker, FromWorker extends JobMessage> {
  /** The module each worker runs (engine/workers/spawn.ts). */
  module: string | URL;
  /** What each worker finds in workerData besides `module` (e.g. the simulator sim-worker.ts makes). */
  workerData?: object | undefined;
  /** Workers to start; at least one, at most one per job. */
  workers: number;
  jobs: readonly J[];
  signal?: AbortSignal | undefined;
  /** The task a job needs, compared by identity: each worker is sent each task's spec once. */
  taskOf(job: J): object;
  /** Called as `job` goes to a worker; returns the message that starts it, with the task's spec when `withTask`. */
  start(job: J, how: { id: number; taskKey: number; withTask: boolean }): ToWorker;
  /** Whether the message ends its job (the worker then takes the next). */
  ends(message: FromWorker): boolean;
  /** A message about a running job (an ending one after the pool has counted it). */
  onMessage(message: FromWorker, running: RunningJob<J, ToWorker>): void;
  /** The job's worker died: `cause` is the worker's error, its `fatal` message or its exit code. */
  onLost(job: J, cause: string): void;
  /** How the workers start (resolveWorkerStart: the cached bundle, or tsx and why), before the first starts. */
  onWorkerStart?(start: WorkerStart): void;
  /** A worker posted `ready`; `ready` counts the workers ready so far (replacements included). */
  onReady?(ready: number): void;
  /** Workers started ahead (`PrestartedWorkers`, the same module), taken before any new one is spawned. */
  prestarted?: PrestartedWorkers | undefined;
}

/** A worker started ahead of its pool, with what it posted before the pool took it. */
interface Early {
  worker: Worker;
  messages: unknown[];
  error?: string;
  exit?: number;
  detach(): void;
}

/**
 * Workers started before their pool, while the caller prepares what the jobs need (the runner
 * loads the policy meanwhile): what they post, their errors and exits are kept until the pool
 * takes them and replays it. `dispose` ends those no pool took (a run that failed before its pool).
 */
export class PrestartedWorkers {
  private constructor(
    readonly start: WorkerStart,
    private early: Early[],
  ) {}

  /** Starts `count` workers of `module` with `workerData` (engine/workers/spawn.ts resolves how). */
  static async start(module: string | URL, workerData: object, count: number): Promise<PrestartedWorkers> {
    const start = await resolveWorkerStart(String(module));
    const early = Array.from({ length: count }, (): Early => {
      const worker = spawnWorker(start, workerData);
      const entry: Early = { worker, messages: [], detach: () => undefined };
      const onMessage = (m: unknown): void => void entry.messages.push(m);
      const onError = (e: Error): void => void (entry.error = e.stack ?? String(e));
      const onExit = (code: number): void => void (entry.exit = code);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      entry.detach = () => void worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      return entry;
    });
    return new PrestartedWorkers(start, early);
  }

  /** Posts `message` to every worker not taken yet (e.g. what it needs before it can get ready). */
  post(message: unknown): void {
    for (const e of this.early) if (e.exit === undefined) e.worker.postMessage(message);
  }

  /** The next worker for a pool, or undefined when none is left. */
  take(): Early | undefined {
    const next = this.early.shift();
    next?.detach();
    return next;
  }

  /** Ends the workers no pool took. */
  dispose(): void {
    for (const e of this.early.splice(0)) {
      e.detach();
      void e.worker.terminate();
    }
  }
}

export interface PoolOutcome<J> {
  /** Workers started at first (replacements not counted). */
  workers: number;
  /** True when the signal aborted before every job ended. */
  cancelled: boolean;
  /** Jobs never handed out because no worker could start; empty otherwise (and when cancelled). */
  unstarted: J[];
  /** Why the last worker that never got ready died; null unless `unstarted` has jobs. */
  startError: string | null;
}

/** Workers that die before ever becoming ready, after which the pool stops replacing them. */
export const MAX_START_FAILURES = 3;

interface Slot<J, ToWorker> {
  worker: Worker;
  ready: boolean;
  running?: RunningJob<J, ToWorker> | undefined;
  /** Task keys whose spec this worker holds. */
  tasks: Set<number>;
  lastError?: string;
}

/**
 * Runs `spec.jobs`; resolves when every job ended, the signal aborted or no worker could start.
 * Rejects with the error of a domain callback that throws (after ending the workers).
 */
export async function runWorkerPool<J, ToWorker, FromWorker extends JobMessage>(spec: WorkerPoolSpec<J, ToWorker, FromWorker>): Promise<PoolOutcome<J>> {
  const { jobs, signal } = spec;
  const total = jobs.length;
  const workers = Math.max(1, Math.min(spec.workers, total || 1));
  const start = spec.prestarted?.start ?? (await resolveWorkerStart(String(spec.module)));
  spec.onWorkerStart?.(start);
  let readyCount = 0;
  const taskKeys = new Map<object, number>();
  const keyOf = (task: object): number => {
    let key = taskKeys.get(task);
    if (key === undefined) taskKeys.set(task, (key = taskKeys.size));
    return key;
  };

  return new Promise((resolve, reject) => {
    const slots = new Set<Slot<J, ToWorker>>();
    let next = 0;
    let ended = 0;
    let startFailures = 0;
    let lastStartError = 'unknown';
    let finished = false;
    const aborted = (): boolean => signal?.aborted ?? false;

    const stop = (): void => {
      finished = true;
      spec.prestarted?.dispose();
      signal?.removeEventListener('abort', onAbort);
      for (const s of slots) void s.worker.terminate();
      slots.clear();
    };
    const done = (): void => {
      if (finished) return;
      stop();
      const unstarted = aborted() ? [] : jobs.slice(next);
      resolve({ workers, cancelled: aborted() && ended < total, unstarted, startError: unstarted.length > 0 ? lastStartError : null });
    };
    const fail = (error: unknown): void => {
      if (finished) return;
      stop();
      reject(error);
    };
    // Ends the pool once no job runs and none can start: all handed out, aborted, or no worker left.
    const settle = (): void => {
      if (finished || [...slots].some((s) => s.running)) return;
      if (aborted() || next >= total || slots.size === 0) done();
    };

    const dispatch = (slot: Slot<J, ToWorker>): void => {
      if (finished || aborted() || next >= total) return settle();
      const id = next++;
      const job = jobs[id]!;
      const taskKey = keyOf(spec.taskOf(job));
      const withTask = !slot.tasks.has(taskKey);
      slot.tasks.add(taskKey);
      const running: RunningJob<J, ToWorker> = {
        job,
        id,
        send: (message) => {
          if (!finished && slot.running === running) slot.worker.postMessage(message);
        },
      };
      slot.running = running;
      let message: ToWorker;
      try {
        message = spec.start(job, { id, taskKey, withTask });
      } catch (error) {
        return fail(error);
      }
      // `start` may have aborted the run (the abort listener then ended the pool).
      if (!finished) slot.worker.postMessage(message);
    };

    const onMessage = (slot: Slot<J, ToWorker>, message: ControlMessage | FromWorker): void => {
      if (finished) return;
      const control = controlOf(message);
      if (control?.type === 'ready') {
        slot.ready = true;
        spec.onReady?.(++readyCount);
        return dispatch(slot);
      }
      if (control?.type === 'fatal') {
        slot.lastError = control.message;
        void slot.worker.terminate();
        return;
      }
      const jobMessage = message as FromWorker;
      const running = slot.running;
      if (!running || running.id !== jobMessage.id) return;
      try {
        const ends = spec.ends(jobMessage);
        if (ends) {
          slot.running = undefined;
          ended++;
        }
        spec.onMessage(jobMessage, running);
        if (ends) dispatch(slot);
      } catch (error) {
        fail(error); // a domain callback threw
      }
    };

    const onExit = (slot: Slot<J, ToWorker>, code: number): void => {
      slots.delete(slot);
      if (finished) return;
      const cause = slot.lastError ?? `exit code ${code}`;
      const lost = slot.running;
      slot.running = undefined;
      if (lost) {
        ended++;
        try {
          spec.onLost(lost.job, cause);
        } catch (error) {
          return fail(error);
        }
      }
      if (!slot.ready) {
        startFailures++;
        lastStartError = cause;
      }
      if (!aborted() && next < total && startFailures < MAX_START_FAILURES) spawn();
      settle();
    };

    const spawn = (): void => {
      const early = spec.prestarted?.take();
      let worker: Worker;
      try {
        worker = early?.worker ?? spawnWorker(start, spec.workerData);
      } catch (error) {
        return fail(error);
      }
      const slot: Slot<J, ToWorker> = { worker, ready: false, tasks: new Set() };
      slots.add(slot);
      worker.on('message', (message: ControlMessage | FromWorker) => onMessage(slot, message));
      worker.on('error', (error) => {
        slot.lastError = error.stack ?? String(error);
      });
      worker.on('exit', (code) => onExit(slot, code));
      // What a prestarted worker did before the pool took it, in order.
      if (early) {
        if (early.error) slot.lastError = early.error;
        for (const message of early.messages) onMessage(slot, message as ControlMessage | FromWorker);
        if (early.exit !== undefined) onExit(slot, early.exit);
      }
    };

    const onAbort = (): void => done();
    if (aborted() || total === 0) return done();
    signal?.addEventListener('abort', onAbort, { once: true });
    for (let i = 0; i < workers && !finished; i++) spawn();
    spec.prestarted?.dispose(); // any this pool does not need (fewer jobs than workers started ahead)
  });
}

function controlOf(message: ControlMessage | JobMessage): ControlMessage | null {
  return message.type === 'ready' || message.type === 'fatal' ? (message as ControlMessage) : null;
}
