import { z } from 'zod';
import { LATENCY_STAGES, Results, RESULTS_FORMAT_VERSION, type EpisodeRecord, type EpisodeChunks, type LatencyStage, type Percentiles, type RunInfo, type SuccessStats } from '../api/schemas/results.js';
import type { RunConfig } from '../api/schemas/run-config.js';
import { percentile, pointBiserial, wilson } from '../eval/metrics.js';
import { InputError } from '../util/input-error.js';
import type { ChunkRecord } from '../decoding/record.js';

/**
 * results.json's logic (the format itself, version 1: engine/api/schemas/results.ts):
 * {@link summarize} derives every aggregate from the episode records, {@link validateResults}
 * checks a file against the schema and its aggregates against its episodes, and
 * {@link resultsJsonSchema} publishes the schema (docs/results.schema.json, by
 * scripts/make-schemas.ts).
 */

/** Column-wise chunk data of an episode from the decoder's records. */
export function episodeChunks(records: readonly ChunkRecord[]): EpisodeChunks {
  const latency = Object.fromEntries(LATENCY_STAGES.map((s) => [s, records.map((r) => r.latency[s])])) as Record<LatencyStage, number[]>;
  return { draftLayers: records.map((r) => r.draftLayers), acceptedLayers: records.map((r) => r.acceptedLayers), latency };
}

export function emptyChunks(): EpisodeChunks {
  return episodeChunks([]);
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

function percentiles(values: readonly number[]): Percentiles {
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
