import { memo, useCallback, useEffect, useRef, type ReactNode } from 'react';
import type { TrajectoryChunk } from '../../../../engine/api/schemas/trajectory.js';
import { useApp } from '../../store/context.js';
import { ACTION_DIMS, ACTION_LABELS, PROPRIO_DIMS, type ReplayEpisode } from './episode.js';

/**
 * Plots in step with the timeline, as inline SVG in step units (x = policy step, so the cursor line
 * is moved by setting one attribute): the 7 action dimensions, the gripper's fingers, and per chunk
 * the draft layers accepted and the latency, with chunk boundaries marked on every plot. Clicking or
 * dragging on a plot seeks there.
 */

const H = 100;

type Cursors = { current: Set<SVGLineElement> };

function yOf(v: number, lo: number, hi: number): number {
  return H - ((v - lo) / (hi - lo || 1)) * H;
}

function polyline(values: (i: number) => number, count: number, lo: number, hi: number, x0 = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(`${i + x0},${yOf(values(i), lo, hi).toFixed(2)}`);
  return parts.join(' ');
}

function Plot({ steps, chunks, cursors, label, children, height, testId }: { steps: number; chunks: readonly TrajectoryChunk[]; cursors: Cursors; label: string; children: ReactNode; height: number; testId?: string }) {
  const cursorRef = useCallback(
    (line: SVGLineElement | null) => {
      if (!line) return;
      cursors.current.add(line);
      return () => void cursors.current.delete(line);
    },
    [cursors],
  );
  const width = Math.max(steps, 1);
  return (
    <svg className="replay-plot" viewBox={`0 0 ${width} ${H}`} preserveAspectRatio="none" style={{ height }} role="img" aria-label={label} data-testid={testId}>
      <line className="plot-zero" x1={0} x2={width} y1={H} y2={H} vectorEffect="non-scaling-stroke" />
      {chunks.map((c) => (
        <line key={c.step} className="plot-chunk-boundary" x1={c.step} x2={c.step} y1={0} y2={H} vectorEffect="non-scaling-stroke" />
      ))}
      {children}
      <line ref={cursorRef} className="plot-cursor" x1={0} x2={0} y1={0} y2={H} vectorEffect="non-scaling-stroke" />
    </svg>
  );
}

const StaticPlots = memo(function StaticPlots({ episode, cursors }: { episode: ReplayEpisode; cursors: Cursors }) {
  const { steps, actions, proprio, chunks } = episode;
  const rows = steps + 1;
  const maxDraft = Math.max(0, ...chunks.map((c) => c.draftLayers));
  const maxMs = Math.max(1e-3, ...chunks.map((c) => c.totalMs));
  const common = { steps, chunks, cursors };

  return (
    <>
      <section className="replay-plot-group" aria-label="Actions">
        <h3>Actions (normalised OSC deltas; gripper −1 open, +1 close)</h3>
        {ACTION_LABELS.map((name, d) => {
          let bound = 1;
          for (let i = 0; i < steps; i++) bound = Math.max(bound, Math.abs(actions[i * ACTION_DIMS + d]!));
          return (
            <div className="replay-plot-row" key={name}>
              <span className="replay-plot-label">{name}</span>
              <Plot {...common} label={`Action ${name}`} height={34} testId={d === 0 ? 'plot-action-x' : undefined}>
                <line className="plot-axis" x1={0} x2={steps} y1={H / 2} y2={H / 2} vectorEffect="non-scaling-stroke" />
                {/* Each action holds for its whole step: drawn at the step's middle. */}
                <polyline className={`plot-line plot-dim-${d}`} points={polyline((i) => actions[i * ACTION_DIMS + d]!, steps, -bound, bound, 0.5)} vectorEffect="non-scaling-stroke" />
              </Plot>
              <span className="replay-plot-scale">±{bound.toFixed(bound === 1 ? 0 : 2)}</span>
            </div>
          );
        })}
      </section>
      <section className="replay-plot-group" aria-label="Gripper">
        <h3>
          Gripper fingers (m): <span className="plot-key plot-dim-0">left</span> <span className="plot-key plot-dim-3">right</span>
        </h3>
        <div className="replay-plot-row">
          <span className="replay-plot-label">fingers</span>
          <Plot {...common} label="Gripper finger positions" height={60}>
            <line className="plot-axis" x1={0} x2={steps} y1={H / 2} y2={H / 2} vectorEffect="non-scaling-stroke" />
            <polyline className="plot-line plot-dim-0" points={polyline((i) => proprio[i * PROPRIO_DIMS + 6]!, rows, -0.045, 0.045)} vectorEffect="non-scaling-stroke" />
            <polyline className="plot-line plot-dim-3" points={polyline((i) => proprio[i * PROPRIO_DIMS + 7]!, rows, -0.045, 0.045)} vectorEffect="non-scaling-stroke" />
          </Plot>
          <span className="replay-plot-scale">±45 mm</span>
        </div>
      </section>
      <section className="replay-plot-group" aria-label="Speculative decoding per chunk">
        <h3>Per chunk: draft layers accepted{maxDraft > 0 ? ` (of ${maxDraft} proposed)` : ''} and latency</h3>
        <div className="replay-plot-row">
          <span className="replay-plot-label">accepted</span>
          {maxDraft > 0 ? (
            <Plot {...common} label="Accepted draft layers per chunk" height={50} testId="plot-accepted">
              {chunks.map((c) => (
                <g key={c.step}>
                  <rect className="plot-drafted" x={c.step} width={Math.max(c.executed, 1)} y={yOf(c.draftLayers, 0, maxDraft)} height={H - yOf(c.draftLayers, 0, maxDraft)} />
                  <rect className={c.acceptedLayers === c.draftLayers ? 'plot-accepted' : 'plot-accepted partial'} x={c.step} width={Math.max(c.executed, 1)} y={yOf(c.acceptedLayers, 0, maxDraft)} height={H - yOf(c.acceptedLayers, 0, maxDraft)} />
                </g>
              ))}
            </Plot>
          ) : (
            <p className="muted replay-plot-note">No draft layers: this run decoded without speculation.</p>
          )}
          <span className="replay-plot-scale">{maxDraft > 0 ? `${maxDraft} layers` : ''}</span>
        </div>
        <div className="replay-plot-row">
          <span className="replay-plot-label">latency</span>
          <Plot {...common} label="Chunk latency" height={50} testId="plot-latency">
            {chunks.map((c) => (
              <rect key={c.step} className="plot-latency" x={c.step} width={Math.max(c.executed, 1)} y={yOf(c.totalMs, 0, maxMs)} height={H - yOf(c.totalMs, 0, maxMs)} />
            ))}
          </Plot>
          <span className="replay-plot-scale">max {maxMs.toFixed(1)} ms</span>
        </div>
      </section>
    </>
  );
});

export function ReplayPlots({ episode }: { episode: ReplayEpisode }) {
  const subscribe = useApp((s) => s.subscribeReplayCursor);
  const seek = useApp((s) => s.seekReplay);
  const setPlaying = useApp((s) => s.setReplayPlaying);
  const cursors = useRef(new Set<SVGLineElement>());
  const dragging = useRef(false);

  useEffect(
    () =>
      subscribe((c) => {
        const x = String(c);
        for (const line of cursors.current) {
          line.setAttribute('x1', x);
          line.setAttribute('x2', x);
        }
      }),
    [subscribe, episode],
  );

  const seekAt = (e: React.PointerEvent<HTMLDivElement>) => {
    const svg = (e.target as Element).closest('svg');
    if (!svg) return;
    const box = svg.getBoundingClientRect();
    if (box.width <= 0) return;
    seek(((e.clientX - box.left) / box.width) * episode.steps);
  };

  return (
    <div
      className="replay-plots"
      data-testid="replay-plots"
      onPointerDown={(e) => {
        if (!(e.target as Element).closest('svg')) return;
        dragging.current = true;
        setPlaying(false);
        seekAt(e);
      }}
      onPointerMove={(e) => dragging.current && seekAt(e)}
      onPointerUp={() => (dragging.current = false)}
      onPointerLeave={() => (dragging.current = false)}
    >
      <StaticPlots episode={episode} cursors={cursors} />
    </div>
  );
}
