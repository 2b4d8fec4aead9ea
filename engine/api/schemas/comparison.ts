import { z } from 'zod';
import { EpisodeOutcome, LATENCY_STAGES } from './results.js';
import { AcceptRule, DecodingDepth, DecodingStrategy, SuiteName } from './run-config.js';
import { RunStatus } from './runs.js';

/**
 * A paired comparison of two runs over the same episodes (docs/metrics.md "Paired comparison"):
 * what engine/eval/compare.ts's compareResults returns and `runs.compare` carries.
 */

const NonNegInt = z.number().int().nonnegative();
const Rate = z.number().min(0).max(1);
const Interval = z.object({ low: z.number(), high: z.number() });

export const RunLabel = z.object({
  id: z.string().nullable(),
  status: RunStatus.nullable(),
  decoding: DecodingStrategy,
  accept: AcceptRule.nullable(),
  threshold: z.number().nullable(),
  depth: DecodingDepth.optional(),
  bundle: z.string(),
  executionProvider: z.string(),
});
export type RunLabel = z.infer<typeof RunLabel>;

export const PairedSuccess = z.object({
  /** Paired episodes. */
  n: NonNegInt,
  successesA: NonNegInt,
  successesB: NonNegInt,
  rateA: Rate.nullable(),
  rateB: Rate.nullable(),
  /** rateB - rateA over the paired episodes; null with none. */
  difference: z.number().min(-1).max(1).nullable(),
  /** Pairs where only A succeeded / only B succeeded (the discordant pairs). */
  onlyA: NonNegInt,
  onlyB: NonNegInt,
  /** McNemar's exact two-sided p on the discordant pairs (1 with none). */
  pValue: Rate,
});
export type PairedSuccess = z.infer<typeof PairedSuccess>;

export const UnpairedEpisode = z.object({
  taskId: NonNegInt,
  trial: NonNegInt,
  reason: z.enum(['only-in-a', 'only-in-b', 'init-index-differs']),
  initIndexA: NonNegInt.nullable(),
  initIndexB: NonNegInt.nullable(),
});
export type UnpairedEpisode = z.infer<typeof UnpairedEpisode>;

/** Paired success with each rate's Wilson score 95% interval over the paired episodes ([0, 1] with none). */
export const PairedSuccessWithIntervals = PairedSuccess.extend({ wilsonA: Interval, wilsonB: Interval });
export type PairedSuccessWithIntervals = z.infer<typeof PairedSuccessWithIntervals>;

/** One side of a paired episode whose outcome differs between the runs. */
const EpisodeSide = z.object({
  outcome: EpisodeOutcome,
  steps: NonNegInt,
  /** Whether the run kept the episode's trajectory (replay needs it; an imported run has none). */
  trajectory: z.boolean(),
});

/** A paired episode (same task, trial and initial state) that ended differently in A and B. */
export const DifferingEpisode = z.object({
  taskId: NonNegInt,
  trial: NonNegInt,
  initIndex: NonNegInt,
  a: EpisodeSide,
  b: EpisodeSide,
});
export type DifferingEpisode = z.infer<typeof DifferingEpisode>;

export const StageComparison = z.object({
  stage: z.enum(LATENCY_STAGES),
  /**
   * Median chunk latency of this stage over every chunk of each run, in ms; null (n/a) where the
   * run's decoding has no such stage (parallel: no prefill, draft, verify or main steps;
   * autoregressive: no draft, verify or parallel heads; speculative: no parallel heads), where it
   * took no time in that run (the single-run table leaves such a stage out), or with no chunks.
   */
  medianA: z.number().nullable(),
  medianB: z.number().nullable(),
  /** medianA / medianB: above 1, B is that many times faster; null when undefined. */
  ratio: z.number().nullable(),
  /** Percentile bootstrap interval of the ratio (see `latency.bootstrap`); null with the ratio, or when a resample's ratio is undefined. */
  interval: Interval.nullable(),
});
export type StageComparison = z.infer<typeof StageComparison>;

export const Comparison = z.object({
  suite: SuiteName,
  a: RunLabel,
  b: RunLabel,
  /** Configuration fields that differ between the runs (besides the ones compared on purpose, this shows confounders). */
  configDifferences: z.array(z.object({ field: z.string(), a: z.string(), b: z.string() })),
  paired: NonNegInt,
  unpaired: z.object({ total: NonNegInt, onlyInA: NonNegInt, onlyInB: NonNegInt, initIndexDiffers: NonNegInt, episodes: z.array(UnpairedEpisode) }),
  /** Per task, in A's task order. */
  tasks: z.array(PairedSuccessWithIntervals.extend({ taskId: NonNegInt })),
  total: PairedSuccessWithIntervals,
  latency: z.object({
    /** Chunks each run's latency figures come from (all its chunks, paired or not). */
    chunksA: NonNegInt,
    chunksB: NonNegInt,
    /** Median chunk totalMs of A over that of B ("B is x times faster"); null when undefined. */
    totalRatio: z.number().nullable(),
    /** Percentile bootstrap interval of totalRatio over chunks; null with it. */
    totalInterval: Interval.nullable(),
    /** How the intervals were made: each run's chunks resampled with replacement, `resamples` times, from mulberry32(`seed`). */
    bootstrap: z.object({ method: z.literal('percentile'), resamples: NonNegInt, level: Rate, seed: NonNegInt }),
    stages: z.array(StageComparison),
    /** Chunk totalMs of each run on the same bins (`edges`, ms; 20 equal bins over both runs' range, the last closed); empty with no chunks. */
    histogram: z.object({ edges: z.array(z.number()), countsA: z.array(NonNegInt), countsB: z.array(NonNegInt) }),
  }),
  /** Paired episodes whose outcome differs (success, failure or error), in A's episode order. */
  differing: z.array(DifferingEpisode),
  acceptance: z.object({ meanAcceptedLayersA: z.number().nullable(), meanAcceptedLayersB: z.number().nullable() }),
});
export type Comparison = z.infer<typeof Comparison>;
