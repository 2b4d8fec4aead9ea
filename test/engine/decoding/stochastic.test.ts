// `stochastic` acceptance is lossless in distribution: its codes follow the main model's softmax
// (chi-square, p > 0.001), while the draft's own samples fail the same test. Shown twice: on
// hand-built logits through the acceptance function, and end to end on a small synthetic bundle.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../engine/onnx/index.js';
import { loadBundle, type LoadedBundle } from '../../../engine/bundle/bundle.js';
import { loadOnnxRuntime } from '../../../engine/bundle/onnxruntime.js';
import { SYNTHETIC_PRESETS, syntheticObservation, writeSyntheticBundle, type SyntheticParams } from '../../../engine/bundle/synthetic.js';
import { Acceptor, Decoder, softmaxRow } from '../../../engine/decoding/index.js';
import { chiSquareTest, upperRegularizedGamma } from './chi-square.js';
import { tile } from './fixtures.js';

const ort = loadOnnxRuntime();
const ACCEPTABLE = 0.001;

const softmax = (logits: number[]) => Array.from(softmaxRow(Float32Array.from(logits), 0, logits.length, new Float64Array(logits.length)));

describe('the chi-square helper', () => {
  it('matches table values (5% critical values for df 1, 8, 15)', () => {
    expect(upperRegularizedGamma(0.5, 3.841 / 2)).toBeCloseTo(0.05, 4);
    expect(upperRegularizedGamma(4, 15.507 / 2)).toBeCloseTo(0.05, 4);
    expect(upperRegularizedGamma(7.5, 24.996 / 2)).toBeCloseTo(0.05, 4);
    expect(chiSquareTest([50, 50], [0.5, 0.5]).pValue).toBeCloseTo(1, 9);
  });
});

describe('stochastic acceptance on hand-built logits', () => {
  // One layer of P = 2 codes with L = 4 levels; the draft is confidently wrong about both.
  const L = 4;
  const mainLogits = Float32Array.from([0.2, 1.5, 0.9, -0.4, /* code 1 */ 1.1, -0.3, 0.4, 0.8]);
  const draftLogits = Float32Array.from([1.6, 0.3, 0.2, 0.9, /* code 1 */ -0.5, 1.4, 0.1, 0.6]);
  const p = [softmax(Array.from(mainLogits.subarray(0, 4))), softmax(Array.from(mainLogits.subarray(4)))];
  const q = [softmax(Array.from(draftLogits.subarray(0, 4))), softmax(Array.from(draftLogits.subarray(4)))];
  /** Joint probability of the pair (c0, c1) under per-code distributions d. */
  const joint = (d: number[][]) => Array.from({ length: L * L }, (_, i) => d[0]![Math.floor(i / L)]! * d[1]![i % L]!);

  it('gives codes distributed as the main softmax, and accepts as often as theory says', () => {
    const acceptor = new Acceptor('stochastic', 2, L);
    const rng = new SeededRandom(2024);
    const N = 40_000;
    const counts = new Array<number>(L * L).fill(0);
    const draftCounts = new Array<number>(L * L).fill(0);
    const proposed = new Int32Array(2);
    const out = new Int32Array(2);
    let accepted = 0;
    for (let s = 0; s < N; s++) {
      for (let c = 0; c < 2; c++) proposed[c] = acceptor.propose(draftLogits, c * L, rng);
      draftCounts[proposed[0]! * L + proposed[1]!]!++;
      const verdict = acceptor.judge({ main: mainLogits, mainOffset: 0, draft: draftLogits, draftOffset: 0, proposed, proposedOffset: 0 }, rng, out, 0);
      if (verdict.accepted) {
        accepted++;
        expect(Array.from(out)).toEqual(Array.from(proposed));
      }
      counts[out[0]! * L + out[1]!]!++;
    }
    const target = joint(p);
    const result = chiSquareTest(counts, target);
    const draftOnly = chiSquareTest(draftCounts, target);
    console.log(`hand-built: stochastic chi2 ${result.statistic.toFixed(1)} (df ${result.df}) p = ${result.pValue.toFixed(3)}; draft alone chi2 ${draftOnly.statistic.toFixed(0)} p = ${draftOnly.pValue.toExponential(1)}`);
    expect(result.pValue).toBeGreaterThan(ACCEPTABLE);
    expect(draftOnly.pValue).toBeLessThan(1e-9);
    // A layer is accepted when both codes are: probability Π_c Σ_l min(p, q).
    const alpha = [0, 1].reduce((prod, c) => prod * p[c]!.reduce((s, pl, l) => s + Math.min(pl, q[c]![l]!), 0), 1);
    const sigma = Math.sqrt((alpha * (1 - alpha)) / N);
    expect(Math.abs(accepted / N - alpha)).toBeLessThan(5 * sigma);
  });

  it('is reproducible with the same seed', () => {
    const run = (seed: number) => {
      const acceptor = new Acceptor('stochastic', 2, L);
      const rng = new SeededRandom(seed);
      const out = new Int32Array(2 * 200);
      for (let s = 0; s < 200; s++) {
        const proposed = Int32Array.from([0, 1], (c) => acceptor.propose(draftLogits, c * L, rng));
        acceptor.judge({ main: mainLogits, mainOffset: 0, draft: draftLogits, draftOffset: 0, proposed, proposedOffset: 0 }, rng, out, 2 * s);
      }
      return Array.from(out);
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });
});

describe('stochastic speculative decoding end to end', () => {
  // Two layers of one code with three levels, a one-layer draft that disagrees with the main model
  // often: the whole chunk has 9 outcomes, whose exact probabilities the main model gives.
  const params: SyntheticParams = { ...SYNTHETIC_PRESETS.tiny, layers: 2, levels: 3, latentSize: 1, hidden: 16, blocks: 1, heads: 2, draftLayers: 1, decoderHidden: 8, entities: [], instructions: ['a', 'b'], sharpness: 1, perturbation: 1 };
  let root: string;
  let bundle: LoadedBundle;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'rsd-stochastic-'));
    await writeSyntheticBundle(path.join(root, 'small'), params, 5);
    bundle = await loadBundle(path.join(root, 'small'), { ep: 'cpu' });
  });
  afterAll(async () => {
    await bundle?.release();
    await rm(root, { recursive: true, force: true });
  });

  /** p(l0) and p(l1 | l0) from the main model itself: the distribution sampling it layer by layer gives. */
  async function mainDistribution(obs: Record<string, Ort.Tensor>): Promise<{ joint: number[]; first: number[] }> {
    const main = bundle.sessions.main;
    if (main.decoding !== 'layerwise' || !main.kvCache) throw new Error('layerwise with a cache expected');
    const ctx = await main.prefill.run(obs);
    const step = (codes: bigint[]) =>
      main.step.run({
        codes: new ort.Tensor('int64', BigInt64Array.from(codes), [1, codes.length, 1]),
        layer_ids: new ort.Tensor('int64', BigInt64Array.from(codes, (_, i) => BigInt(i)), [1, codes.length]),
        past_key: ctx.past_key!,
        past_value: ctx.past_value!,
      });
    const first = Array.from(softmaxRow((await step([0n])).logits!.data as Float32Array, 0, 3, new Float64Array(3)));
    const joint: number[] = [];
    for (let l0 = 0; l0 < 3; l0++) {
      const second = softmaxRow((await step([0n, BigInt(l0)])).logits!.data as Float32Array, 3, 3, new Float64Array(3));
      for (let l1 = 0; l1 < 3; l1++) joint.push(first[l0]! * second[l1]!);
    }
    return { joint, first };
  }

  it('samples chunks from the main model distribution; the draft alone does not', async () => {
    const obs = syntheticObservation(bundle.manifest, 1, 1);
    const { joint, first } = await mainDistribution(obs);
    const decoder = new Decoder(bundle);
    const rng = new SeededRandom(99);
    const counts = new Array<number>(9).fill(0);
    let accepted = 0;
    const B = 500;
    const rounds = 10;
    for (let r = 0; r < rounds; r++) {
      for (const chunk of await decoder.decodeBatch(tile(obs, B), { strategy: 'speculative', accept: 'stochastic', rng })) {
        counts[chunk.codes[0]! * 3 + chunk.codes[1]!]!++;
        accepted += chunk.record.acceptedLayers;
      }
    }
    const N = B * rounds;
    const result = chiSquareTest(counts, joint);

    // The draft alone: its own samples of layer 0 against the main model's layer 0.
    const { logits } = await bundle.sessions.draft!.run(obs);
    const draftLogits = logits!.data as Float32Array;
    const q = Array.from(softmaxRow(draftLogits, 0, 3, new Float64Array(3)));
    const proposer = new Acceptor('stochastic', 1, 3);
    const draftCounts = [0, 0, 0];
    for (let s = 0; s < N; s++) draftCounts[proposer.propose(draftLogits, 0, rng)]!++;
    const draftOnly = chiSquareTest(draftCounts, first);
    console.log(
      `end to end (p0 ${first.map((x) => x.toFixed(3)).join(' ')}, q0 ${q.map((x) => x.toFixed(3)).join(' ')}): stochastic chi2 ${result.statistic.toFixed(1)} (df ${result.df}) p = ${result.pValue.toFixed(3)}, ` +
        `acceptance ${(accepted / N).toFixed(3)}; draft alone chi2 ${draftOnly.statistic.toFixed(0)} p = ${draftOnly.pValue.toExponential(1)}`,
    );
    expect(result.pValue).toBeGreaterThan(ACCEPTABLE);
    expect(draftOnly.pValue).toBeLessThan(1e-9);
    // Acceptance comes from real comparisons: its rate is Σ min(p0, q0).
    const alpha = first.reduce((s, p, l) => s + Math.min(p, q[l]!), 0);
    expect(Math.abs(accepted / N - alpha)).toBeLessThan(5 * Math.sqrt((alpha * (1 - alpha)) / N));
  }, 30_000);

  it('differs from greedy decoding and says so when asked', async () => {
    const decoder = new Decoder(bundle, { seed: 3 });
    const chunks = await decoder.decodeBatch(tile(syntheticObservation(bundle.manifest, 1, 1), 200), { strategy: 'speculative', accept: 'stochastic', checkDeviation: true });
    const greedy = (await decoder.decodeChunk(syntheticObservation(bundle.manifest, 1, 1), { strategy: 'autoregressive' })).codes;
    for (const c of chunks) {
      const count = c.codes.reduce((n, x, i) => n + (x === greedy[i] ? 0 : 1), 0);
      expect(c.record.deviation).toEqual({ differs: count > 0, codes: count });
    }
    expect(chunks.some((c) => c.record.deviation!.differs)).toBe(true);
  });
});
