import type { Trajectory } from './schemas/trajectory.js';

/**
 * Reading a trajectory's per-step arrays (schemas/trajectory.ts): little-endian float32, base64.
 * Browser-safe (atob, no Buffer): replay decodes these in the renderer. The writer is
 * engine/runs/trajectory.ts (encodeFloats, TrajectoryRecorder).
 */

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
