import { describe, expect, it } from 'vitest';
import { BOOTSTRAP, drawMedianIndices, ratioInterval, resampledMedians, runDraws } from '../../../engine/eval/bootstrap.js';
import { compareResults } from '../../../engine/eval/compare.js';
import { percentile } from '../../../engine/eval/metrics.js';
import { summarize } from '../../../engine/runs/results-schema.js';
import { mulberry32 } from '../../../engine/util/random.js';
import type { EpisodeRecord } from '../../../engine/api/schemas/results.js';
import { chunks, config, episode } from '../runs/fixtures.js';

// The latency ratio's bootstrap interval over chunks (docs/metrics.md "Paired comparison").

/** `episodes` episodes of 10 chunks whose totals come from `totalMs(i)` for the run's i-th chunk. */
function run(totalMs: (i: number) => number, decoding: 'speculative' | 'autoregressive' | 'parallel' = 'speculative', episodes = 20) {
  const records: EpisodeRecord[] = [];
  for (let t = 0; t < episodes; t++) {
    const totals = Array.from({ length: 10 }, (_, j) => totalMs(t * 10 + j));
    const accepted = totals.map(() => (decoding === 'speculative' ? 1 : 0));
    records.push(episode(0, t, 'failure', { chunks: chunks(accepted, decoding === 'speculative' ? 2 : 0, totals) }));
  }
  return summarize(config({ tasks: [0], trials: episodes, decoding, ...(decoding === 'speculative' ? {} : { accept: null, threshold: null }) }), records);
}

/** Chunk times spread like a real run's: 20-40 ms, from a seeded stream. */
const spread = (seed: number) => {
  const rng = mulberry32(seed);
  const values = Array.from({ length: 1000 }, () => 20 + 20 * rng());
  return (i: number) => values[i]!;
};

describe('bootstrap of a ratio of medians', () => {
  it('finds each resample median from its drawn ranks exactly as resampling the values and taking their median does', () => {
    for (const n of [1, 2, 7, 10]) {
      const values = Array.from({ length: n }, (_, i) => (i * 7919) % 13);
      const sorted = Float64Array.from(values).sort();
      const draws = drawMedianIndices(n, 50, mulberry32(3));
      const fast = resampledMedians(sorted, draws);
      // The same stream, drawn the plain way: n values with replacement, then their median.
      const rng = mulberry32(3);
      for (let b = 0; b < 50; b++) {
        const sample = Array.from({ length: n }, () => sorted[Math.floor(rng() * n)]!);
        expect(fast[b]).toBe(percentile(sample, 50));
      }
    }
  });

  it('gives identical runs a ratio of 1 with a tight interval around it', () => {
    const a = run(spread(1));
    const c = compareResults(a, a);
    expect(c.latency.totalRatio).toBe(1);
    const i = c.latency.totalInterval!;
    expect(i.low).toBeLessThan(1);
    expect(i.high).toBeGreaterThan(1);
    // 200 chunks of 20-40 ms a run: each median's standard error is about 0.7 ms (2.4%), the ratio's about 3.3%.
    expect(i.low).toBeGreaterThan(0.85);
    expect(i.high).toBeLessThan(1.15);
    expect(c.latency.bootstrap).toEqual({ method: 'percentile', resamples: 2000, level: 0.95, seed: 19 });
  });

  it('gives a run twice as slow an interval around 2, for the total and every stage both runs have', () => {
    const b = run(spread(2));
    const a = run((i) => 2 * spread(2)(i));
    const c = compareResults(a, b);
    expect(c.latency.totalRatio).toBeCloseTo(2, 12);
    const { low, high } = c.latency.totalInterval!;
    expect(low).toBeLessThan(2);
    expect(high).toBeGreaterThan(2);
    expect(low).toBeGreaterThan(1.8);
    expect(high).toBeLessThan(2.2);
    for (const s of c.latency.stages.filter((x) => x.ratio !== null)) {
      expect(s.interval!.low, s.stage).toBeLessThan(s.ratio!);
      expect(s.interval!.high, s.stage).toBeGreaterThan(s.ratio!);
    }
    // Swapped, the interval is the reciprocal one (to the resamples' noise).
    const back = compareResults(b, a).latency.totalInterval!;
    expect(back.low).toBeCloseTo(1 / high, 1);
    expect(back.high).toBeCloseTo(1 / low, 1);
  });

  it('is reproducible: the same runs give the same interval', () => {
    const a = run(spread(4));
    const b = run(spread(5));
    expect(compareResults(a, b).latency.stages).toEqual(compareResults(a, b).latency.stages);
  });

  it('separates two runs of 1000 chunks whose chunk times overlap but differ by 10%', () => {
    const c = compareResults(run((i) => 1.1 * spread(6)(i), 'speculative', 100), run(spread(7), 'speculative', 100));
    expect(c.latency.totalInterval!.low).toBeGreaterThan(1);
  });

  it('says n/a where a ratio is undefined: a run with no chunks, a stage a decoding does not have', () => {
    const empty = summarize(config({ tasks: [0], trials: 1 }), []);
    const c = compareResults(run(spread(8)), empty);
    expect(c.latency.totalRatio).toBeNull();
    expect(c.latency.totalInterval).toBeNull();
    expect(c.latency.stages.every((s) => s.medianB === null && s.interval === null)).toBe(true);
    expect(c.latency.histogram.countsB.every((n) => n === 0)).toBe(true);
    const none = compareResults(empty, empty);
    expect(none.latency.histogram).toEqual({ edges: [], countsA: [], countsB: [] });
    // Parallel against speculative: only the stages both decodings have get a ratio.
    const p = compareResults(run(spread(9), 'parallel'), run(spread(10)));
    const withRatio = p.latency.stages.filter((s) => s.ratio !== null).map((s) => s.stage);
    expect(withRatio).toEqual(['totalMs', 'decoderMs', 'rfsqMs', 'ortMs', 'overheadMs']);
    expect(p.latency.stages.find((s) => s.stage === 'parallelMs')).toMatchObject({ medianA: expect.any(Number), medianB: null, ratio: null, interval: null });
    expect(p.latency.stages.find((s) => s.stage === 'draftMs')).toMatchObject({ medianA: null, medianB: expect.any(Number), ratio: null });
  });

  it('leaves an interval undefined when a resample of B has a median of 0', () => {
    const medians = Float64Array.from([1, 2]);
    expect(ratioInterval(medians, Float64Array.from([1, 0]))).toBeNull();
    expect(ratioInterval(Float64Array.from([2, 2, 2, 2]), Float64Array.from([1, 1, 1, 1]))).toEqual({ low: 2, high: 2 });
  });

  it('draws the two runs independently from the fixed seed', () => {
    const { a, b } = runDraws(100, 100, 10, BOOTSTRAP.seed);
    expect(Array.from(a.lo)).not.toEqual(Array.from(b.lo));
    expect(Array.from(runDraws(100, 100, 10).a.lo)).toEqual(Array.from(a.lo));
  });
});
