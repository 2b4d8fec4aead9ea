import { useEffect, useId, type ReactNode } from 'react';
import { taskCaveats } from '../../../../engine/api/known-issues.js';
import type { Results } from '../../../../engine/api/schemas/results.js';
import { useApp } from '../../store/context.js';
import { AcceptanceHeatmap } from './AcceptanceHeatmap.js';
import { ComparisonView } from './ComparisonView.js';
import { EpisodeTable } from './EpisodeTable.js';
import { ExportControl } from './ExportControl.js';
import { count, dateTime, decodingLabel, millis, percent, serverSuffix, tasksAndTrials } from './format.js';
import { LatencyTable } from './LatencyTable.js';
import { AcceptanceScatter, LatencyHistogram, SuccessPlot } from './Plots.js';
import { IMPORTED_NO_REPLAY } from './RunList.js';
import { TaskTable } from './TaskTable.js';

function Part({ title, children }: { title: ReactNode; children: ReactNode }) {
  const id = useId();
  return (
    <section className="results-part" aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      {children}
    </section>
  );
}

function Headline({ results }: { results: Results }) {
  const c = results.config;
  const t = results.total;
  return (
    <div className="results-headline">
      <p data-testid="results-total">
        <strong>{percent(t.rate)}</strong> success ({t.successes} of {count(t.episodes, 'episode')}; 95% {percent(t.wilson95.low)}–{percent(t.wilson95.high)}) · median chunk{' '}
        {millis(results.latency.stages.totalMs.median)} · median episode {results.episodeWallMs.median === null ? 'n/a' : `${(results.episodeWallMs.median / 1000).toFixed(1)} s`}
      </p>
      <p className="muted">
        {c.suite}, {tasksAndTrials(c.tasks, c.trials)}, max {count(c.maxSteps, 'step')}, seed {c.seed} · {decodingLabel(c.decoding, c.accept, c.threshold, c.depth)} · {c.policy ? 'policy' : 'bundle'} {c.bundle.name}{' '}
        <code title={c.bundle.hash}>{c.bundle.hash.slice(0, 15)}…</code>
        {serverSuffix(c.policy)} · {c.executionProvider.used}
        {c.executionProvider.requested !== c.executionProvider.used && ` (asked ${c.executionProvider.requested})`} · {c.simulator.backend} {c.simulator.version} · {c.machine.cpuModel} ×{c.machine.cpus}
        {results.run && ` · started ${dateTime(results.run.createdAt)}`}
      </p>
      {taskCaveats(c.suite, c.tasks, c.simulator).map((caveat) => (
        <p key={caveat.taskId} className="run-caveat" role="note" data-testid={`caveat-task-${caveat.taskId}`}>
          Task {caveat.taskId}: {caveat.note}.
        </p>
      ))}
      {results.episodes.some((e) => e.retried) && (
        <p className="muted" role="note">
          {results.episodes.filter((e) => e.retried).length} of {count(t.episodes, 'episode')} {results.episodes.filter((e) => e.retried).length === 1 ? 'was' : 'were'} run again from the start after the simulator's worker process was lost (it died or hung); each
          counts once, as its second run ended, and is marked in the episode table.
        </p>
      )}
      {results.hadErrors && (
        <p className="run-error" role="note">
          {count(results.errors.length, 'episode')} ended in an error (simulator or inference, not the policy): they count against the success rate
          and are marked in the episode table.
        </p>
      )}
    </div>
  );
}

function ComparePicker({ runId }: { runId: string }) {
  const id = useId();
  const runs = useApp((s) => s.runs);
  const compareRunId = useApp((s) => s.compareRunId);
  const choose = useApp((s) => s.chooseComparison);
  const others = runs.filter((r) => r.id !== runId);
  return (
    <div className="compare-picker">
      <label htmlFor={id}>Compare with</label>
      <select id={id} value={compareRunId && compareRunId !== runId ? compareRunId : ''} onChange={(e) => choose(e.target.value || null)} disabled={others.length === 0}>
        <option value="">{others.length === 0 ? 'no other run' : 'no run'}</option>
        {others.map((r) => (
          <option key={r.id} value={r.id}>
            {r.name ? `${r.name} · ${r.id}` : r.id} ({decodingLabel(r.decoding, r.accept, r.threshold, r.depth)}, {r.bundle})
          </option>
        ))}
      </select>
    </div>
  );
}

function Comparison({ runId }: { runId: string }) {
  const other = useApp((s) => (s.compareRunId && s.compareRunId !== runId ? s.compareRunId : null));
  const b = useApp((s) => (other ? s.runResults[other] : undefined));
  const error = useApp((s) => (other ? s.runResultsErrors[other] : undefined));
  if (!other) return null;
  return (
    <Part
      title={
        <>
          Compared with <span className="run-id">{other}</span>
        </>
      }
    >
      {error ? <p className="run-error" role="alert">Could not read run {other}: {error.message}</p> : b ? <ComparisonView a={runId} b={other} /> : <p className="muted">Reading run {other}…</p>}
    </Part>
  );
}

/** One run's results: headline, tasks, plots, latency, acceptance, episodes, and a comparison. */
export function RunDetail({ runId }: { runId: string }) {
  const data = useApp((s) => s.runResults[runId]);
  const error = useApp((s) => s.runResultsErrors[runId]);
  const load = useApp((s) => s.loadRunResults);
  const suites = useApp((s) => s.suites);
  const imported = useApp((s) => s.runs.find((r) => r.id === runId)?.importedFrom);
  const title = useApp((s) => s.runs.find((r) => r.id === runId)?.name);

  useEffect(() => {
    void load(runId, true);
  }, [runId, load]);

  if (error && !data) {
    return (
      <p className="run-error" role="alert">
        Could not read run {runId}: {error.message}
      </p>
    );
  }
  if (!data) return <p className="muted">Reading run {runId}…</p>;
  const { results } = data;
  const instructions = new Map((suites?.find((s) => s.suite === results.config.suite)?.tasks ?? []).map((t) => [t.id, t.instruction] as const));

  return (
    <article className="run-detail" aria-label={`Run ${runId}`}>
      <div className="run-detail-head">
        <h2>
          {title ? (
            <>
              {title} <span className="muted run-id">{runId}</span>
            </>
          ) : (
            <>Run {runId}</>
          )}
        </h2>
        {imported && (
          <span className="badge imported-badge" title={imported}>
            imported
          </span>
        )}
        {data.active && <span className="run-status run-status-running">Running: results so far</span>}
        <span className="spacer" />
        <ComparePicker runId={runId} />
        <ExportControl runId={runId} results={results} />
      </div>
      <Headline results={results} />
      <Part title="Success per task">
        <TaskTable results={results} instructions={instructions} />
      </Part>
      {results.episodes.length === 0 ? (
        // Plots of nothing would claim things about episodes that have not happened (no draft proposed, no latency).
        <p className="muted" data-testid="no-episodes">
          {data.active ? 'No episode has finished yet: plots, latency and acceptance appear as episodes finish.' : 'This run has no finished episodes: there is nothing to plot.'}
        </p>
      ) : (
        <div className="charts">
          <SuccessPlot results={results} />
          <LatencyHistogram histogram={data.latencyHistogram} />
          <AcceptanceScatter results={results} />
        </div>
      )}
      <Comparison runId={runId} />
      {results.episodes.length > 0 && (
        <div className="results-columns">
          <Part title="Chunk latency per stage">
            <LatencyTable results={results} />
          </Part>
          <Part title="Draft acceptance per layer">
            <AcceptanceHeatmap results={results} />
          </Part>
        </div>
      )}
      <Part title="Episodes">
        {imported && (
          <p className="muted" role="note" data-testid="imported-note">
            {IMPORTED_NO_REPLAY} Its replay buttons are off.
          </p>
        )}
        <EpisodeTable runId={runId} episodes={results.episodes} {...(imported ? { noReplay: IMPORTED_NO_REPLAY } : {})} />
      </Part>
    </article>
  );
}
