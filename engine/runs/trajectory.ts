import type { Trajectory } from '../api/schemas/trajectory.js';

/**
 * Writing trajectories (the format: engine/api/schemas/trajectory.ts and scene.ts; reading the
 * per-step arrays: engine/api/trajectory-codec.ts).
 */

/** `scene-task03.json`. */
export function sceneFileName(taskId: number): string {
  return `scene-task${String(taskId).padStart(2, '0')}.json`;
}

/** Little-endian float32, base64 (browser-safe: btoa, no Buffer); decodeFloats reads it back. */
export function encodeFloats(values: ArrayLike<number>): string {
  const f = Float32Array.from(values as ArrayLike<number>);
  return encodeBytes(new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
}

/** Bytes as base64 (browser-safe); decodeBytes reads it back. */
export function encodeBytes(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Collects an episode's per-step rows in a worker; `finish` picks the moving bodies. */
export class TrajectoryRecorder {
  private readonly poses: Float32Array[] = [];
  private readonly proprio: number[] = [];
  private readonly actions: number[] = [];
  /** One byte (0 or 1) per goal atom per row; null once a row came without them (then none are kept). */
  private goal: number[] | null = [];

  /** `goalAtoms`: the names of the task's goal atoms (atomName, in goalAtoms order), the columns of the goal rows. */
  constructor(
    private readonly bodies: number,
    private readonly goalAtoms: readonly string[] = [],
  ) {}

  /**
   * The state after a step (or after the wait steps, for row 0), with the truth of each goal atom
   * in that state when the simulator reported it (StepResult.goalAtoms).
   */
  addState(poses: ArrayLike<number>, proprio: ArrayLike<number>, goal?: readonly boolean[]): void {
    if (poses.length !== 7 * this.bodies) throw new Error(`body poses of ${poses.length} values, expected ${7 * this.bodies}`);
    if (goal && goal.length !== this.goalAtoms.length) throw new Error(`goalAtoms: ${goal.length} truth values, the task's goal has ${this.goalAtoms.length} atoms`);
    this.poses.push(Float32Array.from(poses));
    for (let i = 0; i < 8; i++) this.proprio.push(proprio[i] ?? 0);
    if (!goal) this.goal = null;
    else this.goal?.push(...goal.map(Number));
  }

  addAction(action: ArrayLike<number>): void {
    for (let i = 0; i < 7; i++) this.actions.push(action[i] ?? 0);
  }

  get rows(): number {
    return this.poses.length;
  }

  finish(): Pick<Trajectory, 'bodies' | 'initialPoses' | 'moving' | 'poses' | 'proprio' | 'actions' | 'goal'> {
    const first = this.poses[0] ?? new Float32Array(7 * this.bodies);
    const moving: number[] = [];
    for (let b = 0; b < this.bodies; b++) {
      if (this.poses.some((row) => row.subarray(7 * b, 7 * b + 7).some((v, i) => v !== first[7 * b + i]))) moving.push(b);
    }
    const rows = new Float32Array(this.poses.length * moving.length * 7);
    this.poses.forEach((row, t) => moving.forEach((b, m) => rows.set(row.subarray(7 * b, 7 * b + 7), (t * moving.length + m) * 7)));
    // Goal rows only when every row has them (a goal without atoms has nothing to show).
    const goal = this.goal && this.goalAtoms.length > 0 && this.poses.length > 0 ? { goal: { atoms: [...this.goalAtoms], truth: encodeBytes(Uint8Array.from(this.goal)) } } : {};
    return { bodies: this.bodies, initialPoses: encodeFloats(first), moving, poses: encodeFloats(rows), proprio: encodeFloats(this.proprio), actions: encodeFloats(this.actions), ...goal };
  }
}
