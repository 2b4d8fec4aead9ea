// An evaluation worker whose simulator is the libero backend's client talking to the STAND-IN
// worker (stand-in-worker.mjs, a test double, not LIBERO); STAND_IN_MODE and STAND_IN_STATE_DIR
// come from the test through the environment.
import { fileURLToPath } from 'node:url';
import { startSimWorker } from '../../../../engine/eval/sim-worker.js';
import { LiberoSimulator } from '../../../../engine/sim/libero/simulator.js';

const script = fileURLToPath(new URL('./stand-in-worker.mjs', import.meta.url));
await startSimWorker({
  createSimulator: () => LiberoSimulator.create({ python: 'stand-in', command: { command: process.execPath, args: [script] }, timeouts: { call: 5000 } }),
});
