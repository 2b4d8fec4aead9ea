import { useEffect } from 'react';
import type { CheckGroup, CheckRow, CheckStatus } from '../../../engine/api/checks.js';
import { CheckRowView } from '../components/CheckRowView.js';
import { count } from '../components/results/format.js';
import { useApp } from '../store/context.js';

const GROUPS: { group: CheckGroup; title: string }[] = [
  { group: 'execution', title: 'Execution providers' },
  { group: 'bundle', title: 'Model bundle' },
  { group: 'simulator', title: 'Simulator' },
  { group: 'integrations', title: 'Integrations' },
  { group: 'app', title: 'App' },
];

// How many rows have each status: "1 warning", "2 warnings"; the rest are adjectives, the same for any count.
const SUMMARY: { status: CheckStatus; label: (n: number) => string }[] = [
  { status: 'pass', label: (n) => `${n} pass` },
  { status: 'warn', label: (n) => count(n, 'warning') },
  { status: 'fail', label: (n) => `${n} failing` },
  { status: 'unknown', label: (n) => `${n} unknown` },
  { status: 'not-configured', label: (n) => `${n} not configured` },
];

function Summary({ rows }: { rows: CheckRow[] }) {
  const checked = rows.filter((r) => r.result);
  if (checked.length === 0) return <p className="muted">Not checked yet: press Run all checks.</p>;
  const parts = SUMMARY.map(({ status, label }) => ({ status, label, n: checked.filter((r) => r.result?.status === status).length })).filter((p) => p.n > 0);
  return (
    <p className="check-summary" data-testid="checks-summary">
      {checked.length} of {rows.length} checked:{' '}
      {parts.map((p, i) => (
        <span key={p.status} className={`summary-${p.status}`}>
          {i > 0 && ' · '}
          {p.label(p.n)}
        </span>
      ))}
    </p>
  );
}

export function ChecklistPage() {
  const rows = useApp((s) => s.checks);
  const loaded = useApp((s) => s.checksLoaded);
  const queued = useApp((s) => s.checksQueued);
  const progress = useApp((s) => s.checksProgress);
  const loadChecks = useApp((s) => s.loadChecks);
  const loadSettings = useApp((s) => s.loadSettings);
  const runChecks = useApp((s) => s.runChecks);
  const connected = useApp((s) => s.connectionState === 'open');

  // The engine keeps results, so the list (with any earlier results) is fetched, not re-run.
  useEffect(() => {
    if (connected && !loaded) {
      void loadChecks();
      void loadSettings();
    }
  }, [connected, loaded, loadChecks, loadSettings]);

  const busy = progress !== null || queued.length > 0 || rows.some((r) => r.running);
  const current = progress?.current ? rows.find((r) => r.id === progress.current)?.title : undefined;

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Checklist</h1>
      <p className="lede">What an evaluation needs, probed for real on this machine: each row says what it found and how to fix it.</p>
      <div className="checks-toolbar">
        <button type="button" className="primary" onClick={() => void runChecks()} disabled={!connected || !loaded || busy}>
          {busy ? 'Checking…' : 'Run all checks'}
        </button>
        {progress && <progress max={progress.total} value={progress.done} aria-label="Checks done" />}
        <span className="checks-progress" aria-live="polite" data-testid="checks-progress">
          {progress ? `${progress.done} of ${progress.total} done${current ? `: checking ${current}…` : ''}` : ''}
        </span>
      </div>
      {loaded ? <Summary rows={rows} /> : <p className="muted">{connected ? 'Loading the checklist…' : 'Waiting for the engine connection…'}</p>}
      {GROUPS.map(({ group, title }) => {
        const inGroup = rows.filter((r) => r.group === group);
        if (inGroup.length === 0) return null;
        return (
          <section key={group} className="check-group" aria-labelledby={`group-${group}`}>
            <h2 id={`group-${group}`}>{title}</h2>
            <ul className="check-list" aria-label={title}>
              {inGroup.map((row) => (
                <CheckRowView key={row.id} row={row} queued={queued.includes(row.id)} />
              ))}
            </ul>
          </section>
        );
      })}
    </section>
  );
}
