import { useEffect, useRef } from 'react';
import { EmptyState } from '../components/EmptyState.js';
import { CameraPanel } from '../components/replay/CameraPanel.js';
import { CompareRunPicker } from '../components/replay/CompareRunPicker.js';
import { EpisodePicker } from '../components/replay/EpisodePicker.js';
import { GoalStrip } from '../components/replay/GoalStrip.js';
import { outcomeText } from '../components/replay/episode.js';
import { ReplayPlots } from '../components/replay/ReplayPlots.js';
import { ReplayViewport } from '../components/replay/ReplayViewport.js';
import { SideBySide } from '../components/replay/SideBySide.js';
import { StepReadout } from '../components/replay/StepReadout.js';
import { TimelineControls, usePlaybackClock } from '../components/replay/TimelineControls.js';
import { count } from '../components/results/format.js';
import { useApp } from '../store/context.js';
import type { ReplayEpisodeState } from '../store/replay.js';

/** Space plays and pauses, the arrows step, Home and End jump: unless a field has the keyboard. */
function useReplayKeys(enabled: boolean) {
  const toggle = useApp((s) => s.toggleReplayPlaying);
  const stepBy = useApp((s) => s.stepReplay);
  const seek = useApp((s) => s.seekReplay);
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.altKey || e.ctrlKey || e.metaKey || (t && t.closest('input, select, textarea, button, [contenteditable]'))) return;
      const actions: Record<string, () => void> = { ' ': toggle, ArrowLeft: () => stepBy(-1), ArrowRight: () => stepBy(1), Home: () => seek(0), End: () => seek(Number.MAX_SAFE_INTEGER) };
      const action = actions[e.key];
      if (!action) return;
      e.preventDefault();
      action();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled, toggle, stepBy, seek]);
}

type ReadyEpisode = Extract<ReplayEpisodeState, { status: 'ready' }>;

/** The episode: its outcome, the 3D view with the step's details, the timeline and the plots. */
function EpisodeView({ state, loading }: { state: ReadyEpisode; loading?: string }) {
  const { episode, scene } = state;
  usePlaybackClock();
  useReplayKeys(!loading);
  return (
    <>
      <div className={`replay-outcome outcome-${episode.outcome}`} data-testid="replay-outcome" role="status" aria-busy={loading ? true : undefined}>
        {loading && <span className="replay-loading">{loading}</span>}
        <span className="replay-outcome-text">{outcomeText(episode)}</span>
        <span className="replay-instruction">“{episode.instruction}”</span>
        <span className="muted">
          task {episode.taskId} · trial {episode.trial} · initial state {episode.initIndex}
        </span>
      </div>
      {/* At 1440x900 the scene, the timeline pinned under it and the plots (a scrolling column beside) are in view together. */}
      <div className="replay-workspace">
        <div className="replay-stage">
          <div className={episode.cameras ? 'replay-main with-cameras' : 'replay-main'}>
            <ReplayViewport scene={scene} episode={episode} />
            {episode.cameras && <CameraPanel episode={episode} />}
          </div>
          <TimelineControls steps={episode.steps} chunks={episode.chunks} />
          <GoalStrip episode={episode} />
          {!episode.cameras && (
            <p className="muted replay-no-cameras" data-testid="replay-no-cameras">
              No camera images in this episode: its run rendered none (a vision policy's runs keep what it saw; <code>rsd eval --record-cameras</code> keeps them for any policy).
            </p>
          )}
        </div>
        <aside className="replay-side" aria-label="Step details and plots">
          <StepReadout episode={episode} />
          <ReplayPlots episode={episode} />
        </aside>
      </div>
    </>
  );
}

/** Side by side: the episode and the compared run's, one timeline (components/replay/SideBySide.tsx). */
function ComparisonView({ state, loading }: { state: ReadyEpisode; loading?: string }) {
  usePlaybackClock();
  useReplayKeys(!loading);
  return <SideBySide episode={state.episode} scene={state.scene} loading={loading} />;
}

function EpisodeArea() {
  const run = useApp((s) => s.replayRun);
  const state = useApp((s) => s.replayEpisode);
  const Shown = useApp((s) => (s.replayCompareRunId !== null ? ComparisonView : EpisodeView));
  // While the next episode of the same run loads, the last one stays on screen, so the 3D view (and
  // its WebGL context and, for the same task, its geometry) is kept rather than built again.
  const shown = useRef<ReadyEpisode | null>(null);
  if (state.status === 'ready') shown.current = state;
  else if (state.status !== 'loading') shown.current = null;

  if (run.status === 'loading') return <p className="muted">Loading the run's episodes…</p>;
  if (run.status === 'failed')
    return (
      <p className="replay-error" role="alert">
        Could not open run {run.runId}: {run.message}
      </p>
    );
  if (run.status !== 'ready') return null;
  if (run.episodes.length === 0)
    return (
      <EmptyState title="No finished episodes yet">
        <p>Run {run.runId} has not finished an episode yet. Episodes appear here as they finish; open the run again in a moment.</p>
      </EmptyState>
    );
  if (run.trajectories !== 'present')
    return (
      <EmptyState title="This run has no trajectories">
        <p>
          Run {run.runId} has results for {count(run.episodes.length, 'episode')} but no trajectories, so there is nothing
          to replay.{' '}
          {run.trajectories === 'missing'
            ? "Its results name trajectory files that are not in the run's folder: results imported from a file carry no trajectories."
            : 'None of its episodes recorded one.'}{' '}
          Runs evaluated by this app write one per episode.
        </p>
      </EmptyState>
    );

  switch (state.status) {
    case 'none':
      return <p className="muted">Pick an episode to replay.</p>;
    case 'loading':
      return shown.current?.episode.runId === run.runId ? (
        <Shown state={shown.current} loading={`Loading task ${state.taskId} trial ${state.trial}…`} />
      ) : (
        <p className="muted">Loading task {state.taskId} trial {state.trial}…</p>
      );
    case 'unavailable':
    case 'failed': {
      const entry = run.episodes.find((e) => e.taskId === state.taskId && e.trial === state.trial);
      return (
        <div className="replay-unavailable" data-testid="replay-unavailable">
          {entry && (
            <p className={`replay-outcome outcome-${entry.outcome}`}>
              <span className="replay-outcome-text">{outcomeText({ ...entry, maxSteps: run.maxSteps })}</span>
            </p>
          )}
          <p role={state.status === 'failed' ? 'alert' : undefined} className={state.status === 'failed' ? 'replay-error' : undefined}>
            {state.status === 'failed' ? `Could not load this episode's trajectory: ${state.message}` : state.message}
          </p>
        </div>
      );
    }
    case 'ready':
      return <Shown state={state} />;
  }
}

export function ReplayPage() {
  const connected = useApp((s) => s.connectionState === 'open');
  const runs = useApp((s) => s.replayRuns);
  const runsError = useApp((s) => s.replayRunsError);
  const target = useApp((s) => s.replayTarget);
  const load = useApp((s) => s.loadReplayRuns);
  const follow = useApp((s) => s.followReplayRuns);
  const client = useApp((s) => s.client);
  const setPlaying = useApp((s) => s.setReplayPlaying);

  // (Re)list runs when the page opens, the connection comes back, or another page asks for an episode.
  useEffect(() => {
    if (connected) void load();
  }, [connected, target, load]);
  // Runs being evaluated while the page is open show up, and their episodes as they finish.
  useEffect(() => (client ? follow() : undefined), [client, follow]);
  // Leaving the page stops playback.
  useEffect(() => () => setPlaying(false), [setPlaying]);

  return (
    <section aria-labelledby="page-title" className="replay-page">
      <h1 id="page-title">Replay</h1>
      {runs === null ? (
        <p className="muted">{runsError ? `Could not list the runs: ${runsError}` : connected ? 'Loading runs…' : 'Waiting for the engine connection…'}</p>
      ) : runs.length === 0 ? (
        <EmptyState title="No episode to replay">
          <p>
            An episode's trajectory will play here in 3D: the scene, a timeline to scrub, camera modes, and plots of the actions, the gripper and
            each chunk's speculative-decoding record (accepted layers, latency) in step with the timeline.
          </p>
          <p>No runs yet: start an evaluation on the Run page, and its episodes, failed ones first, can be replayed here.</p>
        </EmptyState>
      ) : (
        <>
          <EpisodePicker />
          <CompareRunPicker />
          <EpisodeArea />
        </>
      )}
    </section>
  );
}
