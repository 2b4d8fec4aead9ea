import { z } from 'zod';

/**
 * What replay reads (DESIGN.md "Results and trajectories"): one file per episode under a run's
 * `trajectories/`, and the scene description once per task beside them.
 *
 * Per-step arrays are little-endian float32, row-major, base64 (compact: a 220-step episode of the
 * embedded scene is about 150 kB). Row t of `poses` and `proprio` is the state after t policy
 * steps (row 0: after the wait steps), so they have steps + 1 rows; row t of `actions` is the
 * action executed at step t. Only the bodies that moved in the episode are stored per step; the
 * rest keep their row-0 pose (`initialPoses`).
 */

export const TRAJECTORY_FORMAT = 'rsd-trajectory/1';
export const SCENE_FORMAT = 'rsd-scene/1';

const NonNegInt = z.number().int().nonnegative();

export const TrajectoryChunk = z.strictObject({
  /** Policy step at which the chunk's first action ran. */
  step: NonNegInt,
  /** Actions of the chunk that were executed (the episode may end inside it). */
  executed: NonNegInt,
  draftLayers: NonNegInt,
  acceptedLayers: NonNegInt,
  /** Per proposed layer: fraction of its codes equal to the main argmax at the verify step. */
  agreement: z.array(z.number()),
  /** Chunk latency in ms: total and per stage. */
  totalMs: z.number(),
  draftMs: z.number(),
  verifyMs: z.number(),
  mainStepsMs: z.number(),
  batchSize: NonNegInt,
  /** Final codes differ from main-only greedy decoding (lossy modes, when checked); else null. */
  deviates: z.boolean().nullable(),
});
export type TrajectoryChunk = z.infer<typeof TrajectoryChunk>;

export const Trajectory = z.strictObject({
  format: z.literal(TRAJECTORY_FORMAT),
  taskId: NonNegInt,
  trial: NonNegInt,
  initIndex: NonNegInt,
  instruction: z.string(),
  /** File name of the task's scene description in the same folder. */
  scene: z.string(),
  outcome: z.enum(['success', 'failure', 'error']),
  error: z.string().nullable(),
  steps: NonNegInt,
  maxSteps: NonNegInt,
  /** Bodies of the scene description (its `bodies` order). */
  bodies: NonNegInt,
  /** [bodies x 7]: xyz + quaternion wxyz of every body at row 0. */
  initialPoses: z.string(),
  /** Indices of the bodies whose poses are stored per step. */
  moving: z.array(NonNegInt),
  /** [(steps + 1) x moving x 7]. */
  poses: z.string(),
  /** [(steps + 1) x 8]: OFT's proprio (grip-site xyz, axis-angle, two finger positions). */
  proprio: z.string(),
  /** [steps x 7]: env actions (OSC_POSE deltas, gripper -1 open / +1 close). */
  actions: z.string(),
  chunks: z.array(TrajectoryChunk),
});
export type Trajectory = z.infer<typeof Trajectory>;

/** `scene-task03.json`: {format, taskId, description} with engine/sim's SceneDescription. */
export interface SceneFile<Description = unknown> {
  format: typeof SCENE_FORMAT;
  taskId: number;
  description: Description;
}

/** `scene-task03.json`. */
export function sceneFileName(taskId: number): string {
  return `scene-task${String(taskId).padStart(2, '0')}.json`;
}

// Browser-safe (atob/btoa, no Buffer): replay decodes these in the renderer.
export function encodeFloats(values: ArrayLike<number>): string {
  const f = Float32Array.from(values as ArrayLike<number>);
  const bytes = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Decodes a base64 float32 array (little-endian), checking its length when given. */
export function decodeFloats(text: string, expected?: number, field = 'array'): Float32Array {
  const binary = atob(text);
  if (binary.length % 4 !== 0) throw new Error(`${field}: ${binary.length} bytes is not a whole number of float32 values`);
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) view.setUint8(i, binary.charCodeAt(i));
  const out = new Float32Array(binary.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  if (expected !== undefined && out.length !== expected) throw new Error(`${field}: ${out.length} values, expected ${expected}`);
  return out;
}

/** Collects an episode's per-step rows in a worker; `finish` picks the moving bodies. */
export class TrajectoryRecorder {
  private readonly poses: Float32Array[] = [];
  private readonly proprio: number[] = [];
  private readonly actions: number[] = [];

  constructor(private readonly bodies: number) {}

  /** The state after a step (or after the wait steps, for row 0). */
  addState(poses: ArrayLike<number>, proprio: ArrayLike<number>): void {
    if (poses.length !== 7 * this.bodies) throw new Error(`body poses of ${poses.length} values, expected ${7 * this.bodies}`);
    this.poses.push(Float32Array.from(poses));
    for (let i = 0; i < 8; i++) this.proprio.push(proprio[i] ?? 0);
  }

  addAction(action: ArrayLike<number>): void {
    for (let i = 0; i < 7; i++) this.actions.push(action[i] ?? 0);
  }

  get rows(): number {
    return this.poses.length;
  }

  finish(): Pick<Trajectory, 'bodies' | 'initialPoses' | 'moving' | 'poses' | 'proprio' | 'actions'> {
    const first = this.poses[0] ?? new Float32Array(7 * this.bodies);
    const moving: number[] = [];
    for (let b = 0; b < this.bodies; b++) {
      if (this.poses.some((row) => row.subarray(7 * b, 7 * b + 7).some((v, i) => v !== first[7 * b + i]))) moving.push(b);
    }
    const rows = new Float32Array(this.poses.length * moving.length * 7);
    this.poses.forEach((row, t) => moving.forEach((b, m) => rows.set(row.subarray(7 * b, 7 * b + 7), (t * moving.length + m) * 7)));
    return { bodies: this.bodies, initialPoses: encodeFloats(first), moving, poses: encodeFloats(rows), proprio: encodeFloats(this.proprio), actions: encodeFloats(this.actions) };
  }
}

/** Every body's poses at each row [(steps + 1) x bodies x 7], for replay. */
export function expandPoses(t: Trajectory): Float32Array {
  const rows = t.steps + 1;
  const initial = decodeFloats(t.initialPoses, 7 * t.bodies, 'initialPoses');
  const stored = decodeFloats(t.poses, rows * t.moving.length * 7, 'poses');
  const out = new Float32Array(rows * t.bodies * 7);
  for (let r = 0; r < rows; r++) {
    out.set(initial, r * t.bodies * 7);
    t.moving.forEach((b, m) => out.set(stored.subarray((r * t.moving.length + m) * 7, (r * t.moving.length + m + 1) * 7), (r * t.bodies + b) * 7));
  }
  return out;
}
