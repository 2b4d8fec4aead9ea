// A worker for mujoco-shared.test.ts: takes MuJoCo's compiled module from workerData when it is
// there (as engine/eval/sim-worker.ts does), loads MuJoCo, drops a ball for 100 steps and says how
// MuJoCo was loaded and where the ball is.
import { parentPort, workerData } from 'node:worker_threads';
import { isWasmModule, loadMujoco, useCompiledMujoco } from '../../../../engine/sim/embedded/mujoco.js';
import { dropBall } from './drop-ball.js';

const given = isWasmModule(workerData?.mujocoModule);
if (given) useCompiledMujoco(workerData.mujocoModule);
const { module: mj, compiled } = await loadMujoco();
parentPort!.postMessage({ given, compiled, version: mj.mj_versionString(), z: dropBall(mj) });
