/**
 * Plain-TypeScript reference maths for the ONNX builder tests: row-major arrays with explicit
 * shapes, computed in float64 so the comparison measures onnxruntime's float32 error only.
 */
import type * as Ort from 'onnxruntime-node';
import { loadOnnxRuntime } from '../../../engine/bundle/onnxruntime.js';

export interface Nd {
  data: number[];
  shape: number[];
}

export const nd = (data: ArrayLike<number>, shape: number[]): Nd => ({ data: Array.from(data), shape });

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Batched matmul over the last two axes; `b` may be 2-D (shared across the batch). */
export function matmul(a: Nd, b: Nd): Nd {
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [k2, n] = b.shape.slice(-2) as [number, number];
  if (k !== k2) throw new Error(`matmul: ${a.shape} x ${b.shape}`);
  const batch = size(a.shape.slice(0, -2));
  const bShared = b.shape.length === 2;
  const out: number[] = [];
  for (let p = 0; p < batch; p++) {
    const bOff = bShared ? 0 : p * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += a.data[p * m * k + i * k + t]! * b.data[bOff + t * n + j]!;
        out.push(s);
      }
    }
  }
  return { data: out, shape: [...a.shape.slice(0, -2), m, n] };
}

/** Adds a vector along the last axis (a bias). */
export function addLast(a: Nd, v: ArrayLike<number>): Nd {
  return { data: a.data.map((x, i) => x + v[i % v.length]!), shape: a.shape };
}

export const map = (a: Nd, f: (x: number) => number): Nd => ({ data: a.data.map(f), shape: a.shape });
export const relu = (a: Nd): Nd => map(a, (x) => Math.max(0, x));

/** Applies `f` to each run along the last axis. */
function lastAxis(a: Nd, f: (row: number[]) => number[]): Nd {
  const n = a.shape.at(-1)!;
  const out: number[] = [];
  for (let i = 0; i < a.data.length; i += n) out.push(...f(a.data.slice(i, i + n)));
  return { data: out, shape: a.shape };
}

export function softmax(a: Nd): Nd {
  return lastAxis(a, (row) => {
    const m = Math.max(...row);
    const e = row.map((x) => Math.exp(x - m));
    const s = e.reduce((p, q) => p + q, 0);
    return e.map((x) => x / s);
  });
}

export function layerNorm(a: Nd, scale: ArrayLike<number>, bias: ArrayLike<number>, eps: number): Nd {
  return lastAxis(a, (row) => {
    const mean = row.reduce((p, q) => p + q, 0) / row.length;
    const variance = row.reduce((p, q) => p + (q - mean) ** 2, 0) / row.length;
    return row.map((x, i) => ((x - mean) / Math.sqrt(variance + eps)) * scale[i]! + bias[i]!);
  });
}

export function transpose(a: Nd, perm: number[]): Nd {
  const shape = perm.map((p) => a.shape[p]!);
  const strides = a.shape.map((_, i) => size(a.shape.slice(i + 1)));
  const out = new Array<number>(a.data.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += idx[d]! * strides[perm[d]!]!;
    out[o] = a.data[src]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { data: out, shape };
}

export function concat(parts: Nd[], axis: number): Nd {
  const first = parts[0]!;
  const outer = size(first.shape.slice(0, axis));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const inner = size(p.shape.slice(axis));
      out.push(...p.data.slice(o * inner, (o + 1) * inner));
    }
  }
  const shape = [...first.shape];
  shape[axis] = parts.reduce((s, p) => s + p.shape[axis]!, 0);
  return { data: out, shape };
}

export const reshape = (a: Nd, shape: number[]): Nd => ({ data: a.data, shape });

export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let m = 0;
  for (let i = 0; i < actual.length; i++) m = Math.max(m, Math.abs(actual[i]! - expected[i]!));
  return m;
}

// ---- onnxruntime ----

export const ort = (): typeof Ort => loadOnnxRuntime();

export const f32 = (a: Nd): Ort.Tensor => new (ort().Tensor)('float32', Float32Array.from(a.data), a.shape);
export const i64 = (values: ArrayLike<number>, shape: number[]): Ort.Tensor =>
  new (ort().Tensor)('int64', BigInt64Array.from(Array.from(values, (v) => BigInt(v))), shape);

/** Runs a model once and releases the session. */
export async function runModel(bytes: Uint8Array, feeds: Record<string, Ort.Tensor>): Promise<Record<string, Ort.Tensor>> {
  const session = await ort().InferenceSession.create(bytes);
  try {
    return (await session.run(feeds)) as Record<string, Ort.Tensor>;
  } finally {
    await session.release();
  }
}
