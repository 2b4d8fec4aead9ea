import type { EpisodeRecord } from '../../../../engine/api/schemas/results.js';
import { decodeFloats, decodeGoal, expandPoses } from '../../../../engine/api/trajectory-codec.js';
import type { Trajectory, TrajectoryCameras, TrajectoryChunk } from '../../../../engine/api/schemas/trajectory.js';

/** An episode's trajectory, decoded once for replay: typed arrays the timeline indexes per frame. */
export interface ReplayEpisode {
  runId: string;
  taskId: number;
  trial: number;
  initIndex: number;
  instruction: string;
  outcome: EpisodeRecord['outcome'];
  error: string | null;
  steps: number;
  maxSteps: number;
  /** Bodies per pose row (the scene description's `bodies`). */
  bodies: number;
  /** [(steps + 1) x bodies x 7]: xyz + quaternion wxyz, row t = after t steps. */
  poses: Float32Array;
  /** [(steps + 1) x 8]: grip-site xyz, axis-angle, two finger positions. */
  proprio: Float32Array;
  /** [steps x 7]: the action executed at step t (OSC_POSE deltas, gripper -1 open / +1 close). */
  actions: Float32Array;
  chunks: TrajectoryChunk[];
  /** The recorded camera images (loaded apart, `runs.cameras`), or null when none were recorded. */
  cameras: TrajectoryCameras | null;
  /** The goal's atoms and their truth per row, [(steps + 1) x atoms] 0/1 (the goal strip); null when the trajectory has none. */
  goal: { atoms: string[]; truth: Uint8Array } | null;
}

export const ACTION_DIMS = 7;
export const PROPRIO_DIMS = 8;
export const ACTION_LABELS = ['x', 'y', 'z', 'roll', 'pitch', 'yaw', 'gripper'] as const;

/** Decodes (and checks the sizes of) a trajectory as `runs.trajectory` returns it. */
export function decodeEpisode(runId: string, t: Trajectory): ReplayEpisode {
  const rows = t.steps + 1;
  return {
    runId,
    taskId: t.taskId,
    trial: t.trial,
    initIndex: t.initIndex,
    instruction: t.instruction,
    outcome: t.outcome,
    error: t.error,
    steps: t.steps,
    maxSteps: t.maxSteps,
    bodies: t.bodies,
    poses: expandPoses(t),
    proprio: decodeFloats(t.proprio, rows * PROPRIO_DIMS, 'proprio'),
    actions: decodeFloats(t.actions, t.steps * ACTION_DIMS, 'actions'),
    chunks: [...t.chunks].sort((a, b) => a.step - b.step),
    cameras: t.cameras ?? null,
    goal: decodeGoal(t),
  };
}

/** The chunk whose actions ran at this step (-1: none, e.g. the cursor is on the final state). */
export function chunkIndexAt(chunks: readonly TrajectoryChunk[], step: number): number {
  let lo = 0;
  let hi = chunks.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (chunks[mid]!.step <= step) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return -1;
  const c = chunks[found]!;
  return step < c.step + Math.max(c.executed, 1) ? found : -1;
}

// ---- the episode picker: failed episodes first ----

const OUTCOME_ORDER: Record<EpisodeRecord['outcome'], number> = { failure: 0, error: 1, success: 2 };

/** Failures first (what replay is for), then errors, then successes; by task and trial within each. */
export function orderFailedFirst<E extends Pick<EpisodeRecord, 'outcome' | 'taskId' | 'trial'>>(episodes: readonly E[]): E[] {
  return [...episodes].sort((a, b) => OUTCOME_ORDER[a.outcome] - OUTCOME_ORDER[b.outcome] || a.taskId - b.taskId || a.trial - b.trial);
}

export const OUTCOME_GROUPS: { outcome: EpisodeRecord['outcome']; label: string }[] = [
  { outcome: 'failure', label: 'Failed' },
  { outcome: 'error', label: 'Errors' },
  { outcome: 'success', label: 'Succeeded' },
];

export type OutcomeFacts = Pick<EpisodeRecord, 'outcome' | 'steps' | 'error'> & { maxSteps: number };

/** The episode's end, said plainly. */
export function outcomeText(e: OutcomeFacts): string {
  switch (e.outcome) {
    case 'success':
      return `Success at step ${e.steps}`;
    case 'failure':
      return e.steps >= e.maxSteps ? `Failure: ran out of steps at the maximum of ${e.maxSteps}` : `Failure: stopped at step ${e.steps} of ${e.maxSteps}`;
    case 'error':
      return `Error at step ${e.steps}: ${e.error ?? 'no message recorded'}`;
  }
}

/** Short form for the picker. */
export function outcomeShort(e: OutcomeFacts): string {
  switch (e.outcome) {
    case 'success':
      return `success at step ${e.steps}`;
    case 'failure':
      return e.steps >= e.maxSteps ? `failure, ran out at ${e.maxSteps} steps` : `failure at step ${e.steps}`;
    case 'error':
      return `error at step ${e.steps}`;
  }
}

export const episodeKey = (taskId: number, trial: number): string => `${taskId}/${trial}`;

/** The grip site's world positions per row, [(steps + 1) x 3]: the gripper trail's points (proprio's first three columns). */
export function gripTrail(e: Pick<ReplayEpisode, 'proprio' | 'steps'>): Float32Array {
  const rows = e.steps + 1;
  const out = new Float32Array(rows * 3);
  for (let r = 0; r < rows; r++) out.set(e.proprio.subarray(r * PROPRIO_DIMS, r * PROPRIO_DIMS + 3), r * 3);
  return out;
}
