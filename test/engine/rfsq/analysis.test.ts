/**
 * Reconstruction error by depth against docs/rfsq.md 4.1 and the output of
 * the check of docs/rfsq.md 4.2: L = 7, 8 layers, scale 6^-q, latent uniform in [-1, 1].
 * The script's semantics are the codec's for odd L: 'tanh' = tanh(r/s) * 3.003 rounded;
 * 'clamp' = clip(3 r/s, -3, 3) rounded; values k/3, d_q = value * s, r -= d_q.
 *
 * Tolerances. Both the script and this test sample 200,000 scalars (different PRNGs), so:
 * - max |err| is a supremum the sample approaches from below (the gap is about one cell in 200k,
 *   under 1e-3 relative here); above it only float32 rounding of the decoded latent can add, at most
 *   2^-25 for |x| <= 1. Bound: |got - ref| <= 1e-3 ref + 2^-25.
 * - mean |err| has a standard error under 0.5% at this sample size (numpy, 5M samples: 0.16% at L0,
 *   0.47% at L0-L7 under 'tanh'; the script gives 0.1133-0.1135 and 0.01299-0.01307 over seeds 0-2).
 *   Bound: 2% relative, over 4 SE.
 * - a reference printed to d digits also carries half a unit in its last digit.
 */
import { describe, expect, it } from 'vitest';
import { analyzeRfsq, codeUsage, errorByDepth, Rfsq, type Bound, type DepthError } from '../../../engine/rfsq/index.js';
import { expectRfsqError } from './expect-error.js';
import { mulberry32, uniform } from './prng.js';

const N = 25_000;
const D = 8; // N x D = 200,000 scalars, as the script
const latents = uniform(mulberry32(7), N * D, -1, 1);
const L7 = (bound: Bound) => new Rfsq({ layers: 8, levels: [7], latentDim: D, bound });

/** The docs/rfsq.md 4.2 check's printed output (max/mean after L0..Lk, k = 0..7). */
const SCRIPT: Record<Bound, { max: string[]; mean: string[] }> = {
  tanh: {
    max: ['3.33e-01', '1.67e-01', '1.39e-01', '1.34e-01', '1.33e-01', '1.33e-01', '1.33e-01', '1.33e-01'],
    mean: ['1.13e-01', '3.29e-02', '1.68e-02', '1.37e-02', '1.31e-02', '1.30e-02', '1.30e-02', '1.30e-02'],
  },
  clamp: {
    max: ['1.67e-01', '2.78e-02', '4.63e-03', '7.72e-04', '1.29e-04', '2.14e-05', '3.57e-06', '5.95e-07'],
    mean: ['8.35e-02', '1.39e-02', '2.32e-03', '3.87e-04', '6.43e-05', '1.07e-05', '1.79e-06', '2.98e-07'],
  },
};

/** docs/rfsq.md 4.1's table: [k, max, mean] for 'tanh' and 'clamp'. */
const TABLE: Record<Bound, [number, string, string][]> = {
  tanh: [
    [0, '0.333', '0.113'],
    [1, '0.167', '0.033'],
    [2, '0.139', '0.017'],
    [3, '0.134', '0.014'],
    [7, '0.133', '0.013'],
  ],
  clamp: [
    [0, '0.167', '0.083'],
    [1, '0.028', '0.014'],
    [2, '0.0046', '0.0023'],
    [3, '7.7e-4', '3.9e-4'],
    [7, '6.0e-7', '3.0e-7'],
  ],
};

/** Half a unit in the last printed digit: '0.0046' -> 5e-5, '7.7e-4' -> 5e-6. */
function halfUnit(printed: string): number {
  const [mantissa = '', exponent = '0'] = printed.toLowerCase().split('e');
  const decimals = mantissa.split('.')[1]?.length ?? 0;
  return 0.5 * 10 ** (Number(exponent) - decimals);
}

function expectNear(got: number, printed: string, kind: 'max' | 'mean', label: string): void {
  const ref = Number(printed);
  const sampling = kind === 'max' ? 1e-3 * ref + 2 ** -25 : 0.02 * ref;
  expect(Math.abs(got - ref), `${label}: got ${got.toPrecision(4)}, reference ${printed}`).toBeLessThanOrEqual(halfUnit(printed) + sampling);
}

const rows: Record<Bound, DepthError[]> = { tanh: errorByDepth(L7('tanh'), latents), clamp: errorByDepth(L7('clamp'), latents) };

describe('reconstruction error by depth (docs/rfsq.md 4)', () => {
  for (const bound of ['tanh', 'clamp'] as const) {
    it(`matches the docs/rfsq.md 4.2 check at every depth, '${bound}'`, () => {
      rows[bound].forEach((row, k) => {
        expect(row.layers).toBe(k + 1);
        expectNear(row.maxAbs, SCRIPT[bound].max[k]!, 'max', `${bound} L0..L${k} max`);
        expectNear(row.meanAbs, SCRIPT[bound].mean[k]!, 'mean', `${bound} L0..L${k} mean`);
      });
    });

    it(`matches the table of docs/rfsq.md 4.1, '${bound}'`, () => {
      for (const [k, max, mean] of TABLE[bound]) {
        expectNear(rows[bound][k]!.maxAbs, max, 'max', `${bound} L0..L${k} max`);
        expectNear(rows[bound][k]!.meanAbs, mean, 'mean', `${bound} L0..L${k} mean`);
      }
    });

    it(`falls strictly with every layer, '${bound}'`, () => {
      for (let k = 1; k < rows[bound].length; k++) {
        expect(rows[bound][k]!.maxAbs).toBeLessThan(rows[bound][k - 1]!.maxAbs);
        expect(rows[bound][k]!.meanAbs).toBeLessThan(rows[bound][k - 1]!.meanAbs);
      }
    });
  }

  it("follows the ideal 'clamp' law for even levels too: max error after k+1 layers is (L-1)^-(k+1)", () => {
    for (const L of [8, 6, 5]) {
      const depth = errorByDepth(new Rfsq({ layers: 8, levels: [L], latentDim: D, bound: 'clamp' }), latents);
      depth.forEach((row, k) => {
        const sup = (L - 1) ** -(k + 1);
        expect(row.maxAbs, `L=${L} k=${k}`).toBeLessThanOrEqual(sup + 2 ** -25);
        expect(row.maxAbs, `L=${L} k=${k}`).toBeGreaterThan(0.99 * sup);
        expect(row.meanAbs / sup, `L=${L} k=${k}`).toBeCloseTo(0.5, 1); // error uniform in its cell
      });
    }
  });

  it("shows the cost of the atanh shift for even L under 'tanh' (fsq.ts: L = 8 stalls near 0.197 / 0.038)", () => {
    const last = errorByDepth(new Rfsq({ layers: 8, levels: [8], latentDim: D, bound: 'tanh' }), latents).at(-1)!;
    expectNear(last.maxAbs, '0.197', 'max', 'L=8 tanh max');
    expectNear(last.meanAbs, '0.038', 'mean', 'L=8 tanh mean');
  });
});

describe('code usage and the round-trip check', () => {
  const tanh = analyzeRfsq(L7('tanh'), latents);
  const clamp = analyzeRfsq(L7('clamp'), latents);

  it('reports that decode(codes) reproduces the reconstruction, and the same error table', () => {
    expect(tanh.roundTripExact).toBe(true);
    expect(clamp.roundTripExact).toBe(true);
    expect(tanh.errorByDepth).toEqual(rows.tanh);
    expect([tanh.items, tanh.latentDim]).toEqual([N, D]);
  });

  it("matches the docs/rfsq.md 4.2 check's usage: L0 under tanh never uses levels 0 and 6, L7 saturates at the edges", () => {
    const near = (got: number[], ref: number[]) => got.forEach((p, i) => expect(Math.abs(p - ref[i]!), `${got} vs ${ref}`).toBeLessThanOrEqual(0.01));
    expect(tanh.codeUsage[0]!.counts[0]).toBe(0);
    expect(tanh.codeUsage[0]!.counts[6]).toBe(0);
    near(tanh.codeUsage[0]!.fractions, [0, 0.225, 0.191, 0.169, 0.191, 0.224, 0]);
    near(tanh.codeUsage[7]!.fractions, [0.382, 0.054, 0.045, 0.04, 0.045, 0.054, 0.381]);
    expect(tanh.codeUsage[7]!.edgeFraction).toBeCloseTo(0.763, 1);
    near(clamp.codeUsage[0]!.fractions, [1 / 12, 1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 12]);
    // Uniform over 5 levels plus two half-weight edges: perplexity just under 7.
    expect(clamp.codeUsage[7]!.perplexity).toBeCloseTo(Math.exp(-(5 / 6) * Math.log(1 / 6) - (1 / 6) * Math.log(1 / 12)), 1);
  });

  it('refuses codes outside their levels, naming the entry', () => {
    const codes = new Int32Array(2 * 8 * D);
    codes[(1 * 8 + 2) * D + 3] = 7;
    expectRfsqError(() => codeUsage(L7('tanh'), codes), 'codes[1][2][3]', /= 7 is outside 0\.\.6 for item 1, layer 2/);
    expectRfsqError(() => codeUsage(L7('tanh'), codes.subarray(1)), 'codes', /not a multiple/);
  });
});
