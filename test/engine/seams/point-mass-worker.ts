// An evaluation worker whose simulator is the in-memory point mass (a second Simulator kind).
import { startSimWorker } from '../../../engine/eval/sim-worker.js';
import { PointMassSimulator } from './point-mass.js';

await startSimWorker({ createSimulator: async () => new PointMassSimulator() });
