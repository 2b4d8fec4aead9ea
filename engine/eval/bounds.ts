import os from 'node:os';
import { MAX_STEPS, suiteName, suiteTasks, type SuiteName } from '../libero/suites.js';
import { EvalError } from './errors.js';

/**
 * The bounds of a run, defined once and derived from the machine: the resolver (resolve.ts, behind
 * `rsd eval`, `rsd serve` and the app) and `rsd expert` apply them, each refusal an EvalError that
 * names the field and the bound (the CLI prints one line, exit status 2; the API answers
 * invalid-params).
 *
 * Workers: at most two per CPU (a worker mostly waits on the batched inference, so one per CPU
 * plus some slack already saturates the machine: 2 workers on 2 cores ran 2.00x one, and 100 on 2
 * finished nothing in 500 s), and no more than the memory available now holds at
 * WORKER_BYTES each. WORKER_BYTES is measured: peak RSS of `rsd eval --tasks 0-7 --trials 1
 * --max-steps 40` on the default bundle, 1 worker against 2, 4 and 8 workers, grew by about
 * 90-110 MB per worker (MuJoCo WebAssembly heap, scene, the worker's own V8 isolate); issue 15's
 * 100 workers reached 10.5 GiB, about 105 MB each. 160 MB leaves room for longer episodes.
 *
 * Steps: MAX_STEPS_FACTOR times the suite's own limit (OFT's TASK_MAX_STEPS: 220 to 520), far
 * beyond any real episode, short of a run that never ends. Trials: MAX_TRIALS per task (LIBERO's
 * 50 initial states, ten times over). Task ids: the suite's.
 */
export const WORKER_BYTES = 160 * 2 ** 20;
/** The engine process itself (onnxruntime, the models, the run store) before any worker: measured ~340 MB. */
export const ENGINE_BYTES = 400 * 2 ** 20;
export const WORKERS_PER_CPU = 2;
export const MAX_STEPS_FACTOR = 10;
export const MAX_TRIALS = 500;

export interface Machine {
  cpus: number;
  /** Memory this process can still take, in bytes. */
  availableBytes: number;
}

/** This machine now: CPUs as Node counts them, memory available to this process (its cgroup's limit included). */
export function thisMachine(): Machine {
  const available = typeof process.availableMemory === 'function' ? process.availableMemory() : os.freemem();
  return { cpus: os.availableParallelism(), availableBytes: Math.min(available, os.freemem()) };
}

export interface WorkerBound {
  max: number;
  /** Why, in words: `2 CPUs x 2` or `22.1 GiB available at ~160 MB a worker`. */
  reason: string;
}

/** The most simulator workers a run may use on `machine` (at least 1). */
export function maxWorkers(machine: Machine = thisMachine()): WorkerBound {
  const byCpu = machine.cpus * WORKERS_PER_CPU;
  const byMemory = Math.floor(Math.max(0, machine.availableBytes - ENGINE_BYTES) / WORKER_BYTES);
  const gib = (machine.availableBytes / 2 ** 30).toFixed(1);
  const memoryReason = `${gib} GiB of memory available at ~${WORKER_BYTES / 2 ** 20} MB a worker`;
  const cpuReason = `${machine.cpus} CPU${machine.cpus === 1 ? '' : 's'} x ${WORKERS_PER_CPU}`;
  if (byMemory < byCpu) return { max: Math.max(1, byMemory), reason: memoryReason };
  return { max: byCpu, reason: cpuReason };
}

/** `workers`, refused past the machine's bound (field `workers`). */
export function checkWorkers(workers: number, machine: Machine = thisMachine()): number {
  if (!(Number.isSafeInteger(workers) && workers >= 1)) throw new EvalError('workers', `must be a positive integer, got ${workers}`);
  const bound = maxWorkers(machine);
  if (workers > bound.max) throw new EvalError('workers', `at most ${bound.max} on this machine (${bound.reason}), got ${workers}`);
  return workers;
}

/** A default worker count (one per CPU), within the machine's bound. */
export function boundedWorkers(workers: number, machine: Machine = thisMachine()): number {
  return Math.max(1, Math.min(workers, maxWorkers(machine).max));
}

/** The most policy steps an episode of `suite` may be given. */
export function maxStepsBound(suite: SuiteName): number {
  return MAX_STEPS_FACTOR * MAX_STEPS[suite];
}

/** `maxSteps`, refused past MAX_STEPS_FACTOR times the suite's limit (field `maxSteps`). */
export function checkMaxSteps(maxSteps: number, suite: SuiteName): number {
  if (!(Number.isSafeInteger(maxSteps) && maxSteps >= 1)) throw new EvalError('maxSteps', `must be a positive integer, got ${maxSteps}`);
  const max = maxStepsBound(suite);
  if (maxSteps > max) throw new EvalError('maxSteps', `at most ${max} for ${suite} (${MAX_STEPS_FACTOR} x its ${MAX_STEPS[suite]}-step limit), got ${maxSteps}`);
  return maxSteps;
}

/** `trials` per task, refused past MAX_TRIALS (field `trials`). */
export function checkTrials(trials: number): number {
  if (!(Number.isSafeInteger(trials) && trials >= 1)) throw new EvalError('trials', `must be a positive integer, got ${trials}`);
  if (trials > MAX_TRIALS) throw new EvalError('trials', `at most ${MAX_TRIALS} per task, got ${trials}`);
  return trials;
}

/** The number of tasks in a suite named by the user (an unknown name refused, field `suite`). */
export function suiteTaskCount(suite: string): { suite: SuiteName; count: number } {
  let name: SuiteName;
  try {
    name = suiteName(suite);
  } catch (error) {
    throw new EvalError('suite', (error as Error).message);
  }
  return { suite: name, count: suiteTasks(name).length };
}

/** Task ids, each within the suite and none repeated (field `tasks`). */
export function checkTasks(tasks: readonly number[], suite: SuiteName): number[] {
  const count = suiteTasks(suite).length;
  if (tasks.length === 0) throw new EvalError('tasks', 'no tasks chosen');
  const seen = new Set<number>();
  for (const t of tasks) {
    if (!(Number.isSafeInteger(t) && t >= 0 && t < count)) throw new EvalError('tasks', `${suite} has tasks 0-${count - 1}; ${t} is not one of them`);
    if (seen.has(t)) throw new EvalError('tasks', `task ${t} is listed twice`);
    seen.add(t);
  }
  return [...tasks];
}
