import type { CheckId, CheckResult, CheckRow, ChecksProgress } from '../api/checks.js';
import type { SettingsStore } from '../settings/store.js';
import { runContext } from './context.js';
import { message, type Check, type CheckContext, type Outcome } from './types.js';

export interface RunnerOptions {
  checks: readonly Check[];
  settings: SettingsStore;
  env?: NodeJS.ProcessEnv;
  /** Per check; a check still going then is reported `unknown` and the run moves on. */
  timeoutMs?: number;
}

export const CHECK_TIMEOUT_MS = 60_000;

/**
 * Runs checks and keeps their latest results, so any window (or a reload) sees them and each row
 * can be checked again alone. Runs go one at a time, and so do the checks within a run: the probes
 * create inference sessions, and two WebGPU sessions at once can crash on Linux (onnxruntime #32561).
 */
export class ChecksRunner {
  private readonly results = new Map<CheckId, CheckResult>();
  private readonly running = new Set<CheckId>();
  private queue: Promise<unknown> = Promise.resolve();
  private runs = 0;

  constructor(private readonly options: RunnerOptions) {}

  list(): CheckRow[] {
    return this.options.checks.map((c) => ({
      id: c.id,
      title: c.title,
      group: c.group,
      purpose: c.purpose,
      reads: [...c.reads],
      result: this.results.get(c.id) ?? null,
      running: this.running.has(c.id),
    }));
  }

  /** Runs the given checks (all when absent) in the list's order, after any run already going. */
  run(ids: readonly CheckId[] | undefined, emit: (progress: ChecksProgress) => void): Promise<CheckResult[]> {
    const wanted = ids ? this.options.checks.filter((c) => ids.includes(c.id)) : this.options.checks;
    const run = this.runs++;
    const next = this.queue.then(() => this.runAll(run, wanted, emit));
    this.queue = next.catch(() => {});
    return next;
  }

  private async runAll(run: number, checks: readonly Check[], emit: (progress: ChecksProgress) => void): Promise<CheckResult[]> {
    const context = runContext(await this.options.settings.read(), this.options.env ?? process.env);
    const results: CheckResult[] = [];
    let timedOut = false;
    const total = checks.length;
    for (const check of checks) {
      this.running.add(check.id);
      safeEmit(emit, { phase: 'started', run, id: check.id, done: results.length, total });
      const started = performance.now();
      const outcome = await this.runOne(check, context.ctx);
      timedOut ||= outcome.timedOut;
      const result: CheckResult = {
        id: check.id,
        title: check.title,
        ...outcome.outcome,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        checkedAt: new Date().toISOString(),
      };
      this.results.set(check.id, result);
      this.running.delete(check.id);
      results.push(result);
      safeEmit(emit, { phase: 'finished', run, id: check.id, done: results.length, total, result });
    }
    // A check that timed out may still hold a shared value in the making: do not wait for it.
    if (timedOut) void context.dispose();
    else await context.dispose();
    return results;
  }

  private async runOne(check: Check, ctx: CheckContext): Promise<{ outcome: Outcome; timedOut: boolean }> {
    const timeoutMs = this.options.timeoutMs ?? CHECK_TIMEOUT_MS;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error(`${check.id} timed out`));
        resolve('timeout');
      }, timeoutMs);
    });
    try {
      const outcome = await Promise.race([check.run(ctx, controller.signal), timeout]);
      if (outcome === 'timeout') {
        return { outcome: { status: 'unknown', detail: `Did not finish within ${timeoutMs / 1000} s, so its result is unknown. Check it again; if it hangs again, something it probes is stuck.` }, timedOut: true };
      }
      return { outcome, timedOut: false };
    } catch (thrown) {
      // A check that throws is a bug in the check, not a verdict on the machine.
      return { outcome: { status: 'unknown', detail: `The check could not run: ${message(thrown)}` }, timedOut: false };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Progress is a courtesy: a listener's failure must not end the run. */
function safeEmit(emit: (progress: ChecksProgress) => void, progress: ChecksProgress): void {
  try {
    emit(progress);
  } catch (thrown) {
    process.stderr.write(`checks.progress could not be sent: ${message(thrown)}\n`);
  }
}
