import type { CheckRow } from '../../../engine/api/checks.js';
import { useApp } from '../store/context.js';
import { CheckFixView } from './CheckFixView.js';
import { StatusBadge, type RowState } from './StatusBadge.js';

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One prerequisite: status, what it is for, what was found, how to fix it, and "Check again". */
export function CheckRowView({ row, queued }: { row: CheckRow; queued: boolean }) {
  const runChecks = useApp((s) => s.runChecks);
  const connected = useApp((s) => s.connectionState === 'open');
  const state: RowState = row.running ? 'running' : queued ? 'queued' : (row.result?.status ?? 'not-checked');
  const titleId = `check-${row.id}-title`;
  const result = row.result;
  const verb = result ? 'Check again' : 'Check';
  return (
    <li className={`check-row row-${state}`} aria-labelledby={titleId} aria-busy={row.running || queued} data-testid={`check-${row.id}`} data-status={state}>
      <div className="check-head">
        <StatusBadge state={state} />
        <h3 id={titleId}>{row.title}</h3>
        {result && (
          <span className="check-meta" title={`Checked at ${new Date(result.checkedAt).toLocaleString()}`}>
            {formatMs(result.durationMs)}
          </span>
        )}
        <button type="button" onClick={() => void runChecks([row.id])} disabled={!connected || row.running || queued} aria-label={`${verb}: ${row.title}`}>
          {verb}
        </button>
      </div>
      <p className="check-purpose">{row.purpose}</p>
      {result && <p className="check-detail">{result.detail}</p>}
      {result?.fix && !row.running && <CheckFixView fix={result.fix} title={row.title} />}
    </li>
  );
}
