/**
 * The statistics results report (docs/metrics.md; docs/rfsq.md 6): success rates
 * with Wilson 95% intervals, latency percentiles, the point-biserial correlation of a per-episode
 * quantity with success, and McNemar's exact test for two runs over the same episodes.
 */

export interface Interval {
  low: number;
  high: number;
}

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/**
 * Wilson score interval for `successes` out of `n` (Wilson 1927): unlike the normal approximation
 * it stays inside [0, 1] and is sensible at 0% and 100%, where LIBERO results often sit.
 */
export function wilson(successes: number, n: number, z = Z95): Interval {
  if (!Number.isInteger(successes) || !Number.isInteger(n) || n < 0 || successes < 0 || successes > n) {
    throw new RangeError(`wilson: need integers 0 <= successes <= n, got ${successes} of ${n}`);
  }
  if (n === 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Percentile q in [0, 100] with linear interpolation between closest ranks (numpy's default). */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile: q must be in [0, 100], got ${q}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/**
 * Point-biserial correlation between a per-episode quantity (e.g. the fraction of chunks whose
 * layer j was accepted) and success (0/1): Pearson's r with a dichotomous variable. NaN when
 * either side has no variance (all successes, all failures, or a constant quantity).
 */
export function pointBiserial(values: readonly number[], success: readonly boolean[]): number {
  if (values.length !== success.length) throw new RangeError(`pointBiserial: ${values.length} values but ${success.length} outcomes`);
  const n = values.length;
  const yes = values.filter((_, i) => success[i]);
  const no = values.filter((_, i) => !success[i]);
  if (yes.length === 0 || no.length === 0) return Number.NaN;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / n);
  if (sd === 0) return Number.NaN;
  const m1 = yes.reduce((a, b) => a + b, 0) / yes.length;
  const m0 = no.reduce((a, b) => a + b, 0) / no.length;
  return ((m1 - m0) / sd) * Math.sqrt((yes.length / n) * (no.length / n));
}

export interface McNemarResult {
  /** Episodes where only run A succeeded / only run B succeeded. */
  onlyA: number;
  onlyB: number;
  /** Two-sided exact p-value (binomial with p = 1/2 on the discordant pairs). */
  pValue: number;
}

/**
 * McNemar's exact test for paired outcomes (the same tasks and initial states run twice, e.g.
 * speculative vs autoregressive): only discordant pairs carry information.
 */
export function mcnemar(a: readonly boolean[], b: readonly boolean[]): McNemarResult {
  if (a.length !== b.length) throw new RangeError(`mcnemar: runs are not paired (${a.length} vs ${b.length} episodes)`);
  let onlyA = 0;
  let onlyB = 0;
  a.forEach((x, i) => {
    if (x && !b[i]) onlyA++;
    else if (!x && b[i]) onlyB++;
  });
  const n = onlyA + onlyB;
  if (n === 0) return { onlyA, onlyB, pValue: 1 };
  // P(X <= min) under Binomial(n, 1/2), doubled, in log space so n in the thousands is exact enough.
  const k = Math.min(onlyA, onlyB);
  let logC = 0; // log C(n, 0)
  let tail = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    tail += Math.exp(logC - n * Math.LN2);
  }
  return { onlyA, onlyB, pValue: Math.min(1, 2 * tail) };
}
