import type { MjData, MjModel } from '@mujoco/mujoco';
import { evaluateGoalAtoms } from '../../libero/predicates.js';
import type { TaskSpec } from '../../libero/task.js';
import type { WorldQuery } from '../../libero/world.js';
import { mountedPanda, PANDA_FINGER_INIT_QPOS, PANDA_INIT_QPOS } from './assets/panda.js';
import type { MujocoModule, PhysicsBuild } from './mujoco-api.js';
import { loadPhysics } from './physics-choice.js';
import { nativeStepN } from './native.js';
import { controlledEnvStep, GripperRamp, OscPoseController, robotProprio, type PandaIds } from './osc.js';
import { buildScene, type Pose, type Scene } from './scene.js';
import { describeScene, readBodyPoses, visualBodies } from './scene-description.js';
import type { BodyPoses, CameraImage, InitState, Observation, SceneDescription, StepResult } from '../simulator.js';
import type { CameraRequest } from '../cameras.js';
import { CameraRenderer } from '../render/camera-renderer.js';
import { buildRenderScene } from '../render/render-scene.js';
import { mujocoWorldQuery } from './world-query.js';

/** The simulation cannot go on: a bad action or MuJoCo's instability warnings. The episode ends in `error`. */
export class SimulationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulationError';
  }
}

export interface EmbeddedOptions {
  /** Fixture poses (cabinet, stove); default: the centre of their regions (engine/sim/scene.ts). */
  fixturePlacement?: Readonly<Record<string, Pose>>;
  /** robosuite's first step after a reset, on its controller's cached state (OscOptions.robosuiteStart); default on. */
  robosuiteStart?: boolean;
  /** Cameras rendered into every observation (engine/sim/render); none by default, so state policies pay nothing. */
  cameras?: readonly CameraRequest[];
  /** The MuJoCo build (physics-choice.ts); default `wasm`. `auto` is resolved before it gets here. */
  physics?: PhysicsBuild;
  /**
   * The pruned collision model (scene.ts SceneOptions.contactPruning). Default: on, unless the
   * environment variable RSD_CONTACT_PRUNING is `off` (the old scene, for before/after comparisons
   * of whole runs; said once per thread on stderr).
   */
  contactPruning?: boolean;
}

export const CONTACT_PRUNING_ENV = 'RSD_CONTACT_PRUNING';
let saidOldScene = false;

/** RSD_CONTACT_PRUNING: unset or `on` is the pruned scene, `off` the old one; anything else is an error naming it. */
export function contactPruningFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[CONTACT_PRUNING_ENV];
  if (value === undefined || value === '' || value === 'on') return true;
  if (value !== 'off') throw new Error(`${CONTACT_PRUNING_ENV}=${value}: expected on or off`);
  if (!saidOldScene) {
    saidOldScene = true;
    process.stderr.write(`embedded simulator: ${CONTACT_PRUNING_ENV}=off, building the scenes without contact pruning (before issue 20)\n`);
  }
  return false;
}

/** Warnings that mean the state is no longer physical (MuJoCo resets the data when it sees them). */
const UNSTABLE_WARNINGS = ['mjWARN_BADQPOS', 'mjWARN_BADQVEL', 'mjWARN_BADQACC'] as const;

/**
 * The embedded backend's physics, synchronous, with privileged access for tools that need the
 * ground truth (the scripted expert, the initial-state sampler, `rsd bench sim`); everything else
 * holds it as a `Simulator` (simulator.ts beside this file).
 *
 * LIBERO's tabletop tasks on the official MuJoCo WebAssembly build, in this thread: one compiled
 * scene per task (recompiled when the task changes), OSC_POSE control at 20 Hz with 25 substeps,
 * and the goal checked once per env step, as LIBERO does.
 */
export class EmbeddedPhysics {
  readonly backend = 'embedded' as const;
  /** MuJoCo's version and the build that runs it: `MuJoCo 3.14.0 (wasm)` or `(native)`. */
  readonly version: string;
  readonly build: PhysicsBuild;
  private current: Compiled | undefined;

  private constructor(
    private readonly mj: MujocoModule,
    private readonly options: EmbeddedOptions,
  ) {
    this.build = options.physics ?? 'wasm';
    this.version = `MuJoCo ${mj.mj_versionString()} (${this.build})`;
  }

  static async create(options: EmbeddedOptions = {}): Promise<EmbeddedPhysics> {
    const contactPruning = options.contactPruning ?? contactPruningFromEnv();
    return new EmbeddedPhysics(await loadPhysics(options.physics ?? 'wasm'), { ...options, contactPruning });
  }

  /** The compiled scene of the last reset (for tools such as the scripted expert). */
  get scene(): Scene {
    return this.compiled().scene;
  }

  get task(): TaskSpec {
    return this.compiled().task;
  }

  /** Ids of the robot parts, and the world query the goal uses: read-only helpers for the expert. */
  get robot(): PandaIds {
    return this.compiled().osc.ids;
  }

  get world(): WorldQuery {
    return this.compiled().world;
  }

  reset(task: TaskSpec, initState: InitState): Observation {
    return this.prepare(task).reset(initState);
  }

  /** Compiles the task's scene unless it is the current one. */
  private prepare(task: TaskSpec): Compiled {
    if (this.current?.task !== task) {
      this.current?.free();
      this.current = new Compiled(this.mj, task, this.options);
    }
    return this.current;
  }

  step(action: ArrayLike<number>): StepResult {
    return this.compiled().step(action);
  }

  /**
   * The state env.reset() leaves before an init state is applied: robot at init_qpos, objects and
   * fixtures where the scene placed them. For benchmarks and tools that need no init-state file.
   */
  defaultState(task: TaskSpec): InitState {
    const c = this.prepare(task);
    return { time: 0, qpos: Float64Array.from(c.homeQpos), qvel: new Float64Array(c.model.nv) };
  }

  /** `n` bare mj_step calls with the controls as they are: the physics floor `rsd bench sim` compares env.step against. */
  physicsSteps(n: number): void {
    const { model, data } = this.compiled();
    // Native: one crossing into the addon for all n, so the floor is MuJoCo's alone.
    if (nativeStepN(this.mj, model, data, n)) return;
    for (let i = 0; i < n; i++) this.mj.mj_step(model, data);
  }

  /** Contacts MuJoCo found in the last step (data.ncon): what `rsd bench sim` reports per scene. */
  get contactCount(): number {
    return this.compiled().data.ncon;
  }

  sceneDescription(): SceneDescription {
    const c = this.compiled();
    return describeScene(this.mj, c.model, c.task.file);
  }

  /** The requested cameras' views of the current state (what the last observation carried). */
  renderImages(): Record<string, CameraImage> {
    return this.compiled().renderImages();
  }

  /** A model camera's world frame now: position, rotation (row-major, columns = its axes; it looks along -z) and vertical field of view. */
  cameraFrame(name: string): { pos: Float64Array; mat: Float64Array; fovy: number } {
    const { mj, model, data, task } = this.compiled();
    const id = mj.mj_name2id(model, mj.mjtObj.mjOBJ_CAMERA.value, name);
    if (id < 0) throw new SimulationError(`${task.file}: the embedded scene has no camera "${name}"`);
    return { pos: (data.cam_xpos as Float64Array).slice(3 * id, 3 * id + 3), mat: (data.cam_xmat as Float64Array).slice(9 * id, 9 * id + 9), fovy: (model.cam_fovy as Float64Array)[id]! };
  }

  bodyPoses(): BodyPoses {
    const c = this.compiled();
    return readBodyPoses(c.model, c.data, c.visualBodies);
  }

  close(): void {
    this.current?.free();
    this.current = undefined;
  }

  private compiled(): Compiled {
    if (!this.current) throw new Error('the simulator has no task yet: call reset(task, initState) first');
    return this.current;
  }
}

/** One task's compiled model and its per-episode state. */
class Compiled {
  readonly scene: Scene;
  readonly model: MjModel;
  readonly data: MjData;
  osc: OscPoseController;
  readonly gripper: GripperRamp;
  readonly world: WorldQuery;
  readonly visualBodies: Int32Array;
  private readonly objectBodies: Int32Array;
  private readonly proprio = new Float64Array(8);
  readonly homeQpos: Float64Array;
  private readonly warningIds: number[];
  private readonly cameras: (CameraRequest & { id: number })[];
  private readonly renderer: CameraRenderer | null;

  constructor(
    readonly mj: MujocoModule,
    readonly task: TaskSpec,
    options: EmbeddedOptions,
  ) {
    this.scene = buildScene(task, mountedPanda(), { fixturePlacement: options.fixturePlacement, contactPruning: options.contactPruning });
    this.model = mj.MjModel.from_xml_string(this.scene.xml);
    this.data = new mj.MjData(this.model);
    this.homeQpos = homeQpos(mj, this.model, this.scene);
    this.osc = new OscPoseController(mj, this.model, this.data, { robosuiteStart: options.robosuiteStart ?? true });
    this.gripper = new GripperRamp(mj, this.model, this.data);
    this.world = mujocoWorldQuery(mj, this.model, this.data, task);
    const BODY = mj.mjtObj.mjOBJ_BODY.value;
    this.objectBodies = Int32Array.from(task.objects, (o) => {
      const id = mj.mj_name2id(this.model, BODY, o.name);
      if (id < 0) throw new Error(`${task.file}: the scene has no body for object ${o.name}`);
      return id;
    });
    this.visualBodies = visualBodies(this.model);
    this.warningIds = UNSTABLE_WARNINGS.map((w) => mj.mjtWarning[w].value);
    this.cameras = cameraIds(mj, this.model, task, options.cameras ?? []);
    this.renderer = this.cameras.length > 0 ? new CameraRenderer(buildRenderScene(this.model)) : null;
  }

  /** The requested cameras' views of the current state. */
  renderImages(): Record<string, CameraImage> {
    const images: Record<string, CameraImage> = {};
    if (!this.renderer) return images;
    const fovy = this.model.cam_fovy as Float64Array;
    for (const c of this.cameras) images[c.name] = this.renderer.renderCamera(this.data, c.id, fovy[c.id]!, c.width, c.height);
    return images;
  }

  /**
   * LIBERO's reset then set_init_state: the robot at init_qpos with a fresh controller (its goal and
   * null-space target are the reset pose; set_init_state does not touch them) and the gripper ramp
   * at 0; then time, qpos and qvel from the init state, and mj_forward.
   */
  reset(init: InitState): Observation {
    const { model, data, mj } = this;
    if (init.qpos.length !== model.nq || init.qvel.length !== model.nv) {
      throw new SimulationError(`${this.task.file}: init state has nq ${init.qpos.length}, nv ${init.qvel.length}; the scene has nq ${model.nq}, nv ${model.nv}`);
    }
    mj.mj_resetData(model, data);
    (data.qpos as Float64Array).set(this.homeQpos);
    mj.mj_forward(model, data);
    this.osc.resetGoal();
    this.gripper.reset();
    data.time = init.time;
    (data.qpos as Float64Array).set(init.qpos);
    (data.qvel as Float64Array).set(init.qvel);
    mj.mj_forward(model, data);
    return this.observe();
  }

  step(action: ArrayLike<number>): StepResult {
    if (action.length !== 7) throw new SimulationError(`action has ${action.length} values, expected 7`);
    for (let i = 0; i < 7; i++) {
      if (!Number.isFinite(action[i])) throw new SimulationError(`action[${i}] is ${action[i]}: actions must be finite`);
    }
    controlledEnvStep(this.mj, this.model, this.data, this.osc, this.gripper, action);
    this.checkStable();
    // Each atom once; success follows from them (as LIBERO's _check_success ANDs its goal_state).
    const goal = evaluateGoalAtoms(this.task.goal, this.world);
    return { observation: this.observe(), success: goal.success, goalAtoms: goal.atoms };
  }

  free(): void {
    this.osc.delete();
    this.data.delete();
    this.model.delete();
  }

  private checkStable(): void {
    // IMPORTANT: data.warning is a view into MjData: delete its elements, never the vector.
    const warnings = this.data.warning;
    for (let i = 0; i < this.warningIds.length; i++) {
      const stat = warnings.get(this.warningIds[i]!)!;
      const count = stat.number;
      stat.delete();
      if (count > 0) throw new SimulationError(`simulation unstable at t = ${this.data.time.toFixed(3)} s: MuJoCo ${UNSTABLE_WARNINGS[i]} (${count}x)`);
    }
  }

  private observe(): Observation {
    const proprio = robotProprio(this.osc.ids, this.data, this.proprio).slice();
    const xpos = this.data.xpos as Float64Array;
    const xquat = this.data.xquat as Float64Array;
    const poses = new Float64Array(7 * this.objectBodies.length);
    this.objectBodies.forEach((b, i) => {
      poses.set(xpos.subarray(3 * b, 3 * b + 3), 7 * i);
      poses.set(xquat.subarray(4 * b, 4 * b + 4), 7 * i + 3);
    });
    return { proprio, objectPoses: poses, images: this.renderImages() };
  }
}

/** The model's id of each requested camera; a name the scene lacks, or a bad size, is an error naming it. */
function cameraIds(mj: MujocoModule, model: MjModel, task: TaskSpec, cameras: readonly CameraRequest[]): (CameraRequest & { id: number })[] {
  const CAMERA = mj.mjtObj.mjOBJ_CAMERA.value;
  return cameras.map((c) => {
    if (!Number.isInteger(c.width) || !Number.isInteger(c.height) || c.width < 1 || c.height < 1 || c.width > 4096 || c.height > 4096) {
      throw new SimulationError(`camera "${c.name}": size ${c.width}x${c.height} is not a size in pixels (1 to 4096 each)`);
    }
    const id = mj.mj_name2id(model, CAMERA, c.name);
    if (id < 0) throw new SimulationError(`${task.file}: the embedded scene has no camera "${c.name}" (it has ${sceneCameras(mj, model).join(', ')})`);
    return { ...c, id };
  });
}

function sceneCameras(mj: MujocoModule, model: MjModel): string[] {
  const CAMERA = mj.mjtObj.mjOBJ_CAMERA.value;
  return Array.from({ length: model.ncam }, (_, i) => mj.mj_id2name(model, CAMERA, i) || `camera${i}`);
}

/** qpos at env.reset(): the Panda at init_qpos, fingers at their init, everything else as the scene placed it. */
function homeQpos(mj: MujocoModule, model: MjModel, scene: Scene): Float64Array {
  const qpos = Float64Array.from(model.qpos0 as Float64Array);
  const JOINT = mj.mjtObj.mjOBJ_JOINT.value;
  const adr = model.jnt_qposadr as Int32Array;
  const set = (name: string, values: readonly number[]) => {
    const j = mj.mj_name2id(model, JOINT, name);
    if (j < 0) throw new Error(`the scene has no joint ${name}`);
    qpos.set(values, adr[j]!);
  };
  PANDA_INIT_QPOS.forEach((q, i) => set(`robot0_joint${i + 1}`, [q]));
  set('gripper0_finger_joint1', [PANDA_FINGER_INIT_QPOS[0]!]);
  set('gripper0_finger_joint2', [PANDA_FINGER_INIT_QPOS[1]!]);
  for (const [name, values] of Object.entries(scene.defaultJointQpos)) set(name, values);
  return qpos;
}
