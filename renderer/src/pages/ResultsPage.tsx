import { useEffect } from 'react';
import { EmptyState } from '../components/EmptyState.js';
import { FidelitySection } from '../components/results/FidelitySection.js';
import { ImportControl } from '../components/results/ImportControl.js';
import { RunDetail } from '../components/results/RunDetail.js';
import { RunList } from '../components/results/RunList.js';
import { useApp } from '../store/context.js';

export function ResultsPage() {
  const connected = useApp((s) => s.connectionState === 'open');
  const runs = useApp((s) => s.runs);
  const loaded = useApp((s) => s.runsLoaded);
  const root = useApp((s) => s.runsRoot);
  const chosen = useApp((s) => s.resultsRunId);
  const loadRuns = useApp((s) => s.loadRuns);
  const loadSuites = useApp((s) => s.loadSuites);
  const watchRuns = useApp((s) => s.watchRuns);
  const hasSuites = useApp((s) => s.suites !== null);

  useEffect(() => {
    if (!connected) return;
    watchRuns();
    void loadRuns();
    if (!hasSuites) void loadSuites();
  }, [connected, watchRuns, loadRuns, loadSuites, hasSuites]);

  // The run asked for (from the Run page, an import), else the newest.
  const selected = chosen && runs.some((r) => r.id === chosen) ? chosen : (runs[0]?.id ?? null);

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Results</h1>
      <p className="lede">
        Every run on this machine{root && (
          <>
            {' '}
            (kept in <code>{root}</code>)
          </>
        )}
        : success per task with Wilson 95% intervals, chunk latency, draft acceptance, and each episode, which opens in Replay.
      </p>
      <div className="results-toolbar">
        <ImportControl />
      </div>
      {!loaded ? (
        <p className="muted">{connected ? 'Reading the runs…' : 'Waiting for the engine connection…'}</p>
      ) : runs.length === 0 ? (
        <EmptyState title="No runs yet">
          <p>
            Runs you start on the Run page are listed here, each with per-task success and Wilson 95% intervals, chunk latency percentiles,
            draft acceptance per code layer, and its episodes, failed ones first. Two runs can be compared side by side, and results
            exported as JSON or imported from a file.
          </p>
        </EmptyState>
      ) : (
        <>
          <RunList runs={runs} selected={selected} />
          {selected && <RunDetail key={selected} runId={selected} />}
        </>
      )}
      <FidelitySection />
    </section>
  );
}
