// rsd bench sim's contact-pruning arm: its report's structure and the contacts it counts (timings
// themselves are not asserted: they belong to the machine).
import { beforeAll, describe, expect, it } from 'vitest';
import { formatPruningBench, runPruningBench, type PruningBenchReport } from '../../../engine/bench/sim-bench.js';

let report: PruningBenchReport;

beforeAll(async () => {
  report = await runPruningBench({ tasks: [0, 4], steps: 20, block: 10 });
}, 120_000);

describe('runPruningBench', () => {
  it('times both scenes of each task on the same number of steps and counts their contacts', () => {
    expect(report.tasks.map((t) => t.task.split(':')[0])).toEqual(['0', '4']);
    expect(report.steps).toBe(20);
    for (const t of report.tasks) {
      for (const v of [t.envStepOldMs, t.envStepNewMs, t.bareOldMs, t.bareNewMs]) expect(v).toBeGreaterThan(0);
      expect(t.envRatio).toBeCloseTo(t.envStepNewMs / t.envStepOldMs, 12);
      expect(t.bareRatio).toBeCloseTo(t.bareNewMs / t.bareOldMs, 12);
      // the plate's 24 and the ramekin's 32 wall contacts become 6 + 8 feet
      expect(t.contactsOld - t.contactsNew, t.task).toBeGreaterThan(35);
    }
    expect(report.mujoco).toMatch(/^MuJoCo 3\./);
  });

  it('times the pruned scene on native MuJoCo against the old scene on wasm where the addon loads, else says why not', () => {
    if (report.nativeAbsent === null) {
      for (const t of report.tasks) expect(t.envRatioNative!).toBeCloseTo(t.envStepNativeMs! / t.envStepOldMs, 12);
      expect(report.envRatioNative).toBeGreaterThan(0);
      expect(formatPruningBench(report)).toContain(`on WebAssembly (before issue 20) ${report.envRatioNative!.toFixed(3)}`);
    } else {
      expect(report.envRatioNative).toBeNull();
      expect(report.tasks.every((t) => t.envRatioNative === null)).toBe(true);
      expect(formatPruningBench(report)).toContain(`no native arm: ${report.nativeAbsent}`);
    }
  });

  it('prints one line per task and the overall ratios', () => {
    const text = formatPruningBench(report);
    expect(text.split('\n').filter((l) => /^\s+[04]\s/.test(l))).toHaveLength(2);
    expect(text).toContain(`env.step pruned / old ${report.envRatio.toFixed(3)}`);
  });
});
