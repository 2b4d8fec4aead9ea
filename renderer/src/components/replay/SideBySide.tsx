import { useApp } from '../../store/context.js';
import type { ReplayPartnerState } from '../../store/replay-partner.js';
import { timelineSteps } from '../../store/replay-partner.js';
import type { ReplayScene } from './scene.js';
import { outcomeText, type ReplayEpisode } from './episode.js';
import { ReplayViewport } from './ReplayViewport.js';
import { StepReadout } from './StepReadout.js';
import { TimelineControls } from './TimelineControls.js';

/**
 * The side-by-side replay (issue 19 item 4): one episode (task, trial, initial state) of two runs,
 * each with its 3D view, run id, decoding and outcome, driven by one timeline that spans the longer
 * episode; the shorter one holds its last step and says where it ended. The camera mode is the
 * store's, so both views follow it. Each view owns its WebGL context (one SceneView per canvas):
 * closing the comparison unmounts the second one, which disposes it and frees its context.
 */
export function SideBySide({ episode, scene, loading }: { episode: ReplayEpisode; scene: ReplayScene; loading?: string }) {
  const run = useApp((s) => s.replayRun);
  const partner = useApp((s) => s.replayPartner);
  const compareId = useApp((s) => s.replayCompareRunId);
  const ours = run.status === 'ready' && run.runId === episode.runId ? run : null;
  const recorded = ours?.episodes.find((e) => e.taskId === episode.taskId && e.trial === episode.trial)?.chunks ?? null;
  const steps = timelineSteps(episode.steps, partner);
  const ready = partner.status === 'ready' && partner.taskId === episode.taskId && partner.trial === episode.trial ? partner : null;

  return (
    <div className="replay-compare" data-testid="replay-compare">
      <div className="replay-outcome replay-compare-head" role="status" aria-busy={loading ? true : undefined}>
        {loading && <span className="replay-loading">{loading}</span>}
        <span className="replay-outcome-text">Side by side</span>
        <span className="replay-instruction">“{episode.instruction}”</span>
        <span className="muted">
          task {episode.taskId} · trial {episode.trial} · initial state {episode.initIndex}
        </span>
      </div>
      {/* Views, the one timeline, read-outs: a grid of two columns, one per run. */}
      <div className="replay-compare-grid">
        <RunView side="a" episode={episode} scene={scene} decoding={ours?.decoding} />
        {ready ? <RunView side="b" episode={ready.episode} scene={ready.scene} decoding={ready.decoding} /> : <PartnerMissing partner={partner} runId={compareId ?? ''} />}
        <div className="replay-compare-timeline">
          <TimelineControls steps={steps} />
        </div>
        <div data-testid="replay-readout-a">
          <StepReadout episode={episode} of={ours ? { decoding: ours.decoding, recorded } : undefined} />
        </div>
        <div data-testid="replay-readout-b">{ready && <StepReadout episode={ready.episode} of={{ decoding: ready.decoding, recorded: ready.recorded }} />}</div>
      </div>
    </div>
  );
}

/** One run's 3D view under its id, decoding and outcome. */
function RunView({ side, episode, scene, decoding }: { side: 'a' | 'b'; episode: ReplayEpisode; scene: ReplayScene; decoding?: string }) {
  return (
    <section className="replay-compare-side" data-testid={`replay-side-${side}`} aria-label={`Run ${episode.runId}`}>
      <header className={`replay-compare-run outcome-${episode.outcome}`}>
        <strong className="replay-compare-id">{episode.runId}</strong>
        {decoding && <span className="replay-compare-decoding">{decoding}</span>}
        <span className="replay-outcome-text" data-testid="replay-side-outcome">
          {outcomeText(episode)}
        </span>
      </header>
      <div className="replay-compare-view">
        <ReplayViewport scene={scene} episode={episode} videoExport={false} />
        <EndedNote episode={episode} />
      </div>
    </section>
  );
}

/** Over a view whose episode has ended at the cursor: where and how (it holds its last step). */
function EndedNote({ episode }: { episode: ReplayEpisode }) {
  const ended = useApp((s) => s.replayCursor >= episode.steps);
  if (!ended) return null;
  return (
    <span className={`replay-ended outcome-${episode.outcome}`} data-testid="replay-ended">
      ended at step {episode.steps} ({episode.outcome})
    </span>
  );
}

/** In place of the second view: loading, or why the compared run's episode cannot be shown. */
function PartnerMissing({ partner, runId }: { partner: ReplayPartnerState; runId: string }) {
  const id = partner.status === 'none' ? runId : partner.runId;
  return (
    <section className="replay-compare-side" data-testid="replay-side-b" aria-label={`Run ${id}`}>
      <header className="replay-compare-run">
        <strong className="replay-compare-id">{id}</strong>
      </header>
      <div className="replay-compare-missing" data-testid="replay-partner-message" role={partner.status === 'failed' ? 'alert' : 'note'}>
        {partner.status === 'failed'
          ? `Could not open run ${partner.runId}'s episode: ${partner.message}`
          : partner.status === 'unavailable'
            ? partner.message
            : `Loading run ${id}'s episode…`}
      </div>
    </section>
  );
}
