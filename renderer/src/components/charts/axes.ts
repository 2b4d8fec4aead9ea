import type uPlot from 'uplot';
import type { ChartTheme } from './theme.js';

/** An axis in the theme's colours, titled with its quantity and unit ("latency (ms)"). */
export function axis(theme: ChartTheme, label: string, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return {
    label,
    stroke: theme.muted,
    labelFont: '12px system-ui, sans-serif',
    font: '11px system-ui, sans-serif',
    grid: { stroke: theme.border, width: 1 },
    ticks: { stroke: theme.border, width: 1 },
    ...extra,
  };
}
