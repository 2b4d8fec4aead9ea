/**
 * Per-code categorical math over one row of L logits (a code's levels) at `offset` of a flat
 * logits array. Rows are read in place: no copies on the decoding path.
 */

/** Uniform [0, 1) numbers; engine/onnx's SeededRandom is one. Seeded, so stochastic runs repeat. */
export interface Random {
  next(): number;
}

/** Greedy choice: the index of the largest logit; ties go to the FIRST maximum (lowest level). */
export function argmaxRow(logits: Float32Array, offset: number, L: number): number {
  let best = 0;
  let max = logits[offset]!;
  for (let l = 1; l < L; l++) {
    const v = logits[offset + l]!;
    if (v > max) {
      max = v;
      best = l;
    }
  }
  return best;
}

/** softmax of one row into `out` (float64, max-subtracted so large logits do not overflow). */
export function softmaxRow(logits: Float32Array, offset: number, L: number, out: Float64Array): Float64Array {
  let max = -Infinity;
  for (let l = 0; l < L; l++) max = Math.max(max, logits[offset + l]!);
  let sum = 0;
  for (let l = 0; l < L; l++) sum += out[l] = Math.exp(logits[offset + l]! - max);
  for (let l = 0; l < L; l++) out[l]! /= sum;
  return out;
}

/** One draw from unnormalised non-negative weights (inverse CDF with one uniform). */
export function sampleWeights(weights: Float64Array, L: number, rng: Random): number {
  let total = 0;
  for (let l = 0; l < L; l++) total += weights[l]!;
  let u = rng.next() * total;
  for (let l = 0; l < L; l++) {
    u -= weights[l]!;
    if (u < 0) return l;
  }
  // u * total can round up to total; the last level with weight takes it.
  for (let l = L - 1; l > 0; l--) if (weights[l]! > 0) return l;
  return 0;
}

/** One draw from softmax(row). */
export function sampleRow(logits: Float32Array, offset: number, L: number, rng: Random, scratch: Float64Array): number {
  return sampleWeights(softmaxRow(logits, offset, L, scratch), L, rng);
}
