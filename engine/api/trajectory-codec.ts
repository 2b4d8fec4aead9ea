import type { Trajectory } from './schemas/trajectory.js';

/**
 * Reading a trajectory's per-step arrays (schemas/trajectory.ts): little-endian float32, base64.
 * Browser-safe (atob, no Buffer): replay decodes these in the renderer. The writer is
 * engine/runs/trajectory.ts (encodeFloats, TrajectoryRecorder).
 */

/** Decodes a base64 float32 array (little-endian), checking its length when given. */
export function decodeFloats(text: string, expected?: number, field = 'array'): Float32Array {
  const bytes = decodeBytes(text, undefined, field);
  if (bytes.length % 4 !== 0) throw new Error(`${field}: ${bytes.length} bytes is not a whole number of float32 values`);
  const view = new DataView(bytes.buffer);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  if (expected !== undefined && out.length !== expected) throw new Error(`${field}: ${out.length} values, expected ${expected}`);
  return out;
}

/** Decodes base64 bytes, checking their count when given. */
export function decodeBytes(text: string, expected?: number, field = 'array'): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new Error(`${field}: not base64`);
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  if (expected !== undefined && out.length !== expected) throw new Error(`${field}: ${out.length} bytes, expected ${expected}`);
  return out;
}

/** A trajectory's goal rows [(steps + 1) x atoms], 0 or 1 each, checked; null when it has none (schemas/trajectory.ts TrajectoryGoal). */
export function decodeGoal(t: Pick<Trajectory, 'steps' | 'goal'>): { atoms: string[]; truth: Uint8Array } | null {
  if (!t.goal) return null;
  const truth = decodeBytes(t.goal.truth, (t.steps + 1) * t.goal.atoms.length, 'goal.truth');
  const bad = truth.findIndex((v) => v > 1);
  if (bad >= 0) throw new Error(`goal.truth: byte ${bad} is ${truth[bad]}, expected 0 or 1`);
  return { atoms: t.goal.atoms, truth };
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
