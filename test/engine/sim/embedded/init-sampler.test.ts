import { beforeAll, describe, expect, it } from 'vitest';
import {
  InitSamplerError,
  LIBERO_JOINT_RANGES,
  MULBERRY32_STEP,
  defaultInitState,
  mulberry32,
  mulberry32At,
  sampleInitState,
  sampleInitStateDetailed,
  tilt,
} from '../../../../engine/sim/embedded/init-sampler.js';
import { evaluateAtom } from '../../../../engine/libero/predicates.js';
import { projectTask } from '../../../../engine/libero/project-tasks.js';
import { NUM_WAIT_STEPS, WAIT_ACTION } from '../../../../engine/libero/suites.js';
import type { TaskSpec } from '../../../../engine/libero/task.js';
import { PANDA_FINGER_INIT_QPOS, PANDA_INIT_QPOS } from '../../../../engine/sim/embedded/assets/panda.js';
import { EmbeddedPhysics } from '../../../../engine/sim/embedded/physics.js';

describe('mulberry32', () => {
  it('is deterministic, uniform in [0, 1), and differs between seeds', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = Array.from({ length: 2000 }, () => a());
    expect(Array.from({ length: 2000 }, () => b())).toEqual(xs);
    expect(c()).not.toBe(xs[0]);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.47);
    expect(mean).toBeLessThan(0.53);
  });

  it('starts a stream at any position of another: mulberry32At(s, n) continues mulberry32(s) after n draws', () => {
    for (const n of [0, 1, 7, 1000]) {
      const ahead = mulberry32(0x5eed0003);
      for (let i = 0; i < n; i++) ahead();
      const at = mulberry32At(0x5eed0003, n);
      expect([at(), at(), at()]).toEqual([ahead(), ahead(), ahead()]);
    }
    // The step is odd, so 2^31 draws ahead of seed s is the stream of seed s + 2^31 (the demo pool's seed).
    expect(MULBERRY32_STEP % 2).toBe(1);
    const far = mulberry32At(0x5eed0003, 2 ** 31);
    const shifted = mulberry32((0x5eed0003 + 2 ** 31) >>> 0);
    expect(far()).toBe(shifted());
    expect(() => mulberry32At(1, -1)).toThrow(RangeError);
  });
});

describe('sampleInitState on libero_spatial', () => {
  let sim: EmbeddedPhysics;
  const tasks = new Map<number, TaskSpec>();
  const task = (id: number): TaskSpec => {
    let t = tasks.get(id);
    if (!t) tasks.set(id, (t = projectTask('libero_spatial', id)));
    return t;
  };
  beforeAll(async () => {
    sim = await EmbeddedPhysics.create();
  });

  it('is deterministic for a seed, whatever ran before it', () => {
    const first = sampleInitStateDetailed(sim, task(0), mulberry32(7));
    sampleInitState(sim, task(3), mulberry32(8)); // another task and scene in between
    sampleInitState(sim, task(0), mulberry32(9));
    const again = sampleInitStateDetailed(sim, task(0), mulberry32(7));
    expect(again.attempts).toBe(first.attempts);
    expect(Array.from(again.state.qpos)).toEqual(Array.from(first.state.qpos));
    expect(Array.from(again.state.qvel)).toEqual(Array.from(first.state.qvel));
    const other = sampleInitState(sim, task(0), mulberry32(8));
    expect(Array.from(other.qpos)).not.toEqual(Array.from(first.state.qpos));
  });

  // One task per kind of support: table regions (0), objects stacked on objects (5), the stove's
  // cook region and the cabinet top (7), a bowl in the opened top drawer (4).
  it.each([0, 5, 7, 4])('task %i: every init atom holds after the episode wait steps, with nothing tilted or moving', (id) => {
    const t = task(id);
    for (let seed = 100; seed < 103; seed++) {
      const state = sampleInitState(sim, t, mulberry32(seed));
      // The stored form: time 0, qvel 0, the robot at MountedPanda's init.
      expect(state.time).toBe(0);
      expect(state.qpos).toHaveLength(48);
      expect(state.qvel).toHaveLength(43);
      expect(state.qvel.every((v) => v === 0)).toBe(true);
      expect(Array.from(state.qpos.subarray(0, 9))).toEqual([...PANDA_INIT_QPOS, ...PANDA_FINGER_INIT_QPOS]);
      const start = sim.reset(t, state).objectPoses;
      let poses = start;
      for (let k = 0; k < NUM_WAIT_STEPS; k++) poses = sim.step(WAIT_ACTION).observation.objectPoses;
      for (const atom of t.init) expect(evaluateAtom(atom, sim.world), `(${atom.predicate} ${atom.args.join(' ')}), seed ${seed}`).toBe(true);
      t.objects.forEach((o, i) => {
        expect(tilt(poses.subarray(7 * i + 3, 7 * i + 7)), o.name).toBeLessThan(0.01);
        const moved = Math.hypot(poses[7 * i]! - start[7 * i]!, poses[7 * i + 1]! - start[7 * i + 1]!, poses[7 * i + 2]! - start[7 * i + 2]!);
        expect(moved, o.name).toBeLessThan(1e-3);
        // LIBERO's orientation for these objects: a fixed yaw of pi/2.
        expect(Math.abs(poses[7 * i + 3]!)).toBeCloseTo(Math.SQRT1_2, 3);
        expect(Math.abs(poses[7 * i + 6]!)).toBeCloseTo(Math.SQRT1_2, 3);
      });
    }
  });

  it('samples table objects inside their region box and opens the drawer within LIBERO range', () => {
    const t = task(4);
    const [lo, hi] = LIBERO_JOINT_RANGES.wooden_cabinet!.open!;
    const regions = new Map(t.regions.map((r) => [r.name, r]));
    for (let seed = 1; seed <= 4; seed++) {
      const state = sampleInitState(sim, t, mulberry32(seed));
      t.init.forEach((atom) => {
        const region = regions.get(atom.args[1] ?? '');
        const i = t.objects.findIndex((o) => o.name === atom.args[0]);
        if (atom.predicate !== 'on' || region?.target !== 'main_table' || i < 0) return;
        const [xMin, yMin, xMax, yMax] = region.ranges[0]!;
        const x = state.qpos[9 + 7 * i]!;
        const y = state.qpos[9 + 7 * i + 1]!;
        expect(x).toBeGreaterThan(xMin);
        expect(x).toBeLessThan(xMax);
        expect(y).toBeGreaterThan(yMin);
        expect(y).toBeLessThan(yMax);
      });
      const topDrawer = state.qpos[9 + 7 * 5]!; // wooden_cabinet_1_top_level
      expect(topDrawer).toBeGreaterThanOrEqual(lo - 1e-4);
      expect(topDrawer).toBeLessThan(hi);
    }
  });

  it("gives the scene's default state with the robot at its init, which the simulator accepts", () => {
    const state = defaultInitState(task(4));
    expect([state.qpos.length, state.qvel.length, state.time]).toEqual([48, 43, 0]);
    expect(Array.from(state.qpos.subarray(0, 7))).toEqual(PANDA_INIT_QPOS);
    expect(state.qpos[9 + 7 * 5]).toBe(-0.15); // the open top drawer, as the scene opens it
    expect(() => sim.reset(task(4), state)).not.toThrow();
  });

  it('names an object that :init gives no place', () => {
    const t = task(0);
    const broken: TaskSpec = { ...t, init: t.init.filter((a) => a.args[0] !== 'cookies_1') };
    expect(() => sampleInitState(sim, broken, mulberry32(1))).toThrow(InitSamplerError);
    expect(() => sampleInitState(sim, broken, mulberry32(1))).toThrow(/cookies_1 has no \(On \.\.\.\) or \(In \.\.\.\)/);
  });
});
