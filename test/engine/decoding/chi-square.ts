/**
 * Pearson's chi-square goodness-of-fit test for sampled counts against known probabilities. Cells
 * whose expected count is under 5 are pooled into one, as the test's approximation needs.
 */
export function chiSquareTest(counts: readonly number[], probabilities: readonly number[]): { statistic: number; df: number; pValue: number } {
  const n = counts.reduce((a, b) => a + b, 0);
  const cells: { observed: number; expected: number }[] = [];
  const pooled = { observed: 0, expected: 0 };
  counts.forEach((observed, i) => {
    const expected = n * probabilities[i]!;
    if (expected < 5) {
      pooled.observed += observed;
      pooled.expected += expected;
    } else cells.push({ observed, expected });
  });
  if (pooled.expected > 0 || pooled.observed > 0) cells.push(pooled);
  // An observed count where nothing is expected is an outright failure.
  const statistic = cells.reduce((s, c) => s + (c.expected === 0 ? (c.observed > 0 ? Infinity : 0) : (c.observed - c.expected) ** 2 / c.expected), 0);
  const df = cells.length - 1;
  return { statistic, df, pValue: Number.isFinite(statistic) ? upperRegularizedGamma(df / 2, statistic / 2) : 0 };
}

/** Q(a, x) = Γ(a, x) / Γ(a): the series below a + 1, Lentz's continued fraction above (Numerical Recipes 6.2). */
export function upperRegularizedGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  const lead = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let k = 1; k < 1000 && Math.abs(term) > Math.abs(sum) * 1e-15; k++) sum += term *= x / (a + k);
    return 1 - sum * lead;
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return lead * h;
}

/** Lanczos approximation (g = 7, 9 terms). */
function logGamma(z: number): number {
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const x = z - 1;
  let a = g[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += g[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}
