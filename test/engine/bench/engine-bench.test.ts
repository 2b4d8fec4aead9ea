// The engine bench's report: its structure and internal consistency on the tiny preset (timings
// themselves are not asserted: they belong to the machine).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEngineBench, predictedSpeculativeMs, runEngineBench, stats, type EngineBenchReport } from '../../../engine/bench/engine-bench.js';
import { writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';

let report: EngineBenchReport;
let root: string;

beforeAll(async () => {
  report = await runEngineBench({ ep: 'cpu', chunks: 12, warmup: 2, seed: 4, preset: 'tiny' });
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
    expect(report.arms.map((a) => a.name)).toEqual(['autoregressive', 'speculative exact', 'speculative threshold 0.7', 'speculative stochastic', 'parallel']);
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
      expect(acc.distribution).toHaveLength(4);
      expect(acc.distribution.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 9);
      expect(acc.meanAcceptedLayers).toBeCloseTo(acc.distribution.reduce((s, x, n) => s + n * x, 0), 9);
      // Layer j is in the accepted prefix exactly when more than j layers were accepted.
      acc.perLayer.forEach((rate, j) => expect(rate).toBeCloseTo(acc.distribution.slice(j + 1).reduce((s, x) => s + x, 0), 9));
      // Main steps after the verify step: Q - 1 - a on average.
      expect(a.stages.mainSteps).toBeCloseTo(7 - acc.meanAcceptedLayers, 9);
    }
    for (const a of report.arms.filter((x) => x.strategy !== 'speculative')) expect(a.acceptance).toBeNull();
  });

  it('reports deviation for the lossy rules only', () => {
    const [ar, exact, threshold, stochastic, parallel] = report.arms;
    for (const a of [ar, exact, parallel]) expect(a!.deviation).toBeNull();
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
      if (a.strategy !== 'speculative') {
        expect(a.speedup).toBeNull();
        continue;
      }
      expect(a.speedup!.measured).toBeCloseTo(ar.latency.medianMs / a.latency.medianMs, 9);
      const expectedMs = a.acceptance!.distribution.reduce((s, share, n) => s + share * (c.prefillMs + c.draftMs + c.verifyMs + (7 - n) * c.stepMs + c.decodeMs), 0);
      expect(a.speedup!.predictedMs).toBeCloseTo(expectedMs, 9);
      expect(predictedSpeculativeMs(c, 8, a.acceptance!.distribution)).toBeCloseTo(expectedMs, 9);
      expect(a.speedup!.predicted).toBeCloseTo(c.autoregressiveMs / expectedMs, 9);
    }
    expect(report.costCheck!.ratio).toBeCloseTo(report.costCheck!.stepMs / report.costCheck!.draftMs, 9);
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
