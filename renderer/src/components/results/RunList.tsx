import { useMemo, useState } from 'react';
import type { RunSummary } from '../../../../engine/api/schemas/runs.js';
import { useApp } from '../../store/context.js';
import { count, dateTime, decodingLabel, millis, percent, tasksAndTrials } from './format.js';
import { DeleteRunDialog, RunLabelsForm } from './RunActions.js';
import { SortableHeaders, type Direction } from './SortableHeaders.js';

type RunState = RunSummary['status'] | 'interrupted';

/** A `running` run that this engine is not doing was cut off (a crash, a closed app): it can be resumed. */
export const runState = (r: RunSummary): RunState => (r.status === 'running' && !r.active ? 'interrupted' : r.status);
export const canResume = (r: RunSummary): boolean => !r.active && (r.status === 'running' || r.status === 'cancelled' || r.status === 'failed') && r.episodesDone < r.episodesPlanned;

const STATE_LABEL: Record<RunState, string> = { running: 'Running', interrupted: 'Interrupted', completed: 'Completed', failed: 'Failed', cancelled: 'Cancelled' };

/** Why an imported run's episodes cannot be replayed (the Results page's replay buttons say it). */
export const IMPORTED_NO_REPLAY = 'Imported from a results file, which holds no trajectories: nothing to replay.';

export function configSummary(r: Pick<RunSummary, 'suite' | 'tasks' | 'trials' | 'decoding' | 'accept' | 'threshold' | 'depth' | 'bundle' | 'executionProvider' | 'server'>): string {
  return `${r.suite} · ${tasksAndTrials(r.tasks, r.trials)} · ${decodingLabel(r.decoding, r.accept, r.threshold, r.depth)} · ${r.bundle}${r.server ? ` from ${r.server}` : ''} · ${r.executionProvider}`;
}

/** What the run is called: its name, else its id. */
export const runTitle = (r: Pick<RunSummary, 'id' | 'name'>): string => r.name ?? r.id;

/** "bundle tiny" or "policy pi0 from ws://host:8000": where the actions came from. */
const policyLabel = (r: RunSummary): string => (r.server ? `policy ${r.bundle} from ${r.server}` : `bundle ${r.bundle}`);

type SortKey = 'run' | 'success' | 'latency' | 'decoding' | 'policy' | 'simulator' | 'episodes' | 'status' | 'date';

const rate = (r: RunSummary): number | null => (r.episodesDone === 0 ? null : r.successes / r.episodesDone);
const nullsLast = (x: number | null, y: number | null) => (x === null ? (y === null ? 0 : 1) : y === null ? -1 : x - y);
const text = (x: string, y: string) => x.localeCompare(y);

const COMPARE: Record<SortKey, (a: RunSummary, b: RunSummary) => number> = {
  run: (a, b) => text(runTitle(a), runTitle(b)),
  success: (a, b) => nullsLast(rate(a), rate(b)),
  latency: (a, b) => nullsLast(a.medianChunkMs, b.medianChunkMs),
  decoding: (a, b) => text(decodingLabel(a.decoding, a.accept, a.threshold, a.depth), decodingLabel(b.decoding, b.accept, b.threshold, b.depth)),
  policy: (a, b) => text(policyLabel(a), policyLabel(b)),
  simulator: (a, b) => text(a.simulator, b.simulator),
  episodes: (a, b) => a.episodesDone - b.episodesDone || a.episodesPlanned - b.episodesPlanned,
  status: (a, b) => text(STATE_LABEL[runState(a)], STATE_LABEL[runState(b)]),
  date: (a, b) => text(a.createdAt, b.createdAt),
};

const COLUMNS: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: 'run', label: 'Run' },
  { key: 'success', label: 'Success', numeric: true },
  { key: 'latency', label: 'Median chunk', numeric: true },
  { key: 'decoding', label: 'Decoding' },
  { key: 'policy', label: 'Bundle or policy' },
  { key: 'simulator', label: 'Simulator' },
  { key: 'episodes', label: 'Episodes', numeric: true },
  { key: 'status', label: 'Status' },
  { key: 'date', label: 'Date' },
];

export interface RunFilter {
  /** Words matched in the name, id, bundle or policy server, and note (case-insensitive, all must match). */
  text: string;
  status: RunState | '';
  decoding: RunSummary['decoding'] | '';
}

/** The runs the table shows: filtered, then sorted (ties newest first). */
export function visibleRuns(runs: readonly RunSummary[], filter: RunFilter, sort: SortKey, direction: Direction): RunSummary[] {
  const words = filter.text.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = runs.filter((r) => {
    if (filter.status && runState(r) !== filter.status) return false;
    if (filter.decoding && r.decoding !== filter.decoding) return false;
    const haystack = [r.id, r.name, r.bundle, r.server, r.note].filter(Boolean).join('\n').toLowerCase();
    return words.every((w) => haystack.includes(w));
  });
  const sign = direction === 'ascending' ? 1 : -1;
  return shown.sort((a, b) => sign * COMPARE[sort](a, b) || COMPARE.date(b, a));
}

function SuccessCell({ r }: { r: RunSummary }) {
  const x = rate(r);
  if (x === null) return <span className="muted">n/a</span>;
  return (
    <span title={`${r.successes} of ${count(r.episodesDone, 'episode')}; Wilson 95% interval`}>
      {percent(x)} <span className="muted">({percent(r.wilson95.low, 0)}–{percent(r.wilson95.high, 0)})</span>
    </span>
  );
}

/**
 * The run store's runs as a table: success with its Wilson interval, median chunk latency,
 * decoding, bundle or policy, simulator, episodes, status and date; sorted by any column, filtered
 * by words and by status and decoding; each run can be named, noted, resumed or deleted.
 */
export function RunList({ runs, selected }: { runs: readonly RunSummary[]; selected: string | null }) {
  const openResults = useApp((s) => s.openResults);
  const resumeRun = useApp((s) => s.resumeRun);
  const root = useApp((s) => s.runsRoot);
  const busy = useApp((s) => s.liveRun?.status === 'running' || s.liveRun?.status === 'starting');
  const [sort, setSort] = useState<SortKey>('date');
  const [direction, setDirection] = useState<Direction>('descending');
  const [filter, setFilter] = useState<RunFilter>({ text: '', status: '', decoding: '' });
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<RunSummary | null>(null);
  const shown = useMemo(() => visibleRuns(runs, filter, sort, direction), [runs, filter, sort, direction]);
  const decodings = [...new Set(runs.map((r) => r.decoding))].sort();
  const states = [...new Set(runs.map(runState))].sort();

  const sortBy = (key: SortKey) => {
    if (key === sort) setDirection(direction === 'ascending' ? 'descending' : 'ascending');
    else {
      setSort(key);
      // Numbers and dates read best from the largest; names from A.
      setDirection(key === 'success' || key === 'episodes' || key === 'date' ? 'descending' : 'ascending');
    }
  };

  return (
    <>
      <div className="table-tools run-filters" role="search" aria-label="Filter runs">
        <label>
          Filter <input type="search" value={filter.text} onChange={(e) => setFilter({ ...filter, text: e.target.value })} placeholder="name, bundle, policy, note" aria-label="Filter runs by name, bundle, policy or note" />
        </label>
        <label>
          Status{' '}
          <select value={filter.status} onChange={(e) => setFilter({ ...filter, status: e.target.value as RunFilter['status'] })}>
            <option value="">any</option>
            {states.map((s) => (
              <option key={s} value={s}>
                {STATE_LABEL[s]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Decoding{' '}
          <select value={filter.decoding} onChange={(e) => setFilter({ ...filter, decoding: e.target.value as RunFilter['decoding'] })}>
            <option value="">any</option>
            {decodings.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </label>
        <span className="muted" data-testid="run-count">
          {shown.length === runs.length ? count(runs.length, 'run') : `${shown.length} of ${count(runs.length, 'run')} shown`}
        </span>
      </div>
      <table className="data-table run-list" aria-label="Runs">
        <thead>
          <tr>
            <SortableHeaders columns={COLUMNS} sort={sort} direction={direction} onSort={sortBy} />
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.length === 0 && (
            <tr>
              <td colSpan={COLUMNS.length + 1} className="muted">
                No run matches the filter.
              </td>
            </tr>
          )}
          {shown.map((r) => {
            const state = runState(r);
            const title = runTitle(r);
            return (
              <tr key={r.id} className={r.id === selected ? 'selected' : undefined} data-testid={`run-${r.id}`}>
                <td className="run-name-cell">
                  {editing === r.id ? (
                    <RunLabelsForm run={r} onDone={() => setEditing(null)} />
                  ) : (
                    <>
                      <button type="button" className="link-button" onClick={() => openResults(r.id)} aria-label={`Show run ${title}`} aria-current={r.id === selected ? 'true' : undefined}>
                        {title}
                      </button>
                      {r.name && <div className="muted run-id-line">{r.id}</div>}
                      {r.importedFrom && (
                        <span className="badge imported-badge" title={`${IMPORTED_NO_REPLAY} (${r.importedFrom})`}>
                          imported
                        </span>
                      )}
                      {r.note && (
                        <div className="run-note" data-testid={`run-note-${r.id}`}>
                          {r.note}
                        </div>
                      )}
                      <div className="muted config-cell">{r.suite} · {tasksAndTrials(r.tasks, r.trials)} · {r.executionProvider}</div>
                    </>
                  )}
                </td>
                <td className="num">
                  <SuccessCell r={r} />
                </td>
                <td className="num">{millis(r.medianChunkMs)}</td>
                <td>{decodingLabel(r.decoding, r.accept, r.threshold, r.depth)}</td>
                <td>{policyLabel(r)}</td>
                <td>{r.simulator}</td>
                <td className="num">
                  {r.episodesDone}/{r.episodesPlanned}
                </td>
                <td>
                  <span className={`run-status run-status-${state}`}>{STATE_LABEL[state]}</span>
                </td>
                <td>{dateTime(r.createdAt)}</td>
                <td className="run-actions">
                  {canResume(r) && (
                    <button type="button" onClick={() => void resumeRun(r.id, r.server)} disabled={busy} aria-label={`Resume run ${title}`}>
                      Resume
                    </button>
                  )}
                  <button type="button" onClick={() => setEditing(r.id)} disabled={editing === r.id} aria-label={`Rename or note run ${title}`}>
                    Edit
                  </button>
                  <button
                    type="button"
                    className="danger"
                    onClick={() => setDeleting(r)}
                    disabled={r.active}
                    title={r.active ? 'This run is in progress: cancel it on the Run page before deleting it.' : undefined}
                    aria-label={`Delete run ${title}`}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {deleting && <DeleteRunDialog run={deleting} root={root} onClose={() => setDeleting(null)} />}
    </>
  );
}
