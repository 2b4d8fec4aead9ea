import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expertEpisodes, type InitSource } from '../expert/suite.js';
import { MAX_STEPS, NUM_WAIT_STEPS, suiteName, suiteTask, suiteTasks, type SuiteName } from '../libero/suites.js';
import { loadBundle, type ExecutionProviderRequest, type LoadedBundle } from '../bundle/bundle.js';
import { defaultBundleDir } from '../bundle/default-bundle.js';
import { ObservationEncoder } from '../bundle/observation.js';
import { onnxRuntimeVersion } from '../bundle/onnxruntime.js';
import type { AcceptRule } from '../decoding/acceptance.js';
import { Decoder, DEFAULT_THRESHOLD } from '../decoding/decoder.js';
import type { ChunkRecord, Strategy } from '../decoding/record.js';
import type { EvalEvent, EvalProgress as Progress, TaskProgress } from '../api/schemas/eval-events.js';
import type { EpisodeRecord, Results } from '../api/schemas/results.js';
import type { RunConfig } from '../api/schemas/run-config.js';
import { SCENE_FORMAT } from '../api/schemas/scene.js';
import { TRAJECTORY_FORMAT, type Trajectory, type TrajectoryChunk } from '../api/schemas/trajectory.js';
import { episodeChunks } from '../runs/results-schema.js';
import { defaultRunsRoot, defaultVersions, machineInfo, RunStore, type Run } from '../runs/store.js';
import { sceneFileName } from '../runs/trajectory.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { packageVersion } from '../util/packages.js';
import { mulberry32At } from '../util/random.js';
import { percentile } from './metrics.js';
import { BatchedPolicy } from './batched-policy.js';
import { runSimPool, type PoolEpisode } from './sim-pool.js';
import type { EpisodeEnd } from './sim-worker.js';

/**
 * The evaluation runner (issue 5): a policy bundle on a LIBERO suite, suites x trials, episodes
 * across simulator worker threads with inference on this thread batched across them, every
 * finished episode appended to the run store before it is reported, resumable after a crash.
 */

export interface EvalOptions {
  suite?: string;
  /** Task ids; default all of the suite's. */
  tasks?: readonly number[];
  /** Trials per task: trial t starts from initial state t. Default 50. */
  trials?: number;
  seed?: number;
  initSource?: InitSource;
  /** Policy steps at most; default the suite's (research/libero.md 1.3). */
  maxSteps?: number;
  waitSteps?: number;
  decoding?: Strategy;
  accept?: AcceptRule;
  threshold?: number;
  ep?: ExecutionProviderRequest;
  /** Bundle folder; default assets/bundles/default. */
  bundleDir?: string;
  workers?: number;
  /** Runs root; default `<data dir>/runs`. */
  runsRoot?: string;
  /** Continue this run: its configuration comes from its run.json, the options above are ignored. */
  resume?: string;
  /** One task, one trial, one worker, a log line per step and per chunk. */
  debug?: boolean;
  signal?: AbortSignal;
  onEvent?(event: EvalEvent): void;
  /** Longest wait for a fuller inference batch, ms. */
  batchWindowMs?: number;
  /** The simulator worker module (tests substitute one that misbehaves). */
  workerModule?: string | URL;
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
  };
}

export class EvalError extends Error {
  constructor(
    /** The option, file or resource at fault. */
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'EvalError';
  }
}

/** Default trials per task, as OpenVLA-OFT's LIBERO evaluation (research/libero.md). */
export const DEFAULT_TRIALS = 50;

export async function runEvaluation(options: EvalOptions): Promise<EvalReport> {
  const store = new RunStore(options.runsRoot ?? defaultRunsRoot());
  await checkWritable(store.root);

  // The configuration: from run.json when resuming, else from the options.
  const resumed = options.resume ? await store.open(options.resume).then((r) => r.info) : null;
  const bundleDir = resumed ? resumed.bundleDir : (options.bundleDir ?? defaultBundleDir());
  if (!bundleDir) throw new EvalError('bundle', `run ${options.resume} does not record its bundle folder, so it cannot be resumed`);
  const ep = resumed?.config.executionProvider.requested ?? options.ep ?? 'cpu';
  const bundle = await loadBundleFor(bundleDir, ep, options.bundleDir === undefined && !resumed);
  try {
    if (resumed && resumed.config.bundle.hash !== bundleHash(bundle)) {
      throw new EvalError('bundle', `the bundle in ${bundleDir} changed since run ${resumed.id} started (${bundleHash(bundle).slice(0, 19)}, the run has ${resumed.config.bundle.hash.slice(0, 19)}); resuming would mix two policies`);
    }
    const config = resumed?.config ?? newConfig(options, bundle);
    const decoder = new Decoder(bundle, { seed: config.seed });
    if (!decoder.strategies().includes(config.decoding)) {
      throw new EvalError('decoding', `bundle "${bundle.manifest.name}" cannot decode ${config.decoding}: it supports ${decoder.strategies().join(', ')}`);
    }
    const initSource: InitSource = config.initStates.source === 'libero' ? { kind: 'libero', ...(config.initStates.location ? { dir: config.initStates.location } : {}) } : { kind: 'project', split: 'eval' };
    const planned = plan(config, initSource);
    const encoders = new Map(config.tasks.map((taskId) => [taskId, new ObservationEncoder(bundle.manifest, planned.find((e) => e.taskId === taskId)!.task.objects.map((o) => o.name), suiteTask(config.suite, taskId).instruction)]));

    const state = resumed ? await store.resume(resumed.id) : null;
    const run = state?.run ?? (await store.createRun(config, { versions: versions(), bundleDir: path.resolve(bundleDir) }));
    return await execute({ options, config, run, planned, decoder, encoders, dropped: state?.dropped ?? null, previous: state?.episodes ?? [] });
  } finally {
    await bundle.release();
  }
}

async function loadBundleFor(dir: string, ep: ExecutionProviderRequest, isDefault: boolean): Promise<LoadedBundle> {
  try {
    await access(path.join(dir, 'bundle.json'));
  } catch {
    throw new EvalError('bundle', isDefault ? `no bundle given and the default bundle is missing (${dir}); pass --bundle DIR` : `no bundle.json in ${dir}`);
  }
  return loadBundle(dir, { ep, sessionOptions: RUNNER_SESSION_OPTIONS });
}

/**
 * The simulator workers want the cores: onnxruntime's intra-op threads would compete with them (and
 * spin between runs), so the runner's sessions use one.
 */
export const RUNNER_SESSION_OPTIONS = { intraOpNumThreads: Number(process.env.RSD_ORT_THREADS ?? 1), interOpNumThreads: 1 };

/** A clear error before anything runs when results could not be written. */
async function checkWritable(root: string): Promise<void> {
  const probe = path.join(root, `.write-test-${process.pid}`);
  try {
    await mkdir(root, { recursive: true });
    await writeFile(probe, 'ok');
    await rm(probe);
  } catch (error) {
    throw new EvalError('out', `cannot write runs to ${root}: ${(error as Error).message}`);
  }
}

const bundleHash = (bundle: LoadedBundle): string => `sha256:${bundle.hash}`;

function versions(): Record<string, string> {
  return { ...defaultVersions(), onnxruntime: onnxRuntimeVersion(), mujoco: packageVersion('@mujoco/mujoco') };
}

function newConfig(o: EvalOptions, bundle: LoadedBundle): RunConfig {
  const suite: SuiteName = suiteName(o.suite ?? 'libero_spatial');
  const all = suiteTasks(suite).map((t) => t.id);
  const debug = o.debug ?? false;
  const tasks = o.tasks ? [...o.tasks] : all;
  for (const t of tasks) if (!all.includes(t)) throw new EvalError('tasks', `${suite} has tasks 0-${all.length - 1}; ${t} is not one of them`);
  if (tasks.length === 0) throw new EvalError('tasks', 'no tasks chosen');
  const trials = debug ? 1 : (o.trials ?? DEFAULT_TRIALS);
  if (!(Number.isInteger(trials) && trials >= 1)) throw new EvalError('trials', `must be a positive integer, got ${trials}`);
  const decoding = o.decoding ?? (bundle.sessions.draft ? 'speculative' : bundle.manifest.main.decoding === 'parallel' ? 'parallel' : 'autoregressive');
  const speculative = decoding === 'speculative';
  const accept = speculative ? (o.accept ?? 'exact') : null;
  const threshold = accept === 'threshold' ? (o.threshold ?? DEFAULT_THRESHOLD) : null;
  if (threshold !== null && !(threshold >= 0 && threshold <= 1)) throw new EvalError('threshold', `must be in [0, 1], got ${threshold}`);
  const source = o.initSource ?? { kind: 'project', split: 'eval' };
  const maxSteps = o.maxSteps ?? MAX_STEPS[suite];
  if (!(Number.isInteger(maxSteps) && maxSteps >= 1)) throw new EvalError('maxSteps', `must be a positive integer, got ${maxSteps}`);
  const choice = bundle.epChoice;
  return {
    suite,
    tasks: debug ? tasks.slice(0, 1) : tasks,
    trials,
    seed: o.seed ?? 7,
    maxSteps,
    waitSteps: o.waitSteps ?? NUM_WAIT_STEPS,
    decoding,
    accept,
    threshold,
    bundle: { name: bundle.manifest.name, hash: bundleHash(bundle) },
    executionProvider: { requested: choice.requested, used: choice.chosen, reason: choice.attempts.length > 1 || choice.requested === 'auto' ? choice.attempts.map((a) => `${a.ep}: ${a.reason}`).join('; ') : null },
    simulator: { backend: 'embedded', version: `MuJoCo ${packageVersion('@mujoco/mujoco')}` },
    initStates: source.kind === 'libero' ? { source: 'libero', location: source.dir ?? null } : { source: 'project', location: null },
    machine: machineInfo(),
  };
}

function plan(config: RunConfig, source: InitSource): PoolEpisode[] {
  try {
    return expertEpisodes(config.suite, config.tasks, config.trials, source).map((e) => ({ taskId: e.taskId, trial: e.initIndex, initIndex: e.initIndex, task: e.task, init: e.init }));
  } catch (error) {
    throw new EvalError('initStates', (error as Error).message);
  }
}

interface Execution {
  options: EvalOptions;
  config: RunConfig;
  run: Run;
  planned: PoolEpisode[];
  decoder: Decoder;
  encoders: Map<number, ObservationEncoder>;
  dropped: string | null;
  previous: EpisodeRecord[];
}

async function execute(x: Execution): Promise<EvalReport> {
  const { options, config, run } = x;
  const emit = (event: EvalEvent): void => options.onEvent?.(event);
  const log = (level: 'info' | 'warn' | 'debug', message: string): void => emit({ type: 'log', runId: run.id, level, message });
  const started = performance.now();
  const todo = x.planned.filter((e) => !run.isFinished(e.taskId, e.trial));
  const progress = new ProgressTracker(config, x.previous, todo.length);
  const debug = options.debug ?? false;
  const workers = debug ? 1 : Math.max(1, options.workers ?? defaultWorkers());

  emit({ type: 'run-started', runId: run.id, dir: run.dir, config, resumed: Boolean(options.resume), progress: progress.snapshot() });
  if (x.dropped) log('warn', x.dropped);
  if (options.resume) log('info', `resuming run ${run.id}: ${x.previous.length} episodes already finished, ${todo.length} to run`);

  const scenesWritten = new Set<number>();
  const sceneExists = (taskId: number): boolean => scenesWritten.has(taskId);
  for (const taskId of config.tasks) {
    if (await access(path.join(run.trajectoriesDir, sceneFileName(taskId))).then(() => true, () => false)) scenesWritten.add(taskId);
  }

  let active = 0;
  const chunkRecords = new Map<PoolEpisode, ChunkRecord[]>();
  const episodeStart = new Map<PoolEpisode, number>();
  const rngs = new Map<PoolEpisode, ReturnType<typeof mulberry32At>>();
  const policy = new BatchedPolicy(
    x.decoder,
    { strategy: config.decoding, ...(config.accept ? { accept: config.accept } : {}), ...(config.threshold !== null ? { threshold: config.threshold } : {}) },
    () => active,
    options.batchWindowMs,
  );

  // Writes happen in order; the first failure stops the run (nothing after it is written).
  let writes: Promise<void> = Promise.resolve();
  let writeError: Error | null = null;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
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
    };
    enqueue(`writing task ${episode.taskId} trial ${episode.trial}`, async () => {
      if (end.trajectory) await run.writeTrajectory(episode.taskId, episode.trial, trajectoryOf(config, episode, end, records));
      await run.appendEpisode(record);
      progress.add(record);
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
          episodeStart.set(episode, performance.now());
          chunkRecords.set(episode, []);
          // Per-episode stream: stochastic codes do not depend on batching or on resuming.
          rngs.set(episode, mulberry32At(config.seed >>> 0, (episode.taskId * 1_000_003 + episode.trial * 7919) >>> 0));
          emit({ type: 'episode-started', runId: run.id, taskId: episode.taskId, trial: episode.trial, initIndex: episode.initIndex });
        },
        onScene(episode, description) {
          if (sceneExists(episode.taskId)) return;
          scenesWritten.add(episode.taskId);
          enqueue(`writing the scene of task ${episode.taskId}`, () => writeFileAtomic(path.join(run.trajectoriesDir, sceneFileName(episode.taskId)), JSON.stringify({ format: SCENE_FORMAT, taskId: episode.taskId, description })));
        },
        async requestChunk(episode, observation) {
          const encoded = x.encoders.get(episode.taskId)!.encode(observation);
          const rng = rngs.get(episode)!;
          const decoded = await policy.request({ observation: encoded, rng: { next: rng } });
          chunkRecords.get(episode)?.push(decoded.record);
          if (debug) {
            const r = decoded.record;
            log('debug', `step ${observation.step}: chunk in ${r.latency.totalMs.toFixed(2)} ms${r.draftLayers > 0 ? `, accepted ${r.acceptedLayers}/${r.draftLayers} draft layers` : ''}; first action [${Array.from(decoded.actions.subarray(0, 7), (v) => v.toFixed(3)).join(', ')}]`);
          }
          return decoded.actions;
        },
        onStep: debug
          ? (episode, s) => log('debug', `task ${episode.taskId} step ${s.step}: action [${s.action.map((v) => v.toFixed(3)).join(', ')}] grip-site [${s.proprio.slice(0, 3).map((v) => v.toFixed(3)).join(', ')}] fingers [${s.proprio.slice(6, 8).map((v) => v.toFixed(4)).join(', ')}]${s.success ? ' goal reached' : ''}`)
          : undefined,
        onFinished: finishEpisode,
      },
      { maxSteps: config.maxSteps, waitSteps: config.waitSteps, wantScene: (taskId) => !sceneExists(taskId), stepLog: debug, signal: stop.signal },
      options.workerModule,
    );
    cancelled = result.cancelled;
  } catch (error) {
    poolError = error as Error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  await writes;

  const failure = writeError ?? poolError;
  if (failure) {
    const message = failure.message;
    await run.fail(message).catch(() => undefined); // a full disk may refuse this too; episodes.jsonl is intact either way
    emit({ type: 'run-finished', runId: run.id, status: 'failed', error: message, progress: progress.snapshot() });
    throw failure;
  }
  const status = cancelled || (options.signal?.aborted ?? false) ? 'cancelled' : 'completed';
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
    },
  };
}

function defaultWorkers(): number {
  // One per CPU, as docs/evaluation.md says: the inference thread mostly waits while workers step,
  // and 2 workers on 2 cores ran 2.00x one (docs/benchmarks.md).
  return os.availableParallelism();
}

function trajectoryOf(config: RunConfig, episode: PoolEpisode, end: EpisodeEnd, records: readonly ChunkRecord[]): Trajectory {
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
  ) {
    for (const taskId of config.tasks) this.perTask.set(taskId, { taskId, done: 0, total: config.trials, successes: 0 });
    for (const e of previous) this.count(e);
  }

  private count(e: EpisodeRecord): void {
    const t = this.perTask.get(e.taskId);
    if (t) {
      t.done++;
      if (e.outcome === 'success') t.successes++;
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

  snapshot(): Progress {
    const elapsed = (performance.now() - this.started) / 1000;
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
      elapsedSeconds: elapsed,
    };
  }
}
