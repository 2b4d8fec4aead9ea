import { ACTION_DIMS, ACTION_LABELS, chunkIndexAt, PROPRIO_DIMS, type ReplayEpisode } from './episode.js';

/**
 * An episode's per-step values as CSV (RFC 4180: comma-separated, CRLF line ends, a field quoted
 * when it holds a comma, quote or line break, with its quotes doubled). One row per recorded state,
 * steps + 1 rows: row t is the state after t steps and the action executed at step t (none on the
 * last row). `success` is 1 on the row where a successful episode ended (the simulator checks the
 * goal only then), else 0. Chunk columns are those of the chunk whose action ran at the step.
 * Where the trajectory has goal rows, one more column per goal atom (`goal On(a, b)`): 1 where the
 * atom holds in that row's state, else 0.
 */

const PROPRIO_LABELS = ['grip_x', 'grip_y', 'grip_z', 'grip_ax', 'grip_ay', 'grip_az', 'finger_left', 'finger_right'] as const;

export const CSV_HEADER = [
  'step',
  ...ACTION_LABELS.map((l) => `action_${l}`),
  ...PROPRIO_LABELS,
  'success',
  'chunk_index',
  'chunk_total_ms',
  'draft_layers',
  'accepted_layers',
] as const;

/** One CSV field: quoted when it must be. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(fields: readonly (string | number | null | undefined)[]): string {
  return fields.map(csvField).join(',');
}

/** float32 values printed as the shortest decimal that reads back as the same float32. */
export function f32(v: number | undefined): number | null {
  if (v === undefined || !Number.isFinite(v)) return null;
  for (let p = 1; p < 9; p++) {
    const short = Number(v.toPrecision(p));
    if (Math.fround(short) === v) return short;
  }
  return v;
}

export function episodeCsv(e: ReplayEpisode): string {
  const atoms = e.goal?.atoms ?? [];
  const lines = [csvLine([...CSV_HEADER, ...atoms.map((a) => `goal ${a}`)])];
  for (let t = 0; t <= e.steps; t++) {
    const acting = t < e.steps;
    const action = ACTION_LABELS.map((_, d) => (acting ? f32(e.actions[t * ACTION_DIMS + d]) : null));
    const proprio = PROPRIO_LABELS.map((_, d) => f32(e.proprio[t * PROPRIO_DIMS + d]));
    const ci = acting ? chunkIndexAt(e.chunks, t) : -1;
    const chunk = e.chunks[ci];
    const success = e.outcome === 'success' && t === e.steps ? 1 : 0;
    const goal = atoms.map((_, a) => e.goal!.truth[t * atoms.length + a]);
    lines.push(csvLine([t, ...action, ...proprio, success, chunk ? ci : null, chunk?.totalMs, chunk?.draftLayers, chunk?.acceptedLayers, ...goal]));
  }
  return lines.join('\r\n') + '\r\n';
}

/** `<runId>-task<T>-trial<N>.csv`. */
export function csvFileName(e: Pick<ReplayEpisode, 'runId' | 'taskId' | 'trial'>): string {
  return `${e.runId}-task${e.taskId}-trial${e.trial}.csv`;
}
