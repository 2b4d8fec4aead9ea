import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MjModel } from '@mujoco/mujoco';
import { projectTask } from '../../../../engine/libero/project-tasks.js';
import { runExpertSuite } from '../../../../engine/expert/suite.js';
import { buildScene } from '../../../../engine/sim/embedded/scene.js';
import { mountedPanda } from '../../../../engine/sim/embedded/assets/panda.js';
import { loadMujoco } from '../../../../engine/sim/embedded/mujoco.js';
import type { MujocoModule } from '../../../../engine/sim/embedded/mujoco-api.js';
import { loadNativeMujoco } from '../../../../engine/sim/embedded/native.js';
import { EmbeddedPhysics } from '../../../../engine/sim/embedded/physics.js';
import { PhysicsUnavailable, resolvePhysics } from '../../../../engine/sim/embedded/physics-choice.js';
import { projectInitStates } from '../../../../engine/sim/embedded/project-init-states.js';

// The native build needs gcc, Node's headers and the MuJoCo 3.14.0 wheel (python/requirements.txt);
// a clone without them skips these tests and says why.
const native = await loadNativeMujoco();
const reason = 'reason' in native ? native.reason : null;
if (reason) console.log(`native MuJoCo tests skipped: ${reason}`);

/** A motion that reaches down into the objects from step 0 (contacts from about step 30). */
const action = (t: number) => [0.5 * Math.cos(t / 10), 0.5 * Math.sin(t / 13), t < 40 ? -0.6 : 0.2 * Math.sin(t / 9), 0.1 * Math.sin(t / 11), 0, 0, t % 30 < 15 ? -1 : 1];

describe.skipIf(reason !== null)('native MuJoCo 3.14.0 through the addon', () => {
  const mj = () => (native as { module: MujocoModule }).module;
  let wasm: EmbeddedPhysics;
  let nat: EmbeddedPhysics;
  beforeAll(async () => {
    wasm = await EmbeddedPhysics.create({ physics: 'wasm' });
    nat = await EmbeddedPhysics.create({ physics: 'native' });
  });

  it('names its build in the version, beside the wasm build', () => {
    expect(mj().mj_versionString()).toBe('3.14.0');
    expect(nat.version).toBe('MuJoCo 3.14.0 (native)');
    expect(wasm.version).toBe('MuJoCo 3.14.0 (wasm)');
  });

  it('compiles the task-0 scene to the same model arrays as the wasm build', async () => {
    const xml = buildScene(projectTask('libero_spatial', 0), mountedPanda()).xml;
    const w = (await loadMujoco()).module.MjModel.from_xml_string(xml);
    const n = mj().MjModel.from_xml_string(xml);
    try {
      const names = ['nq', 'nv', 'nbody', 'ngeom', 'nsite', 'njnt', 'nu', 'nmesh'] as const;
      for (const k of names) expect(n[k], k).toBe(w[k]);
      const arrays = ['body_parentid', 'body_mass', 'jnt_qposadr', 'dof_armature', 'geom_type', 'geom_size', 'geom_friction', 'geom_rgba', 'mesh_vert', 'mesh_face', 'actuator_ctrlrange', 'qpos0', 'M_colind', 'tex_adr'] as const;
      for (const k of arrays) {
        const a = Array.from(w[k] as ArrayLike<number>);
        const b = Array.from(n[k] as ArrayLike<number>);
        expect(b.length, k).toBe(a.length);
        const worst = Math.max(0, ...a.map((v, i) => Math.abs(v - b[i]!) / Math.max(1, Math.abs(v))));
        expect(worst, k).toBeLessThan(1e-9);
      }
      expect(n.opt.timestep).toBe(w.opt.timestep);
      expect(Array.from(n.vis.headlight.ambient as ArrayLike<number>)).toEqual(Array.from(w.vis.headlight.ambient as ArrayLike<number>));
      expect(n.stat.extent).toBeCloseTo(w.stat.extent, 12);
    } finally {
      w.delete();
      n.delete();
    }
  });

  it('finds the same contacts as the wasm build in the same state (what the goal check reads)', async () => {
    const xml = buildScene(projectTask('libero_spatial', 0), mountedPanda()).xml;
    const init = projectInitStates('libero_spatial', 0, 'eval')[0]!;
    const contactsOf = (m: MujocoModule) => {
      const model = m.MjModel.from_xml_string(xml);
      const data = new m.MjData(model);
      (data.qpos as Float64Array).set(init.qpos);
      m.mj_forward(model, data);
      const list = data.contact;
      const out = Array.from({ length: list.size() }, (_, i) => {
        const c = list.get(i)!;
        const row = { geom1: c.geom1, geom2: c.geom2, dist: c.dist, normal: Array.from(c.frame as ArrayLike<number>).slice(0, 3) };
        c.delete();
        return row;
      });
      list.delete();
      data.delete();
      model.delete();
      return out;
    };
    const w = contactsOf((await loadMujoco()).module);
    const n = contactsOf(mj());
    expect(w.length).toBeGreaterThan(10);
    expect(n.map((c) => [c.geom1, c.geom2])).toEqual(w.map((c) => [c.geom1, c.geom2]));
    n.forEach((c, i) => {
      expect(c.dist).toBeCloseTo(w[i]!.dist, 9);
      c.normal.forEach((v, k) => expect(v).toBeCloseTo(w[i]!.normal[k]!, 9));
    });
  });

  it('writes through its array views into MuJoCo, and a deleted model refuses calls', () => {
    const model: MjModel = mj().MjModel.from_xml_string('<mujoco><worldbody><body><joint name="z" type="slide" axis="0 0 1"/><geom size="0.1"/></body></worldbody><actuator><motor joint="z"/></actuator></mujoco>');
    const data = new (mj().MjData)(model);
    (data.ctrl as Float64Array)[0] = 100;
    mj().mj_step(model, data);
    // A 100 N push on the ball against gravity: qvel went up, and time advanced one timestep.
    expect((data.qvel as Float64Array)[0]).toBeGreaterThan(0);
    expect(data.time).toBeCloseTo(model.opt.timestep, 12);
    data.time = 5;
    mj().mj_forward(model, data);
    expect(data.time).toBe(5);
    data.delete();
    model.delete();
    expect(() => mj().mj_step(model, data)).toThrow(/deleted/);
  });

  it('turns a bad XML into an error naming the problem, not a crash', () => {
    expect(() => mj().MjModel.from_xml_string('<mujoco><worldbody><geom type="nope"/></worldbody></mujoco>')).toThrow(/nope|invalid/i);
  });

  it('agrees with the wasm build on 20 env steps of the default scene (before contact the builds differ by rounding only)', () => {
    const task = projectTask('libero_spatial', 0);
    const init = projectInitStates('libero_spatial', 0, 'eval')[0]!;
    wasm.reset(task, init);
    nat.reset(task, init);
    let worst = 0;
    for (let t = 0; t < 20; t++) {
      const a = wasm.step(action(t)).observation;
      const b = nat.step(action(t)).observation;
      for (const [x, y] of [[a.proprio, b.proprio], [a.objectPoses, b.objectPoses]] as const) x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - y[i]!))));
    }
    // Measured: 3.6e-15 after 20 steps (FMA and SIMD round differently); contacts from step ~30 amplify it (docs/architecture.md).
    expect(worst).toBeLessThan(1e-9);
  });

  it('runs in worker threads: the scripted expert on native physics, two workers', async () => {
    const report = await runExpertSuite({ suite: 'libero_spatial', tasks: [0], trials: 2, workers: 2, initSource: { kind: 'project', split: 'eval' }, physics: 'native' });
    expect(report.physics).toBe('native');
    expect(report.runs).toHaveLength(2);
    for (const r of report.runs) expect(r.result.error ?? null).toBeNull();
  }, 120_000);
});

describe('choosing the physics build', () => {
  const saved = process.env.RSD_NATIVE_MUJOCO;
  afterEach(() => {
    if (saved === undefined) delete process.env.RSD_NATIVE_MUJOCO;
    else process.env.RSD_NATIVE_MUJOCO = saved;
  });

  it('refuses `native` where it cannot load, by name; `auto` falls back to wasm with a log line', async () => {
    process.env.RSD_NATIVE_MUJOCO = '0';
    await expect(resolvePhysics('native', () => {}, '--physics')).rejects.toThrow(PhysicsUnavailable);
    await expect(resolvePhysics('native', () => {}, '--physics')).rejects.toThrow(/^native MuJoCo cannot run here: RSD_NATIVE_MUJOCO=0/);
    const lines: string[] = [];
    expect(await resolvePhysics('auto', (l) => lines.push(l))).toBe('wasm');
    expect(lines).toEqual([expect.stringMatching(/^physics auto: running MuJoCo's WebAssembly build, because native MuJoCo cannot run here: RSD_NATIVE_MUJOCO=0/)]);
    expect(await resolvePhysics('wasm', (l) => lines.push(l))).toBe('wasm');
    expect(lines).toHaveLength(1);
  });

  it('refuses under Electron, whose V8 sandbox forbids external ArrayBuffers', async () => {
    Object.defineProperty(process.versions, 'electron', { value: '45.4.1', configurable: true, enumerable: true });
    try {
      await expect(resolvePhysics('native', () => {}, 'physics')).rejects.toThrow(/^native MuJoCo cannot run here: Electron forbids external ArrayBuffers/);
      const lines: string[] = [];
      expect(await resolvePhysics('auto', (l) => lines.push(l))).toBe('wasm');
      expect(lines[0]).toMatch(/Electron forbids external ArrayBuffers/);
    } finally {
      delete (process.versions as Record<string, string | undefined>).electron;
    }
  });

  it('picks native for `auto` where it loads, without a log line', async () => {
    const lines: string[] = [];
    expect(await resolvePhysics('auto', (l) => lines.push(l))).toBe(reason ? 'wasm' : 'native');
    expect(lines).toHaveLength(reason ? 1 : 0);
  });

  it('rsd expert --physics native exits 2 with one line where native cannot load; a bad value too', () => {
    const rsd = path.resolve('bin/rsd.mjs');
    const off = spawnSync(process.execPath, [rsd, 'expert', '--tasks', '0', '--trials', '1', '--physics', 'native'], { encoding: 'utf8', env: { ...process.env, RSD_NATIVE_MUJOCO: '0' } });
    expect(off.status).toBe(2);
    expect(off.stderr.trim()).toBe('rsd expert: --physics: native MuJoCo cannot run here: RSD_NATIVE_MUJOCO=0 turns the native build off');
    const bad = spawnSync(process.execPath, [rsd, 'bench', 'sim', '--physics', 'fast'], { encoding: 'utf8', env: { ...process.env, RSD_PHYSICS: '' } });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--physics: "fast" is not a physics build \(expected wasm, native, auto\)/);
  }, 60_000);
});
