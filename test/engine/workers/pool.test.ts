import type { Worker } from 'node:worker_threads';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_START_FAILURES, PrestartedWorkers, runWorkerPool, type RunningJob } from '../../../engine/workers/pool.js';
import type { Behaviour, EchoTask, FromEcho, ToEcho } from './echo-worker.js';

// Every worker the pool spawns, with its exit: a worker that never answers exits only when the
// pool terminates it, so awaiting the exits checks that without a timer.
const spawned = vi.hoisted(() => [] as { worker: Worker; exit: Promise<number> }[]);
vi.mock('../../../engine/workers/spawn.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../engine/workers/spawn.js')>();
  return {
    ...real,
    spawnWorker(module: string, data?: object): Worker {
      const worker = real.spawnWorker(module, data);
      spawned.push({ worker, exit: new Promise((resolve) => worker.once('exit', resolve)) });
      return worker;
    },
  };
});
beforeEach(() => {
  spawned.length = 0;
});
const allExited = (): Promise<number[]> => Promise.all(spawned.map((s) => s.exit));

const ECHO = new URL('./echo-worker.ts', import.meta.url);
const FATAL = new URL('./fatal-worker.ts', import.meta.url);

interface Job {
  task: EchoTask;
  value: number;
  behaviour: Behaviour;
}
type Done = Extract<FromEcho, { type: 'done' }>;
type JobFromEcho = Extract<FromEcho, { id: number }>;

const A: EchoTask = { name: 'A' };
const B: EchoTask = { name: 'B' };
const job = (task: EchoTask, value: number, behaviour: Behaviour = 'answer'): Job => ({ task, value, behaviour });

/** Runs `jobs` on the pool, recording what the domain callbacks saw. */
async function run(jobs: Job[], options: { workers: number; module?: URL; workerData?: object; prestarted?: PrestartedWorkers; signal?: AbortSignal; onAsked?(running: RunningJob<Job, ToEcho>): void; onDone?(done: Done): void }) {
  const started: number[] = [];
  const done: Done[] = [];
  const lost: { value: number; cause: string }[] = [];
  const outcome = await runWorkerPool<Job, ToEcho, JobFromEcho>({
    module: options.module ?? ECHO,
    workerData: options.workerData,
    prestarted: options.prestarted,
    workers: options.workers,
    jobs,
    signal: options.signal,
    taskOf: (j) => j.task,
    start(j, { id, taskKey, withTask }) {
      started.push(id);
      return { type: 'job', id, taskKey, value: j.value, behaviour: j.behaviour, ...(withTask ? { task: j.task } : {}) };
    },
    ends: (message) => message.type === 'done',
    onMessage(message, running) {
      if (message.type === 'asked') return options.onAsked?.(running);
      done.push(message);
      options.onDone?.(message);
    },
    onLost: (j, cause) => lost.push({ value: j.value, cause }),
  });
  return { outcome, started, done, lost };
}

describe('runWorkerPool', () => {
  it('hands jobs out in order and sends each task spec once per worker', async () => {
    const jobs = [job(A, 0), job(B, 1), job(A, 2), job(B, 3), job(A, 4), job(B, 5)];
    const { outcome, started, done, lost } = await run(jobs, { workers: 2 });
    expect(outcome).toEqual({ workers: 2, cancelled: false, unstarted: [], startError: null });
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lost).toEqual([]);
    expect(done.map((d) => d.value).sort((x, y) => x - y)).toEqual([0, 2, 4, 6, 8, 10]);
    // On each worker, exactly the first job of each task brought the spec.
    for (const thread of new Set(done.map((d) => d.thread))) {
      const seen = new Set<string>();
      for (const d of done.filter((x) => x.thread === thread).sort((x, y) => x.id - y.id)) {
        expect(d.withTask).toBe(!seen.has(d.task));
        seen.add(d.task);
      }
    }
    expect(spawned).toHaveLength(2);
  });

  it('starts one worker per job at most, and none for no jobs', async () => {
    expect((await run([job(A, 1)], { workers: 4 })).outcome.workers).toBe(1);
    expect(spawned).toHaveLength(1);
    spawned.length = 0;
    expect((await run([], { workers: 4 })).outcome).toEqual({ workers: 1, cancelled: false, unstarted: [], startError: null });
    expect(spawned).toHaveLength(0);
  });

  it('gives every worker its workerData', async () => {
    const { done } = await run([job(A, 1), job(A, 2)], { workers: 2, workerData: { tag: 'embedded' } });
    expect(done.map((d) => d.tag)).toEqual(['embedded', 'embedded']);
  });

  it("routes a job's replies to the worker running it", async () => {
    const { done } = await run([job(A, 1, 'ask'), job(A, 2)], {
      workers: 1,
      onAsked: (running) => running.send({ type: 'reply', id: running.id, value: 10 + running.job.value }),
    });
    expect(done.map((d) => [d.id, d.value])).toEqual([
      [0, 22],
      [1, 4],
    ]);
  });

  it('loses only the job of a worker that exits, naming the exit code, and replaces the worker', async () => {
    const { outcome, done, lost } = await run([job(A, 1), job(A, 2, 'exit'), job(A, 3)], { workers: 1 });
    expect(lost).toEqual([{ value: 2, cause: 'exit code 5' }]);
    expect(done.map((d) => d.value)).toEqual([2, 6]);
    expect(done.map((d) => d.withTask)).toEqual([true, true]); // the replacement is sent the task again
    expect(spawned).toHaveLength(2);
    expect(outcome.cancelled).toBe(false);
  });

  it("names a worker's uncaught error as the cause of the job it loses", async () => {
    const { done, lost } = await run([job(A, 1, 'throw'), job(A, 2)], { workers: 1 });
    expect(lost).toEqual([{ value: 1, cause: expect.stringContaining('Error: boom in job 0') }]);
    expect(done.map((d) => d.value)).toEqual([4]);
  });

  it(`gives up after ${MAX_START_FAILURES} workers that never got ready, naming the cause`, async () => {
    const jobs = [job(A, 1), job(A, 2), job(B, 3)];
    const { outcome, started, lost } = await run(jobs, { workers: 1, module: FATAL });
    expect(outcome).toEqual({ workers: 1, cancelled: false, unstarted: jobs, startError: 'no MuJoCo here (test worker)' });
    expect(started).toEqual([]);
    expect(lost).toEqual([]);
    expect(spawned).toHaveLength(MAX_START_FAILURES);
    await allExited(); // each one terminated after its `fatal`
  });

  it('stops handing out work when aborted and terminates its workers, dropping the jobs in flight', async () => {
    const abort = new AbortController();
    let asked = 0;
    const jobs = [job(A, 1, 'hang'), job(A, 2, 'hang'), job(A, 3), job(A, 4)];
    const { outcome, started, done, lost } = await run(jobs, { workers: 2, signal: abort.signal, onAsked: () => ++asked === 2 && abort.abort() });
    expect(outcome).toEqual({ workers: 2, cancelled: true, unstarted: [], startError: null });
    expect(started).toEqual([0, 1]);
    expect(done).toEqual([]);
    expect(lost).toEqual([]);
    await allExited(); // the hung workers never exit by themselves
  });

  it('ends at once when the signal has already aborted', async () => {
    const abort = new AbortController();
    abort.abort();
    const { outcome } = await run([job(A, 1)], { workers: 1, signal: abort.signal });
    expect(outcome.cancelled).toBe(true);
    expect(spawned).toHaveLength(0);
  });

  it('rejects with the error of a callback that throws, and terminates its workers', async () => {
    const jobs = [job(A, 1), job(A, 2, 'hang')];
    const failing = run(jobs, {
      workers: 2,
      onDone: () => {
        throw new Error('callback failed');
      },
    });
    await expect(failing).rejects.toThrow('callback failed');
    await allExited();
  });

  it('takes workers started ahead, with what they posted before, and ends those it does not need', async () => {
    const prestarted = await PrestartedWorkers.start(ECHO, { tag: 'ahead' }, 3);
    await new Promise((resolve) => setTimeout(resolve, 300)); // most likely ready by now: their `ready` waits for the pool
    const { outcome, done, lost } = await run([job(A, 1), job(B, 2), job(A, 3), job(B, 4)], { workers: 2, prestarted, workerData: { tag: 'new' } });
    expect(outcome).toEqual({ workers: 2, cancelled: false, unstarted: [], startError: null });
    expect(lost).toEqual([]);
    expect(done.map((d) => d.value).sort((x, y) => x - y)).toEqual([2, 4, 6, 8]);
    expect(new Set(done.map((d) => d.tag))).toEqual(new Set(['ahead'])); // the pool's two workers are prestarted ones
    expect(new Set(done.map((d) => d.thread)).size).toBe(2);
    expect(spawned).toHaveLength(3); // none spawned besides; the third was ended
    await allExited();
  });

  it('replays what a worker started ahead posted before the pool took it: its fatal ends and replaces it', async () => {
    const prestarted = await PrestartedWorkers.start(FATAL, {}, 1);
    const { outcome, done } = await run([job(A, 1)], { workers: 1, prestarted: prestarted });
    // FATAL workers never get ready: the pool gives up after MAX_START_FAILURES, the prestarted one counted.
    expect(outcome.unstarted).toHaveLength(1);
    expect(done).toEqual([]);
    expect(spawned).toHaveLength(MAX_START_FAILURES);
    await allExited();
  });
});
