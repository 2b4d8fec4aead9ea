import { useEffect, useRef, useState, type ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { chartTheme, type ChartTheme } from './theme.js';

/**
 * One uPlot chart: mounts it at the host's width, follows resizes and the light/dark theme,
 * destroys it on unmount. Every chart carries its numbers as a table too (under "Data"), for
 * screen readers and copying; where no canvas can be drawn (jsdom) the table is all it shows.
 */

export interface ChartSpec {
  /** uPlot's options less the size, in the current theme's colours. */
  options: (theme: ChartTheme) => Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
}

export interface DataTable {
  columns: readonly string[];
  rows: readonly (readonly string[])[];
}

/** Canvas charts need a real browser: jsdom (the renderer tests) has neither canvas nor layout. */
export function canDrawCharts(): boolean {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' && !navigator.userAgent.includes('jsdom');
}

/** The x range shown, on the host element: what a test (or a person's inspector) reads of a zoom. */
function xRangeAttribute(el: HTMLElement): uPlot.Plugin {
  return {
    hooks: {
      setScale: (u, key) => {
        if (key !== 'x') return;
        const { min, max } = u.scales.x!;
        if (min != null && max != null) el.setAttribute('data-x-range', `${+min.toFixed(3)} ${+max.toFixed(3)}`);
      },
    },
  };
}

/** Scroll to pan a zoomed plot along x (drag zooms, double-click resets: uPlot's own). */
function wheelPan(): uPlot.Plugin {
  return {
    hooks: {
      ready: (u) => {
        const full = { min: u.scales.x!.min!, max: u.scales.x!.max! };
        u.over.addEventListener(
          'wheel',
          (e) => {
            const { min, max } = u.scales.x!;
            if (min == null || max == null) return;
            const span = max - min;
            if (span >= full.max - full.min - 1e-9) return; // not zoomed: let the page scroll
            e.preventDefault();
            const step = Math.sign(e.deltaX || e.deltaY) * span * 0.15;
            const lo = Math.min(full.max - span, Math.max(full.min, min + step));
            u.setScale('x', { min: lo, max: lo + span });
          },
          { passive: false },
        );
      },
    },
  };
}

function Table({ label, table }: { label: string; table: DataTable }) {
  return (
    <table className="data-table chart-table" aria-label={`${label}: data`}>
      <thead>
        <tr>
          {table.columns.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {table.rows.map((r, i) => (
          <tr key={i}>
            {r.map((v, j) => (
              <td key={j}>{v}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Chart({
  label,
  spec,
  height,
  table,
  caption,
  testId,
  onChart,
}: {
  /** The accessible name: what is plotted against what. */
  label: string;
  spec: ChartSpec;
  /** Of the plot with its axes, in CSS pixels (the legend comes below). */
  height: number;
  table: DataTable;
  caption?: ReactNode;
  testId?: string;
  /** The live chart once drawn, null when it goes (to move its cursor or listen to it). */
  onChart?: (u: uPlot | null) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const [drawable] = useState(canDrawCharts);
  const [showTable, setShowTable] = useState(false);
  const onChartRef = useRef(onChart);
  onChartRef.current = onChart;

  useEffect(() => {
    const el = host.current;
    if (!drawable || !el) return;
    let u: uPlot | null = null;
    const build = () => {
      u?.destroy();
      const opts = spec.options(chartTheme());
      u = new uPlot({ ...opts, width: Math.max(120, el.clientWidth), height, plugins: [...(opts.plugins ?? []), wheelPan(), xRangeAttribute(el)] }, spec.data, el);
      onChartRef.current?.(u);
    };
    build();
    const resized = new ResizeObserver(() => {
      if (u && el.clientWidth > 0 && Math.abs(u.width - el.clientWidth) > 1) u.setSize({ width: el.clientWidth, height });
    });
    resized.observe(el);
    const scheme = window.matchMedia('(prefers-color-scheme: dark)');
    scheme.addEventListener('change', build);
    return () => {
      resized.disconnect();
      scheme.removeEventListener('change', build);
      onChartRef.current?.(null);
      u?.destroy();
    };
  }, [drawable, spec, height]);

  return (
    <figure className="chart-figure" data-testid={testId}>
      <div ref={host} className="chart-host" role="img" aria-label={label} data-chart={drawable ? 'uplot' : 'table'} />
      <details className="chart-data" open={!drawable} onToggle={(e) => setShowTable(e.currentTarget.open)}>
        <summary>Data</summary>
        {(showTable || !drawable) && <Table label={label} table={table} />}
      </details>
      {caption && <figcaption>{caption}</figcaption>}
    </figure>
  );
}

/** In place of a chart that has nothing to show: says why, in the same frame. */
export function NoChart({ label, reason, testId }: { label: string; reason: string; testId?: string }) {
  return (
    <figure className="chart-figure chart-empty" data-testid={testId}>
      <p className="muted" data-testid="chart-empty-reason">
        {reason}
      </p>
      <figcaption>{label}</figcaption>
    </figure>
  );
}
