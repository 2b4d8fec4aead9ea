import { describe, expect, it } from 'vitest';
import { percentile, pointBiserial, wilson } from '../../../engine/eval/metrics.js';
import { ResultsError, summarize, validateResults } from '../../../engine/runs/results-schema.js';
import { Results } from '../../../engine/api/schemas/results.js';
import { chunks, config, episode } from './fixtures.js';

describe('summarize', () => {
  const episodes = [
    episode(0, 0, 'success', { chunks: chunks([2, 2]) }),
    episode(0, 1, 'success', { chunks: chunks([2, 1]) }),
    episode(0, 2, 'failure', { chunks: chunks([0, 1]) }),
    episode(1, 0, 'error', { chunks: chunks([1]) }),
    episode(1, 1, 'success', { chunks: chunks([2]) }),
    episode(1, 2, 'failure', { chunks: chunks([0]) }),
  ];
  const results = summarize(config(), episodes);

  it('gives per-task and total success with Wilson 95% intervals', () => {
    expect(results.tasks.map((t) => [t.taskId, t.successes, t.episodes])).toEqual([
      [0, 2, 3],
      [1, 1, 3],
    ]);
    expect(results.tasks[0]!.wilson95).toEqual(wilson(2, 3));
    expect(results.total.successes).toBe(3);
    expect(results.total.rate).toBe(0.5);
    expect(results.total.wilson95.low).toBeCloseTo(0.1876, 3);
    expect(results.total.wilson95.high).toBeCloseTo(0.8124, 3);
  });

  it('lists errors apart and counts them against success', () => {
    expect(results.hadErrors).toBe(true);
    expect(results.errors).toEqual([{ taskId: 1, trial: 0, initIndex: 0, error: 'MuJoCo unstable' }]);
    expect(results.tasks[1]).toMatchObject({ episodes: 3, successes: 1, failures: 1, errors: 1 });
    expect(results.total).toMatchObject({ episodes: 6, successes: 3, failures: 2, errors: 1 });
    expect(summarize(config(), episodes.filter((e) => e.outcome !== 'error')).hadErrors).toBe(false);
  });

  it('computes latency percentiles, per-layer acceptance and the point-biserial correlation', () => {
    expect(results.latency.chunks).toBe(9);
    const totals = episodes.flatMap((e) => e.chunks.latency.totalMs);
    expect(results.latency.stages.totalMs.p90).toBe(percentile(totals, 90));
    expect(results.acceptance.meanAcceptedLayers).toBeCloseTo(11 / 9);
    const [l0, l1] = results.acceptance.perLayer;
    expect(l0).toMatchObject({ layer: 0, proposed: 9, accepted: 7 });
    expect(l1).toMatchObject({ layer: 1, proposed: 9, accepted: 4 });
    const frac0 = [1, 1, 0.5, 1, 1, 0];
    const success = episodes.map((e) => e.outcome === 'success');
    expect(l0!.successCorrelation).toBeCloseTo(pointBiserial(frac0, success), 12);
  });

  it('serialises an undefined correlation (no variance) as null, and stays schema-valid', () => {
    const allSuccess = summarize(config(), [episode(0, 0, 'success'), episode(0, 1, 'success')]);
    expect(allSuccess.acceptance.perLayer[0]!.successCorrelation).toBeNull();
    const json = JSON.parse(JSON.stringify(allSuccess)) as unknown;
    expect(Results.safeParse(json).success).toBe(true);
    expect(validateResults(json)).toEqual(allSuccess);
    const noChunks = summarize(config({ decoding: 'parallel', accept: null, threshold: null }), [episode(0, 0, 'failure', { chunks: chunks([], 0) })]);
    expect(noChunks.latency.stages.totalMs).toEqual({ median: null, p90: null, p99: null });
    expect(noChunks.acceptance).toEqual({ speculativeChunks: 0, meanAcceptedLayers: null, perLayer: [] });
    expect(() => validateResults(JSON.parse(JSON.stringify(noChunks)))).not.toThrow();
  });

  it('refuses a file whose aggregates disagree with its episodes, naming the field', () => {
    const json = JSON.parse(JSON.stringify(results)) as { total: { successes: number } };
    json.total.successes = 4;
    expect(() => validateResults(json)).toThrow(ResultsError);
    expect(() => validateResults(json)).toThrow(/^total\.successes: /);
  });
});
