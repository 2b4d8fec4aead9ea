// An evaluation worker whose simulator throws at step 5 of trial 1 (as MuJoCo instability would),
// to test that the runner records that episode as an error and goes on.
import { startSimWorker } from '../../../engine/eval/sim-worker.js';
import { SimulationError } from '../../../engine/sim/embedded/physics.js';

await startSimWorker({
  beforeStep(job, step) {
    if (job.id === 1 && step === 5) throw new SimulationError('injected instability at step 5 (test worker)');
  },
});
