// A pool worker that dies (the thread exits) when asked to run LIBERO init state 1, to test that
// the pool reports that episode as an error and goes on with the others.
import { startWorker } from '../../../engine/expert/worker.js';

await startWorker({
  beforeRun(job) {
    if (job.episode.initIndex === 1) process.exit(7);
  },
});
