import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initStateRow, readInitStates, splitInitState, type InitState } from '../../../../engine/libero/init-states.js';
import { projectInitStates } from '../../../../engine/sim/embedded/project-init-states.js';
import { projectTask } from '../../../../engine/libero/project-tasks.js';
import { suiteTask, WAIT_ACTION } from '../../../../engine/libero/suites.js';
import type { TaskSpec } from '../../../../engine/libero/task.js';
import { EmbeddedPhysics, SimulationError } from '../../../../engine/sim/embedded/physics.js';

const LIBERO = path.resolve('../shared/libero');
const haveLibero = existsSync(LIBERO);
if (!haveLibero) console.log(`embedded simulator tests with LIBERO's init states skipped: ${LIBERO} not found`);

/** The project's own evaluation states (assets/), so most tests run without LIBERO's files. */
const projectInit = (taskId: number, row: number): InitState => projectInitStates('libero_spatial', taskId, 'eval')[row]!;

const DIMS = { nq: 48, nv: 43 };

function liberoInit(taskId: number, row: number): InitState {
  const { name } = suiteTask('libero_spatial', taskId);
  const states = readInitStates(path.join(LIBERO, 'init_files/libero_spatial', `${name}.pruned_init`), DIMS);
  return splitInitState(initStateRow(states, row), DIMS);
}

describe('EmbeddedPhysics on libero_spatial', () => {
  let sim: EmbeddedPhysics;
  let task: TaskSpec;
  beforeAll(async () => {
    sim = await EmbeddedPhysics.create();
    task = projectTask('libero_spatial', 0);
  });

  it('resets to an init state and observes the 8-D proprio and object poses', () => {
    const obs = sim.reset(task, projectInit(0, 0));
    expect(sim.version).toBe('MuJoCo 3.14.0 (wasm)');
    expect(obs.proprio).toHaveLength(8);
    // OFT's sample libero_spatial proprio: [-0.2112, -0.0111, 1.1742, 3.1409, -0.0028, -0.0877, 0.0387, -0.0387]
    expect(obs.proprio[2]).toBeCloseTo(1.17, 1);
    expect(obs.proprio[3]).toBeCloseTo(3.14, 1);
    expect(obs.objectPoses).toHaveLength(7 * task.objects.length);
  });

  it('holds still under the wait action, with no success, and keeps objects on the table', () => {
    sim.reset(task, projectInit(0, 1));
    let result = sim.step(WAIT_ACTION);
    for (let i = 0; i < 9; i++) result = sim.step(WAIT_ACTION);
    expect(result.success).toBe(false);
    const bowlZ = result.observation.objectPoses[2]!;
    expect(bowlZ).toBeGreaterThan(0.88);
    expect(bowlZ).toBeLessThan(0.95);
  });

  it('reports success once the goal holds: the bowl placed on the plate', () => {
    const init = projectInit(0, 2);
    const bowl = task.objects.findIndex((o) => o.name === 'akita_black_bowl_1');
    const plate = task.objects.findIndex((o) => o.name === 'plate_1');
    const obs = sim.reset(task, init);
    // LIBERO stores objects unsettled at z 0.97: put the bowl above the plate's centre and let both settle.
    const qpos = Float64Array.from(init.qpos);
    const plateXY = obs.objectPoses.subarray(7 * plate, 7 * plate + 2);
    const bowlAdr = 9 + 7 * bowl;
    qpos[bowlAdr] = plateXY[0]!;
    qpos[bowlAdr + 1] = plateXY[1]!;
    qpos[bowlAdr + 2] = 1.02;
    sim.reset(task, { ...init, qpos });
    let success = false;
    for (let i = 0; i < 20 && !success; i++) success = sim.step(WAIT_ACTION).success;
    expect(success).toBe(true);
  });

  it('ends a step with a non-finite action as a simulation error naming it', () => {
    sim.reset(task, projectInit(0, 0));
    expect(() => sim.step([0, 0, Number.NaN, 0, 0, 0, -1])).toThrow(/action\[2\] is NaN/);
    expect(() => sim.step([0, 0, 0])).toThrow(SimulationError);
  });

  it('names MuJoCo instability as the cause', () => {
    const init = projectInit(0, 0);
    const qvel = Float64Array.from(init.qvel);
    qvel[9] = 1e12; // bowl flung: MuJoCo flags BADQVEL and resets its data
    sim.reset(task, { ...init, qvel });
    expect(() => sim.step(WAIT_ACTION)).toThrow(/unstable.*mjWARN_BADQ/);
  });

  it('refuses an init state of the wrong size, naming both sizes', () => {
    const init = projectInit(0, 0);
    expect(() => sim.reset(task, { ...init, qpos: init.qpos.subarray(0, 40) })).toThrow(/nq 40, nv 43; the scene has nq 48, nv 43/);
  });

  it.skipIf(!haveLibero)("resets to LIBERO's own init states too", () => {
    const obs = sim.reset(task, liberoInit(0, 0));
    expect(obs.proprio[2]).toBeCloseTo(1.17, 1);
  });

  it('describes the scene for replay and reports body poses in its order', () => {
    sim.reset(projectTask('libero_spatial', 4), projectInit(4, 0));
    const scene = sim.sceneDescription();
    expect(scene.bodies).toContain('akita_black_bowl_1');
    expect(scene.bodies).toContain('gripper0_right_gripper');
    expect(scene.geoms.every((g) => g.body < scene.bodies.length)).toBe(true);
    expect(scene.geoms.some((g) => g.type === 'mesh')).toBe(true);
    for (const g of scene.geoms.filter((g) => g.mesh !== undefined)) {
      const mesh = scene.meshes[g.mesh!]!;
      expect(Math.max(...mesh.faces)).toBeLessThan(mesh.vertices.length / 3);
    }
    const poses = sim.bodyPoses();
    expect(poses).toHaveLength(7 * scene.bodies.length);
    const bowl = scene.bodies.indexOf('akita_black_bowl_1');
    expect(poses[7 * bowl + 2]).toBeGreaterThan(0.9);
  });
});

describe('RSD_CONTACT_PRUNING selects the scene', () => {
  it('on or unset: the pruned scene; off: the old one; anything else: an error naming the variable', async () => {
    const { contactPruningFromEnv } = await import('../../../../engine/sim/embedded/physics.js');
    expect(contactPruningFromEnv({})).toBe(true);
    expect(contactPruningFromEnv({ RSD_CONTACT_PRUNING: 'on' })).toBe(true);
    expect(contactPruningFromEnv({ RSD_CONTACT_PRUNING: 'off' })).toBe(false);
    expect(() => contactPruningFromEnv({ RSD_CONTACT_PRUNING: 'no' })).toThrow(/^RSD_CONTACT_PRUNING=no: expected on or off$/);
  });
});
