import { z } from 'zod';
import { Comparison } from './schemas/comparison.js';
import { EvalProgress } from './schemas/eval-events.js';
import { Results } from './schemas/results.js';
import { RunLabels, RunName, RunNote, RunSummary } from './schemas/runs.js';
import { SceneDescription } from './schemas/scene.js';
import { Trajectory, TrajectoryCameraView } from './schemas/trajectory.js';
import { RunRequest } from './schemas/run-request.js';
import { DecodingStrategy } from './schemas/run-config.js';

/**
 * The `runs` and `eval` domains: the run store (list, results, trajectories, export/import,
 * comparison) and evaluation runs started from the UI, with their live events (`eval.event`).
 * What they carry (results, trajectories, scenes, comparisons, run summaries, eval events) is
 * defined in ./schemas/.
 */

const RunId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a run id such as 20261125-105430-3fa9c1');
const NonNegInt = z.number().int().nonnegative();

/** The configuration choices a task picker needs. */
export const SuiteInfo = z.object({
  suite: z.string(),
  tasks: z.array(z.object({ id: NonNegInt, name: z.string(), instruction: z.string() })),
  maxSteps: NonNegInt,
  defaultTrials: NonNegInt,
});

const Histogram = z.object({ edges: z.array(z.number()), counts: z.array(NonNegInt) });

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
  /**
   * An episode's camera images (its trajectory's `cameras`), rows `from` on, as many as fit in one
   * reply (`next`: the row to ask for next, null after the last): per row one JPEG per view, base64,
   * in `views` order. Row t is the view after t policy steps.
   */
  'runs.cameras': {
    params: z.object({ id: RunId, taskId: NonNegInt, trial: NonNegInt, from: NonNegInt }).strict(),
    result: z.object({
      views: z.array(TrajectoryCameraView),
      frames: NonNegInt,
      rows: z.array(z.object({ row: NonNegInt, jpeg: z.array(z.string()) })),
      next: NonNegInt.nullable(),
    }),
  },
  /** The task's scene description, stored with the run's trajectories. */
  'runs.scene': {
    params: z.object({ id: RunId, taskId: NonNegInt }).strict(),
    result: z.object({ scene: SceneDescription }),
  },
  /**
   * Writes the run's results JSON to a file: a file name (or path) inside `<data dir>/exports/`, or a
   * path the user chose in Electron's save dialog; any other path is refused (`invalid-params`, field
   * `params.path`). The result is the path written.
   */
  'runs.export': {
    params: z.object({ id: RunId, path: z.string().trim().min(1) }).strict(),
    result: z.object({ path: z.string() }),
  },
  /**
   * Imports a results file from a path (inside `<data dir>/exports/`, or chosen in Electron's open
   * dialog; else refused, field `params.path`), or its text (the browser's file picker); a bad one is
   * refused naming its first problem, never quoting the file.
   */
  'runs.import': {
    params: z.union([z.object({ path: z.string().trim().min(1) }).strict(), z.object({ text: z.string().min(1), name: z.string().optional() }).strict()]),
    result: z.object({ id: z.string() }),
  },
  /** Run B against run A, paired over their common episodes; runs on different suites are refused (`invalid-params`, field `params.b`). */
  'runs.compare': {
    params: z.object({ a: RunId, b: RunId }).strict(),
    result: z.object({ a: z.string(), b: z.string(), comparison: Comparison }),
  },
  /** Names a run ("" puts its id back): kept in labels.json in the run's folder; the run list and `rsd runs list/show` show it. */
  'runs.rename': {
    params: z.object({ id: RunId, name: RunName }).strict(),
    result: z.object({ id: z.string(), labels: RunLabels }),
  },
  /** Sets a run's note ("" removes it), beside its name in labels.json. */
  'runs.note': {
    params: z.object({ id: RunId, note: RunNote }).strict(),
    result: z.object({ id: z.string(), labels: RunLabels }),
  },
  /**
   * Deletes a run's folder and all its files. Refused (`invalid-params`, field `params.id`) for a run
   * in progress: this engine's active run, or one whose writer.lock another process holds.
   */
  'runs.delete': {
    params: z.object({ id: RunId }).strict(),
    result: z.object({ id: z.string(), dir: z.string() }),
  },
  'eval.suites': {
    params: z.object({}).strict(),
    /** The suites, and the run defaults a form shows (engine/eval/defaults.ts). */
    result: z.object({
      suites: z.array(SuiteInfo),
      defaults: z.object({
        seed: NonNegInt,
        workers: NonNegInt,
        /** The interpreter a libero run uses when the request names none, and where it comes from (settings, $RSD_LIBERO_PYTHON, else python3). */
        liberoPython: z.object({ python: z.string(), origin: z.enum(['settings', 'env', 'default']) }),
        /** The shipped policy profiles (assets/policy-profiles), for a policy server's run: name and what it is for. */
        policyProfiles: z.array(z.object({ name: z.string(), description: z.string() })),
      }),
    }),
  },
  /**
   * The decoding strategies a bundle can run (engine/bundle/decodings.ts): the bundle in `dir`, else
   * the settings', else the default one; a folder without a readable bundle.json is refused naming `params.dir`.
   */
  'eval.decodings': {
    params: z.object({ dir: z.string().min(1).optional() }).strict(),
    result: z.object({
      dir: z.string(),
      bundle: z.string(),
      choices: z.array(z.object({ strategy: DecodingStrategy, supported: z.boolean(), reason: z.string().nullable() })),
    }),
  },
  /** Starts a run in the engine (request + settings + defaults, engine/eval/resolve.ts); progress arrives as `eval.event`. One run at a time. */
  'eval.start': {
    params: RunRequest,
    result: z.object({ runId: z.string() }),
  },
  /**
   * Continues a run. `apiKey`: for a run of a policy server that wants a key (keys are never stored
   * with a run); without one, the settings' key variable is used if the run's server is the settings' server.
   */
  'eval.resume': {
    params: z.object({ id: RunId, apiKey: z.string().min(1).optional() }).strict(),
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
