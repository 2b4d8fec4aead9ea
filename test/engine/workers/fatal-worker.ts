// A pool worker that can never run (as one whose MuJoCo fails to load): it posts `fatal` and stays
// alive, so that the pool has to end it.
import { parentPort } from 'node:worker_threads';

parentPort!.postMessage({ type: 'fatal', message: 'no MuJoCo here (test worker)' });
setInterval(() => undefined, 1 << 30);
