import { describe, expect, it } from 'vitest';
import { compareResults, ComparisonError, formatComparison } from '../../../engine/eval/compare.js';
import { summarize } from '../../../engine/runs/results-schema.js';
import type { EpisodeRecord } from '../../../engine/api/schemas/results.js';
import { chunks, config, episode } from '../runs/fixtures.js';
import { wilson } from '../../../engine/eval/metrics.js';

type Outcome = EpisodeRecord['outcome'];
const S: Outcome = 'success';
const F: Outcome = 'failure';
const E: Outcome = 'error';

/** Speculative A (chunks of 30 ms, accepted 2 and 1 of 2 layers) against autoregressive B (10 ms chunks). */
function episodesA(task: number, outcomes: Outcome[]): EpisodeRecord[] {
  return outcomes.map((o, trial) => episode(task, trial, o, { chunks: chunks([2, 1], 2, [30, 30]) }));
}
function episodesB(task: number, outcomes: Outcome[]): EpisodeRecord[] {
  return outcomes.map((o, trial) => episode(task, trial, o, { chunks: chunks([0, 0], 0, [10, 10]) }));
}

// Task 0: discordant trial 1 (A only) and trials 2-5 (B only; A's trial 2 errored, which counts as
// not successful). Task 1: trials 0-2 B only. In total 1 A-only and 7 B-only pairs.
// Unpaired: task 0 trial 7 is missing from B, task 1 trial 7 ran from another initial state in B,
// and task 1 trial 8 is only in B.
const a = summarize(config({ tasks: [0, 1], trials: 8 }), [...episodesA(0, [S, S, E, F, F, F, F, F]), ...episodesA(1, [F, F, F, F, S, F, F, F])], {
  id: 'run-a',
  status: 'completed',
  createdAt: '2026-11-25T10:00:00.000Z',
  finishedAt: '2026-11-25T11:00:00.000Z',
});
const bEpisodes = [...episodesB(0, [S, F, S, S, S, S, F]), ...episodesB(1, [S, S, S, F, S, F, F, F, S])];
bEpisodes.find((e) => e.taskId === 1 && e.trial === 7)!.initIndex = 42;
const b = summarize(config({ tasks: [0, 1], trials: 8, decoding: 'autoregressive', accept: null, threshold: null }), bEpisodes, {
  id: 'run-b',
  status: 'completed',
  createdAt: '2026-11-25T12:00:00.000Z',
  finishedAt: '2026-11-25T13:00:00.000Z',
});

/** Two-sided exact binomial p for k of n discordant pairs, computed by hand. */
const C = (n: number, k: number): number => (k === 0 ? 1 : (C(n, k - 1) * (n - k + 1)) / k);

describe('compareResults', () => {
  const c = compareResults(a, b);

  it('pairs by (task, trial) and reports what could not be paired', () => {
    expect(c.paired).toBe(14);
    expect(c.unpaired).toMatchObject({ total: 3, onlyInA: 1, onlyInB: 1, initIndexDiffers: 1 });
    expect(c.unpaired.episodes).toEqual([
      { taskId: 0, trial: 7, reason: 'only-in-a', initIndexA: 7, initIndexB: null },
      { taskId: 1, trial: 7, reason: 'init-index-differs', initIndexA: 7, initIndexB: 42 },
      { taskId: 1, trial: 8, reason: 'only-in-b', initIndexA: null, initIndexB: 8 },
    ]);
  });

  it('counts discordant pairs and gives McNemar exact p, per task in A order and in total', () => {
    expect(c.tasks.map((t) => t.taskId)).toEqual([0, 1]);
    expect(c.tasks[0]).toMatchObject({ taskId: 0, n: 7, successesA: 2, successesB: 5, onlyA: 1, onlyB: 4 });
    expect(c.tasks[0]!.difference).toBeCloseTo(3 / 7, 12);
    // Task 0: 5 discordant, 1 the minority: 2 * (C(5,0) + C(5,1)) / 2^5 = 12/32.
    expect(c.tasks[0]!.pValue).toBeCloseTo(0.375, 12);
    expect(c.tasks[1]).toMatchObject({ taskId: 1, n: 7, successesA: 1, successesB: 4, onlyA: 0, onlyB: 3 });
    expect(c.tasks[1]!.pValue).toBeCloseTo(2 / 8, 12);
    expect(c.total).toMatchObject({ n: 14, successesA: 3, successesB: 9, onlyA: 1, onlyB: 7 });
    expect(c.total.rateA).toBeCloseTo(3 / 14, 12);
    expect(c.total.difference).toBeCloseTo(6 / 14, 12);
    // 8 discordant pairs, 1 of them A-only: p = 2 * (1 + 8) / 256 = 0.0703125.
    expect(c.total.pValue).toBeCloseTo((2 * (C(8, 0) + C(8, 1))) / 2 ** 8, 12);
    expect(c.total.pValue).toBeCloseTo(0.0703125, 12);
  });

  it('gives no discordant pairs p = 1, and swapping the runs swaps the discordant counts', () => {
    expect(compareResults(a, a).total).toMatchObject({ onlyA: 0, onlyB: 0, pValue: 1, difference: 0 });
    const swapped = compareResults(b, a);
    expect(swapped.total).toMatchObject({ onlyA: 7, onlyB: 1 });
    expect(swapped.total.pValue).toBeCloseTo(c.total.pValue, 12);
    expect(swapped.total.difference).toBeCloseTo(-6 / 14, 12);
  });

  it('sets median chunk latency side by side, with A/B ratios, and mean accepted layers', () => {
    expect(c.latency.totalRatio).toBeCloseTo(3, 12);
    const total = c.latency.stages.find((s) => s.stage === 'totalMs')!;
    // Every chunk took the same time: the bootstrap interval is the ratio itself.
    expect(total).toEqual({ stage: 'totalMs', medianA: 30, medianB: 10, ratio: 3, interval: { low: 3, high: 3 } });
    expect(c.latency.totalInterval).toEqual({ low: 3, high: 3 });
    expect(c.latency.stages.find((s) => s.stage === 'mainStepsMs')).toMatchObject({ medianA: 3, medianB: 1, ratio: 3 });
    // B is autoregressive: it has no draft or verify stage (n/a, not 0), whatever its chunks hold; neither run has parallel heads.
    expect(c.latency.stages.find((s) => s.stage === 'verifyMs')).toEqual({ stage: 'verifyMs', medianA: 3, medianB: null, ratio: null, interval: null });
    expect(c.latency.stages.find((s) => s.stage === 'draftMs')).toMatchObject({ medianA: 3, medianB: null, ratio: null, interval: null });
    expect(c.latency.stages.find((s) => s.stage === 'parallelMs')).toMatchObject({ medianA: null, medianB: null, ratio: null, interval: null });
    expect(c.latency.stages).toHaveLength(10);
    expect(c.acceptance).toEqual({ meanAcceptedLayersA: 1.5, meanAcceptedLayersB: null });
    expect(c.configDifferences.map((d) => d.field)).toEqual(['decoding', 'accept', 'threshold']);
  });

  it('says when the runs decoded different depths, and names the depth beside the decoding', () => {
    const shallow = summarize({ ...b.config, depth: { layers: 3, of: 8 } }, bEpisodes, { id: 'run-c', status: 'completed', createdAt: '2026-11-25T14:00:00.000Z', finishedAt: '2026-11-25T15:00:00.000Z' });
    const d = compareResults(b, shallow);
    expect(d.configDifferences).toEqual([{ field: 'layers', a: 'all', b: '3 of 8' }]);
    expect(d.b.depth).toEqual({ layers: 3, of: 8 });
    expect(formatComparison(d)).toContain('(autoregressive, 3 of 8 layers, ');
  });

  it('says a config value that does not apply by its meaning, never "null"', () => {
    const byField = Object.fromEntries(c.configDifferences.map((d) => [d.field, d] as const));
    expect(byField.accept?.b).toBe('none (no draft to accept)');
    expect(byField.threshold?.b).toBe('n/a');
    expect(JSON.stringify(c.configDifferences)).not.toContain('null');
  });

  it('lists the paired episodes whose outcome differs, with their steps and whether each run kept a trajectory', () => {
    expect(c.differing).toEqual([
      { taskId: 0, trial: 1, initIndex: 1, a: { outcome: 'success', steps: 100, trajectory: false }, b: { outcome: 'failure', steps: 220, trajectory: false } },
      { taskId: 0, trial: 2, initIndex: 2, a: { outcome: 'error', steps: 220, trajectory: false }, b: { outcome: 'success', steps: 100, trajectory: false } },
      ...[3, 4, 5].map((trial) => ({ taskId: 0, trial, initIndex: trial, a: { outcome: 'failure', steps: 220, trajectory: false }, b: { outcome: 'success', steps: 100, trajectory: false } })),
      ...[0, 1, 2].map((trial) => ({ taskId: 1, trial, initIndex: trial, a: { outcome: 'failure', steps: 220, trajectory: false }, b: { outcome: 'success', steps: 100, trajectory: false } })),
    ]);
    // An error against a failure differs too (neither succeeded, so McNemar does not count it).
    const failed = summarize(config({ tasks: [0], trials: 1 }), [episode(0, 0, 'failure', { trajectory: 'task00-trial000.json' })]);
    const errored = summarize(config({ tasks: [0], trials: 1 }), [episode(0, 0, 'error')]);
    expect(compareResults(failed, errored).differing).toEqual([{ taskId: 0, trial: 0, initIndex: 0, a: { outcome: 'failure', steps: 220, trajectory: true }, b: { outcome: 'error', steps: 220, trajectory: false } }]);
    expect(compareResults(a, a).differing).toEqual([]);
  });

  it('gives each paired rate its Wilson 95% interval', () => {
    expect(c.tasks[0]!.wilsonA).toEqual(wilson(2, 7));
    expect(c.tasks[0]!.wilsonB).toEqual(wilson(5, 7));
    expect(c.total.wilsonB).toEqual(wilson(9, 14));
  });

  it('bins both runs\' chunk totals on the same edges', () => {
    const h = c.latency.histogram;
    expect(h.edges).toHaveLength(21);
    expect(h.edges[0]).toBe(10);
    expect(h.edges[20]).toBeCloseTo(30, 12);
    expect(h.countsA.reduce((x, y) => x + y)).toBe(a.latency.chunks);
    expect(h.countsB.reduce((x, y) => x + y)).toBe(b.latency.chunks);
    expect(h.countsA[19]).toBe(a.latency.chunks); // 30 ms: the last bin, closed
    expect(h.countsB[0]).toBe(b.latency.chunks);
  });

  it('refuses runs on different suites, naming both', () => {
    const other = summarize(config({ suite: 'libero_object' }), [episode(0, 0, 'success')]);
    expect(() => compareResults(a, other)).toThrow(ComparisonError);
    expect(() => compareResults(a, other)).toThrow(/A is libero_spatial, B is libero_object/);
  });

  it('formats the comparison', () => {
    const text = formatComparison(c);
    expect(text).toContain('A: run-a (speculative, threshold 0.7, test-bundle, cpu)');
    expect(text).toContain('14 paired episodes; 3 unpaired (1 only in A, 1 only in B, 1 with different initial states)');
    expect(text).toMatch(/\n {2}total +14 +3 \(21\.4%\) +9 \(64\.3%\) +\+42\.9 pp +1 +7 +0\.070\n/);
    expect(text).toContain('B is 3.00 times faster per chunk (95% interval [3.00, 3.00]; median total 30.00 ms vs 10.00 ms)');
    expect(text).toMatch(/\n {4}verifyMs +3\.00 +n\/a +n\/a  n\/a\n/);
    expect(text).not.toContain('parallelMs');
    expect(text).toContain('intervals: percentile bootstrap over chunks, 2000 resamples, seed 19');
    expect(text).toContain('outcome differs in 8 of 14 paired episodes:\n    task 0 trial 1 (init 1): A success after 100 steps, B failure after 220 steps\n    task 0 trial 2 (init 2): A error after 220 steps, B success after 100 steps\n');
    expect(text).toContain('mean accepted layers: A 1.50, B n/a');
    expect(formatComparison(compareResults(b, a))).toContain('B is 3.00 times slower per chunk (95% interval [3.00, 3.00]');
    expect(formatComparison(compareResults(a, a))).toContain('outcome differs in no paired episode (of 16)');
  });
});
