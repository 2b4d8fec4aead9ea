import { useMemo, useState } from 'react';
import type { EpisodeRecord } from '../../../../engine/api/schemas/results.js';
import { useApp } from '../../store/context.js';
import { episodeAcceptance, episodeChunkMedian } from './analysis.js';
import { count, millis, percent } from './format.js';
import { SortableHeaders, type Direction } from './SortableHeaders.js';

type SortKey = 'task' | 'outcome' | 'steps' | 'wall' | 'latency' | 'acceptance';

// Errors first, then failures: the episodes worth a look come first.
const OUTCOME_ORDER: Record<EpisodeRecord['outcome'], number> = { error: 0, failure: 1, success: 2 };

const byTask = (a: EpisodeRecord, b: EpisodeRecord) => a.taskId - b.taskId || a.trial - b.trial;
const nullsLast = (x: number | null, y: number | null) => (x === null ? (y === null ? 0 : 1) : y === null ? -1 : x - y);

const COMPARE: Record<SortKey, (a: EpisodeRecord, b: EpisodeRecord) => number> = {
  task: byTask,
  outcome: (a, b) => OUTCOME_ORDER[a.outcome] - OUTCOME_ORDER[b.outcome] || byTask(a, b),
  steps: (a, b) => a.steps - b.steps || byTask(a, b),
  wall: (a, b) => a.wallMs - b.wallMs || byTask(a, b),
  latency: (a, b) => nullsLast(episodeChunkMedian(a), episodeChunkMedian(b)) || byTask(a, b),
  acceptance: (a, b) => nullsLast(episodeAcceptance(a), episodeAcceptance(b)) || byTask(a, b),
};

const COLUMNS: { key: SortKey; label: string; numeric: boolean }[] = [
  { key: 'task', label: 'Task / trial', numeric: false },
  { key: 'outcome', label: 'Outcome', numeric: false },
  { key: 'steps', label: 'Steps', numeric: true },
  { key: 'wall', label: 'Wall time', numeric: true },
  { key: 'latency', label: 'Chunk median', numeric: true },
  { key: 'acceptance', label: 'Acceptance', numeric: true },
];

/** Sorts and filters episodes as the table shows them. */
export function visibleEpisodes(episodes: readonly EpisodeRecord[], sort: SortKey, direction: Direction, failedOnly: boolean): EpisodeRecord[] {
  const shown = failedOnly ? episodes.filter((e) => e.outcome !== 'success') : [...episodes];
  shown.sort(COMPARE[sort]);
  if (direction === 'descending') shown.reverse();
  return shown;
}

/**
 * Every episode of the run: sortable by column, "failed only", a click opens its replay.
 * `noReplay`: why none of its episodes can be replayed (an imported run), shown on the buttons.
 */
export function EpisodeTable({ runId, episodes, noReplay }: { runId: string; episodes: readonly EpisodeRecord[]; noReplay?: string }) {
  const openReplay = useApp((s) => s.openReplay);
  const [sort, setSort] = useState<SortKey>('outcome');
  const [direction, setDirection] = useState<Direction>('ascending');
  const [failedOnly, setFailedOnly] = useState(false);
  const shown = useMemo(() => visibleEpisodes(episodes, sort, direction, failedOnly), [episodes, sort, direction, failedOnly]);
  const failed = episodes.filter((e) => e.outcome !== 'success').length;

  const sortBy = (key: SortKey) => {
    if (key === sort) setDirection(direction === 'ascending' ? 'descending' : 'ascending');
    else {
      setSort(key);
      setDirection('ascending');
    }
  };
  const replayable = (e: EpisodeRecord) => !noReplay && e.trajectory !== null;
  const replay = (e: EpisodeRecord) => {
    if (replayable(e)) openReplay({ runId, taskId: e.taskId, trial: e.trial });
  };

  return (
    <>
      <div className="table-tools">
        <label>
          <input type="checkbox" checked={failedOnly} onChange={(e) => setFailedOnly(e.target.checked)} /> Failed only
        </label>
        <span className="muted" data-testid="episode-count">
          {shown.length} of {count(episodes.length, 'episode')} shown · {failed} not successful
        </span>
      </div>
      <table className="data-table episode-table" aria-label="Episodes">
        <thead>
          <tr>
            <SortableHeaders columns={COLUMNS} sort={sort} direction={direction} onSort={sortBy} />
            <th scope="col">Error</th>
            <th scope="col">
              <span className="visually-hidden">Replay</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.map((e) => (
            <tr key={`${e.taskId}/${e.trial}`} className={`episode-row episode-outcome-row-${e.outcome}${replayable(e) ? ' clickable' : ''}`} onClick={() => replay(e)} data-testid={`episode-${e.taskId}-${e.trial}`}>
              <td>
                Task {e.taskId} · trial {e.trial}
                {e.initIndex !== e.trial && <span className="muted"> (init {e.initIndex})</span>}
              </td>
              <td>
                <span className={`episode-outcome episode-outcome-${e.outcome}`}>{e.outcome}</span>
              </td>
              <td className="num">{e.steps}</td>
              <td className="num">{(e.wallMs / 1000).toFixed(1)} s</td>
              <td className="num">{millis(episodeChunkMedian(e))}</td>
              <td className="num">{percent(episodeAcceptance(e), 0)}</td>
              <td className="episode-error">
                {e.error ?? ''}
                {e.retried && (
                  <span className="muted" title={e.retried.error}>
                    {e.error ? ' · ' : ''}run again after the simulator was lost
                  </span>
                )}
              </td>
              <td>
                <button
                  type="button"
                  onClick={(event) => {
                    event.stopPropagation();
                    replay(e);
                  }}
                  disabled={!replayable(e)}
                  title={noReplay ?? (e.trajectory ? undefined : 'No trajectory was recorded for this episode')}
                  aria-label={`Replay task ${e.taskId} trial ${e.trial}`}
                >
                  Replay
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length === 0 && <p className="muted">{episodes.length === 0 ? 'No episode has finished yet.' : 'Every episode succeeded: none failed.'}</p>}
    </>
  );
}
