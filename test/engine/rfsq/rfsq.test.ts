import { describe, expect, it } from 'vitest';
import { Rfsq, sameBits, type Bound, type RfsqConfig } from '../../../engine/rfsq/index.js';
import { expectRfsqError } from './expect-error.js';
import { mulberry32, randomCodes, wideLatents } from './prng.js';

const BOUNDS: Bound[] = ['tanh', 'clamp'];
/** Odd, even and mixed levels; latentDim 6 is a multiple of every list's length. */
const LEVEL_SETS = [[7], [8], [6], [5], [8, 6, 5]];
const D = 6;
const LAYERS = 8;

function codec(levels: number[], bound: Bound, extra: Partial<RfsqConfig> = {}): Rfsq {
  return new Rfsq({ layers: LAYERS, levels, latentDim: D, bound, ...extra });
}

describe('RFSQ config', () => {
  it('refuses bad configs, naming the field', () => {
    const good: RfsqConfig = { layers: 8, levels: [7], latentDim: 16, bound: 'tanh' };
    expectRfsqError(() => new Rfsq({ ...good, levels: [] }), 'levels', /non-empty/);
    expectRfsqError(() => new Rfsq({ ...good, levels: [7, 1] }), 'levels[1]', /levels\[1\] = 1 must be an integer in 2\.\./);
    expectRfsqError(() => new Rfsq({ ...good, layers: 0 }), 'layers', /layers = 0 must be a positive integer/);
    expectRfsqError(() => new Rfsq({ ...good, layers: 2.5 }), 'layers', /positive integer/);
    expectRfsqError(() => new Rfsq({ ...good, latentDim: 0 }), 'latentDim', /positive integer/);
    expectRfsqError(() => new Rfsq({ ...good, levels: [8, 6, 5] }), 'levels', /3 entries, which does not divide latentDim = 16/);
    expectRfsqError(() => new Rfsq({ ...good, scales: [1, 0.5] }), 'scales', /one entry per layer \(8\); got 2/);
    expectRfsqError(() => new Rfsq({ ...good, layers: 2, scales: [1, 0] }), 'scales[1]', /> 0/);
    expectRfsqError(() => new Rfsq({ ...good, layers: 2, scales: [1, Number.NaN] }), 'scales[1]', /finite/);
    expectRfsqError(() => new Rfsq({ ...good, bound: 'soft' as Bound }), 'bound', /'tanh' or 'clamp'/);
  });

  it('scales layer q by (L - 1)^-q per channel by default, or by the given per-layer scales', () => {
    const mixed = codec([8, 6, 5], 'tanh');
    expect([0, 1, 2].map((c) => mixed.scale(3, c))).toEqual([7 ** -3, 5 ** -3, 4 ** -3]);
    expect(mixed.scale(2, 4)).toBe(5 ** -2); // channel 4 uses levels[1] = 6
    const given = new Rfsq({ layers: 3, levels: [7], latentDim: 2, bound: 'clamp', scales: [1, 0.25, 0.01] });
    expect([given.scale(0, 1), given.scale(1, 1), given.scale(2, 0)]).toEqual([1, 0.25, 0.01]);
    expect(given.term(1, 0, 6)).toBe(0.25);
  });
});

describe('RFSQ encode and decode', () => {
  it('keeps every layer in range for odd, even and mixed levels, both bounds', () => {
    const latents = wideLatents(mulberry32(11), 4_000 * D);
    for (const levels of LEVEL_SETS) {
      for (const bound of BOUNDS) {
        const rfsq = codec(levels, bound);
        const { codes } = rfsq.encodeBatch(latents);
        let bad = 0;
        for (let j = 0; j < codes.length; j++) {
          const L = rfsq.levelsOf(j % D);
          if (!(codes[j]! >= 0 && codes[j]! < L)) bad++;
        }
        expect(bad, `${levels} ${bound}`).toBe(0);
      }
    }
  });

  it('decodes its codes to exactly the reconstruction encode returned, bit for bit', () => {
    const rand = mulberry32(12);
    for (const levels of LEVEL_SETS) {
      for (const bound of BOUNDS) {
        for (const scales of [undefined, [1, 0.3, 0.1, 0.05, 0.01, 3e-3, 1e-3, 1e-4]]) {
          const rfsq = codec(levels, bound, scales ? { scales } : {});
          for (let t = 0; t < 500; t++) {
            const x = wideLatents(rand, D);
            const { codes, recon } = rfsq.encode(x);
            expect(sameBits(rfsq.decode(codes), recon), `${levels} ${bound} ${x}`).toBe(true);
          }
        }
      }
    }
  });

  it('decodes a coarse prefix on its own: later layers count as zero and are not read', () => {
    const rand = mulberry32(13);
    const rfsq = codec([7], 'tanh');
    for (let t = 0; t < 200; t++) {
      const { codes } = rfsq.encode(wideLatents(rand, D));
      for (let k = 0; k <= LAYERS; k++) {
        const byArg = rfsq.decode(codes, k);
        if (k > 0) expect(sameBits(rfsq.decode(codes.subarray(0, k * D)), byArg)).toBe(true);
        const garbage = codes.slice();
        garbage.fill(99, k * D); // out of range, but beyond the prefix
        expect(sameBits(rfsq.decode(garbage, k), byArg)).toBe(true);
      }
      expect([...rfsq.decode(codes, 0)]).toEqual(new Array(D).fill(0));
    }
  });

  it('batches give the same bits as single calls and reuse the buffers given', () => {
    const rand = mulberry32(14);
    for (const levels of LEVEL_SETS) {
      const rfsq = codec(levels, 'clamp');
      const n = 300;
      const latents = wideLatents(rand, n * D);
      const out = { codes: new Int32Array(n * LAYERS * D), recon: new Float32Array(n * D) };
      expect(rfsq.encodeBatch(latents, out)).toBe(out);
      const decoded = new Float32Array(n * D);
      expect(rfsq.decodeBatch(out.codes, { out: decoded })).toBe(decoded);
      expect(sameBits(decoded, out.recon)).toBe(true);
      const coarse = new Int32Array(n * 3 * D); // a draft's 3-layer prefix per item
      for (let i = 0; i < n; i++) {
        const single = rfsq.encode(latents.subarray(i * D, (i + 1) * D));
        expect(out.codes.subarray(i * LAYERS * D, (i + 1) * LAYERS * D)).toEqual(single.codes);
        expect(sameBits(out.recon.subarray(i * D, (i + 1) * D), single.recon)).toBe(true);
        coarse.set(single.codes.subarray(0, 3 * D), i * 3 * D);
      }
      const fromPrefix = rfsq.decodeBatch(coarse, { layersPresent: 3 });
      expect(sameBits(fromPrefix, rfsq.decodeBatch(out.codes, { upToLayer: 3 }))).toBe(true);
    }
  });

  it('handles an empty batch', () => {
    const rfsq = codec([7], 'tanh');
    const { codes, recon } = rfsq.encodeBatch(new Float32Array(0));
    expect([codes.length, recon.length, rfsq.decodeBatch(codes).length]).toEqual([0, 0, 0]);
  });
});

describe('RFSQ errors name the entry', () => {
  const rfsq = new Rfsq({ layers: 8, levels: [7], latentDim: 16, bound: 'tanh' });
  const codes = randomCodes(mulberry32(15), [7], 8 * 16);

  it('names a code outside its levels by layer and channel', () => {
    const bad = codes.slice();
    bad[3 * 16 + 5] = 9;
    expectRfsqError(() => rfsq.decode(bad), 'codes[3][5]', /^codes\[3\]\[5\] = 9 is outside 0\.\.6 for layer 3$/);
    const batch = new Int32Array(3 * 8 * 16);
    batch[(2 * 8 + 3) * 16 + 5] = -1;
    expectRfsqError(() => rfsq.decodeBatch(batch), 'codes[2][3][5]', /= -1 is outside 0\.\.6 for item 2, layer 3/);
    expectRfsqError(() => rfsq.decode(Array.from(codes, (c, j) => (j === 7 ? 2.5 : c))), 'codes[0][7]', /= 2.5 is outside/);
  });

  it('names wrong lengths, bad prefixes and non-finite latents', () => {
    expectRfsqError(() => rfsq.decode(codes.subarray(0, 20)), 'codes', /20 entries; expected k x latentDim \(latentDim = 16, k in 1\.\.8\)/);
    expectRfsqError(() => rfsq.decode(codes, 9), 'upToLayer', /upToLayer = 9 must be an integer in 0\.\.8/);
    expectRfsqError(() => rfsq.decode(codes.subarray(0, 32), 3), 'upToLayer', /0\.\.2/);
    expectRfsqError(() => rfsq.decodeBatch(codes, { layersPresent: 0 }), 'layersPresent', /1\.\.8/);
    expectRfsqError(() => rfsq.decodeBatch(codes.subarray(0, 100)), 'codes', /not a multiple of layersPresent x latentDim = 128/);
    expectRfsqError(() => rfsq.decodeBatch(codes, { out: new Float32Array(3) }), 'out', /expected n x latentDim = 16/);
    expectRfsqError(() => rfsq.encode(new Float32Array(15)), 'latent', /15 entries; expected latentDim = 16/);
    const x = new Float32Array(16);
    x[4] = Number.NaN;
    expectRfsqError(() => rfsq.encode(x), 'latent[4]', /latent\[4\] = NaN is not finite/);
    const xs = new Float32Array(48);
    xs[2 * 16 + 1] = Number.POSITIVE_INFINITY;
    expectRfsqError(() => rfsq.encodeBatch(xs), 'latents[2][1]', /= Infinity is not finite/);
    expectRfsqError(() => rfsq.encodeBatch(new Float32Array(17)), 'latents', /not a multiple of latentDim = 16/);
    expectRfsqError(() => rfsq.encodeBatch(xs, { codes: new Int32Array(1), recon: new Float32Array(48) }), 'out.codes', /n x layers x latentDim = 384/);
  });
});
