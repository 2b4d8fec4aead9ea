import type { RunSummary } from '../../../../engine/api/schemas/runs.js';
import { useApp } from '../../store/context.js';
import { count } from '../results/format.js';
import { episodeKey, OUTCOME_GROUPS, outcomeShort } from './episode.js';

/** A run as the pickers name it: id, decoding, bundle, episodes, status. */
export function runLabel(r: RunSummary): string {
  const decoding = r.decoding === 'speculative' && r.accept ? `speculative (${r.accept})` : r.decoding;
  const progress = r.episodesDone === r.episodesPlanned ? count(r.episodesDone, 'episode') : `${r.episodesDone} of ${count(r.episodesPlanned, 'episode')}`;
  return `${r.id} · ${decoding} · ${r.bundle} · ${progress}${r.status === 'completed' ? '' : ` · ${r.active ? 'running' : r.status}`}`;
}

/** The run and the episode to replay; the run's episodes are grouped failed first. */
export function EpisodePicker() {
  const runs = useApp((s) => s.replayRuns);
  const run = useApp((s) => s.replayRun);
  const episode = useApp((s) => s.replayEpisode);
  const selectRun = useApp((s) => s.selectReplayRun);
  const selectEpisode = useApp((s) => s.selectReplayEpisode);
  const refresh = useApp((s) => s.refreshReplayRuns);

  const runId = run.status === 'none' ? '' : run.runId;
  const episodes = run.status === 'ready' ? run.episodes : [];
  const maxSteps = run.status === 'ready' ? run.maxSteps : 0;
  const picked = episode.status === 'none' ? '' : episodeKey(episode.taskId, episode.trial);

  return (
    <div className="replay-picker">
      <label>
        Run{' '}
        <select value={runId} onChange={(e) => void selectRun(e.currentTarget.value)} disabled={!runs || runs.length === 0}>
          {runId === '' && <option value="">{runs ? 'No runs' : 'Loading runs…'}</option>}
          {runs?.map((r) => (
            <option key={r.id} value={r.id}>
              {runLabel(r)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Episode{' '}
        <select
          value={picked}
          onChange={(e) => {
            const [task, trial] = e.currentTarget.value.split('/').map(Number);
            if (task !== undefined && trial !== undefined) void selectEpisode(task, trial);
          }}
          disabled={episodes.length === 0}
        >
          {picked === '' && <option value="">{run.status === 'loading' ? 'Loading episodes…' : episodes.length === 0 ? 'No episodes' : 'Pick an episode'}</option>}
          {OUTCOME_GROUPS.map(({ outcome, label }) => {
            const inGroup = episodes.filter((e) => e.outcome === outcome);
            if (inGroup.length === 0) return null;
            return (
              <optgroup key={outcome} label={`${label} (${inGroup.length})`}>
                {inGroup.map((e) => (
                  <option key={episodeKey(e.taskId, e.trial)} value={episodeKey(e.taskId, e.trial)}>
                    Task {e.taskId} · trial {e.trial} · {outcomeShort({ ...e, maxSteps })}
                    {e.trajectory === null ? ' · no trajectory' : ''}
                  </option>
                ))}
              </optgroup>
            );
          })}
        </select>
      </label>
      <button type="button" onClick={() => void refresh()} title="List the runs again and re-read this run's episodes">
        Refresh
      </button>
    </div>
  );
}
