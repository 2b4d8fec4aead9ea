import type { EpisodeRecord } from '../../../engine/api/schemas/results.js';
import type { RunSummary } from '../../../engine/api/schemas/runs.js';
import type { DecodingStrategy } from '../../../engine/api/schemas/run-config.js';
import type { ReplayEpisode } from '../components/replay/episode.js';
import type { ReplayScene } from '../components/replay/scene.js';

/**
 * The side-by-side replay's second episode: the same task and trial of another run, paired as
 * engine/eval/compare.ts pairs episodes (task, trial, and the same initial state index). Pure
 * parts here (which runs can be compared, why an episode cannot be shown); the loading is in the
 * replay slice (replay.ts).
 */

/** The partner run's episode (the same task and trial as the one shown), or why there is none to show. */
export type ReplayPartnerState =
  | { status: 'none' }
  | { status: 'loading'; runId: string; taskId: number; trial: number }
  | {
      status: 'ready';
      runId: string;
      taskId: number;
      trial: number;
      /** The partner run's decoding and its episode's per-chunk record (for the stage read-out). */
      decoding: DecodingStrategy;
      recorded: EpisodeRecord['chunks'];
      episode: ReplayEpisode;
      scene: ReplayScene;
    }
  /** No such episode, a different initial state, or no trajectory: said in `message`. */
  | { status: 'unavailable'; runId: string; taskId: number; trial: number; message: string }
  | { status: 'failed'; runId: string; taskId: number; trial: number; message: string };

/** The episode shown, as the pairing needs it. */
export interface PairedEpisode {
  runId: string;
  taskId: number;
  trial: number;
  initIndex: number;
}

type PartnerRecord = Pick<EpisodeRecord, 'taskId' | 'trial' | 'initIndex' | 'outcome' | 'error' | 'trajectory'>;

/**
 * Why run `partnerId`'s episodes hold nothing to show beside `shown` (one line naming both runs),
 * or null with the record to load. `running`: the partner run is still evaluating (its episode may come).
 */
export function partnerProblem(shown: PairedEpisode, partnerId: string, episodes: readonly PartnerRecord[], running = false): { message: string } | { record: PartnerRecord } {
  const { taskId, trial } = shown;
  const record = episodes.find((e) => e.taskId === taskId && e.trial === trial);
  if (!record) return { message: `Run ${partnerId} has no episode of task ${taskId}, trial ${trial}${running ? ' yet (it is still running)' : ''}: there is nothing to show beside run ${shown.runId}.` };
  if (record.initIndex !== shown.initIndex)
    return {
      message: `Run ${partnerId}'s task ${taskId}, trial ${trial} started from initial state ${record.initIndex}, run ${shown.runId}'s from initial state ${shown.initIndex}: not the same episode, so they are not shown side by side.`,
    };
  if (record.trajectory === null)
    return {
      message:
        record.outcome === 'error'
          ? `Run ${partnerId}'s task ${taskId}, trial ${trial} has no trajectory: it ended in an error before one was written (${record.error ?? 'no message recorded'}).`
          : `Run ${partnerId}'s task ${taskId}, trial ${trial} has no trajectory: it was recorded without one.`,
    };
  return { record };
}

/**
 * The runs that can be shown beside run `runId`'s episode (task, trial): of the same suite, planned
 * with that task and at least trial + 1 trials (a run's trial t starts from initial state t,
 * engine/eval/plan.ts, so these pair by compare.ts's rule), with some episode done, not imported
 * (no trajectories), not the run itself. The partner's own record is checked again when it loads.
 */
export function comparableRuns(runs: readonly RunSummary[], runId: string, taskId: number, trial: number): RunSummary[] {
  const shown = runs.find((r) => r.id === runId);
  return runs.filter(
    (r) => r.id !== runId && (!shown || r.suite === shown.suite) && r.tasks.includes(taskId) && trial < r.trials && r.episodesDone > 0 && r.importedFrom === undefined,
  );
}

/** The longer of the two episodes: one timeline spans both (the shorter holds its last step). */
export function timelineSteps(primary: number, partner: ReplayPartnerState): number {
  return Math.max(primary, partner.status === 'ready' ? partner.episode.steps : 0);
}
