import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { compileMujoco, isWasmModule, loadMujoco } from '../../../../engine/sim/embedded/mujoco.js';
import { spawnWorker } from '../../../../engine/workers/spawn.js';
import { dropBall } from './drop-ball.js';

// MuJoCo's WebAssembly compiled once in the runner's thread and posted to each simulator worker
// (engine/eval/sim-pool.ts), which instantiates it rather than compiling its own.
const PROBE = new URL('./mujoco-probe-worker.ts', import.meta.url).href;

interface Probe {
  given: boolean;
  compiled: 'here' | 'given';
  version: string;
  z: number;
}

function probe(data: object): Promise<Probe> {
  const worker: Worker = spawnWorker(PROBE, data);
  return new Promise((resolve, reject) => {
    worker.once('message', (m: Probe) => void worker.terminate().then(() => resolve(m)));
    worker.once('error', reject);
  });
}

describe('MuJoCo compiled once, shared with workers', () => {
  it('compiles one module per thread and loads MuJoCo from it', async () => {
    const compiled = await compileMujoco();
    expect(isWasmModule(compiled)).toBe(true);
    expect(await compileMujoco()).toBe(compiled);
    expect(isWasmModule(new Uint8Array(8))).toBe(false);
    const { module: mj, compiled: how } = await loadMujoco();
    expect(how).toBe('here');
    expect(mj.mj_versionString()).toBe('3.14.0');
  });

  it('posts the compiled module to workers, whose MuJoCo runs as one that compiled its own', async () => {
    const mujocoModule = await compileMujoco();
    const [shared, own] = await Promise.all([probe({ mujocoModule }), probe({})]);
    expect(shared).toMatchObject({ given: true, compiled: 'given', version: '3.14.0' });
    expect(own).toMatchObject({ given: false, compiled: 'here', version: '3.14.0' });
    // The same physics, bit for bit, in both workers and in this thread.
    const here = dropBall((await loadMujoco()).module);
    expect(shared.z).toBe(own.z);
    expect(shared.z).toBe(here);
    expect(here).toBeCloseTo(0.5 - 0.5 * 9.81 * 0.2 ** 2, 2); // 100 steps of 2 ms in free fall
  });
});
