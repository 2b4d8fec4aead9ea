import { z } from 'zod';
import { EpisodeOutcome } from './results.js';

/**
 * What replay reads (docs/evaluation.md "The run store"): one file per episode under a run's
 * `trajectories/` (engine/runs/trajectory.ts writes them), and the scene description once per
 * task beside them (./scene.ts).
 *
 * Per-step arrays are little-endian float32, row-major, base64 (compact: a 220-step episode of the
 * embedded scene is about 150 kB; ../trajectory-codec.ts decodes them). Row t of `poses` and
 * `proprio` is the state after t policy steps (row 0: after the wait steps), so they have
 * steps + 1 rows; row t of `actions` is the action executed at step t. Only the bodies that moved
 * in the episode are stored per step; the rest keep their row-0 pose (`initialPoses`). Camera
 * images, when recorded, are in a file of their own beside it (`cameras`).
 */

export const TRAJECTORY_FORMAT = 'rsd-trajectory/1';

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
  /** What the policy said about this chunk's decoding (a policy server's `rsd.note`), when it said something. */
  note: z.string().optional(),
});
export type TrajectoryChunk = z.infer<typeof TrajectoryChunk>;

/** One recorded camera: LIBERO's name and the image size. */
export const TrajectoryCameraView = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_]+$/, 'a camera name such as agentview'),
  width: z.number().int().min(1).max(4096),
  height: z.number().int().min(1).max(4096),
});
export type TrajectoryCameraView = z.infer<typeof TrajectoryCameraView>;

/**
 * The episode's camera images (engine/runs/camera-file.ts): an MCAP file beside the trajectory with
 * one `foxglove.CompressedImage` (JPEG) per view per row; row t is the view after t policy steps,
 * as `poses`, so `frames` is steps + 1.
 */
export const TrajectoryCameras = z.strictObject({
  /** `taskNN-trialTTT.mcap` in the same folder. */
  file: z.string().regex(/^task\d{2,}-trial\d{3,}\.mcap$/, 'the episode\'s own taskNN-trialTTT.mcap'),
  encoding: z.literal('jpeg'),
  quality: z.number().int().min(1).max(100),
  views: z.array(TrajectoryCameraView).min(1),
  frames: NonNegInt,
  /** The file's size, checked on import. */
  bytes: NonNegInt,
});
export type TrajectoryCameras = z.infer<typeof TrajectoryCameras>;

/**
 * The truth of each atom of the task's goal per row (replay's goal strip): row t is the state
 * after t policy steps, as `poses` (row 0: after the last wait step), so steps + 1 rows. Success
 * is the goal formula over these atoms (an AND for every LIBERO task). Absent in trajectories
 * recorded before it was kept, when no wait step ran (row 0 was never evaluated), or when the
 * simulator did not report its atoms.
 */
export const TrajectoryGoal = z.strictObject({
  /** The goal's atoms as LIBERO writes them, in its `goal_state` order: `On(akita_black_bowl_1, plate_1)`. */
  atoms: z.array(z.string().min(1)).min(1),
  /** [(steps + 1) x atoms] bytes, base64: 1 where the atom holds, 0 where it does not (../trajectory-codec.ts decodeGoal). */
  truth: z.string(),
});
export type TrajectoryGoal = z.infer<typeof TrajectoryGoal>;

export const Trajectory = z.strictObject({
  format: z.literal(TRAJECTORY_FORMAT),
  taskId: NonNegInt,
  trial: NonNegInt,
  initIndex: NonNegInt,
  instruction: z.string(),
  /** File name of the task's scene description in the same folder. */
  scene: z.string(),
  outcome: EpisodeOutcome,
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
  /** Camera images, when the simulator rendered any (a vision policy's, or the run's `recordCameras`). */
  cameras: TrajectoryCameras.optional(),
  /** Per-row truth of the goal's atoms (replay's goal strip); optional, see TrajectoryGoal. */
  goal: TrajectoryGoal.optional(),
}).superRefine((t, ctx) => {
  if (!t.cameras) return;
  if (t.cameras.frames !== t.steps + 1) ctx.addIssue({ code: 'custom', path: ['cameras', 'frames'], message: `${t.cameras.frames} frames; a trajectory of ${t.steps} steps has ${t.steps + 1} rows` });
  const names = t.cameras.views.map((v) => v.name);
  const twice = names.findIndex((n, i) => names.indexOf(n) !== i);
  if (twice >= 0) ctx.addIssue({ code: 'custom', path: ['cameras', 'views', twice, 'name'], message: `camera "${names[twice]}" is listed twice` });
});
export type Trajectory = z.infer<typeof Trajectory>;
