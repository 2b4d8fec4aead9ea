// Runs the expert pool the way the CLI runs the engine (bin/rsd.mjs: tsx registered in the main
// thread, TypeScript imported), to check that worker threads start outside vitest too.
// Usage: node test/engine/expert/pool-smoke.mjs <libero dir | project:eval | project:demo> [episodes per task=1] [workers=2] [tasks=0,5]
// Prints one JSON line: the pool's per-task summary and timing.
import { register } from 'tsx/esm/api';

register();
const { runExpertSuite } = await import('../../../engine/expert/suite.ts');
const [source, trials = '1', workers = '2', tasks = '0,5'] = process.argv.slice(2);
const initSource = source.startsWith('project:') ? { kind: 'project', split: source.slice(8) } : { kind: 'libero', dir: source };
const report = await runExpertSuite({
  suite: 'libero_spatial',
  tasks: tasks.split(',').map(Number),
  trials: Number(trials),
  workers: Number(workers),
  initSource,
});
process.stdout.write(
  JSON.stringify({
    workers: report.workers,
    wallMs: Math.round(report.wallMs),
    perTask: report.perTask.map(({ taskId, trials, successes, errors, meanSteps, unsuccessful }) => ({ taskId, trials, successes, errors, meanSteps: Math.round(meanSteps), unsuccessful })),
  }) + '\n',
);
