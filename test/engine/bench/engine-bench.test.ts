// The engine bench's report: its structure and internal consistency on the tiny preset (timings
// themselves are not asserted: they belong to the machine).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEngineBench, predictedAutoregressiveMs, predictedSpeculativeMs, runEngineBench, stats, verifyCostMs, type EngineBenchReport } from '../../../engine/bench/engine-bench.js';
import { InputError } from '../../../engine/util/input-error.js';
import { writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';

let report: EngineBenchReport;
let root: string;

beforeAll(async () => {
  report = await runEngineBench({ ep: 'cpu', chunks: 12, warmup: 2, seed: 4, preset: 'tiny', layers: [2, 5] });
  root = await mkdtemp(path.join(os.tmpdir(), 'rsd-engine-bench-'));
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('runEngineBench', () => {
  it('says the default bundle is synthetic and runs every arm on the same number of chunks', () => {
    expect(report.bundle).toMatchObject({ name: 'synthetic-tiny', synthetic: true, decoding: 'layerwise', layers: 8, draftLayers: 3 });
    expect(report.bundle.note).toMatch(/^SYNTHETIC: generated from preset "tiny" \(seed 4\)/);
    expect(report.ep).toBe('cpu');
    expect(report.threads).toBeNull();
    expect(report.arms.map((a) => a.name)).toEqual([
      'autoregressive',
      'speculative exact',
      'speculative threshold 0.7',
      'speculative stochastic',
      'autoregressive, 2 of 8 layers',
      'speculative exact, 2 of 8 layers',
      'autoregressive, 5 of 8 layers',
      'speculative exact, 5 of 8 layers',
      'parallel',
    ]);
    expect(report.arms.map((a) => a.layers)).toEqual([8, 8, 8, 8, 2, 2, 5, 5, 8]);
    expect(report.arms.at(-1)!.bundle).toBe('synthetic-tiny-parallel');
    for (const a of report.arms) expect(a.chunks).toBe(12);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('has ordered latency statistics and an overhead share in [0, 1)', () => {
    for (const a of report.arms) {
      const l = a.latency;
      expect(l.minMs).toBeLessThanOrEqual(l.medianMs);
      expect(l.medianMs).toBeLessThanOrEqual(l.p90Ms);
      expect(l.p90Ms).toBeLessThanOrEqual(l.p99Ms);
      expect(l.p99Ms).toBeLessThanOrEqual(l.maxMs);
      expect(a.overheadShare).toBeGreaterThanOrEqual(0);
      expect(a.overheadShare).toBeLessThan(1);
      expect(a.actionsPerSecond).toBeCloseTo(8 / (l.medianMs / 1000), 6);
    }
    const ar = report.arms[0]!;
    expect(ar.stages.mainSteps).toBe(8);
    expect(ar.stages.draftMs).toBe(0);
  });

  it('has acceptance statistics that add up', () => {
    for (const a of report.arms.filter((x) => x.strategy === 'speculative')) {
      const acc = a.acceptance!;
      const k = Math.min(3, a.layers);
      expect(acc.distribution).toHaveLength(k + 1);
      expect(acc.distribution.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 9);
      expect(acc.meanAcceptedLayers).toBeCloseTo(acc.distribution.reduce((s, x, n) => s + n * x, 0), 9);
      // Layer j is in the accepted prefix exactly when more than j layers were accepted.
      acc.perLayer.forEach((rate, j) => expect(rate).toBeCloseTo(acc.distribution.slice(j + 1).reduce((s, x) => s + x, 0), 9));
      // Main steps after the verify step: D - 1 - a on average.
      expect(a.stages.mainSteps).toBeCloseTo(acc.distribution.reduce((s, x, n) => s + x * Math.max(0, a.layers - 1 - n), 0), 9);
    }
    for (const a of report.arms.filter((x) => x.strategy !== 'speculative')) expect(a.acceptance).toBeNull();
  });

  it('reports deviation for the lossy rules only', () => {
    const [ar, exact, threshold, stochastic, ...rest] = report.arms;
    for (const a of [ar, exact, ...rest]) expect(a!.deviation).toBeNull();
    for (const a of [threshold, stochastic]) {
      expect(a!.deviation!.chunkRate).toBeGreaterThanOrEqual(0);
      expect(a!.deviation!.chunkRate).toBeLessThanOrEqual(1);
      expect(a!.deviation!.codeRate).toBeLessThanOrEqual(a!.deviation!.chunkRate);
    }
    expect(threshold!.threshold).toBe(0.7);
  });

  it('measures speedup against the autoregressive arm of the same run, beside the cost model', () => {
    const ar = report.arms[0]!;
    const c = report.costs!;
    expect(c.autoregressiveMs).toBeCloseTo(c.prefillMs + 8 * c.stepMs + c.decodeMs, 9);
    for (const a of report.arms) {
      if (a.strategy === 'parallel' || (a.strategy === 'autoregressive' && a.layers === 8)) {
        expect(a.speedup).toBeNull();
        continue;
      }
      expect(a.speedup!.measured).toBeCloseTo(ar.latency.medianMs / a.latency.medianMs, 9);
      const D = a.layers;
      let expectedMs: number;
      if (a.strategy === 'autoregressive') {
        expectedMs = c.prefillMs + D * c.stepMs + c.decodeMs;
        expect(predictedAutoregressiveMs(c, D)).toBeCloseTo(expectedMs, 9);
      } else {
        const k = Math.min(3, D);
        // verify(n) is the step over n = min(k + 1, D) positions, measured in this run.
        const verify = c.stepByPositions![Math.min(k + 1, D) - 1]!.medianMs;
        expect(verifyCostMs(c, Math.min(k + 1, D))).toBe(verify);
        expectedMs = a.acceptance!.distribution.reduce((s, share, n) => s + share * (c.prefillMs + c.draftMs + verify + Math.max(0, D - 1 - n) * c.stepMs + c.decodeMs), 0);
        expect(predictedSpeculativeMs(c, D, k, a.acceptance!.distribution)).toBeCloseTo(expectedMs, 9);
      }
      expect(a.speedup!.predictedMs).toBeCloseTo(expectedMs, 9);
      expect(a.speedup!.predicted).toBeCloseTo(c.autoregressiveMs / expectedMs, 9);
    }
    expect(report.costCheck!.ratio).toBeCloseTo(report.costCheck!.stepMs / report.costCheck!.draftMs, 9);
  });

  it('measures a step over n = 1..Q positions, and predicts what a deeper draft would buy from it', () => {
    const c = report.costs!;
    expect(c.stepByPositions!.map((s) => s.positions)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const s of c.stepByPositions!) expect(s.medianMs).toBeGreaterThan(0);
    expect(report.deeperDraft!.map((d) => d.draftLayers)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const d of report.deeperDraft!) {
      const k = d.draftLayers;
      const full = c.prefillMs + c.draftMs + c.stepByPositions![k]!.medianMs + (7 - k) * c.stepMs + c.decodeMs;
      expect(d.predicted).toBeCloseTo(c.autoregressiveMs / full, 9);
    }
    const text = formatEngineBench(report);
    expect(text).toContain('main step by positions n (median ms, x one position): n=1 ');
    expect(text).toContain('predicted speedup of a draft of k layers, all accepted');
  });

  it('gives every arm its latency ratio to the parallel arm of the same run', () => {
    const parallel = report.arms.at(-1)!;
    for (const a of report.arms) expect(a.vsParallel).toBeCloseTo(a.latency.medianMs / parallel.latency.medianMs, 9);
    expect(parallel.vsParallel).toBe(1);
  });

  it('takes a real bundle folder\'s parallel twin from beside it (DIR-parallel)', async () => {
    await writeSyntheticBundle(path.join(root, 'pair'), 'tiny', 2);
    await writeSyntheticBundle(path.join(root, 'pair-parallel'), 'tiny-parallel', 2);
    const r = await runEngineBench({ bundleDir: path.join(root, 'pair'), ep: 'cpu', chunks: 2, warmup: 0, seed: 1, layers: [3] });
    expect(r.arms.map((a) => a.name)).toEqual(['autoregressive', 'speculative exact', 'speculative threshold 0.7', 'speculative stochastic', 'autoregressive, 3 of 8 layers', 'speculative exact, 3 of 8 layers', 'parallel']);
    expect(r.arms.at(-1)!.bundle).toBe('synthetic-tiny-parallel');
    expect(r.warnings).toEqual([]);
    // A bundle beside it that is no parallel twin is no arm, and a warning says why.
    await writeSyntheticBundle(path.join(root, 'odd'), 'tiny', 2);
    await writeSyntheticBundle(path.join(root, 'odd-parallel'), 'tiny-vision', 2);
    const odd = await runEngineBench({ bundleDir: path.join(root, 'odd'), ep: 'cpu', chunks: 1, warmup: 0, seed: 1 });
    expect(odd.arms.some((a) => a.strategy === 'parallel')).toBe(false);
    expect(odd.warnings).toEqual([`no parallel arm: ${path.join(root, 'odd-parallel')} is not a parallel bundle`]);
  }, 30_000);

  it('refuses a depth the bundle does not have, naming the option', async () => {
    await writeSyntheticBundle(path.join(root, 'depths'), 'tiny', 2);
    for (const layers of [[8], [0], [2, 9]]) {
      const error = await runEngineBench({ bundleDir: path.join(root, 'depths'), ep: 'cpu', chunks: 1, warmup: 0, seed: 1, layers }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error).toMatchObject({ field: 'layers', message: expect.stringMatching(/^depth (8|0|9) is not in 1\.\.7 \(depths below bundle "synthetic-tiny"'s 8 RFSQ layers/) });
    }
  });

  it('prints a table naming every arm and the synthetic bundle', () => {
    const text = formatEngineBench(report);
    expect(text).toContain('SYNTHETIC');
    for (const a of report.arms) expect(text).toContain(a.name);
    expect(text).toContain('parallel (synthetic-tiny-parallel)');
    expect(report.warnings).toEqual([]); // tiny sets no minimum cost ratio
    expect(formatEngineBench({ ...report, warnings: ['main step costs 3.0x the draft'] })).toContain('\n  WARNING: main step costs 3.0x the draft\n');
  });

  it('runs on a given bundle folder: a parallel bundle has only its parallel arm', async () => {
    const dir = path.join(root, 'tiny-parallel');
    await writeSyntheticBundle(dir, 'tiny-parallel', 2);
    const r = await runEngineBench({ bundleDir: dir, ep: 'cpu', chunks: 3, warmup: 0, seed: 1, threads: 1 });
    expect(r.bundle.synthetic).toBe(false);
    expect(r.threads).toBe(1);
    expect(r.arms.map((a) => a.name)).toEqual(['parallel']);
    expect(r.costs).toBeNull();
    expect(formatEngineBench(r)).toContain('parallel');
  });
});

describe('stats', () => {
  it('interpolates quantiles linearly', () => {
    const s = stats([4, 1, 3, 2]);
    expect(s).toMatchObject({ medianMs: 2.5, meanMs: 2.5, minMs: 1, maxMs: 4 });
    expect(s.p90Ms).toBeCloseTo(3.7, 12);
    expect(s.p99Ms).toBeCloseTo(3.97, 12);
  });
});
