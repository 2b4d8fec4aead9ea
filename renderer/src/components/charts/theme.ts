/** The page's theme colours (styles.css variables) for canvas drawing, which cannot read CSS itself. */
export interface ChartTheme {
  text: string;
  muted: string;
  border: string;
  panel: string;
  accent: string;
  good: string;
  bad: string;
  warn: string;
  /** Distinct series colours, readable on both themes. */
  series: readonly string[];
}

const SERIES = ['#2f6fde', '#1d8a4e', '#b7791f', '#c23b3b', '#7b4fc9', '#0f8b8d', '#8a8f98'] as const;
const SERIES_DARK = ['#6ea2ff', '#4cc38a', '#f0b44c', '#ff7b7b', '#b18cff', '#3fc1c3', '#a9afb9'] as const;

export function darkScheme(): boolean {
  return typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches;
}

export function chartTheme(): ChartTheme {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--text', '#1b1e24'),
    muted: v('--muted', '#5f6672'),
    border: v('--border', '#d9dde3'),
    panel: v('--panel', '#ffffff'),
    accent: v('--accent', '#2f6fde'),
    good: v('--good', '#1d8a4e'),
    bad: v('--bad', '#c23b3b'),
    warn: v('--warn', '#b7791f'),
    series: darkScheme() ? SERIES_DARK : SERIES,
  };
}

/** A colour with an alpha, from #rrggbb (what the theme's variables are). */
export function alpha(hex: string, a: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) return hex;
  const n = parseInt(m[1]!, 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}
