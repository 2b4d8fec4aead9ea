/**
 * Cost of the OSC controller relative to bare physics:
 *   npx tsx scripts/bench-osc.ts [envSteps] [--bddl path/to/task.bddl]
 *
 * Scene: with --bddl, the embedded LIBERO scene of that task (engine/sim/scene.ts). Without it, a
 * self-contained stand-in for libero_spatial: floor, table, the mounted
 * Panda, five free objects built from many small boxes the way LIBERO's scanned objects are (two
 * 40-box bowls, a 20-box ramekin, a 20-box plate, a 1-box cookie box, all with LIBERO's
 * solref/solimp/friction), a cabinet with three sliding drawers and a stove with a hinge button.
 *
 * Measures (same start state, same number of substeps):
 *   bare:       25 x mj_step per env step, arm ctrl held at the controller's first torques
 *   controlled: 25 x (mj_step1, OSC, gripper ramp, mj_step2) per env step, as controlledEnvStep
 * and reports controlled / bare; the requirement is <= 1.3.
 */
import { mountedPanda, PANDA_FINGER_INIT_QPOS, PANDA_INIT_QPOS } from '../engine/sim/assets/panda.js';
import { loadMujoco } from '../engine/sim/mujoco.js';
import { controlledEnvStep, GripperRamp, OscPoseController } from '../engine/sim/osc.js';

const OBJ = 'solimp="0.998 0.998 0.001" solref="0.001 1" density="100" friction="0.95 0.3 0.1"';

function ring(name: string, x: number, y: number, z: number, n: number, radius: number): string {
  let geoms = `<geom name="${name}_g0" type="box" size="${radius * 0.7} ${radius * 0.7} 0.004" pos="0 0 0.004" ${OBJ}/>`;
  for (let i = 1; i < n; i++) {
    const a = (2 * Math.PI * i) / (n - 1);
    const h = 0.004 + 0.03 * ((i % 3) / 3);
    geoms += `<geom name="${name}_g${i}" type="box" size="0.012 0.004 0.012" pos="${radius * Math.cos(a)} ${radius * Math.sin(a)} ${h + 0.008}" euler="0 0 ${a + Math.PI / 2}" ${OBJ}/>`;
  }
  return `<body name="${name}" pos="${x} ${y} ${z}"><freejoint name="${name}_joint0"/>${geoms}</body>`;
}

function sceneXml(): string {
  const p = mountedPanda();
  const drawers = [0, 1, 2]
    .map((i) => {
      const z = 0.1 + 0.12 * i;
      const walls = [
        `<geom name="cab_d${i}_g0" type="box" size="0.1 0.12 0.005" pos="0 0 -0.04" ${OBJ}/>`,
        `<geom name="cab_d${i}_g1" type="box" size="0.005 0.12 0.04" pos="0.1 0 0" ${OBJ}/>`,
        `<geom name="cab_d${i}_g2" type="box" size="0.005 0.12 0.04" pos="-0.1 0 0" ${OBJ}/>`,
        `<geom name="cab_d${i}_g3" type="box" size="0.1 0.005 0.04" pos="0 0.12 0" ${OBJ}/>`,
        `<geom name="cab_d${i}_g4" type="box" size="0.1 0.005 0.04" pos="0 -0.12 0" ${OBJ}/>`,
      ].join('');
      return `<body name="cab_drawer${i}" pos="0.12 0 ${z}"><joint name="cab_level${i}" type="slide" axis="1 0 0" range="-0.16 0.01" damping="50"/>${walls}</body>`;
    })
    .join('');
  return `<mujoco model="bench"><compiler angle="radian" autolimits="true"/>
  <option timestep="0.002" integrator="Euler" impratio="20" cone="elliptic" density="1.2" viscosity="0.00002"/>
  <size memory="64M"/>
  <default>${p.defaults}</default><asset>${p.assets}</asset>
  <worldbody>
    <light pos="0 0 3"/><geom name="floor" type="plane" size="3 3 0.1"/>
    <body name="main_table" pos="0 0 0.875"><geom name="main_table_top" type="box" size="0.5 0.6 0.025" friction="0.6 0.005 0.0001"/></body>
    ${p.worldbody}
    ${ring('akita_black_bowl_1', 0.0, -0.1, 0.91, 40, 0.06)}
    ${ring('akita_black_bowl_2', 0.15, 0.15, 0.91, 40, 0.06)}
    ${ring('glazed_rim_porcelain_ramekin_1', -0.1, 0.2, 0.91, 20, 0.04)}
    ${ring('plate_1', 0.05, 0.25, 0.91, 20, 0.09)}
    <body name="cookies_1" pos="-0.05 -0.25 0.93"><freejoint name="cookies_1_joint0"/><geom name="cookies_1_g0" type="box" size="0.03 0.05 0.02" ${OBJ}/></body>
    <body name="wooden_cabinet_1" pos="0.03 -0.35 0.9">
      <geom name="wooden_cabinet_1_g0" type="box" size="0.12 0.14 0.2" pos="0 0 0.2" contype="0" conaffinity="0" group="1"/>
      <geom name="wooden_cabinet_1_g1" type="box" size="0.12 0.14 0.005" pos="0 0 0.4" ${OBJ}/>
      ${drawers}
    </body>
    <body name="flat_stove_1" pos="-0.41 0.14 0.9"><geom name="flat_stove_1_g0" type="box" size="0.1 0.1 0.01" pos="0 0 0.01" ${OBJ}/>
      <body name="flat_stove_1_button" pos="0.08 0.08 0.03"><joint name="flat_stove_1_button" type="hinge" axis="0 0 1" range="-1 1" damping="1"/><geom name="flat_stove_1_g1" type="cylinder" size="0.01 0.01" ${OBJ}/></body>
    </body>
  </worldbody>
  <actuator>${p.actuators}</actuator></mujoco>`;
}

const args = process.argv.slice(2);
const bddlAt = args.indexOf('--bddl');
const bddl = bddlAt >= 0 ? args.splice(bddlAt, 2)[1] : undefined;
const envSteps = Number(args[0] ?? 200);

async function taskSceneXml(file: string): Promise<string> {
  // Imported lazily so that the stand-in keeps working while the scene builder changes.
  const { readBddlFile } = await import('../engine/libero/bddl.js');
  const { buildScene } = await import('../engine/sim/scene.js');
  return buildScene(readBddlFile(file), mountedPanda()).xml;
}

const { module: mj } = await loadMujoco();
const model = mj.MjModel.from_xml_string(bddl ? await taskSceneXml(bddl) : sceneXml());
console.log(`scene: ${bddl ?? 'built-in stand-in'}`);
const data = new mj.MjData(model);
const qpos = data.qpos as Float64Array;
PANDA_INIT_QPOS.forEach((q, i) => (qpos[i] = q));
qpos[7] = PANDA_FINGER_INIT_QPOS[0]!;
qpos[8] = PANDA_FINGER_INIT_QPOS[1]!;
mj.mj_forward(model, data);
const osc = new OscPoseController(mj, model, data);
const grip = new GripperRamp(mj, model, data);

// Settle objects under control (LIBERO waits 10 no-op steps; 40 here for a steady contact set).
const NOOP = [0, 0, 0, 0, 0, 0, -1];
for (let i = 0; i < 40; i++) controlledEnvStep(mj, model, data, osc, grip, NOOP);

const stateSize = mj.mj_stateSize(model, mj.mjtState.mjSTATE_INTEGRATION.value);
const saved = new mj.DoubleBuffer(stateSize);
mj.mj_getState(model, data, saved, mj.mjtState.mjSTATE_INTEGRATION.value);
const restore = (): void => mj.mj_setState(model, data, Array.from(saved.GetView() as Float64Array), mj.mjtState.mjSTATE_INTEGRATION.value);

// A scripted motion so that the controller does real work: small sweeps with the gripper toggling.
const action = (k: number): number[] => {
  const phase = Math.floor(k / 20) % 4;
  const s = phase < 2 ? 0.3 : -0.3;
  return [s, phase % 2 ? s : -s, 0, 0, 0, phase === 1 ? 0.2 : 0, phase < 2 ? 1 : -1];
};

function timeBare(): number {
  restore();
  const t0 = performance.now();
  for (let k = 0; k < envSteps; k++) for (let i = 0; i < 25; i++) mj.mj_step(model, data);
  return performance.now() - t0;
}

function timeControlled(): { ms: number; ncon: number } {
  restore();
  let ncon = 0;
  const t0 = performance.now();
  for (let k = 0; k < envSteps; k++) {
    controlledEnvStep(mj, model, data, osc, grip, action(k));
    ncon += data.ncon;
  }
  return { ms: performance.now() - t0, ncon: ncon / envSteps };
}

function timeControllerOnly(n: number): number {
  restore();
  mj.mj_step1(model, data);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    osc.computeTorques();
    grip.step(1);
  }
  return ((performance.now() - t0) / n) * 1000;
}

// Warm up the JIT, then alternate the measurements to spread machine noise evenly.
timeBare();
timeControlled();
const bare: number[] = [];
const controlled: number[] = [];
let ncon = 0;
for (let rep = 0; rep < 5; rep++) {
  bare.push(timeBare());
  const c = timeControlled();
  controlled.push(c.ms);
  ncon = c.ncon;
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const perStep = (ms: number): number => (ms / envSteps) * 1000;
const ctlUs = timeControllerOnly(20000);
console.log(`model: nbody ${model.nbody}, ngeom ${model.ngeom}, nv ${model.nv}, mean contacts ${ncon.toFixed(0)}`);
console.log(`bare       25 x mj_step: ${perStep(median(bare)).toFixed(0)} us per env step (median of 5 x ${envSteps})`);
console.log(`controlled 25 substeps : ${perStep(median(controlled)).toFixed(0)} us per env step`);
console.log(`controller alone       : ${ctlUs.toFixed(2)} us per substep (computeTorques + gripper)`);
console.log(`ratio controlled / bare: ${(median(controlled) / median(bare)).toFixed(3)} (requirement <= 1.3)`);

saved.delete();
osc.delete();
data.delete();
model.delete();
