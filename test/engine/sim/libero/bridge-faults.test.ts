import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeVersionError, LiberoMissingError, PythonNotFoundError, WorkerLostError, WorkerReplyError } from '../../../../engine/sim/libero/errors.js';
import { LiberoSimulator } from '../../../../engine/sim/libero/simulator.js';
import { SimulatorLost } from '../../../../engine/sim/simulator.js';
import { projectTask } from '../../../../engine/libero/project-tasks.js';

// The bridge's client against a STAND-IN worker (stand-in-worker.mjs: a test double speaking the
// protocol over a point mass, not LIBERO), so that crashes, hangs, garbage and version mismatches
// can be made on purpose. Real LIBERO is tested in libero-real.test.ts where it is set up.

const STAND_IN = fileURLToPath(new URL('./stand-in-worker.mjs', import.meta.url));
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-bridge-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const task = projectTask('libero_spatial', 0);
const init = { time: 0, qpos: Float64Array.from([0.1, 0.2, 0.3, ...new Array(45).fill(0)]), qvel: new Float64Array(43) };

async function standIn(mode: string, timeouts = {}): Promise<LiberoSimulator> {
  const state = await mkdtemp(path.join(tmp, 'state-'));
  return LiberoSimulator.create({
    python: 'stand-in',
    command: { command: process.execPath, args: [STAND_IN], env: { ...process.env, STAND_IN_MODE: mode, STAND_IN_STATE_DIR: state } },
    timeouts,
  });
}

describe('the LIBERO bridge client (against a stand-in worker)', () => {
  it('resets, steps and describes the scene through frames; body poses come with each observation', async () => {
    const sim = await standIn('ok');
    try {
      expect(sim.backend).toBe('libero');
      expect(sim.version).toBe('LIBERO stand-in, robosuite 1.4.1, MuJoCo 3.14.0');
      const o = await sim.reset(task, init, { index: 4 });
      expect(Array.from(o.proprio.subarray(0, 3))).toEqual([0.1, 0.2, 0.3]);
      expect(o.objectPoses).toHaveLength(7 * task.objects.length);
      const scene = await sim.sceneDescription();
      expect(scene.meshes[0]!.faces).toEqual([0, 1, 2]);
      const r = await sim.step([1, 0, 0, 0, 0, 0, -1]);
      expect(r.success).toBe(false);
      expect(r.observation.proprio[0]).toBeCloseTo(0.11, 12);
      expect(Array.from(await sim.bodyPoses()).slice(0, 3)).toEqual(Array.from(r.observation.proprio.subarray(0, 3)));
      expect(sim.workerTime.calls).toBe(2);
    } finally {
      await sim.close();
    }
  });

  it('passes an error reply on as a named error and keeps serving', async () => {
    const sim = await standIn('ok');
    try {
      await sim.reset(task, init);
      await expect(sim.step([Number.NaN, 0, 0, 0, 0, 0, 0])).rejects.toThrow(WorkerReplyError);
      await expect(sim.step([0, 0, 0, 0, 0, 0, 0])).resolves.toMatchObject({ success: false });
    } finally {
      await sim.close();
    }
  });

  for (const [mode, pattern] of [
    ['crash-on-step:2', /exited \(status 7\)/],
    ['hang-on-step:2', /did not answer step within 5 s/],
    ['garbage-on-step:2', /bad frame .* more than the .* allowed/],
  ] as const) {
    it(`${mode.split(':')[0]}: the step fails as SimulatorLost, and the next reset starts a new worker that serves`, async () => {
      // Only the hang waits out its deadline; every other call is answered at once.
      const sim = await standIn(mode, { call: 5000 });
      try {
        await sim.reset(task, init);
        await sim.step([0, 0, 0, 0, 0, 0, 0]);
        const lost = await sim.step([0, 0, 0, 0, 0, 0, 0]).catch((e: unknown) => e);
        expect(lost).toBeInstanceOf(WorkerLostError);
        expect(lost).toBeInstanceOf(SimulatorLost);
        expect((lost as Error).message).toMatch(pattern);
        await expect(sim.step([0, 0, 0, 0, 0, 0, 0])).rejects.toThrow(SimulatorLost);
        await sim.reset(task, init);
        await expect(sim.step([1, 0, 0, 0, 0, 0, 0])).resolves.toMatchObject({ success: false });
      } finally {
        await sim.close();
      }
    });
  }

  it('a reply of the wrong shape is a lost worker, naming the field', async () => {
    const sim = await standIn('bad-shape');
    try {
      await expect(sim.reset(task, init)).rejects.toThrow(/proprio has shape \[7\]; expected \[8\]/);
    } finally {
      await sim.close();
    }
  });

  it('refuses a worker of another protocol version, naming both', async () => {
    await expect(standIn('protocol:2')).rejects.toThrow(BridgeVersionError);
    await expect(standIn('protocol:2')).rejects.toThrow(/speaks bridge protocol 2; this engine speaks 1/);
  });

  it('names a missing LIBERO, a missing interpreter, a worker that never says hello and one that prints to stdout', async () => {
    await expect(standIn('no-libero')).rejects.toThrow(LiberoMissingError);
    await expect(standIn('no-libero')).rejects.toThrow(/No module named 'libero'/);
    await expect(LiberoSimulator.create({ python: path.join(tmp, 'no-such-python') })).rejects.toThrow(PythonNotFoundError);
    await expect(standIn('silent', { hello: 500 })).rejects.toThrow(/sent no hello within 0.5 s/);
    await expect(standIn('stdout-noise')).rejects.toThrow(/bad frame/);
  });
});
