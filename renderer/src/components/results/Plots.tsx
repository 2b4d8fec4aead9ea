import { useMemo } from 'react';
import uPlot from 'uplot';
import type { Results } from '../../../../engine/api/schemas/results.js';
import { axis } from '../charts/axes.js';
import { Chart, NoChart, type ChartSpec } from '../charts/Chart.js';
import { fullRange, whiskerPath } from '../charts/plugins.js';
import { alpha } from '../charts/theme.js';
import { episodeAcceptance } from './analysis.js';
import { millis, percent } from './format.js';

/** The run's plots (uPlot): hover for the values, drag to zoom, double-click to reset. */

const HEIGHT = 220;
const pct = (v: number | null | undefined) => (v == null ? '—' : `${v.toFixed(1)}%`);

/** Why a run has no acceptance to plot: nothing finished yet, or a decoding that drafts nothing. */
export function noAcceptanceReason(results: Results): string {
  if (results.episodes.length === 0) return 'No episode has finished yet.';
  if (results.config.decoding !== 'speculative') return `${results.config.decoding[0]!.toUpperCase()}${results.config.decoding.slice(1)} decoding proposes no draft layers.`;
  return 'No episode proposed draft layers.';
}

/** Success per task as bars, with the Wilson 95% interval as whiskers. */
export function successChart(results: Results): { spec: ChartSpec; table: { columns: string[]; rows: string[][] } } {
  const tasks = results.tasks;
  const x = tasks.map((_, i) => i);
  const rate = tasks.map((t) => (t.rate === null ? null : t.rate * 100));
  const low = tasks.map((t) => t.wilson95.low * 100);
  const high = tasks.map((t) => t.wilson95.high * 100);
  const name = (i: number) => (tasks.length > 12 ? String(tasks[i]!.taskId) : `T${tasks[i]!.taskId}`);
  return {
    table: {
      columns: ['Task', 'Success', 'Episodes', 'Wilson 95% low', 'Wilson 95% high'],
      rows: tasks.map((t) => [`Task ${t.taskId}`, percent(t.rate), `${t.successes}/${t.episodes}`, percent(t.wilson95.low), percent(t.wilson95.high)]),
    },
    spec: {
      data: [x, rate, low, high],
      options: (theme) => ({
        scales: { x: { time: false, range: fullRange(0, tasks.length - 1, [-0.5, tasks.length - 0.5]) }, y: { range: [0, 100] } },
        axes: [
          axis(theme, 'task', { splits: () => x, values: (_u, splits) => splits.map((s) => (tasks[s] ? name(s) : '')) }),
          axis(theme, 'success (%)', { values: (_u, splits) => splits.map((s) => `${s}%`) }),
        ],
        series: [
          { label: 'task', value: (_u, v) => (v == null || !tasks[v] ? '—' : `Task ${tasks[v]!.taskId} (${tasks[v]!.successes}/${tasks[v]!.episodes})`) },
          { label: 'success', stroke: theme.accent, fill: alpha(theme.accent, 0.6), paths: uPlot.paths.bars!({ size: [0.6, 48] }), points: { show: false }, value: (_u, v) => pct(v) },
          { label: '95% low', stroke: theme.text, paths: () => null, points: { show: false }, value: (_u, v) => pct(v) },
          { label: '95% high', stroke: theme.text, paths: () => null, points: { show: false }, value: (_u, v) => pct(v) },
        ],
        cursor: { y: false, drag: { x: true, y: false } },
        hooks: {
          // The whiskers: one vertical line per task from low to high, capped.
          draw: [
            (u) => {
              const { ctx } = u;
              const cap = 6 * devicePixelRatio;
              ctx.save();
              ctx.strokeStyle = theme.text;
              ctx.lineWidth = 1.5 * devicePixelRatio;
              ctx.beginPath();
              x.forEach((i) => {
                const cx = u.valToPos(i, 'x', true);
                const lo = u.valToPos(low[i]!, 'y', true);
                const hi = u.valToPos(high[i]!, 'y', true);
                whiskerPath(ctx, cx, lo, hi, cap);
              });
              ctx.stroke();
              ctx.restore();
            },
          ],
        },
      }),
    },
  };
}

export function SuccessPlot({ results }: { results: Results }) {
  const chart = useMemo(() => successChart(results), [results]);
  const label = 'Success per task with Wilson 95% intervals';
  if (results.episodes.length === 0) return <NoChart label={label} reason="No episode has finished yet." />;
  return <Chart label={label} spec={chart.spec} table={chart.table} height={HEIGHT} caption="Success per task, with Wilson 95% intervals" testId="chart-success" />;
}

/** Bin edges to label on the x axis: all of them when they fit, else every k-th. */
function edgeSplits(edges: readonly number[], widthPx: number): number[] {
  const fit = Math.max(2, Math.floor(widthPx / 56));
  const every = Math.ceil((edges.length - 1) / (fit - 1));
  return edges.filter((_, i) => i % every === 0 || i === edges.length - 1);
}

/** The chunk latency histogram (totalMs of every chunk) as `runs.results` bins it. */
export function latencyChart(histogram: { edges: number[]; counts: number[] }): { spec: ChartSpec; table: { columns: string[]; rows: string[][] } } {
  const { edges, counts } = histogram;
  const centres = counts.map((_, i) => (edges[i]! + edges[i + 1]!) / 2);
  const bin = (i: number | null | undefined) => (i == null || edges[i + 1] === undefined ? '—' : `${millis(edges[i])}–${millis(edges[i + 1])}`);
  return {
    table: { columns: ['Chunk total latency', 'Chunks'], rows: counts.map((c, i) => [bin(i), String(c)]) },
    spec: {
      data: [centres, counts],
      options: (theme) => ({
        scales: { x: { time: false, range: fullRange(centres[0], centres.at(-1), [edges[0]!, edges.at(-1)!]) }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [
          axis(theme, 'chunk total latency (ms), bin edges', {
            splits: (u) => edgeSplits(edges, u.bbox.width / devicePixelRatio),
            values: (_u, splits) => splits.map((s) => s.toFixed(s >= 100 ? 0 : 1)),
          }),
          axis(theme, 'chunks', { values: (_u, splits) => splits.map((s) => (Number.isInteger(s) ? String(s) : '')) }),
        ],
        series: [
          { label: 'bin', value: (_u, _v, _s, idx) => bin(idx) },
          { label: 'chunks', stroke: theme.accent, fill: alpha(theme.accent, 0.6), paths: uPlot.paths.bars!({ size: [1, Infinity], gap: 1 }), points: { show: false } },
        ],
        cursor: { y: false, drag: { x: true, y: false } },
      }),
    },
  };
}

export function LatencyHistogram({ histogram }: { histogram: { edges: number[]; counts: number[] } }) {
  const chart = useMemo(() => latencyChart(histogram), [histogram]);
  const lo = histogram.edges[0];
  const hi = histogram.edges.at(-1);
  if (histogram.counts.length === 0 || lo === undefined || hi === undefined) return <NoChart label="Chunk latency" reason="No chunks yet: no episode has finished." />;
  return (
    <Chart
      label={`Chunk latency histogram, ${millis(lo)} to ${millis(hi)}`}
      spec={chart.spec}
      table={chart.table}
      height={HEIGHT}
      caption={`Chunk latency: ${histogram.counts.reduce((a, b) => a + b, 0)} chunks in ${histogram.counts.length} bins`}
      testId="chart-latency"
    />
  );
}

/** A small deterministic jitter, so points with the same outcome and acceptance do not hide each other. */
const jitter = (i: number) => ((Math.sin(i * 12.9898) * 43758.5453) % 1) * 0.18;

/** Per episode: its acceptance (x, %) against its outcome (y: success above, the rest below). */
export function acceptanceChart(results: Results): { spec: ChartSpec; table: { columns: string[]; rows: string[][] }; points: number } {
  const points = results.episodes
    .map((e, i) => ({ e, a: episodeAcceptance(e), i }))
    .filter((p): p is typeof p & { a: number } => p.a !== null)
    .sort((p, q) => p.a - q.a);
  const xs = points.map((p) => p.a * 100);
  const row = (outcome: string) => points.map((p) => (p.e.outcome === outcome ? (outcome === 'success' ? 1 : 0) + jitter(p.i + 1) : null));
  const who = (idx: number | null | undefined) => (idx == null || !points[idx] ? '—' : `task ${points[idx]!.e.taskId} trial ${points[idx]!.e.trial}, ${pct(xs[idx])}`);
  return {
    points: points.length,
    table: {
      columns: ['Episode', 'Outcome', 'Acceptance'],
      rows: points.map((p) => [`Task ${p.e.taskId} trial ${p.e.trial}`, p.e.outcome, percent(p.a)]),
    },
    spec: {
      data: [xs, row('success'), row('failure'), row('error')],
      options: (theme) => {
        const dots = (colour: string, label: string): uPlot.Series => ({
          label,
          stroke: colour,
          fill: colour,
          paths: () => null,
          points: { show: true, size: 8, fill: colour, stroke: theme.panel },
          value: (_u, v) => (v == null ? '—' : label),
        });
        return {
          scales: { x: { time: false, range: fullRange(xs[0], xs.at(-1), [0, 100]) }, y: { range: [-0.5, 1.5] } },
          axes: [
            axis(theme, 'acceptance per episode (%)', { values: (_u, splits) => splits.map((s) => `${s}%`) }),
            axis(theme, 'outcome', { size: 64, splits: () => [0, 1], values: (_u, splits) => splits.map((s) => (s === 1 ? 'success' : 'not')) }),
          ],
          series: [{ label: 'episode', value: (_u, _v, _s, idx) => who(idx) }, dots(theme.good, 'success'), dots(theme.warn, 'failure'), dots(theme.bad, 'error')],
          cursor: { y: false, drag: { x: true, y: false } },
        };
      },
    },
  };
}

export function AcceptanceScatter({ results }: { results: Results }) {
  const chart = useMemo(() => acceptanceChart(results), [results]);
  if (chart.points === 0) return <NoChart label="Acceptance against success" reason={noAcceptanceReason(results)} testId="chart-acceptance" />;
  return (
    <Chart
      label="Acceptance against success, one point per episode"
      spec={chart.spec}
      table={chart.table}
      height={HEIGHT}
      caption="Acceptance (accepted / proposed draft layers) against success, per episode"
      testId="chart-acceptance"
    />
  );
}
