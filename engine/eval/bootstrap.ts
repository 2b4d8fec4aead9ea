import { mulberry32, mulberry32At, type Rng } from '../util/random.js';
import { percentile } from './metrics.js';

/**
 * Percentile bootstrap of a ratio of medians (docs/metrics.md "Paired comparison"): each run's
 * chunks are resampled with replacement, the ratio of the two resamples' medians is taken, and the
 * 2.5th and 97.5th percentiles of those ratios bound the 95% interval. Seeded, so the same runs give
 * the same interval every time.
 */

export const BOOTSTRAP = { method: 'percentile', resamples: 2000, level: 0.95, seed: 19 } as const;

/**
 * Where each resample's median falls in a run's sorted values: the resample of n values drawn with
 * replacement from sorted `s` has its k-th smallest at `s[k-th smallest drawn index]` (s is
 * non-decreasing), so one draw of indices serves every stage of the run, each stage sorted on its
 * own. The median is numpy's (linear between the two middle ranks), as the runs' own medians are.
 */
export interface MedianDraws {
  /** Per resample, the sorted-value index of the lower and upper middle order statistic. */
  lo: Uint32Array;
  hi: Uint32Array;
  /** Weight of `hi` (0 for odd n, 0.5 for even n). */
  weight: number;
}

export function drawMedianIndices(n: number, resamples: number, rng: Rng): MedianDraws {
  const rank = 0.5 * (n - 1);
  const rLo = Math.floor(rank);
  const rHi = Math.ceil(rank);
  const lo = new Uint32Array(resamples);
  const hi = new Uint32Array(resamples);
  const counts = new Uint32Array(n);
  for (let b = 0; b < resamples; b++) {
    counts.fill(0);
    for (let j = 0; j < n; j++) counts[Math.floor(rng() * n)]!++;
    // Walk the counts to the order statistics rLo and rHi (0-based) of the drawn indices.
    let seen = 0;
    let i = 0;
    for (; i < n; i++) {
      seen += counts[i]!;
      if (seen > rLo) break;
    }
    lo[b] = i;
    while (seen <= rHi) seen += counts[++i]!; // ends within the array: all n draws are counted
    hi[b] = i;
  }
  return { lo, hi, weight: rank - rLo };
}

/** Each resample's median of `sorted` (ascending) under the draws. */
export function resampledMedians(sorted: Float64Array, d: MedianDraws): Float64Array {
  const out = new Float64Array(d.lo.length);
  for (let b = 0; b < out.length; b++) {
    const x = sorted[d.lo[b]!]!;
    out[b] = x + (sorted[d.hi[b]!]! - x) * d.weight;
  }
  return out;
}

export interface RatioInterval {
  low: number;
  high: number;
}

/**
 * The percentile interval of medianA / medianB over the resamples; null where a resample's ratio is
 * undefined (B's resampled median 0: the ratio has no upper bound).
 */
export function ratioInterval(mediansA: Float64Array, mediansB: Float64Array, level: number = BOOTSTRAP.level): RatioInterval | null {
  const ratios: number[] = new Array(mediansA.length);
  for (let b = 0; b < mediansA.length; b++) {
    const r = mediansA[b]! / mediansB[b]!;
    if (!Number.isFinite(r)) return null;
    ratios[b] = r;
  }
  const tail = (100 * (1 - level)) / 2;
  return { low: percentile(ratios, tail), high: percentile(ratios, 100 - tail) };
}

/** Where B's stream starts in mulberry32's 2^32-long cycle: half a cycle from A's, so they never overlap (A draws resamples × chunks < 2^31). */
const B_STREAM = 2 ** 31;

/** The draws of the last few (side, chunk count, resamples, seed): a live run's comparison is asked again as episodes finish, the other run's count unchanged. */
const cache = new Map<string, MedianDraws>();
const CACHED = 8;

function cachedDraws(side: 'a' | 'b', n: number, resamples: number, seed: number): MedianDraws {
  const key = `${side} ${n} ${resamples} ${seed}`;
  let d = cache.get(key);
  if (!d) {
    d = drawMedianIndices(n, resamples, side === 'a' ? mulberry32(seed) : mulberry32At(seed, B_STREAM));
    if (cache.size >= CACHED) cache.delete(cache.keys().next().value!);
    cache.set(key, d);
  }
  return d;
}

/** Both runs' draws, for chunk counts nA and nB: independent resamples, A's from the seed's stream and B's from half a cycle on. */
export function runDraws(nA: number, nB: number, resamples: number = BOOTSTRAP.resamples, seed: number = BOOTSTRAP.seed): { a: MedianDraws; b: MedianDraws } {
  return { a: cachedDraws('a', nA, resamples, seed), b: cachedDraws('b', nB, resamples, seed) };
}
