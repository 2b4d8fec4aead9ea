import { z } from 'zod';
import { AcceptRule, DecodingStrategy, RunConfig, SuiteName } from './run-config.js';
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

/** A run as the run list shows it (`runs.list`). */
export const RunSummary = z.object({
  id: z.string(),
  status: RunStatus,
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  suite: SuiteName,
  tasks: z.array(NonNegInt),
  trials: NonNegInt,
  decoding: DecodingStrategy,
  accept: AcceptRule.nullable(),
  threshold: z.number().nullable(),
  bundle: z.string(),
  executionProvider: z.string(),
  /** A policy server's run: the server's address (`config.policy.url`); absent for a bundle's run. */
  server: z.string().optional(),
  /** Episodes recorded so far, of tasks x trials. */
  episodesDone: NonNegInt,
  episodesPlanned: NonNegInt,
  /** Whether this engine is running it now (a `running` run that is not is interrupted: resume it). */
  active: z.boolean(),
});
export type RunSummary = z.infer<typeof RunSummary>;
/** What the run store knows of a run; the host adds `active`. */
export type StoredRunSummary = Omit<RunSummary, 'active'>;
