import type { EvalEvent } from '../api/schemas/eval-events.js';
import type { EvalReport } from '../eval/runner.js';
import type { ResolvedRun } from '../eval/resolve.js';

/**
 * The execution-target seam (docs/architecture.md "Seams"): where a resolved run's episodes execute. Kinds:
 * `local` (worker threads on this machine, local.ts); later Modal. A target that runs episodes
 * elsewhere brings them home through the run store's ingest (engine/runs), validated like an
 * import, so the run reads the same whichever target ran it.
 */
export interface ExecutionTarget {
  readonly kind: string;
  /** Runs (or resumes) the run; events arrive as the local runner's do; resolves when it ends or is cancelled. */
  start(run: ResolvedRun, signal: AbortSignal | undefined, onEvent: (event: EvalEvent) => void): Promise<EvalReport>;
}
