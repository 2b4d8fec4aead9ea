// Run by kill-resume.test.ts as a separate process (node --import tsx): resumes a run and appends
// its remaining episodes, printing each (task, trial) once its append has been fsynced, until the
// parent kills it with SIGKILL.
import { RunStore } from '../../../engine/runs/store.js';
import { episode } from './fixtures.js';

const [root, id] = process.argv.slice(2) as [string, string];
const { run, remaining } = await new RunStore(root).resume(id);
for (const { taskId, trial } of remaining) {
  await run.appendEpisode(episode(taskId, trial, trial % 3 === 0 ? 'failure' : 'success'));
  process.stdout.write(`appended ${taskId}/${trial}\n`);
  await new Promise((resolve) => setTimeout(resolve, 2));
}
process.stdout.write('done\n');
