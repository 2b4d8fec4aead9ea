import type { EvalEvent, EvalProgress } from '../api/schemas/eval-events.js';
import { rsdError, RsdCallError } from '../api/errors.js';
import { createTarget } from '../targets/factory.js';
import type { ResolvedRun } from './resolve.js';

/**
 * The engine's one evaluation at a time, started from the UI: keeps the active run's progress and
 * recent log so a page that (re)connects catches up, and forwards every runner event.
 */

const LOG_LINES = 200;

interface Active {
  runId: string | null;
  controller: AbortController;
  progress: EvalProgress | null;
  log: string[];
  done: Promise<void>;
}

export class EvalService {
  private active: Active | null = null;

  constructor(private readonly emit: (event: EvalEvent) => void) {}

  get activeRunId(): string | null {
    return this.active?.runId ?? null;
  }

  status(): { active: { runId: string; progress: EvalProgress | null; log: string[] } | null } {
    const a = this.active;
    return { active: a?.runId ? { runId: a.runId, progress: a.progress, log: [...a.log] } : null };
  }

  /** Starts a resolved run on its target; resolves with its id once the run exists (configuration and policy checked). */
  start(resolved: ResolvedRun): Promise<string> {
    if (this.active) throw new RsdCallError(rsdError('internal', `run ${this.active.runId ?? '(starting)'} is still going: cancel it or wait for it to finish`, { field: 'params' }));
    const controller = new AbortController();
    let started: (id: string) => void = () => undefined;
    const idKnown = new Promise<string>((resolve) => (started = resolve));
    const active: Active = { runId: null, controller, progress: null, log: [], done: Promise.resolve() };
    this.active = active;
    const push = (line: string): void => {
      active.log.push(line);
      if (active.log.length > LOG_LINES) active.log.splice(0, active.log.length - LOG_LINES);
    };
    const run = createTarget(resolved.target).start(resolved, controller.signal, (event) => {
        if (event.type === 'run-started') {
          active.runId = event.runId;
          started(event.runId);
        }
        if ('progress' in event) active.progress = event.progress;
        // A page that catches up mid-episode sees the elapsed time as of the last step report.
        if (event.type === 'episodes-progress' && active.progress) active.progress = { ...active.progress, elapsedSeconds: event.elapsedSeconds };
        if (event.type === 'log') push(`${event.level === 'warn' ? 'warning: ' : ''}${event.message}`);
        if (event.type === 'episode-finished') {
          const e = event.episode;
          push(`task ${e.taskId} trial ${e.trial}: ${e.outcome} after ${e.steps} steps${e.error ? ` (${e.error})` : ''}`);
        }
        if (event.type === 'run-finished') push(`run ${event.status}${event.error ? `: ${event.error}` : ''}`);
        this.emit(event);
    });
    active.done = run.then(
      () => undefined,
      () => undefined,
    );
    void active.done.then(() => {
      if (this.active === active) this.active = null;
    });
    // Errors before the run exists (bad bundle, unwritable folder) are the request's answer.
    return Promise.race([idKnown, run.then(() => idKnown)]);
  }

  /** Cancels the active run if it is `id`. */
  async cancel(id: string): Promise<boolean> {
    const a = this.active;
    if (!a || a.runId !== id) return false;
    a.controller.abort();
    await a.done;
    return true;
  }

  /** Cancels whatever runs (the engine is shutting down). */
  async close(): Promise<void> {
    const a = this.active;
    if (!a) return;
    a.controller.abort();
    await a.done;
  }
}
