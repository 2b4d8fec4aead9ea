import { z } from 'zod';
import { EpisodeOutcome } from './results.js';
import { RunConfig } from './run-config.js';

/**
 * What an evaluation run reports as it goes (engine/eval/runner.ts emits these; `eval.event`
 * carries them to the UI).
 */

const NonNegInt = z.number().int().nonnegative();

/** One task's episodes: done of total, and how they ended (successes + failures + errors = done). */
export const TaskProgress = z.object({ taskId: NonNegInt, done: NonNegInt, total: NonNegInt, successes: NonNegInt, failures: NonNegInt, errors: NonNegInt });
export type TaskProgress = z.infer<typeof TaskProgress>;

/** Live progress of a run. */
export const EvalProgress = z.object({
  done: NonNegInt,
  total: NonNegInt,
  successes: NonNegInt,
  errors: NonNegInt,
  perTask: z.array(TaskProgress),
  /** Episodes per minute finished in this session (resumed episodes excluded). */
  episodesPerMinute: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  /** Median chunk latency so far, ms. */
  chunkMedianMs: z.number().nullable(),
  /** The run's active time: its earlier sessions' (run.json's `activeSeconds`) plus this session's. */
  elapsedSeconds: z.number(),
});
export type EvalProgress = z.infer<typeof EvalProgress>;

/** A finished episode as events carry it: its record, with the number of its chunks for the chunks. */
export const FinishedEpisode = z.object({
  taskId: NonNegInt,
  trial: NonNegInt,
  initIndex: NonNegInt,
  outcome: EpisodeOutcome,
  steps: NonNegInt,
  wallMs: z.number(),
  error: z.string().nullable(),
  trajectory: z.string().nullable(),
  chunks: NonNegInt,
});
export type FinishedEpisode = z.infer<typeof FinishedEpisode>;

/** A running episode's policy steps done, of its step limit. */
export const EpisodeSteps = z.object({ taskId: NonNegInt, trial: NonNegInt, steps: NonNegInt, maxSteps: NonNegInt });
export type EpisodeSteps = z.infer<typeof EpisodeSteps>;

/** One event of a run. */
export const EvalEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run-started'), runId: z.string(), dir: z.string(), config: RunConfig, resumed: z.boolean(), progress: EvalProgress }),
  z.object({ type: z.literal('episode-started'), runId: z.string(), taskId: NonNegInt, trial: NonNegInt, initIndex: NonNegInt }),
  z.object({ type: z.literal('episode-finished'), runId: z.string(), episode: FinishedEpisode, progress: EvalProgress }),
  /**
   * Progress within the running episodes, throttled (the runner's `progressIntervalMs`, a few per
   * second): every running episode's steps, and the run's elapsed time.
   */
  z.object({ type: z.literal('episodes-progress'), runId: z.string(), episodes: z.array(EpisodeSteps), elapsedSeconds: z.number() }),
  z.object({ type: z.literal('log'), runId: z.string(), level: z.enum(['info', 'warn', 'debug']), message: z.string() }),
  z.object({ type: z.literal('run-finished'), runId: z.string(), status: z.enum(['completed', 'cancelled', 'failed']), error: z.string().nullable(), progress: EvalProgress }),
]);
export type EvalEvent = z.infer<typeof EvalEvent>;
