// Synthetic bundles: reproducible, a KV cache consistent with the full computation, a draft that
// agrees often but not always, and (printed, not asserted) the bench preset's step/draft cost.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../engine/onnx/index.js';
import { loadBundle, type LoadedBundle, type Session } from '../../../engine/bundle/bundle.js';
import { loadOnnxRuntime } from '../../../engine/bundle/onnxruntime.js';
import { SYNTHETIC_PRESETS, buildSyntheticBundle, checkSyntheticCostRatio, measureDraftAgreement, measureStepVsDraft, syntheticObservation, writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';

const ort = loadOnnxRuntime();
let root: string;
let tiny: LoadedBundle;
let prefill: Session;
let step: Session;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'rsd-synthetic-'));
  await writeSyntheticBundle(path.join(root, 'tiny'), 'tiny', 3);
  tiny = await loadBundle(path.join(root, 'tiny'), { ep: 'cpu' });
  const { main } = tiny.sessions;
  if (main.decoding !== 'layerwise' || !main.kvCache) throw new Error('tiny is layerwise with a KV cache');
  ({ prefill, step } = main);
});
afterAll(async () => {
  await tiny.release();
  await rm(root, { recursive: true, force: true });
});

const { layers: Q, latentSize: P, levels: L } = SYNTHETIC_PRESETS.tiny;

/** A step over positions `ids` (layer ids), position i reading `prev[i]` (codes of layer ids[i] - 1). */
function stepFeeds(prev: BigInt64Array[], ids: number[], batch: number, past: { key: Ort.Tensor; value: Ort.Tensor }) {
  const n = ids.length;
  const codes = new BigInt64Array(batch * n * P);
  for (let b = 0; b < batch; b++) for (let i = 0; i < n; i++) codes.set(prev[i]!.subarray(b * P, b * P + P), (b * n + i) * P);
  const layerIds = BigInt64Array.from({ length: batch * n }, (_, j) => BigInt(ids[j % n]!));
  return { codes: new ort.Tensor('int64', codes, [batch, n, P]), layer_ids: new ort.Tensor('int64', layerIds, [batch, n]), past_key: past.key, past_value: past.value };
}

/** The first `len` cache positions of [B, K, T, D] (the cache cut back after a rejection). */
function cut(t: Ort.Tensor, len: number): Ort.Tensor {
  const [B, K, T, D] = t.dims as [number, number, number, number];
  const src = t.data as Float32Array;
  const out = new Float32Array(B * K * len * D);
  for (let bk = 0; bk < B * K; bk++) out.set(src.subarray(bk * T * D, bk * T * D + len * D), bk * len * D);
  return new ort.Tensor('float32', out, [B, K, len, D]);
}

/** Logits [B, n, P, L] -> position i's [B, P, L] rows, for comparing across calls. */
function position(logits: Ort.Tensor, i: number): Float32Array {
  const [B, n] = logits.dims as [number, number];
  const row = P * L;
  const src = logits.data as Float32Array;
  const out = new Float32Array(B * row);
  for (let b = 0; b < B; b++) out.set(src.subarray((b * n + i) * row, (b * n + i + 1) * row), b * row);
  return out;
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('synthetic bundles', () => {
  it('are reproducible and the tiny preset is small', () => {
    const a = buildSyntheticBundle('tiny', 11);
    const b = buildSyntheticBundle('tiny', 11);
    expect(b.manifestJson).toBe(a.manifestJson);
    for (const [name, bytes] of a.files) expect(Buffer.compare(Buffer.from(bytes), Buffer.from(b.files.get(name)!)), name).toBe(0);
    const total = [...a.files.values()].reduce((s, f) => s + f.length, a.manifestJson.length);
    expect(total).toBeLessThan(1_000_000);
    expect(a.manifest.provenance).toMatchObject({ synthetic: true, preset: 'tiny', seed: 11, params: SYNTHETIC_PRESETS.tiny });
  });

  it('keeps the KV cache consistent: step by step, all at once and cut back after a rejection agree', async () => {
    const batch = 3;
    const obs = syntheticObservation(tiny.manifest, 21, batch);
    const ctx = await prefill.run(obs);
    const rng = new SeededRandom(22);
    // prev[l]: the codes position l reads (layer l - 1's); position 0's are arbitrary and must be ignored.
    const prev = Array.from({ length: Q }, () => BigInt64Array.from({ length: batch * P }, () => BigInt(Math.floor(rng.next() * L))));

    let past = { key: ctx.past_key!, value: ctx.past_value! };
    const stepwise: Float32Array[] = [];
    for (let l = 0; l < Q; l++) {
      const out = await step.run(stepFeeds([prev[l]!], [l], batch, past));
      stepwise.push(position(out.logits!, 0));
      past = { key: out.present_key!, value: out.present_value! };
    }

    const ids = Array.from({ length: Q }, (_, l) => l);
    const whole = await step.run(stepFeeds(prev, ids, batch, { key: ctx.past_key!, value: ctx.past_value! }));
    expect(whole.present_key!.dims).toEqual([batch, 2, 1 + Q, 32]);
    for (let l = 0; l < Q; l++) expect(maxAbsDiff(position(whole.logits!, l), stepwise[l]!), `layer ${l}`).toBeLessThan(1e-4);
    expect(maxAbsDiff(whole.present_value!.data as Float32Array, past.value.data as Float32Array)).toBeLessThan(1e-4);

    // Speculative shape: verify layers 0..3 in one step, keep 2 (cache cut to T0 + 2), continue from layer 2.
    const verify = await step.run(stepFeeds(prev.slice(0, 4), [0, 1, 2, 3], batch, { key: ctx.past_key!, value: ctx.past_value! }));
    const kept = { key: cut(verify.present_key!, 1 + 2), value: cut(verify.present_value!, 1 + 2) };
    const resumed = await step.run(stepFeeds(prev.slice(2), ids.slice(2), batch, kept));
    for (let l = 2; l < Q; l++) expect(maxAbsDiff(position(resumed.logits!, l - 2), stepwise[l]!), `resumed layer ${l}`).toBeLessThan(1e-4);

    // Layer 0 reads no codes.
    const zeros = new BigInt64Array(batch * P);
    const first = await step.run(stepFeeds([zeros], [0], batch, { key: ctx.past_key!, value: ctx.past_value! }));
    expect(maxAbsDiff(position(first.logits!, 0), stepwise[0]!)).toBe(0);
  });

  it('main logits depend on the previous layer codes (the model is really layerwise)', async () => {
    const ctx = await prefill.run(syntheticObservation(tiny.manifest, 5, 1));
    const past = { key: ctx.past_key!, value: ctx.past_value! };
    const a = await step.run(stepFeeds([new BigInt64Array(P).fill(0n)], [4], 1, past));
    const b = await step.run(stepFeeds([new BigInt64Array(P).fill(6n)], [4], 1, past));
    expect(maxAbsDiff(a.logits!.data as Float32Array, b.logits!.data as Float32Array)).toBeGreaterThan(1e-3);
  });

  it('has a draft that agrees with the main argmax on coarse layers within the preset band, not always', async () => {
    const agreement = await measureDraftAgreement(tiny, 200, 7);
    const [low, high] = SYNTHETIC_PRESETS.tiny.agreementBand;
    console.log(`tiny agreement per coarse layer ${agreement.perLayer.map((r) => r.toFixed(3)).join(' ')}, mean ${agreement.mean.toFixed(3)}, per code ${agreement.perCode.toFixed(3)}, mean accepted ${agreement.meanAccepted.toFixed(2)}/3`);
    expect(agreement.perLayer).toHaveLength(3);
    for (const rate of agreement.perLayer) {
      expect(rate).toBeGreaterThanOrEqual(low);
      expect(rate).toBeLessThanOrEqual(high);
    }
  });

  it('lets the bench path measure any layerwise bundle (tiny sets no minimum ratio, so it never warns)', async () => {
    const cost = await checkSyntheticCostRatio(tiny, 5);
    expect(cost.stepMs).toBeGreaterThan(0);
    expect(cost.ratio).toBeCloseTo(cost.stepMs / cost.draftMs);
    expect(cost).toMatchObject({ minRatio: null, warning: null });
  });

  it('reports a missed minimum ratio as a warning, never by refusing (a timed ratio depends on the machine)', async () => {
    // A minimum no machine reaches, so the outcome does not depend on this machine's speed.
    const provenance = tiny.manifest.provenance as { params: Record<string, unknown> };
    const demanding = { ...tiny, manifest: { ...tiny.manifest, provenance: { ...provenance, params: { ...provenance.params, minCostRatio: 1e12 } } } };
    const cost = await checkSyntheticCostRatio(demanding, 3);
    expect(cost.minRatio).toBe(1e12);
    expect(cost.warning).toMatch(/^synthetic-tiny: main step costs [\d.]+x the draft on cpu .*below the preset's 1000000000000x: speculative decoding has less to save/);
  });

  it('decodes latents to actions in the contract ranges (dims 0-5 in [-1, 1], gripper in [0, 1])', async () => {
    const batch = 16;
    const latent = new ort.Tensor('float32', new SeededRandom(3).uniforms(batch * P, -1, 1), [batch, P]);
    const { actions } = await tiny.sessions.decoder.run({ latent });
    expect(actions!.dims).toEqual([batch, 8, 7]);
    const data = actions!.data as Float32Array;
    data.forEach((x, i) => expect(i % 7 === 6 ? x >= 0 && x <= 1 : x >= -1 && x <= 1).toBe(true));
  });

  it('builds a parallel main giving all layers in one pass', async () => {
    const dir = path.join(root, 'tiny-parallel');
    await writeSyntheticBundle(dir, 'tiny-parallel', 3);
    const bundle = await loadBundle(dir, { ep: 'cpu' });
    if (bundle.sessions.main.decoding !== 'parallel') throw new Error('parallel expected');
    const { logits } = await bundle.sessions.main.parallel.run(syntheticObservation(bundle.manifest, 1, 2));
    expect(logits!.dims).toEqual([2, Q, P, L]);
    await bundle.release();
  });
});

describe('bench preset', () => {
  it('reports main step vs draft cost on cpu (printed; the >= 20x check belongs to the bench path)', async () => {
    const dir = path.join(root, 'bench');
    await writeSyntheticBundle(dir, 'bench', 1);
    const bundle = await loadBundle(dir, { ep: 'cpu' });
    const cost = await measureStepVsDraft(bundle, 30);
    const agreement = await measureDraftAgreement(bundle, 200, 7);
    console.log(
      `bench (cpu, ${os.cpus().length} cores, median of ${cost.runs}): prefill ${cost.prefillMs.toFixed(3)} ms, step ${cost.stepMs.toFixed(3)} ms, verify(n=4) ${cost.verifyMs.toFixed(3)} ms, draft ${cost.draftMs.toFixed(4)} ms, step/draft ${cost.ratio.toFixed(1)}x; ` +
        `agreement per coarse layer ${agreement.perLayer.map((r) => r.toFixed(3)).join(' ')}, mean accepted ${agreement.meanAccepted.toFixed(2)}/3`,
    );
    const [low, high] = SYNTHETIC_PRESETS.bench.agreementBand;
    for (const rate of agreement.perLayer) expect(rate >= low && rate <= high).toBe(true);
    await bundle.release();
  }, 60_000);
});
