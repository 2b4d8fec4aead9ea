import { describe, expect, it } from 'vitest';
import { mcnemar, percentile, pointBiserial, wilson } from '../../../engine/eval/metrics.js';

describe('wilson', () => {
  it('matches published values', () => {
    // statsmodels proportion_confint(count, nobs, method='wilson'): 45/50 -> (0.7864, 0.9565); 0/10 -> (0, 0.2775); 50/50 -> (0.9287, 1)
    const a = wilson(45, 50);
    expect(a.low).toBeCloseTo(0.7864, 4);
    expect(a.high).toBeCloseTo(0.9565, 4);
    expect(wilson(0, 10).low).toBe(0);
    expect(wilson(0, 10).high).toBeCloseTo(0.2775, 4);
    expect(wilson(50, 50).low).toBeCloseTo(0.9287, 4);
    expect(wilson(50, 50).high).toBe(1);
  });

  it('narrows as n grows (docs/rfsq.md 6.5: about ±1.5 pp at p 0.97, n 500)', () => {
    const i = wilson(485, 500);
    expect(i.high - i.low).toBeGreaterThan(0.025);
    expect(i.high - i.low).toBeLessThan(0.035);
    expect(wilson(0, 0)).toEqual({ low: 0, high: 1 });
  });

  it('refuses impossible counts', () => {
    expect(() => wilson(6, 5)).toThrow(/0 <= successes <= n/);
    expect(() => wilson(1.5, 5)).toThrow(RangeError);
  });
});

describe('percentile', () => {
  it('interpolates as numpy does', () => {
    // numpy.percentile([1, 2, 3, 4], [50, 90, 99]) = [2.5, 3.7, 3.97]
    expect(percentile([4, 1, 3, 2], 50)).toBeCloseTo(2.5, 12);
    expect(percentile([4, 1, 3, 2], 90)).toBeCloseTo(3.7, 12);
    expect(percentile([4, 1, 3, 2], 99)).toBeCloseTo(3.97, 12);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('pointBiserial', () => {
  it('equals Pearson r against 0/1', () => {
    const values = [0.9, 0.8, 0.4, 0.7, 0.2, 0.95];
    const success = [true, true, false, true, false, true];
    // Pearson r computed independently.
    const y = success.map(Number);
    const mx = values.reduce((a, b) => a + b) / values.length;
    const my = y.reduce((a, b) => a + b) / y.length;
    const cov = values.reduce((a, v, i) => a + (v - mx) * (y[i]! - my), 0);
    const r = cov / Math.sqrt(values.reduce((a, v) => a + (v - mx) ** 2, 0) * y.reduce((a, v) => a + (v - my) ** 2, 0));
    expect(pointBiserial(values, success)).toBeCloseTo(r, 12);
    expect(r).toBeGreaterThan(0.8);
  });

  it('is NaN without variance on either side', () => {
    expect(pointBiserial([1, 2, 3], [true, true, true])).toBeNaN();
    expect(pointBiserial([1, 1, 1], [true, false, true])).toBeNaN();
  });
});

describe('mcnemar', () => {
  it('matches the exact binomial test', () => {
    // 10 discordant pairs split 8/2: two-sided exact p = 2 * P(X <= 2 | n 10, 1/2) = 2 * 56/1024 = 0.109375
    const a = [...Array(8).fill(true), ...Array(2).fill(false), ...Array(5).fill(true)];
    const b = [...Array(8).fill(false), ...Array(2).fill(true), ...Array(5).fill(true)];
    const r = mcnemar(a, b);
    expect(r.onlyA).toBe(8);
    expect(r.onlyB).toBe(2);
    expect(r.pValue).toBeCloseTo(0.109375, 12);
  });

  it('gives p = 1 for identical runs and refuses unpaired runs', () => {
    expect(mcnemar([true, false], [true, false]).pValue).toBe(1);
    expect(() => mcnemar([true], [true, false])).toThrow(/not paired/);
  });
});
