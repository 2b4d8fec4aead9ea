// The charts' inputs (uPlot draws on a canvas jsdom lacks): the data and the axis titles and units
// each chart is given, the heat map's colour scale, and the reasons given in place of a plot.
import { describe, expect, test } from 'vitest';
import type uPlot from 'uplot';
import { heatScale } from '../../renderer/src/components/results/AcceptanceHeatmap.js';
import { latencyChart } from '../../renderer/src/components/results/Plots.js';
import type { ChartTheme } from '../../renderer/src/components/charts/theme.js';
import { alpha } from '../../renderer/src/components/charts/theme.js';

const theme: ChartTheme = { text: '#000000', muted: '#555555', border: '#dddddd', panel: '#ffffff', accent: '#2f6fde', good: '#1d8a4e', bad: '#c23b3b', warn: '#b7791f', series: ['#111111', '#222222', '#333333', '#444444', '#555555', '#666666', '#777777'] };

describe('charts', () => {
  test('the heat scale spans the observed rates, so 94% and 100% are far apart', () => {
    const s = heatScale([0.94, 0.97, 1])!;
    expect([s.low, s.high]).toEqual([0.94, 1]);
    expect(s.strength(1) - s.strength(0.94)).toBe(78);
    expect(heatScale([0.5, 0.5])!.strength(0.5)).toBe(50);
    expect(heatScale([])).toBeNull();
  });

  test('the latency histogram: bars at bin centres, axes titled with units, bin edges as ticks, the bin as the read-out', () => {
    const edges = [10, 12, 14, 16];
    const { spec, table } = latencyChart({ edges, counts: [3, 0, 2] });
    expect(spec.data).toEqual([[11, 13, 15], [3, 0, 2]]);
    const o = spec.options(theme);
    expect(o.axes!.map((a) => a.label)).toEqual(['chunk total latency (ms), bin edges', 'chunks']);
    const fakeU = { bbox: { width: 4000 } } as unknown as uPlot;
    expect((o.axes![0]!.splits as (u: uPlot) => number[])(fakeU)).toEqual(edges);
    const value = o.series[0]!.value as (u: uPlot, v: number, s: number, i: number) => string;
    expect(value(fakeU, 13, 0, 1)).toBe('12.0 ms–14.0 ms');
    expect(table.rows).toEqual([['10.0 ms–12.0 ms', '3'], ['12.0 ms–14.0 ms', '0'], ['14.0 ms–16.0 ms', '2']]);
  });

  test('theme colours with an alpha', () => {
    expect(alpha('#2f6fde', 0.5)).toBe('rgba(47, 111, 222, 0.5)');
    expect(alpha('rgb(1,2,3)', 0.5)).toBe('rgb(1,2,3)');
  });
});
