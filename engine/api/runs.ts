import { z } from 'zod';
import { Results, RunConfig } from '../runs/results-schema.js';
import { Trajectory } from '../runs/trajectory.js';
import { RunRequest } from './schemas/run-request.js';

/**
 * The `runs` and `eval` domains: the run store (list, results, trajectories, export/import,
 * comparison) and evaluation runs started from the UI, with their live events.
 */

const RunId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a run id such as 20261125-105430-3fa9c1');
const NonNegInt = z.number().int().nonnegative();

export const RunStatus = z.enum(['running', 'completed', 'failed', 'cancelled']);

export const RunSummary = z.object({
  id: z.string(),
  status: RunStatus,
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  suite: z.string(),
  tasks: z.array(NonNegInt),
  trials: NonNegInt,
  decoding: z.enum(['parallel', 'autoregressive', 'speculative']),
  accept: z.enum(['exact', 'threshold', 'stochastic']).nullable(),
  threshold: z.number().nullable(),
  bundle: z.string(),
  executionProvider: z.string(),
  episodesDone: NonNegInt,
  episodesPlanned: NonNegInt,
  /** Whether this engine is running it now (a `running` run that is not is interrupted: resume it). */
  active: z.boolean(),
});
export type RunSummary = z.infer<typeof RunSummary>;

/** Live progress of a run (engine/eval/runner.ts Progress). */
export const EvalProgress = z.object({
  done: NonNegInt,
  total: NonNegInt,
  successes: NonNegInt,
  errors: NonNegInt,
  perTask: z.array(z.object({ taskId: NonNegInt, done: NonNegInt, total: NonNegInt, successes: NonNegInt })),
  episodesPerMinute: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  chunkMedianMs: z.number().nullable(),
  elapsedSeconds: z.number(),
});
export type EvalProgress = z.infer<typeof EvalProgress>;

const FinishedEpisode = z.object({
  taskId: NonNegInt,
  trial: NonNegInt,
  initIndex: NonNegInt,
  outcome: z.enum(['success', 'failure', 'error']),
  steps: NonNegInt,
  wallMs: z.number(),
  error: z.string().nullable(),
  trajectory: z.string().nullable(),
  chunks: NonNegInt,
});

/** One event of a run started from the UI (the runner's EvalEvent), as `eval.event` carries it. */
export const EvalEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run-started'), runId: z.string(), dir: z.string(), config: RunConfig, resumed: z.boolean(), progress: EvalProgress }),
  z.object({ type: z.literal('episode-started'), runId: z.string(), taskId: NonNegInt, trial: NonNegInt, initIndex: NonNegInt }),
  z.object({ type: z.literal('episode-finished'), runId: z.string(), episode: FinishedEpisode, progress: EvalProgress }),
  z.object({ type: z.literal('log'), runId: z.string(), level: z.enum(['info', 'warn', 'debug']), message: z.string() }),
  z.object({ type: z.literal('run-finished'), runId: z.string(), status: z.enum(['completed', 'cancelled', 'failed']), error: z.string().nullable(), progress: EvalProgress }),
]);
export type EvalEvent = z.infer<typeof EvalEvent>;

/** The configuration choices a task picker needs. */
export const SuiteInfo = z.object({
  suite: z.string(),
  tasks: z.array(z.object({ id: NonNegInt, name: z.string(), instruction: z.string() })),
  maxSteps: NonNegInt,
  defaultTrials: NonNegInt,
});

const Histogram = z.object({ edges: z.array(z.number()), counts: z.array(NonNegInt) });

export const Comparison = z.object({
  a: z.string(),
  b: z.string(),
  /** engine/eval/compare.ts's result, as it is. */
  comparison: z.unknown(),
});

export const runsRequests = {
  'runs.list': {
    params: z.object({}).strict(),
    result: z.object({ root: z.string(), runs: z.array(RunSummary) }),
  },
  /** A run's results (for a running or interrupted run: of what finished so far), plus its latency histogram. */
  'runs.results': {
    params: z.object({ id: RunId }).strict(),
    result: z.object({ results: Results, dir: z.string(), latencyHistogram: Histogram, active: z.boolean() }),
  },
  'runs.trajectory': {
    params: z.object({ id: RunId, taskId: NonNegInt, trial: NonNegInt }).strict(),
    result: z.object({ trajectory: Trajectory }),
  },
  /** The task's scene description (engine/sim SceneDescription) stored with the run's trajectories. */
  'runs.scene': {
    params: z.object({ id: RunId, taskId: NonNegInt }).strict(),
    result: z.object({ scene: z.object({ task: z.string(), bodies: z.array(z.string()), geoms: z.array(z.unknown()), meshes: z.array(z.unknown()) }) }),
  },
  /** Writes the run's results JSON to a file (Electron's save dialog gives the path). */
  'runs.export': {
    params: z.object({ id: RunId, path: z.string().trim().min(1) }).strict(),
    result: z.object({ path: z.string() }),
  },
  /** Imports a results file from a path, or its text (the browser's file picker); a bad one is refused naming its first problem. */
  'runs.import': {
    params: z.union([z.object({ path: z.string().trim().min(1) }).strict(), z.object({ text: z.string().min(1), name: z.string().optional() }).strict()]),
    result: z.object({ id: z.string() }),
  },
  'runs.compare': {
    params: z.object({ a: RunId, b: RunId }).strict(),
    result: Comparison,
  },
  'eval.suites': {
    params: z.object({}).strict(),
    /** The suites, and the run defaults a form shows (engine/eval/defaults.ts). */
    result: z.object({ suites: z.array(SuiteInfo), defaults: z.object({ seed: NonNegInt, workers: NonNegInt }) }),
  },
  /** Starts a run in the engine (request + settings + defaults, engine/eval/resolve.ts); progress arrives as `eval.event`. One run at a time. */
  'eval.start': {
    params: RunRequest,
    result: z.object({ runId: z.string() }),
  },
  'eval.resume': {
    params: z.object({ id: RunId }).strict(),
    result: z.object({ runId: z.string() }),
  },
  /** Cancels the active run: what finished is kept; `eval.resume` continues it. */
  'eval.cancel': {
    params: z.object({ id: RunId }).strict(),
    result: z.object({ cancelled: z.boolean() }),
  },
  /** The active run, if any, with its progress and recent log: a page that (re)connects catches up. */
  'eval.status': {
    params: z.object({}).strict(),
    result: z.object({ active: z.object({ runId: z.string(), progress: EvalProgress.nullable(), log: z.array(z.string()) }).nullable() }),
  },
} as const;
