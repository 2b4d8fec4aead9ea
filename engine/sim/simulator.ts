import type { SceneDescription, SceneGeom } from '../api/schemas/scene.js';
import type { InitState } from '../libero/init-states.js';
import type { TaskSpec } from '../libero/task.js';

export type { InitState };
/** The scene description's schema lives with the contract (engine/api/schemas/scene.ts). */
export type { SceneDescription, SceneGeom };

/**
 * The simulator contract (DESIGN.md): evaluation and replay do not care which backend ran.
 * `embedded` is MuJoCo WebAssembly in this process; `libero` (later) a Python worker running
 * real LIBERO over a line protocol.
 */

export interface Observation {
  /** Grip-site position, axis-angle of the hand's quaternion, the two finger positions (OFT's 8-D proprio). */
  proprio: Float64Array;
  /** Position xyz + quaternion wxyz of each task object, in the task's `:objects` order. */
  objectPoses: Float64Array;
  /** Camera images arrive with rendering (a later issue); empty until then. */
  images: Record<string, never>;
}

export interface StepResult {
  observation: Observation;
  /** The task's goal holds after this step (checked once per env step, as LIBERO does). */
  success: boolean;
}

/** World poses of SceneDescription.bodies: xyz then wxyz, 7 numbers per body. */
export type BodyPoses = Float64Array;

export interface Simulator {
  readonly backend: 'embedded' | 'libero';
  /** Backend version recorded with results (e.g. MuJoCo 3.14.0). */
  readonly version: string;
  reset(task: TaskSpec, initState: InitState): Observation;
  step(action: ArrayLike<number>): StepResult;
  sceneDescription(): SceneDescription;
  bodyPoses(): BodyPoses;
  close(): void;
}
