import { parentPort, workerData } from 'node:worker_threads';
import type { InitState } from '../libero/init-states.js';
import { WAIT_ACTION } from '../libero/suites.js';
import type { TaskSpec } from '../libero/task.js';
import { atomName, goalAtoms } from '../libero/predicates.js';
import { TrajectoryRecorder } from '../runs/trajectory.js';
import { CameraRecorder, type RecordedCameras } from '../runs/camera-file.js';
import type { CameraRequest, SimulatorOptions } from '../sim/cameras.js';
import type { Trajectory } from '../api/schemas/trajectory.js';
import type { SimulatorSpec } from '../api/schemas/run-request.js';
import { createSimulator } from '../sim/factory.js';
import { isWasmModule, loadMujoco, useCompiledMujoco } from '../sim/embedded/mujoco.js';
import { SimulatorLost, type Observation, type SceneDescription, type Simulator } from '../sim/simulator.js';

/**
 * An evaluation worker thread: its own simulator, of the kind `workerData.simulator` names (made
 * by engine/sim/factory.ts; the embedded one is a MuJoCo WebAssembly instance per thread), running one
 * episode at a time as docs/libero.md 1.3 describes (reset, NUM_WAIT_STEPS wait actions, then
 * policy steps until the goal holds or the step limit). It never runs a model: at each chunk
 * boundary it posts the observation and waits for the actions, which the runner's single inference
 * thread decodes in batches across workers. Started through worker-bootstrap.mjs.
 */

export interface EpisodeJob {
  type: 'episode';
  id: number;
  /** Task specs travel once per worker per task; later jobs name the key. */
  taskKey: number;
  task?: TaskSpec;
  init: InitState;
  /** The initial state's index within its task (backends that draw per-episode randomness need it). */
  initIndex: number;
  maxSteps: number;
  waitSteps: number;
  /** Post the task's scene description before the first observation. */
  wantScene: boolean;
  /** Post a `step` message per policy step (debug mode). */
  stepLog: boolean;
}

export type ToWorker =
  | EpisodeJob
  /** To a worker started ahead of its run (workerData.deferred): what it needs to make its simulator. */
  | Configure
  /** To a worker started ahead: MuJoCo's module, compiled by the runner's thread while the worker started (null: compile your own). */
  | { type: 'mujoco'; module: WebAssembly.Module | null }
  | { type: 'chunk'; id: number; actions: Float64Array }
  /** Inference failed for this episode: end it as an error. */
  | { type: 'abort'; id: number; error: string };

export interface Configure {
  type: 'configure';
  cameras: CameraRequest[];
}

export interface EpisodeEnd {
  outcome: 'success' | 'failure' | 'error';
  steps: number;
  error: string | null;
  /** Time inside reset/step calls. */
  simMs: number;
  /** The first attempt's error when the simulator was lost and the episode ran again. */
  retried?: string;
  /** Null when the worker died before it could send one. */
  trajectory: ReturnType<TrajectoryRecorder["finish"]> | null;
  /** The camera file (engine/runs/camera-file.ts), one frame per trajectory row; null when no camera was rendered. */
  cameras: RecordedCameras | null;
  /** Per chunk: the step it started at and how many of its actions ran. */
  chunks: { step: number; executed: number }[];
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'scene'; id: number; description: SceneDescription }
  /** The whole observation (images included) at a chunk boundary. */
  | { type: 'observe'; id: number; step: number; observation: Observation }
  | { type: 'step'; id: number; step: number; action: number[]; proprio: number[]; success: boolean }
  | { type: 'finished'; id: number; end: EpisodeEnd }
  /** The simulator was lost mid-episode; the episode starts again from its reset (once). */
  | { type: 'retry'; id: number; error: string }
  | { type: 'fatal'; message: string };

export type { Trajectory };

export interface SimWorkerHooks {
  /** Called at each step (tests use it to make a worker throw or die mid-episode). */
  beforeStep?(job: EpisodeJob, step: number): void;
  /** Makes the worker's simulator (tests substitute their own kinds); default the factory. */
  createSimulator?(spec: SimulatorSpec, options: SimulatorOptions): Promise<Simulator>;
}

export async function startSimWorker(hooks: SimWorkerHooks = {}): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('engine/eval/sim-worker.ts runs in a worker thread');
  const post = (message: FromWorker): void => port.postMessage(message);
  const spec: SimulatorSpec = workerData?.simulator ?? { kind: 'embedded' };
  // MuJoCo's WebAssembly, compiled once by the runner's thread (engine/eval/sim-pool.ts).
  if (isWasmModule(workerData?.mujocoModule)) useCompiledMujoco(workerData.mujocoModule);
  // Started ahead of its run (while the runner loads the policy): MuJoCo loads meanwhile, and the
  // cameras, which depend on the policy, come in a `configure` message.
  let cameras: CameraRequest[];
  if (workerData?.deferred) {
    const early = earlyMessages(port);
    if (workerData.mujocoFollows) {
      const { module } = await early.next('mujoco');
      if (isWasmModule(module)) useCompiledMujoco(module);
    }
    // Its error, if any, comes with createSimulator; native MuJoCo loads there (a dlopen, no compile).
    if (spec.kind === 'embedded' && (spec.physics ?? 'wasm') === 'wasm') loadMujoco().catch(() => undefined);
    cameras = (await early.next('configure')).cameras;
    early.stop();
  } else {
    // Every camera the simulator renders is recorded: the policy's and the run's recordCameras.
    cameras = workerData?.cameras ?? [];
  }
  let sim: Simulator;
  try {
    sim = await (hooks.createSimulator ?? createSimulator)(spec, { cameras });
  } catch (error) {
    post({ type: 'fatal', message: `the ${spec.kind} simulator failed to start in an evaluation worker: ${(error as Error).message}` });
    return;
  }
  // The simulator recompiles when the TaskSpec object changes, so a task's episodes share one.
  const tasks = new Map<number, TaskSpec>();
  const bodyCounts = new Map<number, number>();
  let pending: { id: number; resolve: (m: ToWorker) => void } | null = null;

  const nextChunk = (id: number): Promise<ToWorker> => new Promise((resolve) => (pending = { id, resolve }));

  // A simulator lost mid-episode (a backend's process died or hung) restarts on its next reset:
  // the episode runs again from the start, once, and says so.
  const runEpisode = async (job: EpisodeJob): Promise<EpisodeEnd> => {
    const first = await attempt(job);
    if (!first.lost) return first.end;
    post({ type: 'retry', id: job.id, error: first.lost });
    const second = await attempt(job);
    return { ...second.end, retried: first.lost };
  };

  const attempt = async (job: EpisodeJob): Promise<{ end: EpisodeEnd; lost: string | null }> => {
    const task = tasks.get(job.taskKey);
    if (!task) throw new Error(`evaluation worker got task key ${job.taskKey} without its task`);
    let simMs = 0;
    const timed = async <T>(f: () => Promise<T>): Promise<T> => {
      const t = performance.now();
      try {
        return await f();
      } finally {
        simMs += performance.now() - t;
      }
    };
    let recorder: TrajectoryRecorder | null = null;
    const views = cameras.length > 0 ? new CameraRecorder(cameras) : null;
    const chunks: EpisodeEnd['chunks'] = [];
    let steps = 0;
    let outcome: EpisodeEnd['outcome'] = 'failure';
    let error: string | null = null;
    let lost: string | null = null;
    try {
      let observation: Observation = await timed(() => sim.reset(task, job.init, { index: job.initIndex }));
      // Row 0's goal truth is the last wait step's (none when no wait step runs: then no goal rows).
      let goal: boolean[] | undefined;
      for (let t = 0; t < job.waitSteps; t++) ({ observation, goalAtoms: goal } = await timed(() => sim.step(WAIT_ACTION)));
      let bodies = bodyCounts.get(job.taskKey);
      if (job.wantScene || bodies === undefined) {
        const description = await sim.sceneDescription();
        bodyCounts.set(job.taskKey, (bodies = description.bodies.length));
        if (job.wantScene) post({ type: 'scene', id: job.id, description });
      }
      recorder = new TrajectoryRecorder(bodies, goalAtoms(task.goal).map(atomName));
      // Images first: a row whose images are missing is not recorded at all, so rows stay paired.
      views?.add(observation.images);
      recorder.addState(await sim.bodyPoses(), observation.proprio, goal);
      episode: while (steps < job.maxSteps) {
        post({ type: 'observe', id: job.id, step: steps, observation: copyObservation(observation) });
        const reply = await nextChunk(job.id);
        if (reply.type === 'abort') throw new InferenceAbort(reply.error);
        if (reply.type !== 'chunk') throw new Error(`evaluation worker expected a chunk, got ${reply.type}`);
        const chunk = { step: steps, executed: 0 };
        chunks.push(chunk);
        for (let a = 0; a + 7 <= reply.actions.length && steps < job.maxSteps; a += 7) {
          const action = reply.actions.subarray(a, a + 7);
          hooks.beforeStep?.(job, steps);
          const result = await timed(() => sim.step(action));
          steps++;
          chunk.executed++;
          observation = result.observation;
          views?.add(observation.images);
          recorder.addAction(action);
          recorder.addState(await sim.bodyPoses(), observation.proprio, result.goalAtoms);
          if (job.stepLog) post({ type: 'step', id: job.id, step: steps - 1, action: Array.from(action), proprio: Array.from(observation.proprio), success: result.success });
          if (result.success) {
            outcome = 'success';
            break episode;
          }
        }
      }
    } catch (thrown) {
      outcome = 'error';
      error = thrown instanceof InferenceAbort ? thrown.message : thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
      if (thrown instanceof SimulatorLost) lost = error;
    }
    const trajectory = (recorder ?? new TrajectoryRecorder(0)).finish();
    const recorded = views && views.frames > 0 && views.frames === (recorder?.rows ?? 0) ? await views.finish() : null;
    return { end: { outcome, steps, error, simMs, trajectory, cameras: recorded, chunks }, lost };
  };

  port.on('message', (message: ToWorker) => {
    if (message.type === 'episode') {
      if (message.task) tasks.set(message.taskKey, message.task);
      void runEpisode(message).then((end) => post({ type: 'finished', id: message.id, end }));
      return;
    }
    if (message.type === 'configure' || message.type === 'mujoco') return; // a deferred worker's start, handled above
    const waiting = pending;
    if (!waiting || waiting.id !== message.id) return; // a reply for an episode that already ended
    pending = null;
    waiting.resolve(message);
  });
  post({ type: 'ready' });
}

class InferenceAbort extends Error {}

/** The messages a worker started ahead gets before its first episode, taken by type in any order. */
function earlyMessages(port: NonNullable<typeof parentPort>): { next<T extends ToWorker['type']>(type: T): Promise<Extract<ToWorker, { type: T }>>; stop(): void } {
  const queue: ToWorker[] = [];
  let wake: (() => void) | null = null;
  const onMessage = (m: ToWorker): void => {
    queue.push(m);
    wake?.();
  };
  port.on('message', onMessage);
  return {
    async next(type) {
      for (;;) {
        const i = queue.findIndex((m) => m.type === type);
        if (i >= 0) return queue.splice(i, 1)[0] as never;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    stop: () => void port.off('message', onMessage),
  };
}

/** Copies of the arrays: posting a view would clone its whole buffer (the WebAssembly heap). */
function copyObservation(o: Observation): Observation {
  const images: Observation['images'] = {};
  for (const [name, image] of Object.entries(o.images)) images[name] = { ...image, data: Uint8Array.from(image.data) };
  return { proprio: Float64Array.from(o.proprio), objectPoses: Float64Array.from(o.objectPoses), images };
}

// Started as the runner's worker (not when a test's worker module imports startSimWorker).
// Not top-level await: the packaged app bundles this file as CommonJS.
if (workerData?.module === import.meta.url) void startSimWorker();
