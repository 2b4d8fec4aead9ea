import type { MainModule, MjData, MjModel } from '@mujoco/mujoco';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountedPanda, PANDA_DEFAULT_BASE_POS, PANDA_FINGER_INIT_QPOS, PANDA_INIT_QPOS } from '../../../../engine/sim/embedded/assets/panda.js';
import { loadMujoco } from '../../../../engine/sim/embedded/mujoco.js';
import { controlledEnvStep, GripperRamp, OscPoseController, robotProprio } from '../../../../engine/sim/embedded/osc.js';
import { OFT_SAMPLE_STATE } from '../../real-libero.js';

// A minimal world: floor + the mounted Panda, with LIBERO's physics options (docs/scene-conventions.md).
function worldXml(basePos?: [number, number, number], extraBodies = ''): string {
  const p = mountedPanda(basePos ? { basePos } : {});
  return `<mujoco model="panda-test"><compiler angle="radian" autolimits="true"/>
    <option timestep="0.002" integrator="Euler" impratio="20" cone="elliptic" density="1.2" viscosity="0.00002"/>
    <default>${p.defaults}</default><asset>${p.assets}</asset>
    <worldbody><geom name="floor" type="plane" size="3 3 0.1"/>${p.worldbody}${extraBodies}</worldbody>
    <actuator>${p.actuators}</actuator></mujoco>`;
}

let mj: MainModule;
let model: MjModel;
let data: MjData;
const OBJ = { body: 1, joint: 3, geom: 5, site: 6, camera: 7, actuator: 19 } as const;
const id = (type: number, name: string): number => mj.mj_name2id(model, type, name);

beforeAll(async () => {
  mj = (await loadMujoco()).module;
  model = mj.MjModel.from_xml_string(worldXml());
  data = new mj.MjData(model);
});

afterAll(() => {
  data?.delete();
  model?.delete();
});

function setInitPose(d: MjData): void {
  const qpos = d.qpos as Float64Array;
  PANDA_INIT_QPOS.forEach((q, i) => (qpos[i] = q));
  qpos[7] = PANDA_FINGER_INIT_QPOS[0]!;
  qpos[8] = PANDA_FINGER_INIT_QPOS[1]!;
  (d.qvel as Float64Array).fill(0);
  mj.mj_forward(model, d);
}

describe('mountedPanda MJCF', () => {
  it('compiles to 9 joints / 9 dofs / 9 actuators in the conventional order', () => {
    expect([model.nq, model.nv, model.nu]).toEqual([9, 9, 9]);
    const joints = Array.from({ length: model.njnt }, (_, j) => mj.mj_id2name(model, OBJ.joint, j));
    expect(joints).toEqual([...Array.from({ length: 7 }, (_, i) => `robot0_joint${i + 1}`), 'gripper0_finger_joint1', 'gripper0_finger_joint2']);
    const acts = Array.from({ length: model.nu }, (_, a) => mj.mj_id2name(model, OBJ.actuator, a));
    expect(acts).toEqual([...Array.from({ length: 7 }, (_, i) => `robot0_torq_j${i + 1}`), 'gripper0_finger_joint1', 'gripper0_finger_joint2']);
  });

  it('has robosuite 1.4.1 joint ranges, damping, armature and frictionloss', () => {
    const range = model.jnt_range as Float64Array;
    const expected = [
      [-2.8973, 2.8973], [-1.7628, 1.7628], [-2.8973, 2.8973], [-3.0718, -0.0698], [-2.8973, 2.8973], [-0.0175, 3.7525], [-2.8973, 2.8973],
      [0, 0.04], [-0.04, 0],
    ];
    expected.forEach(([lo, hi], j) => {
      expect(range[2 * j]).toBeCloseTo(lo!, 6);
      expect(range[2 * j + 1]).toBeCloseTo(hi!, 6);
    });
    expect(Array.from(model.dof_damping as Float64Array)).toEqual([0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 100, 100]);
    const armature = Array.from(model.dof_armature as Float64Array);
    [5, 2.5, 5 / 3, 1.25, 1, 5 / 6, 5 / 7, 1, 1].forEach((a, i) => expect(armature[i]).toBeCloseTo(a, 6));
    expect(Array.from(model.dof_frictionloss as Float64Array)).toEqual([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 1, 1]);
  });

  it('has torque motors of ±80/±12 N·m and kp-1000 finger position actuators with ±20 N', () => {
    const ctrl = model.actuator_ctrlrange as Float64Array;
    const force = model.actuator_forcerange as Float64Array;
    const gain = model.actuator_gainprm as Float64Array;
    const bias = model.actuator_biasprm as Float64Array;
    const nGain = gain.length / model.nu;
    const nBias = bias.length / model.nu;
    [80, 80, 80, 80, 80, 12, 12].forEach((t, a) => {
      expect([ctrl[2 * a], ctrl[2 * a + 1]]).toEqual([-t, t]);
      expect(gain[a * nGain]).toBe(1);
    });
    expect([ctrl[14], ctrl[15], ctrl[16], ctrl[17]]).toEqual([0, 0.04, -0.04, 0]);
    for (const a of [7, 8]) {
      expect(gain[a * nGain]).toBe(1000);
      expect(bias[a * nBias + 1]).toBe(-1000);
      expect([force[2 * a], force[2 * a + 1]]).toEqual([-20, 20]);
    }
  });

  it('has robosuite link masses (arm + hand 18.5 kg, gripper 0.52 kg)', () => {
    const mass = model.body_mass as Float64Array;
    const arm = [...Array.from({ length: 8 }, (_, i) => `robot0_link${i}`), 'robot0_right_hand'];
    const armMass = arm.reduce((sum, n) => sum + mass[id(OBJ.body, n)]!, 0);
    expect(armMass).toBeCloseTo(18.5, 6);
    const grip = ['gripper0_right_gripper', 'gripper0_leftfinger', 'gripper0_rightfinger', 'gripper0_finger_joint1_tip', 'gripper0_finger_joint2_tip'];
    expect(grip.reduce((sum, n) => sum + mass[id(OBJ.body, n)]!, 0)).toBeCloseTo(0.52, 6);
  });

  it('has the finger pads, grip site and wrist camera named as robosuite prefixes them', () => {
    for (const i of [1, 2]) {
      const g = id(OBJ.geom, `gripper0_finger${i}_pad_collision`);
      expect(g).toBeGreaterThanOrEqual(0);
      const friction = model.geom_friction as Float64Array;
      const solref = model.geom_solref as Float64Array;
      expect([friction[3 * g], friction[3 * g + 1], friction[3 * g + 2]]).toEqual([2, 0.05, 0.0001]);
      expect([solref[2 * g], solref[2 * g + 1]]).toEqual([0.01, 0.5]);
    }
    expect(id(OBJ.site, 'gripper0_grip_site')).toBeGreaterThanOrEqual(0);
    const cam = id(OBJ.camera, 'robot0_eye_in_hand');
    expect(cam).toBeGreaterThanOrEqual(0);
    expect((model.cam_bodyid as Int32Array)[cam]).toBe(id(OBJ.body, 'robot0_right_hand'));
    expect((model.cam_fovy as Float64Array)[cam]).toBe(75);
    for (const name of ['robot0_base', 'robot0_mount', 'gripper0_right_gripper', 'gripper0_leftfinger', 'gripper0_rightfinger']) {
      expect(id(OBJ.body, name), name).toBeGreaterThanOrEqual(0);
    }
  });

  it('sits at LIBERO MountedPanda base (-0.66, 0, 0.912) by default and honours basePos', () => {
    setInitPose(data);
    const link0 = id(OBJ.body, 'robot0_link0');
    const xpos = data.xpos as Float64Array;
    expect(Array.from(xpos.slice(3 * link0, 3 * link0 + 3))).toEqual([...PANDA_DEFAULT_BASE_POS]);
    const moved = mj.MjModel.from_xml_string(worldXml([0.1, 0.2, 0.3]));
    const d = new mj.MjData(moved);
    try {
      mj.mj_forward(moved, d);
      const b = mj.mj_name2id(moved, OBJ.body, 'robot0_link0');
      const p = Array.from((d.xpos as Float64Array).slice(3 * b, 3 * b + 3));
      p.forEach((v, i) => expect(v).toBeCloseTo([0.1, 0.2, 0.3][i]!, 12));
    } finally {
      d.delete();
      moved.delete();
    }
  });

  it('has no contacts in the init pose', () => {
    setInitPose(data);
    expect(data.ncon).toBe(0);
  });

  it('puts the grip site where LIBERO reports it once the controller holds the init pose', () => {
    setInitPose(data);
    const osc = new OscPoseController(mj, model, data);
    const grip = new GripperRamp(mj, model, data);
    try {
      for (let s = 0; s < 20; s++) controlledEnvStep(mj, model, data, osc, grip, [0, 0, 0, 0, 0, 0, -1]);
      const p = robotProprio(osc.ids, data);
      // OFT's sample libero_spatial proprio (docs/libero.md 4.2), taken during an episode.
      const sample = OFT_SAMPLE_STATE;
      for (let i = 0; i < 3; i++) expect(Math.abs(p[i]! - sample[i]!)).toBeLessThan(0.02);
      for (let i = 3; i < 6; i++) expect(Math.abs(p[i]! - sample[i]!)).toBeLessThan(0.01);
      // Open fingers rest 1 mm short of 0.04: kp 1000 against frictionloss 1 N.
      expect(p[6]).toBeGreaterThan(0.037);
      expect(p[7]).toBeLessThan(-0.037);
    } finally {
      osc.delete();
    }
  });

  it('grasps, lifts and carries a 0.3 kg box with robosuite\'s finger pads', () => {
    // LIBERO's table top (z 0.90) and an object with LIBERO's contact parameters under the grip site.
    const table = '<body name="main_table" pos="0 0 0.875"><geom type="box" size="0.5 0.6 0.025" friction="0.6 0.005 0.0001"/></body>'
      + '<body name="box" pos="-0.21 0 0.93"><freejoint/><geom type="box" size="0.02 0.025 0.03" mass="0.3" '
      + 'solimp="0.998 0.998 0.001" solref="0.001 1" friction="0.95 0.3 0.1"/></body>';
    const m = mj.MjModel.from_xml_string(worldXml(undefined, table));
    const d = new mj.MjData(m);
    const qpos = d.qpos as Float64Array;
    PANDA_INIT_QPOS.forEach((q, i) => (qpos[i] = q));
    qpos[7] = PANDA_FINGER_INIT_QPOS[0]!;
    qpos[8] = PANDA_FINGER_INIT_QPOS[1]!;
    mj.mj_forward(m, d);
    const osc = new OscPoseController(mj, m, d);
    const grip = new GripperRamp(mj, m, d);
    const box = mj.mj_name2id(m, OBJ.body, 'box');
    const boxZ = () => (d.xpos as Float64Array)[3 * box + 2]!;
    const siteZ = () => (d.site_xpos as Float64Array)[3 * osc.ids.gripSite + 2]!;
    try {
      const step = (a: number[], n: number) => {
        for (let i = 0; i < n; i++) controlledEnvStep(mj, m, d, osc, grip, a);
      };
      step([0, 0, 0, 0, 0, 0, -1], 10);
      for (let i = 0; i < 60; i++) step([0, 0, Math.max(-1, Math.min(1, (0.935 - siteZ()) / 0.05)), 0, 0, 0, -1], 1);
      const z0 = boxZ();
      step([0, 0, 0, 0, 0, 0, 1], 12);
      const fingers = robotProprio(osc.ids, d);
      expect(fingers[6]).toBeCloseTo(0.025, 2); // the box's half width: the pads touch it
      step([0, 0, 0.5, 0, 0, 0, 1], 30);
      expect(boxZ() - z0).toBeGreaterThan(0.15);
      step([0.5, 0, 0, 0, 0, 0, 1], 20);
      expect(boxZ() - z0).toBeGreaterThan(0.14);
      expect(Math.abs(boxZ() - siteZ())).toBeLessThan(0.05); // still between the fingers
    } finally {
      osc.delete();
      d.delete();
      m.delete();
    }
  });
});
