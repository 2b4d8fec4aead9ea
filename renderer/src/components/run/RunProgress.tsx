import { useEffect, useState } from 'react';
import type { EvalProgress, TaskProgress } from '../../../../engine/api/schemas/eval-events.js';
import { useApp } from '../../store/context.js';
import { elapsedNow, type LiveRun } from '../../store/run.js';
import { count, decodingLabel, duration, millis, percent, serverSuffix } from '../results/format.js';
import { RunLog } from './RunLog.js';

const STATUS_LABEL: Record<LiveRun['status'], string> = {
  starting: 'Starting…',
  running: 'Running',
  completed: 'Completed',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

/** The time now, once a second while `ticking` (the elapsed time moves between the engine's reports). */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [ticking]);
  return now;
}

function Stats({ progress, elapsed }: { progress: EvalProgress; elapsed: number | null }) {
  const rate = progress.done === 0 ? null : progress.successes / progress.done;
  return (
    <dl className="run-stats">
      <Stat label="Running success" testId="running-success" value={`${progress.successes} of ${progress.done} (${percent(rate)})${progress.errors ? `, ${count(progress.errors, 'error')}` : ''}`} />
      <Stat label="Chunk latency, median" testId="chunk-median" value={millis(progress.chunkMedianMs)} />
      <Stat label="Episodes per minute" testId="episodes-per-minute" value={progress.episodesPerMinute === null ? 'n/a' : progress.episodesPerMinute.toFixed(1)} />
      <Stat label="Time left" testId="eta" value={duration(progress.etaSeconds)} />
      <Stat label="Elapsed" testId="elapsed" value={duration(elapsed ?? progress.elapsedSeconds)} />
    </dl>
  );
}


/** A task's episodes as one bar: successes, failures and errors apart, then what is left to run. */
function OutcomeBar({ task }: { task: TaskProgress }) {
  const share = (n: number) => `${task.total > 0 ? (100 * n) / task.total : 0}%`;
  const label = `Task ${task.taskId}: ${count(task.successes, 'success', 'successes')}, ${count(task.failures, 'failure')}, ${count(task.errors, 'error')}, ${task.total - task.done} of ${task.total} to run`;
  return (
    <div className="outcome-bar" role="img" aria-label={label} title={label}>
      <span className="outcome-success" style={{ width: share(task.successes) }} />
      <span className="outcome-failure" style={{ width: share(task.failures) }} />
      <span className="outcome-error" style={{ width: share(task.errors) }} />
    </div>
  );
}

function TaskBars({ progress, instructions }: { progress: EvalProgress; instructions: Map<number, string> }) {
  return (
    <>
      <ul className="task-bars" aria-label="Progress per task">
        {progress.perTask.map((t) => (
          <li key={t.taskId} title={instructions.get(t.taskId)}>
            <span className="task-bar-name">Task {t.taskId}</span>
            <OutcomeBar task={t} />
            <span className="task-bar-count" data-testid={`task-progress-${t.taskId}`}>
              {t.done}/{t.total} · {t.successes} ✓ · {t.failures} ✗{t.errors > 0 && ` · ${count(t.errors, 'error')}`}
            </span>
          </li>
        ))}
      </ul>
      <p className="outcome-legend muted" aria-hidden="true">
        <span className="outcome-swatch outcome-success" /> success <span className="outcome-swatch outcome-failure" /> failure <span className="outcome-swatch outcome-error" /> error
      </p>
    </>
  );
}

/** The episodes running now, each with its steps done of its limit (the engine reports them a few times a second). */
function RunningEpisodes({ live }: { live: LiveRun }) {
  if (live.running.length === 0) return null;
  const limit = live.config?.maxSteps ?? null;
  return (
    <ul className="episode-steps" aria-label="Episodes running now" data-testid="episodes-running">
      {live.running.map((r) => {
        const s = live.steps.find((e) => e.taskId === r.taskId && e.trial === r.trial);
        const max = s?.maxSteps ?? limit;
        const done = s?.steps ?? 0;
        return (
          <li key={`${r.taskId}/${r.trial}`}>
            <span>
              Task {r.taskId} trial {r.trial}
            </span>
            {max ? <progress max={max} value={done} aria-label={`Task ${r.taskId} trial ${r.trial} steps done`} /> : <span />}
            <span className="task-bar-count" data-testid={`episode-steps-${r.taskId}-${r.trial}`}>
              {max ? `${done}/${max} steps` : `${done} steps`}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

/** The run the engine is doing (or did last): its progress, live numbers, log, and what can be done with it. */
export function RunProgress({ live }: { live: LiveRun }) {
  const cancelRun = useApp((s) => s.cancelRun);
  const resumeRun = useApp((s) => s.resumeRun);
  const openResults = useApp((s) => s.openResults);
  const suites = useApp((s) => s.suites);
  const instructions = new Map((suites ?? []).flatMap((s) => s.tasks.map((t) => [t.id, t.instruction] as const)));
  const p = live.progress;
  const fraction = p && p.total > 0 ? p.done / p.total : 0;
  const c = live.config;
  const now = useNow(live.status === 'running');
  const elapsed = elapsedNow(live, now);

  return (
    <section className="run-progress" aria-labelledby="run-progress-title" aria-busy={live.status === 'running' || live.status === 'starting'} data-status={live.status}>
      <div className="run-progress-head">
        <h2 id="run-progress-title">{live.runId ? `Run ${live.runId}` : 'Starting a run'}</h2>
        <span className={`run-status run-status-${live.status}`} data-testid="run-status">
          {live.cancelling ? 'Cancelling…' : STATUS_LABEL[live.status]}
        </span>
        <span className="spacer" />
        {(live.status === 'running' || live.status === 'starting') && (
          <button type="button" onClick={() => void cancelRun()} disabled={!live.runId || live.cancelling}>
            Cancel
          </button>
        )}
        {(live.status === 'cancelled' || live.status === 'failed') && live.runId && (
          <button type="button" onClick={() => void resumeRun(live.runId!, c?.policy?.url)}>
            Resume
          </button>
        )}
        {live.runId && (
          <button type="button" onClick={() => openResults(live.runId!)}>
            Open results
          </button>
        )}
      </div>
      {c && (
        <p className="muted run-config-line">
          {c.suite} · {c.tasks.length} {c.tasks.length === 1 ? 'task' : 'tasks'} × {c.trials} {c.trials === 1 ? 'trial' : 'trials'} · {decodingLabel(c.decoding, c.accept, c.threshold)} · {c.bundle.name}
          {serverSuffix(c.policy)} · {c.executionProvider.used}
          {c.executionProvider.used !== c.executionProvider.requested && ` (asked ${c.executionProvider.requested})`} · max {c.maxSteps} steps
        </p>
      )}
      {live.status === 'failed' && live.error && (
        <p className="run-error" role="alert">
          The run failed: {live.error}. The episodes that finished are kept; Resume continues it.
        </p>
      )}
      {p ? (
        <>
          <div className="overall">
            <progress max={p.total} value={p.done} aria-label="Episodes done" />
            <span data-testid="overall-progress">
              {p.done}/{p.total} episodes ({percent(fraction, 0)})
            </span>
          </div>
          <Stats progress={p} elapsed={elapsed} />
          <RunningEpisodes live={live} />
          <TaskBars progress={p} instructions={instructions} />
        </>
      ) : (
        <p className="muted">{live.status === 'starting' ? 'Loading the bundle and starting the simulator workers…' : 'No progress yet.'}</p>
      )}
      <h3>Log</h3>
      <RunLog lines={live.log} />
    </section>
  );
}
