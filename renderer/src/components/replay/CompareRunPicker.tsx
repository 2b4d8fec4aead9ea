import { useApp } from '../../store/context.js';
import { comparableRuns } from '../../store/replay-partner.js';
import { runLabel } from './EpisodePicker.js';

/**
 * "Compare with…" (no "run" in its name: the Run picker's accessible name stays unique, as
 * Playwright matches names by substring): the runs with the shown episode's task and trial (the same initial state, as
 * engine/eval/compare.ts pairs them) to replay beside it; "Close comparison" returns to one run.
 */
export function CompareRunPicker() {
  const runs = useApp((s) => s.replayRuns);
  const run = useApp((s) => s.replayRun);
  const episode = useApp((s) => s.replayEpisode);
  const compareId = useApp((s) => s.replayCompareRunId);
  const setCompare = useApp((s) => s.setReplayCompare);
  if (run.status !== 'ready' || episode.status === 'none' || !runs) return null;
  const { taskId, trial } = episode;
  const candidates = comparableRuns(runs, run.runId, taskId, trial);
  // The compared run stays listed even when the list no longer offers it (e.g. opened from an address).
  const shown = compareId && !candidates.some((r) => r.id === compareId) ? runs.filter((r) => r.id === compareId).concat(candidates) : candidates;

  return (
    <div className="replay-compare-picker">
      <label>
        Compare with…{' '}
        <select value={compareId ?? ''} onChange={(e) => setCompare(e.currentTarget.value || null)} disabled={shown.length === 0} title={`Runs with task ${taskId}, trial ${trial} (the same initial state) to replay side by side`}>
          <option value="">{shown.length === 0 ? `No other run has task ${taskId}, trial ${trial}` : compareId ? 'None (one run)' : `A run with task ${taskId}, trial ${trial}`}</option>
          {shown.map((r) => (
            <option key={r.id} value={r.id}>
              {runLabel(r)}
            </option>
          ))}
        </select>
      </label>
      {compareId && (
        <button type="button" onClick={() => setCompare(null)}>
          Close comparison
        </button>
      )}
    </div>
  );
}
