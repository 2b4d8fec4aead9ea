// `rsd bench eval`'s report: the bare loop and the runner with 1 and N workers on the same episodes,
// and a run's fixed cost per start path in fresh `rsd eval` processes (timings are not asserted:
// they belong to the machine, which is shared).
import { describe, expect, it } from 'vitest';
import { formatEvalBench, runEvalBench } from '../../../engine/bench/eval-bench.js';

describe('runEvalBench', () => {
  it('runs the same episodes three ways, with the same steps, and measures the fixed cost before and after', async () => {
    const r = await runEvalBench({ episodes: 2, workers: 2, maxSteps: 16, fixedRounds: 1 });
    expect(r.episodes).toBe(2);
    expect(r.tasks).toEqual([0, 1]);
    expect(r.differing).toEqual([]);
    // Like with like: the same steps in the bare loop and both runners.
    expect(r.runner1.steps).toBe(r.bare.steps);
    expect(r.runnerN.steps).toBe(r.bare.steps);
    expect(r.bare.steps).toBeGreaterThan(0);
    expect(r.runnerN.workers).toBe(2);
    expect(r.ratios.runner1).toBeCloseTo(r.runner1.stepsPerSecond / r.bare.stepsPerSecond, 10);
    expect(r.load.before).toHaveLength(3);
    for (const f of [r.runner1.fixed, r.runnerN.fixed]) {
      expect(f.workerStart).toBe('bundle');
      expect(f.startMs).toBeGreaterThan(0);
      expect(f.startCpuMs).toBeGreaterThan(0);
      expect(f.endMs).toBeGreaterThan(0);
    }
    expect(r.fixedCost.map((f) => [f.path, f.error, f.fixed?.workerStart])).toEqual([
      ['before', null, 'tsx'],
      ['bundle', null, 'bundle'],
      ['after', null, 'bundle'],
    ]);
    for (const f of r.fixedCost) expect(f.rounds).toHaveLength(1);
    const text = formatEvalBench(r);
    expect(text).toContain('same outcome and steps in every episode');
    expect(text).toMatch(/load average \d+\.\d\d \d+\.\d\d \d+\.\d\d before/);
    expect(text).toMatch(/before \(tsx, each worker compiles MuJoCo\) +start \d+ ms/);
  }, 180_000);
});
