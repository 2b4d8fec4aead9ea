import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { onnxRuntimeVersion } from '../bundle/onnxruntime.js';
import { wallTimeRecord, type ChunkRecord } from '../decoding/record.js';
import type { EvalEvent, EvalProgress as Progress, TaskProgress } from '../api/schemas/eval-events.js';
import type { EpisodeRecord, Results } from '../api/schemas/results.js';
import type { RunConfig } from '../api/schemas/run-config.js';
import { SCENE_FORMAT } from '../api/schemas/scene.js';
import { TRAJECTORY_FORMAT, type Trajectory, type TrajectoryChunk } from '../api/schemas/trajectory.js';
import { suiteTask } from '../libero/suites.js';
import { BatchingPolicy } from '../policy/batching.js';
import { createPolicy, type PolicySpec } from '../policy/factory.js';
import type { Policy, PolicyMetadata, TaskContext } from '../policy/policy.js';
import { episodeChunks } from '../runs/results-schema.js';
import type { RunMeta } from '../api/schemas/runs.js';
import type { RunLock } from '../runs/lock.js';
import { camerasName, defaultVersions, machineInfo, RunStore, type Run } from '../runs/store.js';
import { sceneFileName } from '../runs/trajectory.js';
import { describeSimulator } from '../sim/factory.js';
import { mergeCameraRequests, type CameraRequest } from '../sim/cameras.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { packageVersion } from '../util/packages.js';
import { mulberry32At } from '../util/random.js';
import { EvalError } from './errors.js';
import { percentile } from './metrics.js';
import { planEpisodes, taskContext, type PlannedEpisode } from './plan.js';
import type { ResolvedRun } from './resolve.js';
import { assertRunsRoot } from './runs-root.js';
import { prestartSimWorkers, runSimPool, type PoolEpisode } from './sim-pool.js';
import type { PrestartedWorkers } from '../workers/pool.js';
import type { EpisodeEnd } from './sim-worker.js';
import type { WorkerStart } from '../workers/spawn.js';

export { EvalError };

/**
 * The evaluation runner: a resolved run (resolve.ts) of a policy on a LIBERO suite, tasks x
 * trials, episodes across simulator worker threads with the policy on this thread batched across
 * them, every finished episode appended to the run store before it is reported, resumable after a
 * crash. It holds a `Policy` and the workers hold `Simulator`s, each made by its factory from the
 * run's configuration: the runner never learns which kinds it runs.
 */

/** What a caller (an execution target, a test) hands the runner besides the resolved run. */
export interface RunHooks {
  signal?: AbortSignal;
  onEvent?(event: EvalEvent): void;
  /** Longest wait for a fuller inference batch, ms. */
  batchWindowMs?: number;
  /** The simulator worker module (tests substitute one with another simulator, or one that misbehaves). */
  workerModule?: string | URL;
  /** Makes the run's policy; default the factory (tests substitute their own kinds). */
  createPolicy?(spec: PolicySpec, options: { seed: number; sessionOptions: typeof RUNNER_SESSION_OPTIONS }): Promise<Policy>;
  /** Who writes the run, as its writer.lock says (default this process's command line). */
  command?: string;
  /**
   * Least time between two `episodes-progress` events, ms (default PROGRESS_INTERVAL_MS): a step
   * event per chunk of every worker would flood the UI. 0 sends one per chunk (tests count them).
   */
  progressIntervalMs?: number;
}

/** Default least time between two `episodes-progress` events: a few per second ($RSD_PROGRESS_INTERVAL_MS overrides it: 0 for one per chunk, as the e2e tests use). */
export const PROGRESS_INTERVAL_MS = 250;

function progressInterval(env: NodeJS.ProcessEnv = process.env): number {
  const given = Number(env.RSD_PROGRESS_INTERVAL_MS);
  return env.RSD_PROGRESS_INTERVAL_MS !== undefined && Number.isFinite(given) && given >= 0 ? given : PROGRESS_INTERVAL_MS;
}

export interface EvalReport {
  run: Run;
  results: Results;
  status: 'completed' | 'cancelled';
  /** Runner statistics of this session. */
  stats: {
    wallMs: number;
    episodes: number;
    batches: number;
    meanBatch: number | null;
    workers: number;
    /** Sums over this session's episodes: wall time, the worker's time in the simulator, the decoding time of their chunks. */
    episodeWallMs: number;
    episodeSimMs: number;
    episodeDecodeMs: number;
    /** The run's fixed cost (docs/benchmarks.md "Evaluation runner"); CPU time is the whole process's, workers included. */
    fixed: FixedCost;
  };
}

/**
 * What a run costs besides its episodes: `start`, from runEvaluation's call until every first
 * worker is ready for its first episode (the policy loaded, the run's folder made, the workers
 * started: their modules loaded, MuJoCo instantiated); `end`, from the pool's last episode to
 * runEvaluation's return (the last writes, results.json, the policy closed). Wall and CPU ms.
 */
export interface FixedCost {
  startMs: number;
  startCpuMs: number;
  endMs: number;
  endCpuMs: number;
  /** Between the two: from the workers' readiness to the pool's last episode. */
  episodesMs: number;
  /** How the workers started (engine/workers/spawn.ts). */
  workerStart: WorkerStart['how'] | null;
}

/** The process's CPU time (all its threads), ms. */
function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

interface RunClock {
  at: number;
  cpu: number;
  ready: { ms: number; cpuMs: number } | null;
  poolEnded: { at: number; cpu: number } | null;
  workerStart: WorkerStart['how'] | null;
}

export async function runEvaluation(run: ResolvedRun, hooks: RunHooks = {}): Promise<EvalReport> {
  const clock: RunClock = { at: performance.now(), cpu: cpuMs(), ready: null, poolEnded: null, workerStart: null };
  const report = await evaluate(run, hooks, clock);
  const ended = clock.poolEnded ?? { at: performance.now(), cpu: cpuMs() };
  report.stats.fixed = {
    startMs: clock.ready?.ms ?? NaN,
    startCpuMs: clock.ready?.cpuMs ?? NaN,
    endMs: performance.now() - ended.at,
    endCpuMs: cpuMs() - ended.cpu,
    episodesMs: clock.ready ? ended.at - clock.at - clock.ready.ms : NaN,
    workerStart: clock.workerStart,
  };
  return report;
}

async function evaluate(run: ResolvedRun, hooks: RunHooks, clock: RunClock): Promise<EvalReport> {
  const store = new RunStore(run.runsRoot);
  await checkWritable(store.root);
  const resumed = run.resume ? (await store.open(run.resume)).info : null;
  // One writer per run folder (engine/runs/lock.ts): a run another process writes is refused here,
  // before the bundle loads; the lock is given back however this ends.
  const lock = resumed ? await store.lockRun(resumed.id, writer(hooks)) : null;
  let stored: Run | null = null;
  // The workers start now, in parallel with the policy's loading; they wait for the cameras (which
  // depend on the policy) and the pool takes them (engine/workers/pool.ts PrestartedWorkers).
  const prestarted = await prestartSimWorkers(run.simulator, Math.max(1, Math.min(run.workers, run.tasks.length * run.trials)), hooks.workerModule);
  try {
    return await withPolicy(run, hooks, store, resumed, lock, { clock, prestarted }, (created) => (stored = created));
  } finally {
    prestarted.dispose();
    await (stored as Run | null)?.release().catch(() => undefined);
    await lock?.release().catch(() => undefined);
  }
}

async function withPolicy(run: ResolvedRun, hooks: RunHooks, store: RunStore, resumed: RunMeta | null, lock: RunLock | null, start: { clock: RunClock; prestarted: PrestartedWorkers }, opened: (stored: Run) => void): Promise<EvalReport> {
  const policy = await (hooks.createPolicy ?? createPolicy)(run.policy, { seed: run.seed, sessionOptions: RUNNER_SESSION_OPTIONS });
  try {
    const meta = policy.metadata;
    if (resumed && resumed.config.bundle.hash !== meta.hash) {
      const where = run.policy.kind === 'bundle' ? `the bundle in ${run.policy.dir}` : `the policy served at ${run.policy.url}`;
      throw new EvalError(run.policy.kind === 'bundle' ? 'bundle' : 'policy', `${where} changed since run ${resumed.id} started (${meta.hash.slice(0, 19)}, the run has ${resumed.config.bundle.hash.slice(0, 19)}); resuming would mix two policies`);
    }
    const config = resumed?.config ?? (await newConfig(run, meta));
    const planned = plan(run);
    const contexts = new Map(run.tasks.map((taskId) => [taskId, taskContext(run.suite, taskId, planned.find((e) => e.taskId === taskId)!.task)]));
    try {
      policy.check([...contexts.values()]);
    } catch (error) {
      // The policy cannot act on a chosen task (an instruction it was not trained on, say).
      throw error instanceof EvalError ? error : new EvalError('bundle', (error as Error).message);
    }
    policy.reset();
    const cameras = renderedCameras(meta, run.recordCameras);

    const state = resumed && lock ? await store.resume(resumed.id, { lock }) : null;
    const where = run.policy.kind === 'bundle' ? { bundleDir: path.resolve(run.policy.dir) } : { policyTimeoutMs: run.policy.timeoutMs };
    const stored = state?.run ?? (await store.createRun(config, { versions: versions(), ...where, simulator: run.simulator, recordCameras: run.recordCameras, ...writer(hooks) }));
    opened(stored);
    const earlierSeconds = resumed?.activeSeconds ?? 0;
    return await execute({ run, hooks, config, stored, planned, policy, contexts, cameras, dropped: state?.dropped ?? null, takenOver: lock?.takenOver ?? null, previous: state?.episodes ?? [], earlierSeconds, ...start });
  } finally {
    await policy.close();
  }
}

/**
 * The cameras the simulator renders, and so the trajectories keep: the policy's and the run's
 * `recordCameras`; one camera asked at two sizes is refused naming `recordCameras`.
 */
function renderedCameras(policy: PolicyMetadata, record: readonly CameraRequest[] | undefined): CameraRequest[] {
  try {
    return mergeCameraRequests(policy.observation.cameras, record);
  } catch (error) {
    throw new EvalError('recordCameras', `${(error as Error).message} (the policy sees it at its own size: record it at that size, or not at all)`);
  }
}

/** How this run's writer names itself in the run's writer.lock. */
function writer(hooks: RunHooks): { command?: string } {
  return hooks.command !== undefined ? { command: hooks.command } : {};
}

/**
 * The simulator workers want the cores: onnxruntime's intra-op threads would compete with them (and
 * spin between runs), so the runner's sessions use one.
 */
export const RUNNER_SESSION_OPTIONS = { intraOpNumThreads: Number(process.env.RSD_ORT_THREADS ?? 1), interOpNumThreads: 1 };

/** A clear error before anything runs when results could not be written. */
async function checkWritable(root: string): Promise<void> {
  const probe = path.join(root, `.write-test-${process.pid}`);
  await assertRunsRoot(root); // before mkdir: mkdir -p under /proc never returns
  try {
    await mkdir(root, { recursive: true });
    await writeFile(probe, 'ok');
    await rm(probe);
  } catch (error) {
    throw new EvalError('out', `cannot write runs to ${root}: ${(error as Error).message}`);
  }
}

function versions(): Record<string, string> {
  return { ...defaultVersions(), onnxruntime: onnxRuntimeVersion(), mujoco: packageVersion('@mujoco/mujoco') };
}

async function newConfig(run: ResolvedRun, policy: PolicyMetadata): Promise<RunConfig> {
  return {
    suite: run.suite,
    tasks: run.tasks,
    trials: run.trials,
    seed: run.seed,
    maxSteps: run.maxSteps,
    waitSteps: run.waitSteps,
    decoding: policy.decoding.strategy,
    accept: policy.decoding.accept,
    threshold: policy.decoding.threshold,
    ...(policy.decoding.depth ? { depth: policy.decoding.depth } : {}),
    bundle: { name: policy.name, hash: policy.hash },
    executionProvider: policy.executionProvider,
    ...(policy.remote ? { policy: { kind: 'remote' as const, ...policy.remote } } : {}),
    simulator: await simulatorOf(run),
    initStates: run.initSource.kind === 'libero' ? { source: 'libero', location: run.initSource.dir ?? null } : { source: 'project', location: null },
    machine: machineInfo(),
  };
}

/** The simulator as results.json records it; one that cannot start fails the run before its folder exists. */
async function simulatorOf(run: ResolvedRun): Promise<RunConfig['simulator']> {
  try {
    return await describeSimulator(run.simulator);
  } catch (error) {
    throw new EvalError('sim', (error as Error).message);
  }
}

function plan(run: ResolvedRun): PlannedEpisode[] {
  try {
    return planEpisodes(run.suite, run.tasks, run.trials, run.initSource);
  } catch (error) {
    throw new EvalError('initStates', (error as Error).message);
  }
}

interface Execution {
  run: ResolvedRun;
  hooks: RunHooks;
  config: RunConfig;
  stored: Run;
  planned: PoolEpisode[];
  policy: Policy;
  contexts: Map<number, TaskContext>;
  /** What each simulator renders (and the trajectories record). */
  cameras: CameraRequest[];
  dropped: string | null;
  /** A stale writer.lock taken over (a writer killed mid-run), for the log. */
  takenOver: string | null;
  previous: EpisodeRecord[];
  /** The run's active time in its earlier sessions, s (run.json's `activeSeconds`). */
  earlierSeconds: number;
  clock: RunClock;
  /** The workers started while the policy loaded. */
  prestarted: PrestartedWorkers;
}

async function execute(x: Execution): Promise<EvalReport> {
  const { config, stored: run, hooks } = x;
  const emit = (event: EvalEvent): void => hooks.onEvent?.(event);
  const log = (level: 'info' | 'warn' | 'debug', message: string): void => emit({ type: 'log', runId: run.id, level, message });
  const started = performance.now();
  const todo = x.planned.filter((e) => !run.isFinished(e.taskId, e.trial));
  const progress = new ProgressTracker(config, x.previous, todo.length, x.earlierSeconds);
  const { debug, workers } = x.run;
  const resumed = x.run.resume !== null;

  emit({ type: 'run-started', runId: run.id, dir: run.dir, config, resumed, progress: progress.snapshot() });
  for (const note of x.run.notes ?? []) log('info', note);
  if (x.takenOver) log('warn', x.takenOver);
  if (x.dropped) log('warn', x.dropped);
  if (resumed) log('info', `resuming run ${run.id}: ${x.previous.length} episodes already finished, ${todo.length} to run`);

  const scenesWritten = new Set<number>();
  const sceneExists = (taskId: number): boolean => scenesWritten.has(taskId);
  for (const taskId of config.tasks) {
    if (await access(path.join(run.trajectoriesDir, sceneFileName(taskId))).then(() => true, () => false)) scenesWritten.add(taskId);
  }

  let active = 0;
  // Steps done by each running episode, sent throttled as `episodes-progress`.
  const stepsDone = new Map<PoolEpisode, number>();
  const interval = hooks.progressIntervalMs ?? progressInterval();
  let lastStepsEvent = -Infinity;
  const reportSteps = (): void => {
    const now = performance.now();
    if (now - lastStepsEvent < interval) return;
    lastStepsEvent = now;
    const episodes = [...stepsDone].map(([e, steps]) => ({ taskId: e.taskId, trial: e.trial, steps, maxSteps: config.maxSteps }));
    emit({ type: 'episodes-progress', runId: run.id, episodes, elapsedSeconds: progress.elapsedSeconds() });
  };
  const chunkRecords = new Map<PoolEpisode, ChunkRecord[]>();
  const episodeStart = new Map<PoolEpisode, number>();
  const rngs = new Map<PoolEpisode, ReturnType<typeof mulberry32At>>();
  const policy = new BatchingPolicy(x.policy, () => active, hooks.batchWindowMs);

  // Writes happen in order; the first failure stops the run (nothing after it is written).
  let writes: Promise<void> = Promise.resolve();
  let writeError: Error | null = null;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  const enqueue = (what: string, job: () => Promise<void>): void => {
    writes = writes.then(async () => {
      if (writeError) return;
      try {
        await job();
      } catch (error) {
        writeError = new EvalError('out', `${what}: ${(error as Error).message}`);
        stop.abort();
      }
    });
  };

  const sums = { wall: 0, sim: 0, decode: 0 };
  const finishEpisode = (episode: PoolEpisode, end: EpisodeEnd): void => {
    active--;
    stepsDone.delete(episode);
    policy.schedule();
    const records = chunkRecords.get(episode) ?? [];
    chunkRecords.delete(episode);
    rngs.delete(episode);
    const wallMs = performance.now() - (episodeStart.get(episode) ?? performance.now());
    episodeStart.delete(episode);
    sums.wall += wallMs;
    sums.sim += end.simMs;
    sums.decode += records.reduce((n, r) => n + r.latency.totalMs, 0);
    const trajectoryName = end.trajectory ? run.trajectoryPath(episode.taskId, episode.trial) : null;
    const record: EpisodeRecord = {
      taskId: episode.taskId,
      trial: episode.trial,
      initIndex: episode.initIndex,
      outcome: end.outcome,
      steps: end.steps,
      wallMs,
      error: end.outcome === 'error' ? (end.error ?? 'unknown error') : null,
      trajectory: trajectoryName ? path.basename(trajectoryName) : null,
      chunks: episodeChunks(records),
      ...(end.retried ? { retried: { error: end.retried } } : {}),
    };
    enqueue(`writing task ${episode.taskId} trial ${episode.trial}`, async () => {
      // The camera file first, then the trajectory that names it, then the episode's line.
      const cameras = end.trajectory && end.cameras && end.cameras.frames === end.steps + 1 ? end.cameras : null;
      if (cameras) await run.writeCameras(episode.taskId, episode.trial, cameras.bytes);
      if (end.trajectory) await run.writeTrajectory(episode.taskId, episode.trial, trajectoryOf(config, episode, end, records, cameras));
      await run.appendEpisode(record);
      progress.add(record);
      await run.recordActiveTime(progress.elapsedSeconds());
      const { chunks, ...rest } = record;
      emit({ type: 'episode-finished', runId: run.id, episode: { ...rest, chunks: chunks.draftLayers.length }, progress: progress.snapshot() });
      if (debug) log('debug', `task ${record.taskId} trial ${record.trial}: ${record.outcome} after ${record.steps} steps${record.error ? ` (${record.error})` : ''}`);
    });
  };

  let poolError: Error | null = null;
  let cancelled = false;
  try {
    const result = await runSimPool(
      todo,
      workers,
      {
        onStart(episode) {
          active++;
          stepsDone.set(episode, 0);
          episodeStart.set(episode, performance.now());
          chunkRecords.set(episode, []);
          rngs.set(episode, episodeRng(config, episode));
          emit({ type: 'episode-started', runId: run.id, taskId: episode.taskId, trial: episode.trial, initIndex: episode.initIndex });
        },
        onRetry(episode, error) {
          log('warn', `task ${episode.taskId} trial ${episode.trial}: the simulator was lost (${error}); running the episode again from its start`);
          chunkRecords.set(episode, []);
          rngs.set(episode, episodeRng(config, episode));
          stepsDone.set(episode, 0);
        },
        onScene(episode, description) {
          if (sceneExists(episode.taskId)) return;
          scenesWritten.add(episode.taskId);
          enqueue(`writing the scene of task ${episode.taskId}`, () => writeFileAtomic(path.join(run.trajectoriesDir, sceneFileName(episode.taskId)), JSON.stringify({ format: SCENE_FORMAT, taskId: episode.taskId, description })));
        },
        async requestChunk(episode, { step, observation }) {
          stepsDone.set(episode, step);
          reportSteps();
          const rng = rngs.get(episode)!;
          const asked = performance.now();
          const decoded = await policy.request({ observation, task: x.contexts.get(episode.taskId)!, rng: { next: rng } });
          const r = decoded.record ?? wallTimeRecord(config.decoding, performance.now() - asked);
          chunkRecords.get(episode)?.push(r);
          if (debug) {
            log('debug', `step ${step}: chunk in ${r.latency.totalMs.toFixed(2)} ms${r.draftLayers > 0 ? `, accepted ${r.acceptedLayers}/${r.draftLayers} draft layers` : ''}; first action [${Array.from(decoded.actions.subarray(0, 7), (v) => v.toFixed(3)).join(', ')}]`);
          }
          return decoded.actions;
        },
        onStep: debug
          ? (episode, s) => log('debug', `task ${episode.taskId} step ${s.step}: action [${s.action.map((v) => v.toFixed(3)).join(', ')}] grip-site [${s.proprio.slice(0, 3).map((v) => v.toFixed(3)).join(', ')}] fingers [${s.proprio.slice(6, 8).map((v) => v.toFixed(4)).join(', ')}]${s.success ? ' goal reached' : ''}`)
          : undefined,
        onFinished: finishEpisode,
        onWorkerStart(start) {
          x.clock.workerStart = start.how;
          if (start.note) log(start.how === 'tsx' ? 'warn' : 'info', start.note);
        },
        onWorkerReady(ready) {
          if (ready === Math.min(workers, todo.length)) x.clock.ready = { ms: performance.now() - x.clock.at, cpuMs: cpuMs() - x.clock.cpu };
        },
      },
      { simulator: x.run.simulator, cameras: x.cameras, maxSteps: config.maxSteps, waitSteps: config.waitSteps, wantScene: (taskId) => !sceneExists(taskId), stepLog: debug, signal: stop.signal, prestarted: x.prestarted },
      hooks.workerModule,
    );
    cancelled = result.cancelled;
  } catch (error) {
    poolError = error as Error;
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
    x.clock.poolEnded = { at: performance.now(), cpu: cpuMs() };
  }
  await writes;

  // This session's time up to its end, for a later resume (a crash keeps the last episode's); the
  // clock stops here so that the run-finished event reports the same time a resume starts from.
  progress.stop();
  await run.recordActiveTime(progress.elapsedSeconds()).catch(() => undefined);
  const failure = writeError ?? poolError;
  if (failure) {
    const message = failure.message;
    await run.fail(message).catch(() => undefined); // a full disk may refuse this too; episodes.jsonl is intact either way
    emit({ type: 'run-finished', runId: run.id, status: 'failed', error: message, progress: progress.snapshot() });
    throw failure;
  }
  const status = cancelled || (hooks.signal?.aborted ?? false) ? 'cancelled' : 'completed';
  const results = status === 'completed' ? await run.finish() : await run.cancel();
  emit({ type: 'run-finished', runId: run.id, status, error: null, progress: progress.snapshot() });
  return {
    run,
    results,
    status,
    stats: {
      wallMs: performance.now() - started,
      episodes: progress.sessionDone,
      batches: policy.batches,
      meanBatch: policy.batches ? policy.items / policy.batches : null,
      workers,
      episodeWallMs: sums.wall,
      episodeSimMs: sums.sim,
      episodeDecodeMs: sums.decode,
      fixed: { startMs: NaN, startCpuMs: NaN, endMs: NaN, endCpuMs: NaN, episodesMs: NaN, workerStart: null }, // runEvaluation's, once it returns
    },
  };
}

/** Per-episode stream: stochastic codes do not depend on batching, resuming or a retry. */
function episodeRng(config: RunConfig, episode: PoolEpisode): ReturnType<typeof mulberry32At> {
  return mulberry32At(config.seed >>> 0, (episode.taskId * 1_000_003 + episode.trial * 7919) >>> 0);
}

function trajectoryOf(config: RunConfig, episode: PoolEpisode, end: EpisodeEnd, records: readonly ChunkRecord[], cameras: EpisodeEnd['cameras']): Trajectory {
  const chunks: TrajectoryChunk[] = records.map((r, i) => ({
    step: end.chunks[i]?.step ?? 0,
    executed: end.chunks[i]?.executed ?? 0,
    draftLayers: r.draftLayers,
    acceptedLayers: r.acceptedLayers,
    agreement: r.agreement,
    totalMs: r.latency.totalMs,
    draftMs: r.latency.draftMs,
    verifyMs: r.latency.verifyMs,
    mainStepsMs: r.latency.mainStepsMs,
    batchSize: r.batchSize,
    deviates: r.deviation ? r.deviation.differs : null,
    ...(r.note ? { note: r.note } : {}),
  }));
  return {
    format: TRAJECTORY_FORMAT,
    taskId: episode.taskId,
    trial: episode.trial,
    initIndex: episode.initIndex,
    instruction: suiteTask(config.suite, episode.taskId).instruction,
    scene: sceneFileName(episode.taskId),
    outcome: end.outcome,
    error: end.outcome === 'error' ? end.error : null,
    steps: end.steps,
    maxSteps: config.maxSteps,
    ...end.trajectory!,
    chunks,
    ...(cameras
      ? { cameras: { file: camerasName(episode.taskId, episode.trial), encoding: 'jpeg' as const, quality: cameras.quality, views: cameras.views, frames: cameras.frames, bytes: cameras.bytes.length } }
      : {}),
  };
}

/** Running success per task, throughput and ETA. */
class ProgressTracker {
  private readonly perTask = new Map<number, TaskProgress>();
  private readonly latencies: number[] = [];
  private readonly started = performance.now();
  private done = 0;
  private successes = 0;
  private errors = 0;
  sessionDone = 0;

  constructor(
    config: RunConfig,
    previous: readonly EpisodeRecord[],
    private readonly remaining: number,
    private readonly earlierSeconds: number,
  ) {
    for (const taskId of config.tasks) this.perTask.set(taskId, { taskId, done: 0, total: config.trials, successes: 0, failures: 0, errors: 0 });
    for (const e of previous) this.count(e);
  }

  private count(e: EpisodeRecord): void {
    const t = this.perTask.get(e.taskId);
    if (t) {
      t.done++;
      if (e.outcome === 'success') t.successes++;
      else if (e.outcome === 'error') t.errors++;
      else t.failures++;
    }
    this.done++;
    if (e.outcome === 'success') this.successes++;
    if (e.outcome === 'error') this.errors++;
    this.latencies.push(...e.chunks.latency.totalMs);
  }

  add(e: EpisodeRecord): void {
    this.count(e);
    this.sessionDone++;
  }

  private stoppedAt: number | null = null;

  /** Ends the session's clock: what run.json records and the final event reports are then one figure. */
  stop(): void {
    this.stoppedAt ??= performance.now();
  }

  private sessionSeconds(): number {
    return ((this.stoppedAt ?? performance.now()) - this.started) / 1000;
  }

  /** The run's active time: its earlier sessions' and this one's, s. */
  elapsedSeconds(): number {
    return this.earlierSeconds + this.sessionSeconds();
  }

  snapshot(): Progress {
    const elapsed = this.sessionSeconds();
    const rate = this.sessionDone > 0 && elapsed > 0 ? (60 * this.sessionDone) / elapsed : null;
    const left = this.remaining - this.sessionDone;
    const median = percentile(this.latencies, 50);
    return {
      done: this.done,
      total: [...this.perTask.values()].reduce((n, t) => n + t.total, 0),
      successes: this.successes,
      errors: this.errors,
      perTask: [...this.perTask.values()].map((t) => ({ ...t })),
      episodesPerMinute: rate,
      etaSeconds: rate ? (60 * left) / rate : null,
      chunkMedianMs: Number.isFinite(median) ? median : null,
      elapsedSeconds: this.earlierSeconds + elapsed,
    };
  }
}
