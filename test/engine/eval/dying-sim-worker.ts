// An evaluation worker whose thread exits in the middle of trial 1, to test that the runner
// records that episode as an error, replaces the worker and goes on.
import { startSimWorker } from '../../../engine/eval/sim-worker.js';

await startSimWorker({
  beforeStep(job, step) {
    if (job.id === 1 && step === 3) process.exit(3);
  },
});
