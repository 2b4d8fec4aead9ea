import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EvalEvent } from '../../../engine/api/schemas/eval-events.js';
import type { ResolvedRun } from '../../../engine/eval/resolve.js';
import type { EvalReport } from '../../../engine/eval/runner.js';
import { RunStore, type Run } from '../../../engine/runs/store.js';
import type { ExecutionTarget } from '../../../engine/targets/target.js';

/**
 * A second ExecutionTarget (a test double for a remote one such as Modal): the run executes in a
 * child process, into a scratch run folder of its own, and its episodes come home through the run
 * store's ingest, episode by episode, into a local run that reads like any other.
 */
const CHILD = fileURLToPath(new URL('./child-runner.ts', import.meta.url));

export class ChildProcessTarget implements ExecutionTarget {
  readonly kind = 'child-process (test)';
  /** The child's process id, once started. */
  pid: number | null = null;

  async start(run: ResolvedRun, signal: AbortSignal | undefined, onEvent: (event: EvalEvent) => void): Promise<EvalReport> {
    if (run.resume) throw new Error('the child-process test target does not resume runs');
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'rsd-child-target-'));
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify({ ...run, runsRoot: scratch })], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.pid = child.pid ?? null;
    const cancel = (): void => void child.kill('SIGTERM');
    signal?.addEventListener('abort', cancel, { once: true });
    const store = new RunStore(run.runsRoot);
    let local: Run | null = null;
    let remoteDir = '';
    type Report = { status: EvalReport['status']; stats: EvalReport['stats'] };
    const got: { report: Report | null } = { report: null };
    let failure: string | null = null;
    try {
      for await (const text of createInterface({ input: child.stdout })) {
        const message = JSON.parse(text) as { event?: EvalEvent; report?: Report; error?: string };
        if (message.error) failure = message.error;
        if (message.report) got.report = message.report;
        const event = message.event;
        if (!event) continue;
        if (event.type === 'run-started') {
          remoteDir = event.dir;
          local = await store.createRun(event.config, run.policy.kind === 'bundle' ? { bundleDir: path.resolve(run.policy.dir) } : {});
        }
        if (!local) throw new Error(`the child sent ${event.type} before run-started`);
        // The child appends an episode (fsynced) before it reports it: take it home now.
        if (event.type === 'episode-finished') await local.ingestFolder(remoteDir, 'the child process');
        onEvent({ ...event, runId: local.id, ...(event.type === 'run-started' ? { dir: local.dir } : {}) });
      }
      const [code] = (await once(child, 'close')) as [number | null];
      const report = got.report;
      if (!local || !report) throw new Error(`the child process ended (exit ${code}) without a run: ${failure ?? 'no report'}`);
      await local.ingestFolder(remoteDir, 'the child process');
      const results = report.status === 'completed' ? await local.finish() : await local.cancel();
      return { run: local, results, status: report.status, stats: report.stats };
    } finally {
      signal?.removeEventListener('abort', cancel);
      await (local as Run | null)?.release(); // the run's writer.lock, however this ended
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(scratch, { recursive: true, force: true });
    }
  }
}
