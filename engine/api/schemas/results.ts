import { z } from 'zod';
import { RunConfig } from './run-config.js';
import { RunStatus } from './runs.js';

/**
 * results.json, format version 1 (docs/evaluation.md "results.json"; docs/results.schema.json
 * is generated from this file by scripts/make-schemas.ts).
 *
 * Everything except `formatVersion`, `run`, `config` and `episodes` is derived from the episode
 * records by summarize (engine/runs/results-schema.ts); import re-derives the aggregates and
 * refuses a file whose stored ones disagree, so a results file cannot claim what its episodes do
 * not show.
 *
 * Numbers that are undefined (a percentile of no chunks, a correlation with no variance) are `null`,
 * never NaN: JSON has no NaN.
 */

export const RESULTS_FORMAT_VERSION = 1;

const NonNegInt = z.number().int().nonnegative();
const Ms = z.number().nonnegative();

/** Per-chunk latency stages recorded in an episode (ChunkLatency's millisecond fields). */
export const LATENCY_STAGES = [
  'totalMs',
  'prefillMs',
  'draftMs',
  'verifyMs',
  'mainStepsMs',
  'parallelMs',
  'decoderMs',
  'rfsqMs',
  'ortMs',
  'overheadMs',
] as const;
export type LatencyStage = (typeof LATENCY_STAGES)[number];

/** Every stage's per-chunk times: finite (zod's numbers are) and never negative. */
const StageArrays = z.strictObject(Object.fromEntries(LATENCY_STAGES.map((s) => [s, z.array(Ms)])) as Record<LatencyStage, z.ZodArray<z.ZodNumber>>);

/**
 * An episode's chunks, column-wise (compact): chunk i drafted `draftLayers[i]` layers and accepted
 * a prefix of `acceptedLayers[i]` of them, and took `latency[stage][i]` ms in each stage.
 */
export const EpisodeChunks = z
  .strictObject({
    draftLayers: z.array(NonNegInt),
    acceptedLayers: z.array(NonNegInt),
    latency: StageArrays,
  })
  .superRefine((c, ctx) => {
    const n = c.draftLayers.length;
    if (c.acceptedLayers.length !== n) ctx.addIssue({ code: 'custom', path: ['acceptedLayers'], message: `has ${c.acceptedLayers.length} entries, draftLayers ${n}` });
    for (const stage of LATENCY_STAGES) {
      if (c.latency[stage].length !== n) ctx.addIssue({ code: 'custom', path: ['latency', stage], message: `has ${c.latency[stage].length} entries, draftLayers ${n}` });
    }
    c.acceptedLayers.forEach((a, i) => {
      const k = c.draftLayers[i];
      if (k !== undefined && a > k) ctx.addIssue({ code: 'custom', path: ['acceptedLayers', i], message: `accepted ${a} of ${k} drafted layers` });
    });
  });
export type EpisodeChunks = z.infer<typeof EpisodeChunks>;

export const EpisodeOutcome = z.enum(['success', 'failure', 'error']);
export type EpisodeOutcome = z.infer<typeof EpisodeOutcome>;

/** One finished episode: a line of episodes.jsonl and an entry of results.json's `episodes`. */
export const EpisodeRecord = z
  .strictObject({
    taskId: NonNegInt,
    trial: NonNegInt,
    initIndex: NonNegInt,
    /** success; failure = ran out of steps; error = simulator unstable, inference failed, worker died. */
    outcome: EpisodeOutcome,
    /** Policy steps taken (wait steps not counted). */
    steps: NonNegInt,
    wallMs: Ms,
    /** The error's message when outcome is `error`, else null. */
    error: z.string().nullable(),
    /** File name under the run's `trajectories/`, or null when none was written. */
    trajectory: z.string().nullable(),
    chunks: EpisodeChunks,
    /**
     * Present when the simulator's process was lost mid-episode (died, hung, garbled) and the
     * episode was run again from its start: the first attempt's error. The record is the rerun's.
     */
    retried: z.strictObject({ error: z.string() }).optional(),
  })
  .superRefine((e, ctx) => {
    if ((e.outcome === 'error') !== (e.error !== null)) {
      ctx.addIssue({ code: 'custom', path: ['error'], message: e.outcome === 'error' ? 'an errored episode needs its message' : `must be null when outcome is ${e.outcome}` });
    }
  });
export type EpisodeRecord = z.infer<typeof EpisodeRecord>;

/** A problem of an episode record against its run's configuration: the field (within the record) and what is wrong. */
export interface EpisodeConfigIssue {
  path: (string | number)[];
  message: string;
}

/**
 * What an episode record must satisfy against its run's configuration, beyond EpisodeRecord: its
 * task is one of `config.tasks`, its trial is below `config.trials`, its steps are within
 * `config.maxSteps`, and only speculative decoding drafts layers (parallel and autoregressive
 * chunks draft 0). Checked for every episode of a results file (the Results schema) and of an
 * ingested batch (engine/runs/ingest.ts). `run` names the run in messages
 * (`run X's configuration`), else they say `the run's`.
 */
export function episodeConfigIssues(config: RunConfig, e: EpisodeRecord, run: string | null = null): EpisodeConfigIssue[] {
  const issues: EpisodeConfigIssue[] = [];
  const whose = run === null ? 'the run' : `run ${run}`;
  if (!config.tasks.includes(e.taskId)) issues.push({ path: ['taskId'], message: `task ${e.taskId} is not in ${whose}'s configuration (tasks ${config.tasks.join(', ')})` });
  if (e.trial >= config.trials) issues.push({ path: ['trial'], message: `trial ${e.trial} is out of range: ${whose} has ${config.trials} trials per task (0-${config.trials - 1})` });
  if (e.steps > config.maxSteps) issues.push({ path: ['steps'], message: `${e.steps} steps is more than the run's maxSteps (${config.maxSteps})` });
  if (config.decoding !== 'speculative') {
    const i = e.chunks.draftLayers.findIndex((k) => k > 0);
    if (i !== -1) issues.push({ path: ['chunks', 'draftLayers', i], message: `drafted ${e.chunks.draftLayers[i]} layers, but ${config.decoding} decoding drafts none (only speculative decoding does)` });
  }
  return issues;
}

const Interval = z.strictObject({ low: z.number().min(0).max(1), high: z.number().min(0).max(1) });

export const SuccessStats = z.strictObject({
  episodes: NonNegInt,
  successes: NonNegInt,
  failures: NonNegInt,
  errors: NonNegInt,
  /** successes / episodes (errors count against it); null with no episodes. */
  rate: z.number().min(0).max(1).nullable(),
  /** Wilson score 95% interval of the rate ([0, 1] with no episodes). */
  wilson95: Interval,
});
export type SuccessStats = z.infer<typeof SuccessStats>;

export const Percentiles = z.strictObject({ median: z.number().nullable(), p90: z.number().nullable(), p99: z.number().nullable() });
export type Percentiles = z.infer<typeof Percentiles>;

const ResultsFields = z.strictObject({
  formatVersion: z.literal(RESULTS_FORMAT_VERSION),
  /** Which run produced the file; null when summarised outside a run store. */
  run: z
    .strictObject({
      id: z.string().min(1),
      status: RunStatus,
      createdAt: z.string(),
      finishedAt: z.string().nullable(),
    })
    .nullable(),
  config: RunConfig,
  /** Per task in `config.tasks` order. */
  tasks: z.array(SuccessStats.extend({ taskId: NonNegInt })),
  total: SuccessStats,
  /** True when any episode ended in `error`: such a run's rate understates the policy. */
  hadErrors: z.boolean(),
  /** The errored episodes, listed apart (they are also in `episodes` and count as not successful). */
  errors: z.array(z.strictObject({ taskId: NonNegInt, trial: NonNegInt, initIndex: NonNegInt, error: z.string() })),
  /** Chunk latency over every chunk of every episode, per stage, in ms. */
  latency: z.strictObject({
    chunks: NonNegInt,
    stages: z.strictObject(Object.fromEntries(LATENCY_STAGES.map((s) => [s, Percentiles])) as Record<LatencyStage, typeof Percentiles>),
  }),
  /** Episode wall time in ms. */
  episodeWallMs: Percentiles,
  acceptance: z.strictObject({
    /** Chunks that drafted at least one layer (speculative decoding). */
    speculativeChunks: NonNegInt,
    /** Mean length of the accepted prefix over those chunks; null when there were none. */
    meanAcceptedLayers: z.number().nullable(),
    /**
     * Per draft layer j: `rate` = accepted / proposed over all chunks that proposed layer j;
     * `successCorrelation` = the point-biserial correlation (Pearson's r with a 0/1 variable)
     * between an episode's acceptance of layer j (the fraction of that episode's chunks proposing
     * layer j in which it was accepted) and the episode's success (1 = success, 0 = failure or
     * error), over the `episodes` that proposed layer j at least once. Positive: episodes where
     * the draft held up at layer j succeeded more often. Null when undefined (every such episode
     * succeeded, none did, or the acceptance was the same in all of them).
     */
    perLayer: z.array(
      z.strictObject({
        layer: NonNegInt,
        proposed: NonNegInt,
        accepted: NonNegInt,
        rate: z.number().min(0).max(1),
        episodes: NonNegInt,
        successCorrelation: z.number().min(-1).max(1).nullable(),
      }),
    ),
  }),
  episodes: z.array(EpisodeRecord),
});
export const Results = ResultsFields.superRefine((r, ctx) => {
  r.episodes.forEach((e, i) => {
    for (const issue of episodeConfigIssues(r.config, e)) ctx.addIssue({ code: 'custom', path: ['episodes', i, ...issue.path], message: issue.message });
  });
});
export type Results = z.infer<typeof Results>;
export type RunInfo = NonNullable<Results['run']>;
