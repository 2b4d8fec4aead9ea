// The far side of ChildProcessTarget (child-process-target.ts): runs a resolved run, given as JSON
// in argv[2], with the local target into its own scratch run folder, and reports every event and
// the final report as JSON lines on stdout. SIGTERM cancels it cleanly.
import { LocalTarget } from '../../../engine/targets/local.js';
import type { ResolvedRun } from '../../../engine/eval/resolve.js';

const run = JSON.parse(process.argv[2]!) as ResolvedRun;
const controller = new AbortController();
process.once('SIGTERM', () => controller.abort());
const say = (message: object): void => void process.stdout.write(`${JSON.stringify(message)}\n`);
try {
  const report = await new LocalTarget().start(run, controller.signal, (event) => say({ event }));
  say({ report: { dir: report.run.dir, status: report.status, stats: report.stats } });
} catch (error) {
  say({ error: (error as Error).message });
  process.exitCode = 1;
}
