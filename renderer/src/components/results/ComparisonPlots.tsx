import { useMemo } from 'react';
import uPlot from 'uplot';
import type { Comparison } from '../../../../engine/api/schemas/comparison.js';
import { axis } from '../charts/axes.js';
import { Chart, NoChart, type ChartSpec, type DataTable } from '../charts/Chart.js';
import { fullRange, whiskerPath } from '../charts/plugins.js';
import { alpha, type ChartTheme } from '../charts/theme.js';
import { count, decodingLabel, millis, percent } from './format.js';

/**
 * The comparison's plots (uPlot, as the single run's in Plots.tsx): success per task of A and B
 * side by side with their Wilson 95% intervals, and both runs' chunk latency distributions on the
 * same bins. Everything plotted is the engine's comparison (`runs.compare`); nothing is computed here.
 */

const HEIGHT = 240;

/** "A 20261206-114627-dd1a4e (speculative (exact))": who a series is, in legends. */
export function runSeriesLabel(which: 'A' | 'B', l: Comparison['a']): string {
  return `${which} ${l.id ?? '(no id)'} (${decodingLabel(l.decoding, l.accept, l.threshold)})`;
}

/** A's and B's colours: two of the theme's series colours, apart on both themes. */
const colours = (theme: ChartTheme) => ({ a: theme.series[0]!, b: theme.series[2]! });

/** Bars of A (left) and B (right) per task, each with its Wilson whisker, drawn on the canvas. */
export function pairedSuccessChart(c: Comparison): { spec: ChartSpec; table: DataTable } {
  const tasks = c.tasks;
  const x = tasks.map((_, i) => i);
  const rateA = tasks.map((t) => (t.rateA === null ? null : 100 * t.rateA));
  const rateB = tasks.map((t) => (t.rateB === null ? null : 100 * t.rateB));
  const read = (side: 'A' | 'B') => (_u: uPlot, _v: number | null, _s: number, idx: number | null) => {
    const t = idx == null ? undefined : tasks[idx];
    if (!t) return '—';
    const [rate, successes, w] = side === 'A' ? [t.rateA, t.successesA, t.wilsonA] : [t.rateB, t.successesB, t.wilsonB];
    return `${percent(rate)} (${successes} of ${t.n}; 95% ${percent(w.low, 0)}–${percent(w.high, 0)})`;
  };
  return {
    table: {
      columns: ['Task', 'Pairs', 'A success', 'A Wilson 95%', 'B success', 'B Wilson 95%'],
      rows: tasks.map((t) => [`Task ${t.taskId}`, String(t.n), `${t.successesA} (${percent(t.rateA)})`, `${percent(t.wilsonA.low)}–${percent(t.wilsonA.high)}`, `${t.successesB} (${percent(t.rateB)})`, `${percent(t.wilsonB.low)}–${percent(t.wilsonB.high)}`]),
    },
    spec: {
      data: [x, rateA, rateB],
      options: (theme) => {
        const { a, b } = colours(theme);
        return {
          scales: { x: { time: false, range: fullRange(0, tasks.length - 1, [-0.5, tasks.length - 0.5]) }, y: { range: [0, 100] } },
          axes: [
            axis(theme, 'task (paired episodes)', { splits: () => x, values: (_u, splits) => splits.map((s) => (tasks[s] ? `T${tasks[s]!.taskId}` : '')) }),
            axis(theme, 'success (%)', { values: (_u, splits) => splits.map((s) => `${s}%`) }),
          ],
          series: [
            { label: 'task', value: (_u, v) => (v == null || !tasks[v] ? '—' : `Task ${tasks[v]!.taskId}, ${count(tasks[v]!.n, 'pair')}`) },
            { label: runSeriesLabel('A', c.a), stroke: a, fill: alpha(a, 0.6), paths: () => null, points: { show: false }, value: read('A') },
            { label: runSeriesLabel('B', c.b), stroke: b, fill: alpha(b, 0.6), paths: () => null, points: { show: false }, value: read('B') },
          ],
          cursor: { y: false, drag: { x: true, y: false } },
          hooks: {
            draw: [
              (u) => {
                const { ctx } = u;
                const dpr = devicePixelRatio;
                const half = Math.abs(u.valToPos(0.36, 'x', true) - u.valToPos(0, 'x', true));
                const zero = u.valToPos(0, 'y', true);
                ctx.save();
                tasks.forEach((t, i) => {
                  const centre = u.valToPos(i, 'x', true);
                  const sides = [
                    { rate: rateA[i], w: t.wilsonA, colour: a, left: centre - half },
                    { rate: rateB[i], w: t.wilsonB, colour: b, left: centre + 0.06 * half },
                  ];
                  for (const s of sides) {
                    const width = 0.94 * half;
                    if (s.rate !== null && s.rate !== undefined) {
                      const top = u.valToPos(s.rate, 'y', true);
                      ctx.fillStyle = alpha(s.colour, 0.6);
                      ctx.strokeStyle = s.colour;
                      ctx.lineWidth = dpr;
                      ctx.fillRect(s.left, top, width, zero - top);
                      ctx.strokeRect(s.left, top, width, zero - top);
                    }
                    if (t.n === 0) continue;
                    // The Wilson whisker, capped.
                    const cx = s.left + width / 2;
                    const lo = u.valToPos(100 * s.w.low, 'y', true);
                    const hi = u.valToPos(100 * s.w.high, 'y', true);
                    const cap = Math.min(6 * dpr, width / 3);
                    ctx.strokeStyle = theme.text;
                    ctx.lineWidth = 1.5 * dpr;
                    ctx.beginPath();
                    whiskerPath(ctx, cx, lo, hi, cap);
                    ctx.stroke();
                  }
                });
                ctx.restore();
              },
            ],
          },
        };
      },
    },
  };
}

/** Both runs' chunk totals on the engine's shared bins, as shares of each run's chunks (their counts differ). */
export function latencyOverlayChart(c: Comparison): { spec: ChartSpec; table: DataTable } {
  const { edges, countsA, countsB } = c.latency.histogram;
  const centres = countsA.map((_, i) => (edges[i]! + edges[i + 1]!) / 2);
  const share = (counts: number[], total: number) => counts.map((n) => (total > 0 ? (100 * n) / total : 0));
  const totalA = countsA.reduce((x, y) => x + y, 0);
  const totalB = countsB.reduce((x, y) => x + y, 0);
  const shareA = share(countsA, totalA);
  const shareB = share(countsB, totalB);
  const bin = (i: number | null | undefined) => (i == null || edges[i + 1] === undefined ? '—' : `${millis(edges[i])}–${millis(edges[i + 1])}`);
  const read = (counts: number[], shares: number[]) => (_u: uPlot, _v: number | null, _s: number, idx: number | null) =>
    idx == null || counts[idx] === undefined ? '—' : `${shares[idx]!.toFixed(1)}% (${count(counts[idx]!, 'chunk')})`;
  return {
    table: {
      columns: ['Chunk total latency', 'A chunks', 'A share', 'B chunks', 'B share'],
      rows: countsA.map((n, i) => [bin(i), String(n), `${shareA[i]!.toFixed(1)}%`, String(countsB[i]), `${shareB[i]!.toFixed(1)}%`]),
    },
    spec: {
      data: [centres, shareA, shareB],
      options: (theme) => {
        const { a, b } = colours(theme);
        const bars = uPlot.paths.bars!({ size: [1, Infinity], gap: 1 });
        return {
          scales: { x: { time: false, range: fullRange(centres[0], centres.at(-1), [edges[0]!, edges.at(-1)!]) }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
          axes: [
            axis(theme, 'chunk total latency (ms), bins shared by A and B', { values: (_u, splits) => splits.map((s) => s.toFixed(s >= 100 ? 0 : 1)) }),
            axis(theme, "share of the run's chunks (%)", { values: (_u, splits) => splits.map((s) => `${s}%`) }),
          ],
          series: [
            { label: 'bin', value: (_u, _v, _s, idx) => bin(idx) },
            { label: runSeriesLabel('A', c.a), stroke: a, fill: alpha(a, 0.45), paths: bars, points: { show: false }, value: read(countsA, shareA) },
            { label: runSeriesLabel('B', c.b), stroke: b, fill: alpha(b, 0.45), paths: bars, points: { show: false }, value: read(countsB, shareB) },
          ],
          cursor: { y: false, drag: { x: true, y: false } },
        };
      },
    },
  };
}

export function PairedSuccessPlot({ c }: { c: Comparison }) {
  const chart = useMemo(() => pairedSuccessChart(c), [c]);
  const label = 'Paired success per task, A and B, with Wilson 95% intervals';
  if (c.paired === 0) return <NoChart label={label} reason="No paired episodes: no task and trial ran from the same initial state in both runs." testId="chart-compare-success" />;
  return <Chart label={label} spec={chart.spec} table={chart.table} height={HEIGHT} caption="Success per task over the paired episodes, A left and B right, with Wilson 95% intervals" testId="chart-compare-success" />;
}

export function LatencyOverlayPlot({ c }: { c: Comparison }) {
  const chart = useMemo(() => latencyOverlayChart(c), [c]);
  const label = 'Chunk latency distributions of A and B on the same bins';
  const { countsA, countsB } = c.latency.histogram;
  if (countsA.length === 0) return <NoChart label={label} reason="Neither run has decoded a chunk yet." testId="chart-compare-latency" />;
  const chunks = (n: number) => count(n, 'chunk');
  return (
    <Chart
      label={label}
      spec={chart.spec}
      table={chart.table}
      height={HEIGHT}
      caption={`Chunk total latency, share of each run's chunks: A ${chunks(countsA.reduce((x, y) => x + y, 0))}, B ${chunks(countsB.reduce((x, y) => x + y, 0))}`}
      testId="chart-compare-latency"
    />
  );
}
