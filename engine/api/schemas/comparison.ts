import { z } from 'zod';
import { LATENCY_STAGES } from './results.js';
import { AcceptRule, DecodingStrategy, SuiteName } from './run-config.js';
import { RunStatus } from './runs.js';

/**
 * A paired comparison of two runs over the same episodes (docs/metrics.md "Paired comparison"):
 * what engine/eval/compare.ts's compareResults returns and `runs.compare` carries.
 */

const NonNegInt = z.number().int().nonnegative();
const Rate = z.number().min(0).max(1);

export const RunLabel = z.object({
  id: z.string().nullable(),
  status: RunStatus.nullable(),
  decoding: DecodingStrategy,
  accept: AcceptRule.nullable(),
  threshold: z.number().nullable(),
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

export const StageComparison = z.object({
  stage: z.enum(LATENCY_STAGES),
  /** Median chunk latency of this stage over every chunk of each run, in ms. */
  medianA: z.number().nullable(),
  medianB: z.number().nullable(),
  /** medianA / medianB: above 1, B is that many times faster; null when undefined. */
  ratio: z.number().nullable(),
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
  tasks: z.array(PairedSuccess.extend({ taskId: NonNegInt })),
  total: PairedSuccess,
  latency: z.object({
    /** Chunks each run's latency figures come from (all its chunks, paired or not). */
    chunksA: NonNegInt,
    chunksB: NonNegInt,
    /** Median chunk totalMs of A over that of B ("B is x times faster"); null when undefined. */
    totalRatio: z.number().nullable(),
    stages: z.array(StageComparison),
  }),
  acceptance: z.object({ meanAcceptedLayersA: z.number().nullable(), meanAcceptedLayersB: z.number().nullable() }),
});
export type Comparison = z.infer<typeof Comparison>;
