import { z } from 'zod';
import { percentile, pointBiserial, wilson } from '../eval/metrics.js';
import { SUITES } from '../libero/suites.js';
import { InputError } from '../util/input-error.js';
import type { ChunkRecord } from '../decoding/record.js';

/**
 * results.json, format version 1 (DESIGN.md "Results and trajectories"; docs/results.schema.json
 * is generated from this file by scripts/make-schemas.ts).
 *
 * Everything except `formatVersion`, `run`, `config` and `episodes` is derived from the episode
 * records by {@link summarize}; import re-derives the aggregates and refuses a file whose stored
 * ones disagree, so a results file cannot claim what its episodes do not show.
 *
 * Numbers that are undefined (a percentile of no chunks, a correlation with no variance) are `null`,
 * never NaN: JSON has no NaN.
 */

export const RESULTS_FORMAT_VERSION = 1;

const Int = z.number().int();
const NonNegInt = z.number().int().nonnegative();
const Ms = z.number().nonnegative();

export const Machine = z.strictObject({
  os: z.string(),
  arch: z.string(),
  cpuModel: z.string(),
  cpus: z.number().int().positive(),
  memoryBytes: NonNegInt,
  node: z.string(),
});
export type Machine = z.infer<typeof Machine>;

/** The run's configuration: what was asked and what was actually used. */
export const RunConfig = z.strictObject({
  suite: z.enum(SUITES),
  /** Task ids within the suite, in run order. */
  tasks: z.array(NonNegInt).min(1),
  /** Trials per task; trial t of a task uses initial state t unless `initStates` maps otherwise. */
  trials: z.number().int().positive(),
  seed: Int,
  /** Policy steps at most per episode (the suite's maximum unless overridden). */
  maxSteps: z.number().int().positive(),
  /** Steps of the wait action before the policy acts (not counted in `steps`). */
  waitSteps: NonNegInt,
  decoding: z.enum(['parallel', 'autoregressive', 'speculative']),
  /** Acceptance rule (speculative decoding only, else null). */
  accept: z.enum(['exact', 'threshold', 'stochastic']).nullable(),
  /** tau of the threshold rule (else null). */
  threshold: z.number().min(0).max(1).nullable(),
  bundle: z.strictObject({
    name: z.string().min(1),
    /** Content hash of the bundle (e.g. `sha256:...`). */
    hash: z.string().min(1),
  }),
  executionProvider: z.strictObject({
    requested: z.enum(['cpu', 'webgpu', 'cuda', 'auto']),
    used: z.enum(['cpu', 'webgpu', 'cuda']),
    /** Why `used` was chosen (e.g. auto's reasoning), when there is something to say. */
    reason: z.string().nullable(),
  }),
  simulator: z.strictObject({ backend: z.string().min(1), version: z.string().min(1) }),
  initStates: z.strictObject({
    source: z.enum(['project', 'libero']),
    /** Where they were read from (a LIBERO checkout), or null for the project's own. */
    location: z.string().nullable(),
  }),
  machine: Machine,
});
export type RunConfig = z.infer<typeof RunConfig>;

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

const StageArrays = z.strictObject(Object.fromEntries(LATENCY_STAGES.map((s) => [s, z.array(z.number())])) as Record<LatencyStage, z.ZodArray<z.ZodNumber>>);

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
  })
  .superRefine((e, ctx) => {
    if ((e.outcome === 'error') !== (e.error !== null)) {
      ctx.addIssue({ code: 'custom', path: ['error'], message: e.outcome === 'error' ? 'an errored episode needs its message' : `must be null when outcome is ${e.outcome}` });
    }
  });
export type EpisodeRecord = z.infer<typeof EpisodeRecord>;

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

const Percentiles = z.strictObject({ median: z.number().nullable(), p90: z.number().nullable(), p99: z.number().nullable() });

export const Results = z.strictObject({
  formatVersion: z.literal(RESULTS_FORMAT_VERSION),
  /** Which run produced the file; null when summarised outside a run store. */
  run: z
    .strictObject({
      id: z.string().min(1),
      status: z.enum(['running', 'completed', 'failed', 'cancelled']),
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
export type Results = z.infer<typeof Results>;
export type RunInfo = NonNullable<Results['run']>;

/** Column-wise chunk data of an episode from the decoder's records. */
export function episodeChunks(records: readonly ChunkRecord[]): EpisodeChunks {
  const latency = Object.fromEntries(LATENCY_STAGES.map((s) => [s, records.map((r) => r.latency[s])])) as Record<LatencyStage, number[]>;
  return { draftLayers: records.map((r) => r.draftLayers), acceptedLayers: records.map((r) => r.acceptedLayers), latency };
}

export function emptyChunks(): EpisodeChunks {
  return episodeChunks([]);
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

function percentiles(values: readonly number[]): z.infer<typeof Percentiles> {
  return { median: finite(percentile(values, 50)), p90: finite(percentile(values, 90)), p99: finite(percentile(values, 99)) };
}

function successStats(episodes: readonly EpisodeRecord[]): SuccessStats {
  const successes = episodes.filter((e) => e.outcome === 'success').length;
  const errors = episodes.filter((e) => e.outcome === 'error').length;
  const n = episodes.length;
  return { episodes: n, successes, failures: n - successes - errors, errors, rate: n === 0 ? null : successes / n, wilson95: wilson(successes, n) };
}

/** Every aggregate of results.json, computed from the episode records (sorted by task, trial). */
export function summarize(config: RunConfig, episodes: readonly EpisodeRecord[], run: RunInfo | null = null): Results {
  const sorted = [...episodes].sort((a, b) => config.tasks.indexOf(a.taskId) - config.tasks.indexOf(b.taskId) || a.taskId - b.taskId || a.trial - b.trial);
  const taskIds = [...config.tasks, ...new Set(sorted.map((e) => e.taskId).filter((t) => !config.tasks.includes(t)))];

  const stages = Object.fromEntries(LATENCY_STAGES.map((s) => [s, percentiles(sorted.flatMap((e) => e.chunks.latency[s]))])) as Results['latency']['stages'];
  const chunks = sorted.reduce((n, e) => n + e.chunks.draftLayers.length, 0);

  let speculativeChunks = 0;
  let acceptedSum = 0;
  let maxLayers = 0;
  for (const e of sorted) {
    e.chunks.draftLayers.forEach((k, i) => {
      if (k > 0) {
        speculativeChunks++;
        acceptedSum += e.chunks.acceptedLayers[i] ?? 0;
        maxLayers = Math.max(maxLayers, k);
      }
    });
  }
  const perLayer: Results['acceptance']['perLayer'] = [];
  for (let j = 0; j < maxLayers; j++) {
    let proposed = 0;
    let accepted = 0;
    const fractions: number[] = [];
    const success: boolean[] = [];
    for (const e of sorted) {
      let p = 0;
      let a = 0;
      e.chunks.draftLayers.forEach((k, i) => {
        if (k > j) {
          p++;
          if ((e.chunks.acceptedLayers[i] ?? 0) > j) a++;
        }
      });
      proposed += p;
      accepted += a;
      if (p > 0) {
        fractions.push(a / p);
        success.push(e.outcome === 'success');
      }
    }
    const r = finite(pointBiserial(fractions, success));
    perLayer.push({ layer: j, proposed, accepted, rate: accepted / proposed, episodes: fractions.length, successCorrelation: r === null ? null : Math.max(-1, Math.min(1, r)) });
  }

  const errored = sorted.filter((e) => e.outcome === 'error');
  return {
    formatVersion: RESULTS_FORMAT_VERSION,
    run,
    config,
    tasks: taskIds.map((taskId) => ({ taskId, ...successStats(sorted.filter((e) => e.taskId === taskId)) })),
    total: successStats(sorted),
    hadErrors: errored.length > 0,
    errors: errored.map((e) => ({ taskId: e.taskId, trial: e.trial, initIndex: e.initIndex, error: e.error ?? '' })),
    latency: { chunks, stages },
    episodeWallMs: percentiles(sorted.map((e) => e.wallMs)),
    acceptance: { speculativeChunks, meanAcceptedLayers: speculativeChunks === 0 ? null : acceptedSum / speculativeChunks, perLayer },
    episodes: sorted,
  };
}

/** `tasks[0].wilson95.low`, `episodes[3].chunks`. */
export function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

/** A results file that is not valid: input at fault, its first problem's field named. */
export class ResultsError extends InputError {
  constructor(
    /** The first problem's field path (empty for the file as a whole; the message names the file). */
    field: string,
    message: string,
  ) {
    super(field, field ? `${field}: ${message}` : message);
    this.name = 'ResultsError';
  }
}

/** The first place where two JSON values differ (numbers within a relative 1e-9), or null. */
function firstDifference(a: unknown, b: unknown, at: PropertyKey[] = []): PropertyKey[] | null {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)) ? null : at;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return at;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], [...at, i]);
      if (d) return d;
    }
    return null;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [...at, k]);
      if (d) return d;
    }
    return null;
  }
  return Object.is(a, b) ? null : at;
}

/**
 * Validates a parsed results file: the schema first, then that every aggregate equals what the
 * episodes give. Throws a ResultsError naming the first problem's field.
 */
export function validateResults(json: unknown): Results {
  const parsed = Results.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const extra = issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [];
    throw new ResultsError(formatPath([...issue.path, ...extra]) || '(top level)', issue.message);
  }
  const results = parsed.data;
  const seen = new Set<string>();
  results.episodes.forEach((e, i) => {
    const key = `${e.taskId}/${e.trial}`;
    if (seen.has(key)) throw new ResultsError(`episodes[${i}]`, `task ${e.taskId} trial ${e.trial} appears twice`);
    seen.add(key);
  });
  const derived = summarize(results.config, results.episodes, results.run);
  const diff = firstDifference(JSON.parse(JSON.stringify(derived)), json);
  if (diff) throw new ResultsError(formatPath(diff), 'does not match what the episodes give');
  return results;
}

/** results.json's JSON Schema, generated from the zod schema. */
export function resultsJsonSchema(): unknown {
  return {
    $id: 'https://rsd-workbench.dev/schemas/results-v1.json',
    title: 'RSD Workbench evaluation results (results.json), format version 1',
    ...(z.toJSONSchema(Results, { io: 'input', unrepresentable: 'any' }) as object),
  };
}
