import type { MainModule, MjData, MjModel } from '@mujoco/mujoco';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateGoal } from '../../../../engine/libero/predicates.js';
import type { Formula, TaskSpec } from '../../../../engine/libero/task.js';
import type { WorldQuery } from '../../../../engine/libero/world.js';
import { loadMujoco } from '../../../../engine/sim/embedded/mujoco.js';
import { mujocoWorldQuery } from '../../../../engine/sim/embedded/world-query.js';

// A table (top at z = 0.9) with a zone site on its top, two boxes dropped onto each other, a third
// box apart, and a cabinet whose drawer (a child body on a slide joint) carries a region site and
// a fourth box. Names follow docs/scene-conventions.md.
const XML = `
<mujoco>
  <option timestep="0.002"/>
  <worldbody>
    <body name="main_table" pos="0 0 0.875">
      <geom name="main_table_g0" type="box" size="0.5 0.6 0.025"/>
      <site name="main_table_plate_region" type="box" pos="0.1 0.2 0.025" size="0.07 0.07 0.007"/>
    </body>
    <body name="box_a" pos="0.1 0.2 0.97">
      <freejoint name="box_a_joint0"/>
      <geom name="box_a_g0" type="box" size="0.02 0.02 0.02"/>
      <geom name="box_a_v0" type="box" size="0.021 0.021 0.021" group="1" contype="0" conaffinity="0"/>
    </body>
    <body name="box_b" pos="0.1 0.2 0.921">
      <freejoint name="box_b_joint0"/>
      <geom name="box_b_g0" type="box" size="0.03 0.03 0.02"/>
    </body>
    <body name="box_c" pos="-0.2 -0.2 0.921">
      <freejoint name="box_c_joint0"/>
      <geom name="box_c_g0" type="box" size="0.02 0.02 0.02"/>
    </body>
    <body name="wooden_cabinet_1" pos="0.3 -0.3 0.9">
      <geom name="wooden_cabinet_1_g0" type="box" pos="0 0 0.1" size="0.1 0.1 0.1"/>
      <body name="wooden_cabinet_1_cabinet_top" pos="0 0 0.25">
        <joint name="wooden_cabinet_1_top_level" type="slide" axis="0 1 0" range="-0.16 0.01" damping="50"/>
        <geom name="wooden_cabinet_1_g1" type="box" size="0.08 0.08 0.01"/>
        <site name="wooden_cabinet_1_top_region" type="box" quat="0.70711 0 0.70711 0" size="0.02993 0.07561 0.10224"/>
      </body>
    </body>
    <body name="box_d" pos="0.3 -0.3 1.181">
      <freejoint name="box_d_joint0"/>
      <geom name="box_d_g0" type="box" size="0.02 0.02 0.02"/>
    </body>
  </worldbody>
</mujoco>`;

const TASK: TaskSpec = {
  file: 'world-query.test.ts',
  problem: 'libero_tabletop_manipulation',
  domain: 'robosuite',
  language: 'test scene',
  regions: [
    { name: 'main_table_plate_region', localName: 'plate_region', target: 'main_table', ranges: [[0.03, 0.13, 0.17, 0.27]], yawRotation: [] },
    { name: 'wooden_cabinet_1_top_region', localName: 'top_region', target: 'wooden_cabinet_1', ranges: [], yawRotation: [] },
  ],
  fixtures: [
    { name: 'main_table', category: 'table' },
    { name: 'wooden_cabinet_1', category: 'wooden_cabinet' },
  ],
  objects: ['box_a', 'box_b', 'box_c', 'box_d'].map((name) => ({ name, category: 'box' })),
  objectsOfInterest: [],
  init: [],
  goal: { op: 'and', args: [] },
};

const on = (a: string, b: string): Formula => ({ op: 'atom', atom: { predicate: 'on', args: [a, b] } });

let mj: MainModule;
let model: MjModel;
let data: MjData;
let world: WorldQuery;

function settle(steps = 500): void {
  for (let i = 0; i < steps; i++) mj.mj_step(model, data);
}

function id(type: 'BODY' | 'JOINT' | 'SITE', name: string): number {
  const found = mj.mj_name2id(model, mj.mjtObj[`mjOBJ_${type}`].value, name);
  expect(found, name).toBeGreaterThanOrEqual(0);
  return found;
}

beforeAll(async () => {
  mj = (await loadMujoco()).module;
  model = mj.MjModel.from_xml_string(XML);
  data = new mj.MjData(model);
  world = mujocoWorldQuery(mj, model, data, TASK);
  settle();
});

afterAll(() => {
  data?.delete();
  model?.delete();
});

describe('mujocoWorldQuery', () => {
  it('sees contact between the stacked boxes, in either order, and none between separated ones', () => {
    expect(world.inContact('box_a', 'box_b')).toBe(true);
    expect(world.inContact('box_b', 'box_a')).toBe(true);
    expect(world.inContact('box_a', 'box_c')).toBe(false);
    expect(world.inContact('box_c', 'main_table')).toBe(true);
  });

  it('counts a fixture`s collision geoms on child bodies as the fixture', () => {
    expect(world.inContact('box_d', 'wooden_cabinet_1')).toBe(true);
  });

  it('reads body positions from data.xpos', () => {
    const body = id('BODY', 'box_a');
    const xpos = data.xpos as Float64Array;
    expect(world.bodyPosition('box_a')).toEqual([xpos[3 * body], xpos[3 * body + 1], xpos[3 * body + 2]]);
    expect(world.bodyPosition('box_a')[2]).toBeCloseTo(0.96, 2); // settled on box_b
    expect(() => world.bodyPosition('nothing_1')).toThrow(/nothing_1/);
  });

  it('gives region sites their position, rotation and half sizes, and their parent', () => {
    const zone = world.site('main_table_plate_region');
    expect(zone?.halfSize).toEqual([0.07, 0.07, 0.007]);
    zone?.pos.forEach((v, i) => expect(v).toBeCloseTo([0.1, 0.2, 0.9][i]!, 9));
    zone?.mat.forEach((v, i) => expect(v).toBeCloseTo([1, 0, 0, 0, 1, 0, 0, 0, 1][i]!, 9));
    expect(world.parentOfSite('main_table_plate_region')).toBeNull();

    const drawer = world.site('wooden_cabinet_1_top_region');
    // quat (0.707, 0, 0.707, 0) is +90° about y: x -> -z, z -> x.
    drawer?.mat.forEach((v, i) => expect(v).toBeCloseTo([0, 0, 1, 0, 1, 0, -1, 0, 0][i]!, 4));
    expect(drawer?.halfSize[2]).toBeCloseTo(0.10224, 9);
    expect(world.parentOfSite('wooden_cabinet_1_top_region')).toBe('wooden_cabinet_1');

    expect(world.site('box_a')).toBeNull();
  });

  it('reads drawer joints for the region and the fixture, and no free joints', () => {
    const adr = (model.jnt_qposadr as Int32Array)[id('JOINT', 'wooden_cabinet_1_top_level')]!;
    (data.qpos as Float64Array)[adr] = -0.15;
    mj.mj_forward(model, data);
    expect(world.jointPositions('wooden_cabinet_1_top_region')).toEqual([-0.15]);
    expect(world.jointPositions('wooden_cabinet_1')).toEqual([-0.15]);
    expect(world.jointPositions('box_a')).toEqual([]);
    expect(evaluateGoal({ op: 'atom', atom: { predicate: 'open', args: ['wooden_cabinet_1_top_region'] } }, world)).toBe(true);
    expect(world.categoryOf('wooden_cabinet_1')).toBe('wooden_cabinet');
  });

  it('evaluates On(a, b) true when stacked and false once a is moved away', () => {
    expect(evaluateGoal(on('box_a', 'box_b'), world)).toBe(true);
    expect(evaluateGoal(on('box_b', 'main_table_plate_region'), world)).toBe(true);

    const adr = (model.jnt_qposadr as Int32Array)[id('JOINT', 'box_a_joint0')]!;
    (data.qpos as Float64Array).set([-0.2, 0.2, 0.93, 1, 0, 0, 0], adr);
    (data.qvel as Float64Array).fill(0);
    settle(250);

    expect(world.inContact('box_a', 'box_b')).toBe(false);
    expect(evaluateGoal(on('box_a', 'box_b'), world)).toBe(false);
    expect(world.inContact('box_a', 'main_table')).toBe(true);
  });
});
