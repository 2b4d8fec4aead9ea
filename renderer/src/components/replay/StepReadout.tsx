import type { EpisodeRecord } from '../../../../engine/api/schemas/results.js';
import type { DecodingStrategy } from '../../../../engine/api/schemas/run-config.js';
import { useApp } from '../../store/context.js';
import { ACTION_DIMS, ACTION_LABELS, chunkIndexAt, PROPRIO_DIMS, type ReplayEpisode } from './episode.js';
import { csvFileName, episodeCsv } from './csv.js';
import { chunkStages, stageText } from './stages.js';
import { stepAt } from './timeline.js';
import { download } from './video-export.js';

const fmt = (v: number | undefined, digits = 3) => (v === undefined ? '–' : v.toFixed(digits));

/** A run's decoding and the episode's per-chunk record, for an episode of another run than the store's (side by side). */
export interface ReadoutRun {
  decoding: DecodingStrategy;
  recorded: EpisodeRecord['chunks'] | null;
}

/**
 * What the policy saw (proprio) and decided (action, chunk) at the cursor's whole step; re-renders
 * once per step. The episode's run is the store's replayed run unless `of` names another's.
 */
export function StepReadout({ episode, of }: { episode: ReplayEpisode; of?: ReadoutRun }) {
  const step = useApp((s) => stepAt(s.replayCursor, episode.steps));
  const run = useApp((s) => s.replayRun);
  const ours = run.status === 'ready' && run.runId === episode.runId ? run : null;
  const decoding = of?.decoding ?? ours?.decoding ?? null;
  const recorded = of ? of.recorded : ours ? (ours.episodes.find((e) => e.taskId === episode.taskId && e.trial === episode.trial)?.chunks ?? null) : null;
  const { actions, proprio, chunks, steps } = episode;
  const acting = step < steps;
  const chunkIndex = chunkIndexAt(chunks, step);
  const chunk = chunks[chunkIndex];
  const p = (i: number) => proprio[step * PROPRIO_DIMS + i];

  return (
    <div className="replay-readout-panel" data-testid="replay-readout">
      <div className="replay-readout-head">
        <h3>Step {step}</h3>
        <button type="button" onClick={() => download(new Blob([episodeCsv(episode)], { type: 'text/csv' }), csvFileName(episode))} title={`Every step's action, proprio, success, chunk and goal atoms as ${csvFileName(episode)}`}>
          Export CSV
        </button>
      </div>
      <dl>
        <dt>Grip site</dt>
        <dd>
          x {fmt(p(0))} · y {fmt(p(1))} · z {fmt(p(2))} m
        </dd>
        <dt>Fingers</dt>
        <dd>
          {fmt(p(6), 4)} / {fmt(p(7), 4)} m
        </dd>
        <dt>Action</dt>
        <dd data-testid="replay-action">
          {acting ? ACTION_LABELS.map((name, d) => `${name} ${fmt(actions[step * ACTION_DIMS + d], 2)}`).join(' · ') : 'none: the episode ended here'}
        </dd>
        <dt>Chunk</dt>
        <dd data-testid="replay-chunk">
          {chunk
            ? `#${chunkIndex + 1} of ${chunks.length}, steps ${chunk.step}–${chunk.step + chunk.executed - 1}: ` +
              (chunk.draftLayers > 0 ? `accepted ${chunk.acceptedLayers} of ${chunk.draftLayers} draft layers` : 'no draft') +
              ` · ${chunk.totalMs.toFixed(1)} ms` +
              (chunk.deviates === null ? '' : chunk.deviates ? ' · differs from main-only decoding' : ' · same as main-only decoding')
            : 'none'}
        </dd>
        {chunk && decoding && (
          <>
            <dt>Stages, ms</dt>
            <dd data-testid="replay-stages">
              {decoding}: {chunkStages(decoding, chunk, chunkIndex, recorded).map(stageText).join(' · ')}
            </dd>
          </>
        )}
        {chunk?.note && (
          <>
            <dt>Policy’s note</dt>
            <dd data-testid="replay-chunk-note">{chunk.note}</dd>
          </>
        )}
      </dl>
    </div>
  );
}
