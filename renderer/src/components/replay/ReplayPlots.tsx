import { memo, useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import { useApp } from '../../store/context.js';
import { axis } from '../charts/axes.js';
import { Chart, NoChart, type ChartSpec, type DataTable } from '../charts/Chart.js';
import { verticalMarks } from '../charts/plugins.js';
import type { ChartTheme } from '../charts/theme.js';
import { ACTION_DIMS, ACTION_LABELS, chunkIndexAt, PROPRIO_DIMS, type ReplayEpisode } from './episode.js';

/**
 * The episode's plots (uPlot), x = policy step: translation and rotation actions, the gripper
 * (command and fingers), and per chunk the draft layers and the latency, with chunk boundaries
 * dashed. Their cursors are linked (one sync key per episode) and follow the timeline while no
 * plot is hovered; a click (not a drag, which zooms) seeks the timeline there.
 */

export interface ReplaySeries {
  label: string;
  /** One value per x (0..steps). */
  values: ArrayLike<number | null>;
  /** Which y scale (and axis): 0 the left one, 1 the right one. */
  scale?: 0 | 1;
  /** Held over the step (actions, chunks) rather than sampled at it (the state after t steps). */
  stepped?: boolean;
}

export interface ReplayChartData {
  id: string;
  label: string;
  /** Axis titles with units: left, and right when a series uses scale 1. */
  units: [string, string?];
  series: ReplaySeries[];
  height: number;
}

const fmt = (v: number | null | undefined, digits: number) => (v == null || !Number.isFinite(v) ? '—' : v.toFixed(digits));

/** Per step t (0..steps): the value of the action run at t, the last one held at t = steps. */
function actionColumn(e: ReplayEpisode, d: number): Float64Array {
  const out = new Float64Array(e.steps + 1);
  for (let t = 0; t <= e.steps; t++) out[t] = e.actions[Math.min(t, e.steps - 1) * ACTION_DIMS + d] ?? 0;
  return out;
}

function proprioColumn(e: ReplayEpisode, d: number, scale: number): Float64Array {
  const out = new Float64Array(e.steps + 1);
  for (let t = 0; t <= e.steps; t++) out[t] = e.proprio[t * PROPRIO_DIMS + d]! * scale;
  return out;
}

/** Per step: a chunk's figure for the chunk that ran at that step (null past the last chunk). */
function chunkColumn(e: ReplayEpisode, value: (i: number) => number): (number | null)[] {
  return Array.from({ length: e.steps + 1 }, (_, t) => {
    const i = chunkIndexAt(e.chunks, Math.min(t, e.steps - 1));
    return i === -1 ? null : value(i);
  });
}

/** What each replay plot shows, as data (the renderer tests read this, not pixels). */
export function replayCharts(e: ReplayEpisode): { charts: ReplayChartData[]; noDraft: boolean } {
  const maxDraft = Math.max(0, ...e.chunks.map((c) => c.draftLayers));
  const action = (d: number): ReplaySeries => ({ label: ACTION_LABELS[d]!, values: actionColumn(e, d), stepped: true });
  const charts: ReplayChartData[] = [
    { id: 'translation', label: 'Translation actions x, y, z', units: ['action units'], series: [0, 1, 2].map(action), height: 160 },
    { id: 'rotation', label: 'Rotation actions roll, pitch, yaw', units: ['action units'], series: [3, 4, 5].map(action), height: 160 },
    {
      id: 'gripper',
      label: 'Gripper command (−1 open, +1 close) and finger positions',
      units: ['command (±1)', 'finger (mm)'],
      series: [
        { ...action(6), label: 'command' },
        { label: 'left finger', values: proprioColumn(e, 6, 1000), scale: 1 },
        { label: 'right finger', values: proprioColumn(e, 7, 1000), scale: 1 },
      ],
      height: 160,
    },
  ];
  if (maxDraft > 0) {
    charts.push({
      id: 'accepted',
      label: 'Draft layers per chunk, proposed and accepted',
      units: ['layers'],
      series: [
        { label: 'proposed', values: chunkColumn(e, (i) => e.chunks[i]!.draftLayers), stepped: true },
        { label: 'accepted', values: chunkColumn(e, (i) => e.chunks[i]!.acceptedLayers), stepped: true },
      ],
      height: 130,
    });
  }
  charts.push({ id: 'latency', label: 'Chunk latency', units: ['ms'], series: [{ label: 'chunk total', values: chunkColumn(e, (i) => e.chunks[i]!.totalMs), stepped: true }], height: 130 });
  return { charts, noDraft: maxDraft === 0 };
}

function digitsFor(unit: string): number {
  return unit === 'ms' ? 1 : unit === 'layers' ? 0 : unit.startsWith('finger') ? 1 : 3;
}

function specOf(c: ReplayChartData, e: ReplayEpisode, syncKey: string): ChartSpec {
  const xs = Array.from({ length: e.steps + 1 }, (_, t) => t);
  const boundaries = e.chunks.map((ch) => ch.step);
  const stepped = uPlot.paths.stepped!({ align: 1 });
  return {
    data: [xs, ...c.series.map((s) => Array.from(s.values))],
    options: (theme: ChartTheme) => ({
      scales: { x: { time: false }, ...(c.id === 'accepted' ? { y: { range: (_u: uPlot, _lo: number, hi: number) => [0, Math.max(1, hi)] as uPlot.Range.MinMax } } : {}) },
      axes: [
        axis(theme, 'step', { size: 36 }),
        axis(theme, c.units[0], { size: 56, space: 20 }),
        ...(c.units[1] ? [axis(theme, c.units[1], { scale: 'right', side: 1, size: 56, space: 20, grid: { show: false } })] : []),
      ],
      series: [
        { label: 'step', value: (_u, v) => (v == null ? '—' : String(v)) },
        ...c.series.map((s, i): uPlot.Series => ({
          label: s.label,
          scale: s.scale === 1 ? 'right' : 'y',
          stroke: theme.series[i + (c.id === 'rotation' ? 3 : 0)]!,
          width: 1.5,
          paths: s.stepped ? stepped : undefined,
          points: { show: false },
          value: (_u, v) => fmt(v, digitsFor(s.scale === 1 ? c.units[1]! : c.units[0])),
        })),
      ],
      cursor: {
        y: false,
        drag: { x: true, y: false },
        sync: { key: syncKey, scales: ['x', null], setSeries: false },
        // The read-out is the step the cursor is in (actions hold over their step).
        dataIdx: (_u, _si, closest, x) => (x == null ? closest : Math.max(0, Math.min(e.steps, Math.floor(x)))),
      },
      legend: { live: true },
      plugins: [verticalMarks(boundaries, theme.muted)],
    }),
  };
}

function tableOf(c: ReplayChartData, steps: number): DataTable {
  return {
    columns: ['step', ...c.series.map((s) => s.label)],
    rows: Array.from({ length: steps + 1 }, (_, t) => [String(t), ...c.series.map((s) => fmt(s.values[t], 3))]),
  };
}

interface Linked {
  plots: Set<uPlot>;
  /** A plot of the episode is under the pointer: the timeline does not move the cursors then. */
  hovered: boolean;
  /** The timeline's step the cursors show. */
  step: number;
  drawn: boolean;
}

function follow(u: uPlot, step: number) {
  const left = u.valToPos(step, 'x');
  if (Number.isFinite(left)) u.setCursor({ left, top: u.bbox.height / devicePixelRatio / 2 }, false);
}

const ReplayChart = memo(function ReplayChart({ chart, episode, syncKey, linked, seek }: { chart: ReplayChartData; episode: ReplayEpisode; syncKey: string; linked: Linked; seek: (step: number) => void }) {
  const spec = useMemo(() => specOf(chart, episode, syncKey), [chart, episode, syncKey]);
  const table = useMemo(() => tableOf(chart, episode.steps), [chart, episode.steps]);
  const onChart = (u: uPlot | null) => {
    if (!u) return;
    linked.plots.add(u);
    const over = u.over;
    let down: { x: number; y: number } | null = null;
    over.addEventListener('mouseenter', () => (linked.hovered = true));
    over.addEventListener('mouseleave', () => {
      linked.hovered = false;
      for (const p of linked.plots) follow(p, linked.step);
    });
    over.addEventListener('mousedown', (ev) => (down = { x: ev.clientX, y: ev.clientY }));
    // A click without a drag seeks; a drag selects a range to zoom into (uPlot's own).
    over.addEventListener('mouseup', (ev) => {
      if (down && Math.abs(ev.clientX - down.x) < 3 && Math.abs(ev.clientY - down.y) < 3) {
        const x = u.posToVal(ev.clientX - over.getBoundingClientRect().left, 'x');
        if (Number.isFinite(x)) seek(Math.max(0, Math.min(episode.steps, x)));
      }
      down = null;
    });
    u.hooks.destroy = [...(u.hooks.destroy ?? []), () => linked.plots.delete(u)];
    follow(u, linked.step);
  };
  return <Chart label={chart.label} spec={spec} table={table} height={chart.height} onChart={onChart} caption={chart.label} testId={`plot-${chart.id}`} />;
});

export function ReplayPlots({ episode }: { episode: ReplayEpisode }) {
  const subscribe = useApp((s) => s.subscribeReplayCursor);
  const seek = useApp((s) => s.seekReplay);
  const setPlaying = useApp((s) => s.setReplayPlaying);
  const box = useRef<HTMLDivElement>(null);
  const linked = useRef<Linked>({ plots: new Set(), hovered: false, step: 0, drawn: false }).current;
  const { charts, noDraft } = useMemo(() => replayCharts(episode), [episode]);
  const syncKey = `replay:${episode.runId}:${episode.taskId}:${episode.trial}`;

  useEffect(
    () =>
      subscribe((c) => {
        // The plots hold one value per step: move their cursors only when the step changes (playing
        // at 1x that is a third of the frames), so the 3D view keeps the frame's time.
        const step = Math.floor(c);
        if (step === linked.step && linked.drawn) return;
        linked.step = step;
        linked.drawn = true;
        // The step is on the element too: what a test (or the page's own CSS) can read without a canvas.
        box.current?.setAttribute('data-step', String(step));
        if (linked.hovered) return;
        for (const u of linked.plots) follow(u, step);
      }),
    [subscribe, episode, linked],
  );

  const seekStep = useMemo(
    () => (step: number) => {
      setPlaying(false);
      seek(step);
    },
    [seek, setPlaying],
  );

  return (
    <div className="replay-plots" data-testid="replay-plots" ref={box}>
      {charts.map((c) => (
        <ReplayChart key={`${syncKey}:${c.id}`} chart={c} episode={episode} syncKey={syncKey} linked={linked} seek={seekStep} />
      ))}
      {noDraft && <NoChart label="Draft layers per chunk" reason="No draft layers: no chunk of this episode proposed any (only speculative decoding drafts; parallel and autoregressive propose none)." testId="plot-accepted" />}
    </div>
  );
}
