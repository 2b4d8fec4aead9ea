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
  const bytes = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
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
