import type { RunSummary } from '../../../../engine/api/schemas/runs.js';
import { useApp } from '../../store/context.js';
import { dateTime, decodingLabel, tasksAndTrials } from './format.js';

type RunState = RunSummary['status'] | 'interrupted';

/** A `running` run that this engine is not doing was cut off (a crash, a closed app): it can be resumed. */
export const runState = (r: RunSummary): RunState => (r.status === 'running' && !r.active ? 'interrupted' : r.status);
export const canResume = (r: RunSummary): boolean => !r.active && (r.status === 'running' || r.status === 'cancelled' || r.status === 'failed') && r.episodesDone < r.episodesPlanned;

const STATE_LABEL: Record<RunState, string> = { running: 'Running', interrupted: 'Interrupted', completed: 'Completed', failed: 'Failed', cancelled: 'Cancelled' };

export function configSummary(r: Pick<RunSummary, 'suite' | 'tasks' | 'trials' | 'decoding' | 'accept' | 'threshold' | 'bundle' | 'executionProvider' | 'server'>): string {
  return `${r.suite} · ${tasksAndTrials(r.tasks, r.trials)} · ${decodingLabel(r.decoding, r.accept, r.threshold)} · ${r.bundle}${r.server ? ` from ${r.server}` : ''} · ${r.executionProvider}`;
}

/** The run store's runs, newest first: status, date, configuration, episodes done of planned. */
export function RunList({ runs, selected }: { runs: readonly RunSummary[]; selected: string | null }) {
  const openResults = useApp((s) => s.openResults);
  const resumeRun = useApp((s) => s.resumeRun);
  const busy = useApp((s) => s.liveRun?.status === 'running' || s.liveRun?.status === 'starting');
  return (
    <table className="data-table run-list" aria-label="Runs">
      <thead>
        <tr>
          <th scope="col">Run</th>
          <th scope="col">Status</th>
          <th scope="col">Started</th>
          <th scope="col">Configuration</th>
          <th scope="col" className="num">Episodes</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => {
          const state = runState(r);
          return (
            <tr key={r.id} className={r.id === selected ? 'selected' : undefined} data-testid={`run-${r.id}`}>
              <td>
                <button type="button" className="link-button" onClick={() => openResults(r.id)} aria-label={`Show run ${r.id}`} aria-current={r.id === selected ? 'true' : undefined}>
                  {r.id}
                </button>
              </td>
              <td>
                <span className={`run-status run-status-${state}`}>{STATE_LABEL[state]}</span>
              </td>
              <td>{dateTime(r.createdAt)}</td>
              <td className="config-cell">{configSummary(r)}</td>
              <td className="num">
                {r.episodesDone}/{r.episodesPlanned}
              </td>
              <td>
                {canResume(r) && (
                  <button type="button" onClick={() => void resumeRun(r.id, r.server)} disabled={busy} aria-label={`Resume run ${r.id}`}>
                    Resume
                  </button>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
