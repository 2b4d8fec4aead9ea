// Decoding strategies on synthetic bundles: speculative `exact` is autoregressive bit for bit with
// real partial acceptance, `threshold` is lossy in the documented way, batches decode each item as
// it would be decoded alone, and the no-cache main model takes the same path.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../engine/onnx/index.js';
import { loadBundle, type LoadedBundle, type Session } from '../../../engine/bundle/bundle.js';
import { loadOnnxRuntime } from '../../../engine/bundle/onnxruntime.js';
import { SYNTHETIC_PRESETS, argmaxLast, syntheticObservation, writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { Decoder, DecodingError, type DecodedChunk } from '../../../engine/decoding/index.js';
import { item } from './fixtures.js';

const ort = loadOnnxRuntime();
let root: string;
let tiny: LoadedBundle;
let tinyParallel: LoadedBundle;
let decoder: Decoder;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'rsd-decoder-'));
  await writeSyntheticBundle(path.join(root, 'tiny'), 'tiny', 3);
  await writeSyntheticBundle(path.join(root, 'tiny-parallel'), 'tiny-parallel', 3);
  tiny = await loadBundle(path.join(root, 'tiny'), { ep: 'cpu' });
  tinyParallel = await loadBundle(path.join(root, 'tiny-parallel'), { ep: 'cpu' });
  decoder = new Decoder(tiny);
});
afterAll(async () => {
  await tiny?.release();
  await tinyParallel?.release();
  await rm(root, { recursive: true, force: true });
});

const Q = 8;
const P = 4;
const K = 3;
const observation = (seed: number, batch = 1) => syntheticObservation(tiny.manifest, seed, batch);
const layer = (codes: Int32Array, l: number) => Array.from(codes.subarray(l * P, (l + 1) * P));
const differing = (a: Int32Array, b: Int32Array) => a.reduce((n, x, i) => n + (x === b[i] ? 0 : 1), 0);

/** The draft's greedy proposals [k x P], run here apart from the engine. */
async function draftProposals(obs: Record<string, Ort.Tensor>): Promise<Int32Array> {
  const { logits } = await tiny.sessions.draft!.run(obs);
  return argmaxLast(logits!.data as Float32Array, 7);
}

describe('speculative exact', () => {
  it('equals autoregressive decoding bit for bit over 240 observations, with real partial acceptance', async () => {
    const histogram = new Array<number>(K + 1).fill(0);
    for (let i = 0; i < 240; i++) {
      const obs = observation(1000 + i);
      const ar = await decoder.decodeChunk(obs, { strategy: 'autoregressive' });
      const spec = await decoder.decodeChunk(obs, { strategy: 'speculative', accept: 'exact' });
      expect(Array.from(spec.codes), `observation ${i}`).toEqual(Array.from(ar.codes));
      expect(Array.from(spec.latent)).toEqual(Array.from(ar.latent));
      expect(Array.from(spec.actionsNormalized)).toEqual(Array.from(ar.actionsNormalized));

      // The accepted prefix is what an outside comparison of the draft with the result says.
      const a = spec.record.acceptedLayers;
      histogram[a]!++;
      const proposed = await draftProposals(obs);
      for (let j = 0; j < a; j++) expect(layer(proposed, j)).toEqual(layer(ar.codes, j));
      if (a < K) expect(layer(proposed, a)).not.toEqual(layer(ar.codes, a));
      expect(spec.record.accepted).toEqual([0, 1, 2].map((j) => j < a));
      spec.record.agreement.slice(0, a).forEach((r) => expect(r).toBe(1));
      if (a < K) expect(spec.record.agreement[a]).toBeLessThan(1);
      // Steps: the verify step gives layers 0..a, then one step per remaining layer.
      expect(spec.record.latency.mainSteps).toBe(Q - 1 - a);
      expect(ar.record.latency.mainSteps).toBe(Q);
    }
    console.log(`tiny, exact: accepted-prefix histogram (0..3 layers) over 240 chunks: ${histogram.join(' ')}`);
    for (const count of histogram) expect(count).toBeGreaterThan(0);
  }, 60_000);

  it('stays lossless with fewer draft layers, and reports zero deviation when asked', async () => {
    for (const draftLayers of [1, 2]) {
      for (let i = 0; i < 30; i++) {
        const obs = observation(500 + i);
        const ar = await decoder.decodeChunk(obs, { strategy: 'autoregressive' });
        const spec = await decoder.decodeChunk(obs, { strategy: 'speculative', accept: 'exact', draftLayers, checkDeviation: true });
        expect(Array.from(spec.codes)).toEqual(Array.from(ar.codes));
        expect(spec.record.draftLayers).toBe(draftLayers);
        expect(spec.record.accepted).toHaveLength(draftLayers);
        expect(spec.record.deviation).toEqual({ differs: false, codes: 0 });
      }
    }
  });

  it('keeps a consistent record of its stages', async () => {
    const { record } = await decoder.decodeChunk(observation(9), { strategy: 'speculative' });
    const t = record.latency;
    expect(record).toMatchObject({ strategy: 'speculative', accept: 'exact', threshold: null, batchSize: 1, draftLayers: 3, deviation: null });
    for (const ms of [t.prefillMs, t.draftMs, t.verifyMs, t.decoderMs, t.totalMs]) expect(ms).toBeGreaterThan(0);
    expect(t.parallelMs).toBe(0);
    expect(t.ortMs).toBeCloseTo(t.prefillMs + t.draftMs + t.verifyMs + t.mainStepsMs + t.decoderMs, 9);
    expect(t.overheadMs).toBeCloseTo(t.totalMs - t.ortMs, 9);
    expect(t.totalMs).toBeGreaterThanOrEqual(t.ortMs);
  });
});

describe('a draft covering every layer (k = Q)', () => {
  it('verifies with n = k, needs no main step when all is accepted, and stays lossless', async () => {
    const dir = path.join(root, 'full-draft');
    await writeSyntheticBundle(dir, { ...SYNTHETIC_PRESETS.tiny, layers: 3, draftLayers: 3 }, 4);
    const bundle = await loadBundle(dir, { ep: 'cpu' });
    try {
      const full = new Decoder(bundle);
      const seen = new Set<number>();
      for (let i = 0; i < 80; i++) {
        const obs = syntheticObservation(bundle.manifest, 600 + i, 1);
        const ar = await full.decodeChunk(obs, { strategy: 'autoregressive' });
        const spec = await full.decodeChunk(obs, { strategy: 'speculative' });
        expect(Array.from(spec.codes)).toEqual(Array.from(ar.codes));
        const a = spec.record.acceptedLayers;
        seen.add(a);
        expect(spec.record.latency.mainSteps).toBe(Math.max(0, 3 - 1 - a));
        await full.decodeChunk(obs, { strategy: 'speculative', accept: 'stochastic' });
      }
      expect(seen.has(3)).toBe(true);
      expect(seen.size).toBeGreaterThan(1);
    } finally {
      await bundle.release();
    }
  });
});

describe('depth (layers D < Q)', () => {
  const ZERO = 3; // L = 7: level 3 has value 0

  it('decodes D layers and gives the rest the zero level: exact at depth D is autoregressive at depth D, code for code', async () => {
    for (const D of [1, 2, 3, 4, 6]) {
      const accepted = new Set<number>();
      for (let i = 0; i < 40; i++) {
        const obs = observation(7000 + 100 * D + i);
        const full = await decoder.decodeChunk(obs, { strategy: 'autoregressive' });
        const ar = await decoder.decodeChunk(obs, { strategy: 'autoregressive', layers: D });
        const spec = await decoder.decodeChunk(obs, { strategy: 'speculative', accept: 'exact', layers: D, checkDeviation: true });
        expect(Array.from(spec.codes), `D ${D}, observation ${i}`).toEqual(Array.from(ar.codes));
        expect(Array.from(spec.actionsNormalized)).toEqual(Array.from(ar.actionsNormalized));
        // The decoded layers are full-depth greedy's (a layer reads only coarser ones); the rest are zero.
        for (let l = 0; l < Q; l++) expect(layer(ar.codes, l)).toEqual(l < D ? layer(full.codes, l) : new Array(P).fill(ZERO));
        // The latent sums only the decoded layers.
        const rfsqScale = (l: number) => Math.pow(6, -l);
        ar.latent.forEach((v, c) => {
          let sum = 0;
          for (let l = 0; l < D; l++) sum += ((ar.codes[l * P + c]! - 3) / 3) * rfsqScale(l);
          expect(v).toBeCloseTo(sum, 6);
        });
        // Steps: prefill + D for autoregressive; the draft cut to min(k, D), verify n = min(k + 1, D), then up to layer D - 1.
        const k = Math.min(K, D);
        const a = spec.record.acceptedLayers;
        accepted.add(a);
        expect(ar.record.latency.mainSteps).toBe(D);
        expect(spec.record.latency.mainSteps).toBe(Math.max(0, D - 1 - a));
        expect(spec.record).toMatchObject({ layers: D, draftLayers: k, deviation: { differs: false, codes: 0 } });
        expect(spec.record.accepted).toHaveLength(k);
        expect(ar.record.layers).toBe(D);
        expect(full.record.layers).toBe(Q);
      }
      if (D > 1) expect(accepted.size, `D ${D}: partial acceptance seen`).toBeGreaterThan(1);
    }
  }, 60_000);

  it('threshold at depth D deviates only from greedy at depth D, and a batch decodes each item as alone', async () => {
    const D = 4;
    const obs = observation(8100, 16);
    for (const options of [{ strategy: 'autoregressive', layers: D }, { strategy: 'speculative', accept: 'exact', layers: D }, { strategy: 'speculative', accept: 'threshold', threshold: 0.75, layers: D }] as const) {
      const batched = await decoder.decodeBatch(obs, options);
      for (let b = 0; b < 16; b++) {
        const alone = await decoder.decodeChunk(item(obs, b), options);
        expect(Array.from(batched[b]!.codes), `${options.strategy} ${'accept' in options ? options.accept : ''} item ${b}`).toEqual(Array.from(alone.codes));
        expect(batched[b]!.record.acceptedLayers).toBe(alone.record.acceptedLayers);
        expect(batched[b]!.record.layers).toBe(D);
        if ('accept' in options && options.accept === 'threshold') {
          const greedy = await decoder.decodeChunk(item(obs, b), { strategy: 'autoregressive', layers: D });
          const count = differing(alone.codes, greedy.codes);
          expect(alone.record.deviation).toEqual({ differs: count > 0, codes: count });
        }
      }
      if (options.strategy === 'speculative') expect(new Set(batched.map((c) => c.record.acceptedLayers)).size).toBeGreaterThan(1);
    }
  }, 30_000);

  it('D = Q is the default depth', async () => {
    const obs = observation(9);
    const a = await decoder.decodeChunk(obs, { strategy: 'speculative', layers: Q });
    const b = await decoder.decodeChunk(obs, { strategy: 'speculative' });
    expect(Array.from(a.codes)).toEqual(Array.from(b.codes));
    expect(a.record.layers).toBe(Q);
  });

  it('refuses a depth out of range, on parallel, and where no level has value 0, by name', async () => {
    const obs = observation(1);
    await expect(decoder.decodeChunk(obs, { strategy: 'autoregressive', layers: 0 })).rejects.toThrow('layers: 0 must be an integer in 1..8');
    await expect(decoder.decodeChunk(obs, { strategy: 'autoregressive', layers: 9 })).rejects.toThrow('layers: 9 must be an integer in 1..8');
    await expect(decoder.decodeChunk(obs, { strategy: 'speculative', layers: 2.5 })).rejects.toThrow('layers: 2.5');
    const parallel = new Decoder(tinyParallel);
    await expect(parallel.decodeChunk(syntheticObservation(tinyParallel.manifest, 1, 1), { strategy: 'parallel', layers: 3 })).rejects.toThrow('layers: 3 of 8: decoding fewer layers applies to autoregressive and speculative');
    const dir = path.join(root, 'even-levels');
    await writeSyntheticBundle(dir, { ...SYNTHETIC_PRESETS.tiny, levels: 8 }, 5);
    const even = await loadBundle(dir, { ep: 'cpu' });
    try {
      const d = new Decoder(even);
      const o = syntheticObservation(even.manifest, 1, 1);
      await expect(d.decodeChunk(o, { strategy: 'autoregressive', layers: 3 })).rejects.toThrow("layers: 3 of 8: the bundle's rfsq.levels = 8 is even");
      expect((await d.decodeChunk(o, { strategy: 'autoregressive', layers: 8 })).record.layers).toBe(8);
    } finally {
      await even.release();
    }
  });
});

describe('speculative threshold', () => {
  it('behaves as exact at tau = 1', async () => {
    for (let i = 0; i < 60; i++) {
      const obs = observation(2000 + i);
      const exact = await decoder.decodeChunk(obs, { strategy: 'speculative', accept: 'exact' });
      const strict = await decoder.decodeChunk(obs, { strategy: 'speculative', accept: 'threshold', threshold: 1 });
      expect(Array.from(strict.codes)).toEqual(Array.from(exact.codes));
      expect(strict.record.acceptedLayers).toBe(exact.record.acceptedLayers);
      expect(strict.record.deviation).toEqual({ differs: false, codes: 0 });
    }
  });

  it('at tau = 0.5 accepts at least as many layers as exact, keeps the draft codes and reports the deviation', async () => {
    let more = 0;
    let deviating = 0;
    for (let i = 0; i < 120; i++) {
      const obs = observation(3000 + i);
      const ar = await decoder.decodeChunk(obs, { strategy: 'autoregressive' });
      const exact = await decoder.decodeChunk(obs, { strategy: 'speculative', accept: 'exact' });
      const loose = await decoder.decodeChunk(obs, { strategy: 'speculative', accept: 'threshold', threshold: 0.5 });
      expect(loose.record).toMatchObject({ accept: 'threshold', threshold: 0.5 });
      expect(loose.record.acceptedLayers).toBeGreaterThanOrEqual(exact.record.acceptedLayers);
      if (loose.record.acceptedLayers > exact.record.acceptedLayers) more++;
      // Accepted layers are the draft's own codes, each with at least half of them agreeing.
      const proposed = await draftProposals(obs);
      for (let j = 0; j < loose.record.acceptedLayers; j++) {
        expect(layer(loose.codes, j)).toEqual(layer(proposed, j));
        expect(loose.record.agreement[j]).toBeGreaterThanOrEqual(0.5);
      }
      const count = differing(loose.codes, ar.codes);
      expect(loose.record.deviation).toEqual({ differs: count > 0, codes: count });
      if (count > 0) deviating++;
    }
    console.log(`tiny, threshold 0.5: ${more}/120 chunks accept more layers than exact, ${deviating}/120 deviate from greedy`);
    expect(more).toBeGreaterThan(0);
    expect(deviating).toBeGreaterThan(0);
  }, 30_000);

  it('skips the deviation check when told', async () => {
    const { record } = await decoder.decodeChunk(observation(1), { strategy: 'speculative', accept: 'threshold', checkDeviation: false });
    expect(record.deviation).toBeNull();
    expect(record.threshold).toBe(0.7);
  });
});

describe('batches', () => {
  const B = 24;

  async function compare(options: (rngs: SeededRandom[] | undefined) => Parameters<Decoder['decodeBatch']>[1], stochastic = false): Promise<void> {
    const obs = observation(4242, B);
    const rngs = (seed: number) => (stochastic ? Array.from({ length: B }, (_, b) => new SeededRandom(seed + b)) : undefined);
    const batched = await decoder.decodeBatch(obs, options(rngs(100)));
    expect(batched).toHaveLength(B);
    const singles: DecodedChunk[] = [];
    const itemRngs = rngs(100);
    for (let b = 0; b < B; b++) singles.push(await decoder.decodeChunk(item(obs, b), options(itemRngs ? [itemRngs[b]!] : undefined)));
    for (let b = 0; b < B; b++) {
      const [x, y] = [batched[b]!, singles[b]!];
      expect(Array.from(x.codes), `item ${b}`).toEqual(Array.from(y.codes));
      expect(Array.from(x.latent)).toEqual(Array.from(y.latent));
      x.actionsNormalized.forEach((v, i) => expect(Math.abs(v - y.actionsNormalized[i]!)).toBeLessThan(1e-6));
      expect(x.record.acceptedLayers).toBe(y.record.acceptedLayers);
      expect(x.record.deviation).toEqual(y.record.deviation);
      expect(x.record.batchSize).toBe(B);
    }
    // Items accepted different prefixes, so the batch really continued from its shortest one.
    if (options(undefined).strategy === 'speculative') expect(new Set(batched.map((r) => r.record.acceptedLayers)).size).toBeGreaterThan(1);
  }

  it('decode every item as it is decoded alone: autoregressive', () => compare(() => ({ strategy: 'autoregressive' })));
  it('decode every item as it is decoded alone: speculative exact', () => compare(() => ({ strategy: 'speculative', accept: 'exact', checkDeviation: true })));
  it('decode every item as it is decoded alone: speculative threshold 0.75', () => compare(() => ({ strategy: 'speculative', accept: 'threshold', threshold: 0.75 })));
  it('decode every item as it is decoded alone: speculative stochastic with one generator per item', () =>
    compare((rng) => ({ strategy: 'speculative', accept: 'stochastic', ...(rng && { rng }) }), true));

  it('refuses a generator list of the wrong length', async () => {
    await expect(decoder.decodeBatch(observation(1, 3), { strategy: 'speculative', accept: 'stochastic', rng: [new SeededRandom(1)] })).rejects.toThrow('rng: 1 generators for a batch of 3');
  });
});

describe('parallel and errors', () => {
  it('decodes a parallel bundle in one pass, greedy', async () => {
    const parallel = new Decoder(tinyParallel);
    const obs = syntheticObservation(tinyParallel.manifest, 5, 3);
    const chunks = await parallel.decodeBatch(obs, { strategy: 'parallel' });
    const { logits } = await (tinyParallel.sessions.main as { parallel: Session }).parallel.run(obs);
    const expected = argmaxLast(logits!.data as Float32Array, 7);
    chunks.forEach((c, b) => expect(Array.from(c.codes)).toEqual(Array.from(expected.subarray(b * Q * P, (b + 1) * Q * P))));
    const t = chunks[0]!.record.latency;
    expect(t.parallelMs).toBeGreaterThan(0);
    expect(t.prefillMs + t.draftMs + t.verifyMs + t.mainStepsMs).toBe(0);
    expect(chunks[0]!.record).toMatchObject({ strategy: 'parallel', accept: null, draftLayers: 0, acceptedLayers: 0 });
    expect(parallel.strategies()).toEqual(['parallel']);
    expect(decoder.strategies()).toEqual(['autoregressive', 'speculative']);
  });

  it('names the bundle when a strategy does not fit it', async () => {
    await expect(decoder.decodeChunk(observation(1), { strategy: 'parallel' })).rejects.toThrow('bundle "synthetic-tiny": parallel decoding needs a parallel main model; this bundle\'s main model is layerwise');
    const parallel = new Decoder(tinyParallel);
    const obs = syntheticObservation(tinyParallel.manifest, 1, 1);
    await expect(parallel.decodeChunk(obs, { strategy: 'autoregressive' })).rejects.toThrow('bundle "synthetic-tiny-parallel": autoregressive decoding needs a layerwise main model');
    await expect(parallel.decodeChunk(obs, { strategy: 'speculative' })).rejects.toThrow(DecodingError);
  });

  it('refuses bad options by name', async () => {
    const obs = observation(1);
    await expect(decoder.decodeChunk(obs, { strategy: 'speculative', draftLayers: 4 })).rejects.toThrow('draftLayers: 4 must be an integer in 1..3');
    await expect(decoder.decodeChunk(obs, { strategy: 'speculative', draftLayers: 0 })).rejects.toThrow('draftLayers: 0');
    await expect(decoder.decodeChunk(obs, { strategy: 'speculative', accept: 'threshold', threshold: 1.5 })).rejects.toThrow('threshold: 1.5 must be in [0, 1]');
    await expect(decoder.decodeChunk(obs, { strategy: 'beam' as 'parallel' })).rejects.toThrow('strategy: "beam"');
    await expect(decoder.decodeChunk(observation(1, 2), { strategy: 'autoregressive' })).rejects.toThrow('decodeChunk takes a batch of 1, got 2');
  });

  it('names the model whose run fails', async () => {
    const { instruction: _dropped, ...partial } = observation(1);
    await expect(decoder.decodeChunk(partial, { strategy: 'autoregressive' })).rejects.toThrow(/^main_prefill\.onnx: run failed: .*instruction/);
  });
});

describe('a layerwise main model without a KV cache', () => {
  /**
   * The same model as tiny's, seen through the no-cache contract: its step reads the observation
   * and the whole code prefix. Made here by running tiny's prefill and step inside one fake session.
   */
  function uncached(bundle: LoadedBundle): LoadedBundle {
    const main = bundle.sessions.main;
    if (main.decoding !== 'layerwise' || !main.kvCache || bundle.manifest.main.decoding !== 'layerwise') throw new Error('tiny has a KV cache');
    const obsNames = ['proprio', 'object_poses', 'instruction'];
    const step = {
      async run(feeds: Record<string, Ort.Tensor>) {
        const obs = Object.fromEntries(obsNames.map((n) => [n, feeds[n]!]));
        const ctx = await main.prefill.run(obs);
        const out = await main.step.run({ codes: feeds.codes!, layer_ids: feeds.layer_ids!, past_key: ctx.past_key!, past_value: ctx.past_value! });
        return { logits: out.logits! };
      },
    } as unknown as Session;
    const { prefill: _prefill, ...rest } = bundle.manifest.main;
    return { ...bundle, manifest: { ...bundle.manifest, main: { ...rest, kvCache: false } }, sessions: { ...bundle.sessions, main: { decoding: 'layerwise', kvCache: false, step } } };
  }

  it('decodes the same codes, autoregressive and speculative', async () => {
    const plain = new Decoder(uncached(tiny));
    const obs = observation(77, 6);
    const cached = await decoder.decodeBatch(obs, { strategy: 'autoregressive' });
    for (const options of [{ strategy: 'autoregressive' }, { strategy: 'speculative', accept: 'exact' }, { strategy: 'speculative', accept: 'threshold', threshold: 0.5 }] as const) {
      const got = await plain.decodeBatch(obs, options);
      const withCache = options.strategy === 'autoregressive' ? cached : await decoder.decodeBatch(obs, options);
      got.forEach((c, b) => {
        expect(Array.from(c.codes)).toEqual(Array.from(withCache[b]!.codes));
        expect(c.record.acceptedLayers).toBe(withCache[b]!.record.acceptedLayers);
        expect(c.record.latency.prefillMs).toBe(0);
      });
    }
  });
});
