import { z } from 'zod';
import { AcceptRule, DecodingDepth, DecodingStrategy, RunConfig, SuiteName } from './run-config.js';
import { RecordCameras, SimulatorSpec } from './run-request.js';

/**
 * A run in the run store (engine/runs/store.ts): its status, `run.json`, and the summary the run
 * list shows.
 */

const NonNegInt = z.number().int().nonnegative();

export const RunStatus = z.enum(['running', 'completed', 'failed', 'cancelled']);
export type RunStatus = z.infer<typeof RunStatus>;

/** `run.json`: configuration, status, versions, machine, timestamps. */
export const RunMeta = z.strictObject({
  formatVersion: z.literal(1),
  id: z.string().min(1),
  status: RunStatus,
  config: RunConfig,
  versions: z.record(z.string(), z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** Why the run failed (status `failed`), else null. */
  error: z.string().nullable(),
  /** Set when the run was created by importing a results file. */
  importedFrom: z.string().nullable().optional(),
  /** The bundle folder the run used, so `--resume` can load it again (its hash is checked). */
  bundleDir: z.string().nullable().optional(),
  /** A remote policy's time limit per chunk, so `--resume` waits as long (its server is `config.policy`; its API key is never stored). */
  policyTimeoutMs: z.number().int().positive().optional(),
  /**
   * The simulator the run made, as resolved (its kind and options: the libero backend's Python
   * interpreter), so `--resume` makes the same one. Absent in older run.json files: the embedded
   * simulator, or the libero one with the interpreter decided afresh when `config.simulator.backend`
   * is `libero`.
   */
  simulator: SimulatorSpec.optional(),
  /** The run's `recordCameras` (the request's), so `--resume` records the same; absent: none. */
  recordCameras: RecordCameras.optional(),
  /**
   * Seconds the run has been running over all its sessions, as of its last finished episode (or its
   * end), so a resumed run's elapsed time goes on from it; absent in older run.json files.
   */
  activeSeconds: z.number().nonnegative().optional(),
});
export type RunMeta = z.infer<typeof RunMeta>;

/** No control characters (a name is one line; a note may have line breaks and tabs). */
const NAME_CHARS = /^[^\p{Cc}]*$/u;
const NOTE_CHARS = /^(?:[^\p{Cc}]|[\n\t])*$/u;

/** A run's name shown instead of its id ("" puts the id back): one line, at most 100 characters. */
export const RunName = z.string().trim().max(100, 'a run name has at most 100 characters').regex(NAME_CHARS, 'a run name is one line without control characters');
/** A run's note: free text, at most 2000 characters, line breaks allowed ("" removes it). */
export const RunNote = z.string().trim().max(2000, 'a run note has at most 2000 characters').regex(NOTE_CHARS, 'a run note has no control characters but line breaks and tabs');

/**
 * `labels.json` beside run.json: what the user calls the run and notes about it. Kept apart from
 * run.json, which is the run's record and is rewritten by its writer while it runs.
 */
export const RunLabels = z.strictObject({ name: RunName.optional(), note: RunNote.optional() });
export type RunLabels = z.infer<typeof RunLabels>;

/** A run as the run list shows it (`runs.list`). */
export const RunSummary = z.object({
  id: z.string(),
  /** The user's name for the run (runs.rename), absent when none. */
  name: z.string().optional(),
  /** The user's note (runs.note), absent when none. */
  note: z.string().optional(),
  /** Set when the run was made by importing a results file (its path or name): it has no trajectories to replay. */
  importedFrom: z.string().optional(),
  status: RunStatus,
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  suite: SuiteName,
  tasks: z.array(NonNegInt),
  trials: NonNegInt,
  decoding: DecodingStrategy,
  accept: AcceptRule.nullable(),
  threshold: z.number().nullable(),
  /** config.depth: fewer layers decoded than the bundle has; absent: every layer. */
  depth: DecodingDepth.optional(),
  bundle: z.string(),
  executionProvider: z.string(),
  /** A policy server's run: the server's address (`config.policy.url`); absent for a bundle's run. */
  server: z.string().optional(),
  /** The simulator backend and version (`config.simulator`): "embedded 3.3.0". */
  simulator: z.string(),
  /** Successful episodes of those done, and the Wilson 95% interval of the rate (0 to 1 when none is done). */
  successes: NonNegInt,
  wilson95: z.object({ low: z.number(), high: z.number() }),
  /** Median chunk latency (totalMs) over all chunks so far; null before the first chunk. */
  medianChunkMs: z.number().nullable(),
  /** Episodes recorded so far, of tasks x trials. */
  episodesDone: NonNegInt,
  episodesPlanned: NonNegInt,
  /** Whether this engine is running it now (a `running` run that is not is interrupted: resume it). */
  active: z.boolean(),
});
export type RunSummary = z.infer<typeof RunSummary>;
/** What the run store knows of a run; the host adds `active`. */
export type StoredRunSummary = Omit<RunSummary, 'active'>;
