import type { EvalEvent } from '../api/schemas/eval-events.js';
import { runEvaluation, type EvalReport } from '../eval/runner.js';
import type { ResolvedRun } from '../eval/resolve.js';
import type { ExecutionTarget } from './target.js';

/** Episodes on this machine: the runner's worker threads, the policy on the calling thread. */
export class LocalTarget implements ExecutionTarget {
  readonly kind = 'local';

  start(run: ResolvedRun, signal: AbortSignal | undefined, onEvent: (event: EvalEvent) => void): Promise<EvalReport> {
    return runEvaluation(run, { ...(signal ? { signal } : {}), onEvent });
  }
}
