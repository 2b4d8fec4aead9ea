import path from 'node:path';
import { goalAtoms } from '../../libero/predicates.js';
import type { TaskSpec } from '../../libero/task.js';
import { SUITES } from '../../libero/suites.js';
import { blob } from './frames.js';
import { BridgeVersionError, LiberoMissingError, WorkerLostError } from './errors.js';
import { parseGoal, parseGoalState, parseHello, parseObservation, parseScene, parseSuccess, PROTOCOL_VERSION, type Hello } from './protocol.js';
import { liberoWorkerScript } from './python.js';
import { WorkerProcess, type WorkerCommand } from './worker-process.js';
import type { BodyPoses, EpisodeInfo, InitState, Observation, SceneDescription, Simulator, StepResult } from '../simulator.js';

/**
 * The `libero` backend: the user's real LIBERO in a Python worker process (one per simulator, so
 * one per evaluation worker), over the bridge of docs/libero-bridge.md. A lost worker (exited,
 * hung, garbled) fails the call in flight with `SimulatorLost` and is replaced on the next reset;
 * the evaluation retries that episode once.
 */

export interface LiberoOptions {
  /** The interpreter that imports the user's LIBERO. */
  python: string;
  /** Cameras rendered into each observation (none: physics only, LIBERO's fastest path). */
  cameras?: { name: string; width: number; height: number }[];
  /** Run something else than `python worker.py` (the tests' stand-in worker). */
  command?: WorkerCommand;
  /** Deadlines, ms: the hello (importing LIBERO), a reset (building a task's env), any other call. */
  timeouts?: Partial<Timeouts>;
}

interface Timeouts {
  hello: number;
  reset: number;
  call: number;
}

/** Generous: a first reset compiles robosuite's numba functions, and these machines are shared. */
const DEFAULT_TIMEOUTS: Timeouts = { hello: 120_000, reset: 300_000, call: 60_000 };

/** OFT seeds LIBERO's environment with 0 once per task (env.seed(0)); fixture poses follow from it (docs/libero.md 3). */
export const OFT_ENV_SEED = 0;

export class LiberoSimulator implements Simulator {
  readonly backend = 'libero';
  private worker: WorkerProcess;
  private task: { key: TaskSpec; suite: string; name: string; objects: string[] } | null = null;
  private bodies: number | null = null;
  private scene: SceneDescription | null = null;
  private poses: BodyPoses = new Float64Array(0);
  /** The goal's atom count when the worker reports per-atom truth for the current task (its goal_state checked against the task's); else null. */
  private goalAtoms: number | null = null;
  /** Time inside env calls as the worker measured it, and the calls, since the simulator started. */
  readonly workerTime = { ms: 0, calls: 0 };

  private constructor(
    private readonly options: LiberoOptions,
    private readonly timeouts: Timeouts,
    worker: WorkerProcess,
    readonly hello: Hello,
  ) {
    this.worker = worker;
  }

  get version(): string {
    const v = this.hello.versions;
    return `LIBERO ${v.libero}, robosuite ${v.robosuite}, MuJoCo ${v.mujoco}`;
  }

  static async create(options: LiberoOptions): Promise<LiberoSimulator> {
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    const { worker, hello } = await startWorker(options, timeouts);
    return new LiberoSimulator(options, timeouts, worker, hello);
  }

  async reset(task: TaskSpec, initState: InitState, episode: EpisodeInfo = { index: 0 }): Promise<Observation> {
    if (!this.worker.alive) this.worker = (await startWorker(this.options, this.timeouts)).worker;
    if (this.task?.key !== task) {
      this.task = { key: task, ...taskIdentity(task), objects: task.objects.map((o) => o.name) };
      this.scene = null;
      this.bodies = null;
    }
    const { suite, name, objects } = this.task;
    const flat = new Float64Array(1 + initState.qpos.length + initState.qvel.length);
    flat[0] = initState.time;
    flat.set(initState.qpos, 1);
    flat.set(initState.qvel, 1 + initState.qpos.length);
    const reply = await this.worker.request(
      'reset',
      { suite, task: name, objects, init_state: blob(flat), env_seed: OFT_ENV_SEED, episode: episode.index, cameras: this.options.cameras ?? [] },
      this.timeouts.reset,
    );
    const observation = this.observe(reply).observation;
    this.goalAtoms = this.checkGoalState(task, this.checked(() => parseGoalState(reply)));
    return observation;
  }

  /**
   * The step replies' `goal` lists LIBERO's goal_state in its order; replay labels them with the
   * task's atoms (goalAtoms), so the two must be the same list. A worker without goal_state (an
   * older bridge) reports no atoms.
   */
  private checkGoalState(task: TaskSpec, state: string[][] | null): number | null {
    if (!state) return null;
    const ours = goalAtoms(task.goal).map((a) => [a.predicate, ...a.args].join(' '));
    const theirs = state.map((a) => a.join(' '));
    if (ours.join('|') !== theirs.join('|')) {
      throw new Error(`${task.file}: LIBERO's goal_state is (${theirs.join(') (')}), the engine read the goal as (${ours.join(') (')})`);
    }
    return ours.length;
  }

  async step(action: ArrayLike<number>): Promise<StepResult> {
    if (!this.task) throw new Error('the simulator has no task yet: call reset(task, initState) first');
    const reply = await this.worker.request('step', { action: blob(Float64Array.from(action)) }, this.timeouts.call);
    const { observation } = this.observe(reply);
    const success = this.checked(() => parseSuccess(reply));
    const goal = this.goalAtoms === null ? null : this.checked(() => parseGoal(reply, this.goalAtoms!));
    return goal ? { observation, success, goalAtoms: goal } : { observation, success };
  }

  async sceneDescription(): Promise<SceneDescription> {
    if (!this.task) throw new Error('the simulator has no task yet: call reset(task, initState) first');
    if (!this.scene) {
      const reply = await this.worker.request('scene', {}, this.timeouts.call);
      this.scene = this.checked(() => parseScene(reply));
      this.bodies = this.scene.bodies.length;
    }
    return this.scene;
  }

  /** The poses that came with the last observation: no extra round trip per step. */
  async bodyPoses(): Promise<BodyPoses> {
    return Float64Array.from(this.poses);
  }

  async close(): Promise<void> {
    await this.worker.close();
  }

  private observe(reply: Record<string, unknown>): ReturnType<typeof parseObservation> {
    const parsed = this.checked(() => parseObservation(reply, this.task!.objects.length, this.bodies));
    this.poses = parsed.bodyPoses;
    if (Number.isFinite(parsed.stepMs)) {
      this.workerTime.ms += parsed.stepMs;
      this.workerTime.calls++;
    }
    return parsed;
  }

  /** A reply of the wrong shape means a broken worker: it is ended and replaced like a dead one. */
  private checked<T>(parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      const message = (error as Error).message;
      this.worker.kill(message);
      throw new WorkerLostError(message);
    }
  }
}

async function startWorker(options: LiberoOptions, timeouts: Timeouts): Promise<{ worker: WorkerProcess; hello: Hello }> {
  const command = options.command ?? { command: options.python, args: [liberoWorkerScript()] };
  const worker = WorkerProcess.start(command, timeouts.hello);
  let hello: Hello;
  try {
    hello = parseHello(await worker.helloReply);
  } catch (error) {
    worker.kill('no usable hello');
    throw error;
  }
  const script = command.args.at(-1) ?? command.command;
  if (hello.error) {
    await worker.exited;
    throw new LiberoMissingError(options.python, hello.error.message);
  }
  if (hello.protocol !== PROTOCOL_VERSION) {
    worker.kill('protocol mismatch');
    throw new BridgeVersionError(script, hello.protocol, PROTOCOL_VERSION);
  }
  return { worker, hello };
}

/** LIBERO names a task by suite and name: the BDDL file's folder and stem (LIBERO's and the project's alike). */
export function taskIdentity(task: TaskSpec): { suite: string; name: string } {
  const suite = path.basename(path.dirname(task.file));
  const name = path.basename(task.file, '.bddl');
  if (!(SUITES as readonly string[]).includes(suite)) throw new Error(`${task.file}: cannot tell the LIBERO suite of this task file (its folder is ${suite})`);
  return { suite, name };
}
