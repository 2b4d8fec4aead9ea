import type { SceneDescription, SceneGeom } from '../api/schemas/scene.js';
import type { InitState } from '../libero/init-states.js';
import type { TaskSpec } from '../libero/task.js';

export type { InitState };
/** The scene description's schema lives with the contract (engine/api/schemas/scene.ts). */
export type { SceneDescription, SceneGeom };

/**
 * The simulator contract (docs/architecture.md "Seams"): evaluation, the expert, the checks and the
 * benchmarks hold a `Simulator` made by `createSimulator` (factory.ts) and never learn which kind
 * runs. Asynchronous, because a backend may live in another process: `embedded` is MuJoCo
 * WebAssembly in this thread (engine/sim/embedded); `libero` (a later issue) a Python worker
 * running real LIBERO.
 */

/** One camera image: row-major, top row first, `channels` bytes per pixel (3: RGB). */
export interface CameraImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

export interface Observation {
  /** Grip-site position, axis-angle of the hand's quaternion, the two finger positions (OFT's 8-D proprio). */
  proprio: Float64Array;
  /** Position xyz + quaternion wxyz of each task object, in the task's `:objects` order. */
  objectPoses: Float64Array;
  /** Camera images by camera name: the cameras the simulator was created with (engine/sim/cameras.ts); none by default. */
  images: Record<string, CameraImage>;
}

export interface StepResult {
  observation: Observation;
  /** The task's goal holds after this step (checked once per env step, as LIBERO does). */
  success: boolean;
  /**
   * The truth of each atom of the task's goal after this step, in the order of
   * `goalAtoms(task.goal)` (engine/libero/predicates.ts), from the same evaluation `success` comes
   * from; absent when the backend does not report it. Replay's goal strip records it.
   */
  goalAtoms?: boolean[];
}

/** World poses of SceneDescription.bodies: xyz then wxyz, 7 numbers per body. */
export type BodyPoses = Float64Array;

/**
 * The simulator's process was lost mid-episode (it died, hung or wrote garbage). The simulator
 * starts afresh on its next reset, so the episode can be run again: evaluation retries it once and
 * records that it did.
 */
export class SimulatorLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulatorLost';
  }
}

/** Which episode a reset starts: backends that draw per-episode randomness (LIBERO's fixture poses) need it. */
export interface EpisodeInfo {
  /** The initial state's index within its task (OFT's episode index). */
  index: number;
}

export interface Simulator {
  /** The kind, as run configurations name it (SimulatorSpec['kind']). */
  readonly backend: string;
  /** Backend version recorded with results (e.g. MuJoCo 3.14.0). */
  readonly version: string;
  /** Puts the task's scene in `initState`: the observation before the wait steps. */
  reset(task: TaskSpec, initState: InitState, episode?: EpisodeInfo): Promise<Observation>;
  /** One env step (20 Hz): a 7-D action, OSC position and rotation deltas and the gripper. */
  step(action: ArrayLike<number>): Promise<StepResult>;
  /** The current task's scene for replay (call after reset). */
  sceneDescription(): Promise<SceneDescription>;
  bodyPoses(): Promise<BodyPoses>;
  close(): Promise<void>;
}
