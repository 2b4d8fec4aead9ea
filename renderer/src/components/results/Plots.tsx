import type { ReactNode } from 'react';
import type { Results } from '../../../../engine/api/schemas/results.js';
import { episodeAcceptance } from './analysis.js';
import { millis, percent } from './format.js';

/** Small inline SVG plots; colours come from the theme through CSS classes. */

const W = 360;
const H = 200;
const M = { left: 52, right: 12, top: 12, bottom: 34 };
const innerW = W - M.left - M.right;
const innerH = H - M.top - M.bottom;

function Frame({ label, children, yTicks }: { label: string; children: ReactNode; yTicks: { y: number; text: string }[] }) {
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
      <title>{label}</title>
      {yTicks.map((t) => (
        <g key={t.text}>
          <line className="chart-grid" x1={M.left} x2={W - M.right} y1={t.y} y2={t.y} />
          <text className="chart-tick" x={M.left - 4} y={t.y + 3} textAnchor="end">
            {t.text}
          </text>
        </g>
      ))}
      <line className="chart-axis" x1={M.left} x2={W - M.right} y1={M.top + innerH} y2={M.top + innerH} />
      {children}
    </svg>
  );
}

const rateY = (r: number) => M.top + innerH * (1 - r);
const RATE_TICKS = [0, 0.5, 1].map((r) => ({ y: rateY(r), text: `${r * 100}%` }));

/** Success per task as bars, with the Wilson 95% interval as whiskers. */
export function SuccessPlot({ results }: { results: Results }) {
  const tasks = results.tasks;
  const band = innerW / Math.max(1, tasks.length);
  const barW = Math.min(36, band * 0.6);
  return (
    <figure className="chart-figure">
      <Frame label="Success per task with Wilson 95% intervals" yTicks={RATE_TICKS}>
        {tasks.map((t, i) => {
          const cx = M.left + band * (i + 0.5);
          const rate = t.rate ?? 0;
          return (
            <g key={t.taskId}>
              <title>{`Task ${t.taskId}: ${percent(t.rate)} (${t.successes}/${t.episodes}), 95% ${percent(t.wilson95.low)}–${percent(t.wilson95.high)}`}</title>
              <rect className="chart-bar" x={cx - barW / 2} y={rateY(rate)} width={barW} height={Math.max(0, innerH * rate)} />
              <line className="chart-whisker" x1={cx} x2={cx} y1={rateY(t.wilson95.high)} y2={rateY(t.wilson95.low)} />
              <line className="chart-whisker" x1={cx - 6} x2={cx + 6} y1={rateY(t.wilson95.high)} y2={rateY(t.wilson95.high)} />
              <line className="chart-whisker" x1={cx - 6} x2={cx + 6} y1={rateY(t.wilson95.low)} y2={rateY(t.wilson95.low)} />
              <text className="chart-tick" x={cx} y={H - M.bottom + 14} textAnchor="middle">
                {tasks.length > 12 ? t.taskId : `T${t.taskId}`}
              </text>
            </g>
          );
        })}
        <text className="chart-label" x={M.left + innerW / 2} y={H - 4} textAnchor="middle">
          task
        </text>
      </Frame>
      <figcaption>Success per task, with Wilson 95% intervals</figcaption>
    </figure>
  );
}

/** The chunk latency histogram (totalMs of every chunk) as `runs.results` bins it. */
export function LatencyHistogram({ histogram }: { histogram: { edges: number[]; counts: number[] } }) {
  const { edges, counts } = histogram;
  const lo = edges[0];
  const hi = edges.at(-1);
  if (counts.length === 0 || lo === undefined || hi === undefined) {
    return (
      <figure className="chart-figure">
        <p className="muted">No chunks to plot.</p>
        <figcaption>Chunk latency</figcaption>
      </figure>
    );
  }
  const top = Math.max(1, ...counts);
  const bin = innerW / counts.length;
  const y = (c: number) => M.top + innerH * (1 - c / top);
  return (
    <figure className="chart-figure">
      <Frame label={`Chunk latency histogram, ${millis(lo)} to ${millis(hi)}`} yTicks={[{ y: y(0), text: '0' }, { y: y(top), text: String(top) }]}>
        {counts.map((c, i) => (
          <rect key={i} className="chart-bar" x={M.left + bin * i + 0.5} y={y(c)} width={Math.max(0.5, bin - 1)} height={innerH - (y(c) - M.top)}>
            <title>{`${millis(edges[i])}–${millis(edges[i + 1])}: ${c} chunks`}</title>
          </rect>
        ))}
        <text className="chart-tick" x={M.left} y={H - M.bottom + 14} textAnchor="start">
          {millis(lo)}
        </text>
        <text className="chart-tick" x={W - M.right} y={H - M.bottom + 14} textAnchor="end">
          {millis(hi)}
        </text>
        <text className="chart-label" x={M.left + innerW / 2} y={H - 4} textAnchor="middle">
          chunk total latency
        </text>
      </Frame>
      <figcaption>Chunk latency (chunks per bin)</figcaption>
    </figure>
  );
}

/** A small deterministic jitter, so points with the same outcome and acceptance do not hide each other. */
const jitter = (i: number) => ((Math.sin(i * 12.9898) * 43758.5453) % 1) * 0.5;

/** Per episode: its acceptance (x) against its outcome (y: success above, the rest below). */
export function AcceptanceScatter({ results }: { results: Results }) {
  const points = results.episodes.map((e, i) => ({ e, a: episodeAcceptance(e), i })).filter((p): p is typeof p & { a: number } => p.a !== null);
  if (points.length === 0) {
    return (
      <figure className="chart-figure">
        <p className="muted">No episode proposed draft layers ({results.config.decoding} decoding).</p>
        <figcaption>Acceptance against success</figcaption>
      </figure>
    );
  }
  const x = (a: number) => M.left + innerW * a;
  const rowY = (success: boolean) => M.top + innerH * (success ? 0.25 : 0.75);
  return (
    <figure className="chart-figure">
      <Frame label="Acceptance against success, one point per episode" yTicks={[{ y: rowY(true), text: 'success' }, { y: rowY(false), text: 'not' }]}>
        {points.map(({ e, a, i }) => (
          <circle key={`${e.taskId}/${e.trial}`} className={`chart-point episode-outcome-${e.outcome}`} cx={x(a)} cy={rowY(e.outcome === 'success') + innerH * 0.18 * jitter(i + 1)} r={3.5}>
            <title>{`Task ${e.taskId} trial ${e.trial}: ${e.outcome}, acceptance ${percent(a)}`}</title>
          </circle>
        ))}
        {[0, 0.5, 1].map((t) => (
          <text key={t} className="chart-tick" x={x(t)} y={H - M.bottom + 14} textAnchor={t === 0 ? 'start' : t === 1 ? 'end' : 'middle'}>
            {t * 100}%
          </text>
        ))}
        <text className="chart-label" x={M.left + innerW / 2} y={H - 4} textAnchor="middle">
          accepted draft layers / proposed, per episode
        </text>
      </Frame>
      <figcaption>Acceptance against success</figcaption>
    </figure>
  );
}
