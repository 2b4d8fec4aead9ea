// Models built with GraphBuilder, run in the real onnxruntime-node and compared with plain
// TypeScript references.
import { describe, expect, it } from 'vitest';
import { GraphBuilder, SeededRandom, float32, int64 } from '../../../engine/onnx/index.js';
import { buildMlp } from './fixtures.js';
import * as ref from './reference.js';
import { f32, i64, maxAbsDiff, nd, runModel } from './reference.js';

const TOL = 1e-5;

describe('onnxruntime runs builder models', () => {
  it('2-layer MLP with a dynamic batch', async () => {
    const { bytes, w } = buildMlp(1);
    const rng = new SeededRandom(100);
    for (const batch of [1, 3]) {
      const x = nd(rng.normals(batch * 16), [batch, 16]);
      const h = ref.relu(ref.addLast(ref.matmul(x, nd(w.w1, [16, 32])), w.b1));
      const expected = ref.addLast(ref.matmul(h, nd(w.w2, [32, 8])), w.b2);
      const { action } = await runModel(bytes, { obs: f32(x) });
      expect(action!.dims).toEqual([batch, 8]);
      expect(maxAbsDiff(action!.data as Float32Array, expected.data)).toBeLessThan(TOL);
    }
  });

  it('LayerNormalization over the last axis', async () => {
    const rng = new SeededRandom(2);
    const scale = rng.normals(8, 0.5, 1);
    const bias = rng.normals(8, 0.1);
    const g = new GraphBuilder('ln');
    const x = g.input('x', 'float32', ['batch', 'seq', 8]);
    g.output(g.layerNorm(x, g.initializer('scale', scale), g.initializer('bias', bias), { epsilon: 1e-5 }), 'float32', ['batch', 'seq', 8], 'y');
    const input = nd(rng.normals(2 * 3 * 8, 2, 0.5), [2, 3, 8]);
    const { y } = await runModel(g.toModel(), { x: f32(input) });
    expect(maxAbsDiff(y!.data as Float32Array, ref.layerNorm(input, scale, bias, 1e-5).data)).toBeLessThan(TOL);
  });

  it('Softmax over the last axis', async () => {
    const g = new GraphBuilder('softmax');
    g.output(g.softmax(g.input('x', 'float32', ['batch', 5]), -1), 'float32', ['batch', 5], 'p');
    const input = nd(new SeededRandom(3).normals(4 * 5, 3), [4, 5]);
    const { p } = await runModel(g.toModel(), { x: f32(input) });
    expect(maxAbsDiff(p!.data as Float32Array, ref.softmax(input).data)).toBeLessThan(TOL);
  });

  it('Gather: embedding lookup with int64 ids', async () => {
    const table = new SeededRandom(4).normals(10 * 4);
    const g = new GraphBuilder('embed');
    const ids = g.input('ids', 'int64', ['batch', 'seq']);
    g.output(g.gather(g.initializer('table', table, [10, 4]), ids), 'float32', ['batch', 'seq', 4], 'emb');
    const idList = [3, 0, 9, 9, 1, 5];
    const { emb } = await runModel(g.toModel(), { ids: i64(idList, [2, 3]) });
    expect(emb!.dims).toEqual([2, 3, 4]);
    expect(Array.from(emb!.data as Float32Array)).toEqual(idList.flatMap((id) => Array.from(table.subarray(id * 4, id * 4 + 4))));
  });

  it('Concat along a dynamic axis (KV-cache append), including an empty past', async () => {
    const g = new GraphBuilder('kv');
    const past = g.input('past', 'float32', ['batch', 'past_len', 4]);
    const step = g.input('new', 'float32', ['batch', 1, 4]);
    g.output(g.concat([past, step], 1), 'float32', ['batch', 'total_len', 4], 'present');
    const bytes = g.toModel();
    const rng = new SeededRandom(5);
    for (const t of [0, 3]) {
      const p = nd(rng.normals(2 * t * 4), [2, t, 4]);
      const n = nd(rng.normals(2 * 4), [2, 1, 4]);
      const { present } = await runModel(bytes, { past: f32(p), new: f32(n) });
      expect(present!.dims).toEqual([2, t + 1, 4]);
      expect(maxAbsDiff(present!.data as Float32Array, ref.concat([p, n], 1).data)).toBe(0);
    }
  });

  it('Reshape (0 copies a dynamic dim) and Transpose into heads', async () => {
    const g = new GraphBuilder('heads');
    const x = g.input('x', 'float32', ['batch', 'seq', 8]);
    g.output(g.transpose(g.reshape(x, [0, 0, 2, 4]), [0, 2, 1, 3]), 'float32', ['batch', 2, 'seq', 4], 'y');
    const input = nd(new SeededRandom(6).normals(2 * 3 * 8), [2, 3, 8]);
    const { y } = await runModel(g.toModel(), { x: f32(input) });
    expect(y!.dims).toEqual([2, 2, 3, 4]);
    expect(maxAbsDiff(y!.data as Float32Array, ref.transpose(ref.reshape(input, [2, 3, 2, 4]), [0, 2, 1, 3]).data)).toBe(0);
  });

  it('ArgMax with keepdims=0 gives int64 indices', async () => {
    const g = new GraphBuilder('argmax');
    g.output(g.argmax(g.input('logits', 'float32', ['batch', 7]), -1, false), 'int64', ['batch'], 'token');
    const logits = nd(new SeededRandom(7).normals(3 * 7), [3, 7]);
    const { token } = await runModel(g.toModel(), { logits: f32(logits) });
    expect(token!.type).toBe('int64');
    expect(token!.dims).toEqual([3]);
    const expected = [0, 1, 2].map((r) => {
      const row = logits.data.slice(r * 7, r * 7 + 7);
      return BigInt(row.indexOf(Math.max(...row)));
    });
    expect(Array.from(token!.data as BigInt64Array)).toEqual(expected);
  });

  it('multi-head attention over a KV cache of dynamic length', async () => {
    const [d, heads, dh] = [8, 2, 4];
    const rng = new SeededRandom(8);
    const w = { wq: rng.normals(d * d, 0.3), wk: rng.normals(d * d, 0.3), wv: rng.normals(d * d, 0.3), wo: rng.normals(d * d, 0.3) };

    const g = new GraphBuilder('attention');
    const x = g.input('x', 'float32', ['batch', 'seq', d]);
    const pastK = g.input('past_k', 'float32', ['batch', heads, 'past_len', dh]);
    const pastV = g.input('past_v', 'float32', ['batch', heads, 'past_len', dh]);
    // [b, s, d] -> [b, heads, s, dh]
    const split = (t: ReturnType<typeof g.input>) => g.transpose(g.reshape(t, [0, 0, heads, dh]), [0, 2, 1, 3]);
    const proj = (name: keyof typeof w) => g.matmul(x, g.initializer(name, w[name], [d, d]));
    const q = split(proj('wq'));
    const k = g.concat([pastK, split(proj('wk'))], 2);
    const v = g.concat([pastV, split(proj('wv'))], 2);
    const scores = g.div(g.matmul(q, g.transpose(k, [0, 1, 3, 2])), g.scalar(Math.sqrt(dh)));
    const ctx = g.matmul(g.softmax(scores, -1), v);
    const merged = g.reshape(g.transpose(ctx, [0, 2, 1, 3]), [0, 0, d]);
    g.output(g.matmul(merged, g.initializer('wo', w.wo, [d, d])), 'float32', ['batch', 'seq', d], 'y');
    g.output(k, 'float32', ['batch', heads, 'total_len', dh], 'present_k');
    g.output(v, 'float32', ['batch', heads, 'total_len', dh], 'present_v');
    const bytes = g.toModel();

    const reference = (xs: ref.Nd, pk: ref.Nd, pv: ref.Nd) => {
      const [b, s] = xs.shape as [number, number];
      const heads4 = (t: ref.Nd) => ref.transpose(ref.reshape(t, [b, s, heads, dh]), [0, 2, 1, 3]);
      const project = (m: Float32Array) => ref.matmul(xs, nd(m, [d, d]));
      const K = ref.concat([pk, heads4(project(w.wk))], 2);
      const V = ref.concat([pv, heads4(project(w.wv))], 2);
      const att = ref.softmax(ref.map(ref.matmul(heads4(project(w.wq)), ref.transpose(K, [0, 1, 3, 2])), (z) => z / Math.sqrt(dh)));
      const merged = ref.reshape(ref.transpose(ref.matmul(att, V), [0, 2, 1, 3]), [b, s, d]);
      return { y: ref.matmul(merged, nd(w.wo, [d, d])), K, V };
    };

    for (const [b, s, t] of [
      [2, 1, 3], // a decode step
      [1, 2, 0], // a prefill with an empty cache
    ] as const) {
      const xs = nd(rng.normals(b * s * d), [b, s, d]);
      const pk = nd(rng.normals(b * heads * t * dh), [b, heads, t, dh]);
      const pv = nd(rng.normals(b * heads * t * dh), [b, heads, t, dh]);
      const out = await runModel(bytes, { x: f32(xs), past_k: f32(pk), past_v: f32(pv) });
      const expected = reference(xs, pk, pv);
      expect(out.y!.dims).toEqual([b, s, d]);
      expect(out.present_k!.dims).toEqual([b, heads, t + s, dh]);
      expect(maxAbsDiff(out.y!.data as Float32Array, expected.y.data)).toBeLessThan(TOL);
      expect(maxAbsDiff(out.present_k!.data as Float32Array, expected.K.data)).toBeLessThan(TOL);
      expect(maxAbsDiff(out.present_v!.data as Float32Array, expected.V.data)).toBeLessThan(TOL);
    }
  });

  it('Gemm, elementwise, Gelu-via-Erf, ReduceMean, Shape, Cast, Where, Equal, Expand, Slice, Unsqueeze/Squeeze', async () => {
    const rng = new SeededRandom(9);
    const n = 6;
    const wt = rng.normals(4 * n, 0.5); // Gemm B stored transposed: [4, n]
    const c = rng.normals(4, 0.1);
    const row = rng.normals(n);

    const g = new GraphBuilder('misc');
    const x = g.input('x', 'float32', ['batch', n]);
    const ids = g.input('ids', 'int64', ['batch', n]);
    g.output(g.gemm(x, g.initializer('wt', wt, [4, n]), g.initializer('c', c), { transB: true, alpha: 0.5, beta: 2 }), 'float32', ['batch', 4], 'gemm');
    g.output(g.sub(g.tanh(x), g.div(g.sigmoid(x), g.scalar(2))), 'float32', ['batch', n], 'elementwise');
    g.output(g.gelu(x), 'float32', ['batch', n], 'gelu');
    // mean over axis 1, and the same mean as sum/len with len taken from the runtime shape
    g.output(g.reduceMean(x, [1], false), 'float32', ['batch'], 'mean');
    const len = g.cast(g.shape(x, { start: 1, end: 2 }), 'float32');
    g.output(g.div(x, len), 'float32', ['batch', n], 'scaled');
    // padding mask: where id == 0 put -100
    g.output(g.where(g.equal(ids, g.scalar(0, 'int64')), g.scalar(-100), x), 'float32', ['batch', n], 'masked');
    // a constant row broadcast to x's runtime shape
    g.output(g.expand(g.constant(float32(row, [1, n])), g.shape(x)), 'float32', ['batch', n], 'expanded');
    // drop the last column, with the end computed from the runtime shape
    const end = g.sub(g.shape(x, { start: 1, end: 2 }), g.constant(int64([1])));
    g.output(g.slice(x, [0], end, [1]), 'float32', ['batch', n - 1], 'sliced');
    g.output(g.squeeze(g.unsqueeze(x, [1]), [1]), 'float32', ['batch', n], 'roundtrip');

    const batch = 3;
    const xs = nd(rng.normals(batch * n), [batch, n]);
    const idList = Array.from({ length: batch * n }, (_, i) => (i % 4 === 0 ? 0 : i));
    const out = await runModel(g.toModel(), { x: f32(xs), ids: i64(idList, [batch, n]) });

    const close = (name: string, expected: ArrayLike<number>) => {
      expect(maxAbsDiff(out[name]!.data as Float32Array, expected), name).toBeLessThan(TOL);
    };
    const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
    close('gemm', ref.addLast(ref.map(ref.matmul(xs, ref.transpose(nd(wt, [4, n]), [1, 0])), (z) => 0.5 * z), Array.from(c, (v) => 2 * v)).data);
    close('elementwise', xs.data.map((z) => Math.tanh(z) - sigmoid(z) / 2));
    close('gelu', xs.data.map((z) => 0.5 * z * (1 + erf(z / Math.SQRT2))));
    const means = [0, 1, 2].map((r) => xs.data.slice(r * n, r * n + n).reduce((a, b) => a + b, 0) / n);
    close('mean', means);
    close('scaled', xs.data.map((z) => z / n));
    close('masked', xs.data.map((z, i) => (idList[i] === 0 ? -100 : z)));
    close('expanded', xs.data.map((_, i) => row[i % n]!));
    close('sliced', xs.data.filter((_, i) => i % n !== n - 1));
    close('roundtrip', xs.data);
    expect(out.sliced!.dims).toEqual([batch, n - 1]);
  });
});

/** erf to ~1e-15 (Taylor series near 0, continued fraction beyond), for the GELU reference. */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = 0;
    let term = ax;
    for (let k = 0; k < 60; k++) {
      sum += term / (2 * k + 1);
      term *= (-ax * ax) / (k + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz-free backward evaluation)
  let f = 0;
  for (let k = 60; k >= 1; k--) f = k / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}
