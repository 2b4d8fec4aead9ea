import type { DoubleBuffer, MjData, MjModel } from '@mujoco/mujoco';
import type { MujocoModule } from './mujoco-api.js';
import {
  PANDA_ARM_ACTUATORS,
  PANDA_ARM_JOINTS,
  PANDA_FINGER_ACTUATORS,
  PANDA_FINGER_JOINTS,
  PANDA_GRIP_SITE,
  PANDA_HAND_BODY,
  PANDA_INIT_QPOS,
} from './assets/panda.js';

/**
 * robosuite 1.4.1's OSC_POSE controller and PandaGripper ramp for the embedded Panda, as LIBERO runs
 * them (docs/libero.md 4.4-4.5; RS controllers/osc.py, utils/control_utils.py, robots/single_arm.py,
 * models/grippers/panda_gripper.py).
 *
 * Substep contract (20 Hz control, 25 substeps of 0.002 s per env step), see `controlledEnvStep`:
 *   mj_step1 -> (first substep only) osc.setAction -> osc.computeTorques -> gripper.step -> mj_step2
 * IMPORTANT: robosuite calls sim.forward() before computing torques; mj_step1 computes exactly the
 * same position/velocity stage (kinematics, M, qfrc_bias) for the current state, and mj_step2 then
 * finishes the step (Euler integrator only). Calling mj_forward + mj_step instead would double the
 * cost of physics. After mj_step/mj_step2, data.xpos/site_xpos/qM still describe the state *before*
 * the last integration; robosuite's observations read them the same way, so do not "fix" that.
 */

export const OSC_KP = 150;
export const OSC_KD = 2 * Math.sqrt(OSC_KP); // damping ratio 1
export const OSC_NULL_KP = 10;
export const OSC_NULL_KD = 2 * Math.sqrt(OSC_NULL_KP);
export const OSC_POS_SCALE = 0.05; // m per unit action (osc_pose.json output_max)
export const OSC_ROT_SCALE = 0.5; // rad per unit action
export const GRIPPER_SPEED = 0.01; // PandaGripper.speed, per substep
export const SUBSTEPS_PER_ENV_STEP = 25;

const ARM = 7;

/** Model ids of the Panda parts the controller and proprio read, resolved by name once. */
export interface PandaIds {
  armQpos: Int32Array;
  armDof: Int32Array;
  armActuators: Int32Array;
  fingerQpos: Int32Array;
  fingerActuators: Int32Array;
  gripSite: number;
  handBody: number;
}

export function resolvePandaIds(mj: MujocoModule, model: MjModel): PandaIds {
  const id = (type: number, name: string): number => {
    const i = mj.mj_name2id(model, type, name);
    if (i < 0) throw new Error(`the model has no ${name}`);
    return i;
  };
  const JOINT = mj.mjtObj.mjOBJ_JOINT.value;
  const ACT = mj.mjtObj.mjOBJ_ACTUATOR.value;
  const qposadr = model.jnt_qposadr as Int32Array;
  const dofadr = model.jnt_dofadr as Int32Array;
  const arm = PANDA_ARM_JOINTS.map((n) => id(JOINT, n));
  const fingers = PANDA_FINGER_JOINTS.map((n) => id(JOINT, n));
  return {
    armQpos: Int32Array.from(arm, (j) => qposadr[j]!),
    armDof: Int32Array.from(arm, (j) => dofadr[j]!),
    armActuators: Int32Array.from(PANDA_ARM_ACTUATORS, (n) => id(ACT, n)),
    fingerQpos: Int32Array.from(fingers, (j) => qposadr[j]!),
    fingerActuators: Int32Array.from(PANDA_FINGER_ACTUATORS, (n) => id(ACT, n)),
    gripSite: id(mj.mjtObj.mjOBJ_SITE.value, PANDA_GRIP_SITE),
    handBody: id(mj.mjtObj.mjOBJ_BODY.value, PANDA_HAND_BODY),
  };
}

/**
 * Cached typed-array views into MjData.
 * IMPORTANT: every `data.x` getter makes a new view (an embind call), and views detach (length 0)
 * when the wasm heap grows (any allocation: a new MjData, a DoubleBuffer, a model). Reading the
 * getters every substep costs more than the controller's arithmetic, so views are cached and
 * re-read only when detached.
 */
class DataViews {
  qpos!: Float64Array;
  qvel!: Float64Array;
  ctrl!: Float64Array;
  qfrcBias!: Float64Array;
  siteXpos!: Float64Array;
  siteXmat!: Float64Array;
  xquat!: Float64Array;
  massCsr!: Float64Array;

  constructor(private readonly data: MjData) {
    this.refresh();
  }

  /** Re-reads the views if the heap grew since; cheap enough to call before each use. */
  fresh(): this {
    if (this.qpos.length === 0) this.refresh();
    return this;
  }

  private refresh(): void {
    const d = this.data;
    this.qpos = d.qpos as Float64Array;
    this.qvel = d.qvel as Float64Array;
    this.ctrl = d.ctrl as Float64Array;
    this.qfrcBias = d.qfrc_bias as Float64Array;
    this.siteXpos = d.site_xpos as Float64Array;
    this.siteXmat = d.site_xmat as Float64Array;
    this.xquat = d.xquat as Float64Array;
    this.massCsr = d.M as Float64Array;
  }
}

/** Addresses in MjData.M (CSR lower triangle, MuJoCo >= 3.3) of the arm's 7x7 block, row-major, -1 above the diagonal. */
function armMassAddresses(model: MjModel, armDof: Int32Array): Int32Array {
  const rowadr = model.M_rowadr as Int32Array;
  const rownnz = model.M_rownnz as Int32Array;
  const colind = model.M_colind as Int32Array;
  const addr = new Int32Array(ARM * ARM).fill(-1);
  for (let i = 0; i < ARM; i++) {
    const row = armDof[i]!;
    for (let j = 0; j <= i; j++) {
      const col = armDof[j]!;
      for (let k = rowadr[row]!; k < rowadr[row]! + rownnz[row]!; k++) {
        if (colind[k] === col) addr[i * ARM + j] = k;
      }
    }
  }
  return addr;
}

export interface OscOptions {
  /** Null-space target; robosuite uses the robot's init_qpos (not the init state's joints). */
  nullspaceTarget?: ArrayLike<number>;
  /**
   * robosuite's first step after a reset: its controller caches the robot's state when it is made
   * (at env.reset(), the robot at init_qpos) and refreshes it only after its first substep, so after
   * set_init_state the first action's goal and the first substep's torques use the reset pose's
   * grip site, Jacobian, mass matrix and joints (robosuite controllers/base_controller.py
   * `new_update`). On by default (EmbeddedOptions): it moves the grip site 1-8 mm over the wait
   * steps from LIBERO's initial states, whose arm is not at init_qpos, as real LIBERO does; from the
   * project's initial states (arm at init_qpos, at rest) it changes nothing, bit for bit
   * (docs/libero-bridge.md "Fidelity report").
   */
  robosuiteStart?: boolean;
}

/** The controller's cached state at reset (see OscOptions.robosuiteStart). */
interface StartState {
  pos: Float64Array;
  mat: Float64Array;
  J: Float64Array;
  Marm: Float64Array;
  q: Float64Array;
  qd: Float64Array;
}

/**
 * OSC_POSE with robosuite 1.4.1's osc_pose.json: kp 150, damping ratio 1, deltas scaled by
 * 0.05 m / 0.5 rad, uncoupled position/orientation, null-space pull to init_qpos, torques + qfrc_bias
 * clipped to the actuator ctrlrange. Control frame: `gripper0_grip_site`.
 *
 * Linear algebra (all preallocated, no allocation per substep): Cholesky of the arm's 7x7 mass
 * block, A = M^-1 J^T by two triangular solves, Λ^-1 = J A (6x6). Λ_pos and Λ_ori are the
 * pseudo-inverses of its 3x3 diagonal blocks, computed from a Jacobi eigen-decomposition (exact
 * for symmetric matrices, so it equals numpy's SVD pinv, including its 1e-15 relative cutoff when a
 * block is singular). Λ_full (only for the null-space projector) is inverted by Cholesky and falls
 * back to the same eigen pinv when not positive definite.
 *
 * Behaviour worth knowing (test/engine/sim/osc.test.ts): with uncoupled Λ the orientation loop's
 * damping leaks into the position loop, so a step moves ~14% less than the closed-form critically
 * damped response, and large actions saturate joint 6 (12 N·m against its 0.83 armature).
 * LIBERO builds the controller at env.reset() with the robot at init_qpos and set_init_state does
 * not reset it: goalOri stays the reset pose until the first non-zero rotation action.
 */
export class OscPoseController {
  readonly ids: PandaIds;
  /** Goal in world frame; goalOri is row-major like MuJoCo's xmat. */
  readonly goalPos = new Float64Array(3);
  readonly goalOri = new Float64Array(9);
  /** Torques written on the last computeTorques (after clipping). */
  readonly torques = new Float64Array(ARM);

  private readonly views: DataViews;
  private readonly jacp: DoubleBuffer;
  private readonly jacr: DoubleBuffer;
  private jacpView: Float64Array;
  private jacrView: Float64Array;
  private readonly massAddr: Int32Array;
  private readonly nullTarget = new Float64Array(ARM);
  private readonly ctrlLow = new Float64Array(ARM);
  private readonly ctrlHigh = new Float64Array(ARM);
  private readonly nv: number;
  private readonly robosuiteStart: boolean;
  /** Set by resetGoal with robosuiteStart; used by the next setAction and computeTorques, then dropped. */
  private start: StartState | null = null;

  // Scratch, reused every substep.
  private readonly q = new Float64Array(ARM);
  private readonly qd = new Float64Array(ARM);
  private readonly J = new Float64Array(6 * ARM); // rows 0-2 position, 3-5 rotation
  private readonly L = new Float64Array(ARM * ARM); // Cholesky factor of M (lower)
  private readonly Marm = new Float64Array(ARM * ARM);
  private readonly A = new Float64Array(ARM * 6); // M^-1 J^T, 7x6
  private readonly lamInv = new Float64Array(36);
  private readonly lamFull = new Float64Array(36);
  private readonly lamPos = new Float64Array(9);
  private readonly lamOri = new Float64Array(9);
  private readonly block = new Float64Array(9);
  private readonly wrench = new Float64Array(6);
  private readonly desired = new Float64Array(6);
  private readonly delta = new Float64Array(6);
  private readonly u = new Float64Array(ARM);
  private readonly p = new Float64Array(ARM);
  private readonly ju = new Float64Array(6);
  private readonly lju = new Float64Array(6);
  private readonly work = new Float64Array(36 * 3);
  private readonly rot = new Float64Array(9);

  constructor(
    private readonly mj: MujocoModule,
    private readonly model: MjModel,
    private readonly data: MjData,
    options: OscOptions = {},
  ) {
    this.ids = resolvePandaIds(mj, model);
    this.nv = model.nv;
    this.robosuiteStart = options.robosuiteStart ?? false;
    this.massAddr = armMassAddresses(model, this.ids.armDof);
    const target = options.nullspaceTarget ?? PANDA_INIT_QPOS;
    for (let i = 0; i < ARM; i++) this.nullTarget[i] = target[i] ?? 0;
    const range = model.actuator_ctrlrange as Float64Array;
    for (let i = 0; i < ARM; i++) {
      const a = this.ids.armActuators[i]!;
      this.ctrlLow[i] = range[2 * a]!;
      this.ctrlHigh[i] = range[2 * a + 1]!;
    }
    // IMPORTANT: mj_jacSite's outputs must be DoubleBuffers: a plain Float64Array is copied in and
    // never written back (silently all zeros).
    this.jacp = new mj.DoubleBuffer(3 * this.nv);
    this.jacr = new mj.DoubleBuffer(3 * this.nv);
    this.jacpView = this.jacp.GetView() as Float64Array;
    this.jacrView = this.jacr.GetView() as Float64Array;
    this.views = new DataViews(data); // after the allocations above, so the views are current
    this.resetGoal();
  }

  /** Goal := the current grip-site pose (robosuite reset_goal). Kinematics must be current. */
  resetGoal(): void {
    const v = this.views.fresh();
    const s = this.ids.gripSite;
    for (let i = 0; i < 3; i++) this.goalPos[i] = v.siteXpos[3 * s + i]!;
    for (let i = 0; i < 9; i++) this.goalOri[i] = v.siteXmat[9 * s + i]!;
    if (this.robosuiteStart) {
      this.start = null;
      this.readState(); // into the scratch arrays, as computeTorques reads them
      this.start = {
        pos: this.goalPos.slice(),
        mat: this.goalOri.slice(),
        J: this.J.slice(),
        Marm: this.Marm.slice(),
        q: this.q.slice(),
        qd: this.qd.slice(),
      };
    }
  }

  /**
   * New policy action (first substep of an env step only). `action` holds [dx, dy, dz, ax, ay, az]
   * in [-1, 1]; kinematics must be current (after mj_step1 or mj_forward).
   */
  setAction(action: ArrayLike<number>): void {
    const v = this.views.fresh();
    const s = this.ids.gripSite;
    const d = this.delta;
    for (let i = 0; i < 6; i++) {
      const a = Math.min(1, Math.max(-1, action[i] ?? 0));
      d[i] = a * (i < 3 ? OSC_POS_SCALE : OSC_ROT_SCALE);
    }
    const pos = this.start ? this.start.pos : v.siteXpos.subarray(3 * s, 3 * s + 3);
    for (let i = 0; i < 3; i++) this.goalPos[i] = pos[i]! + d[i]!;
    // robosuite tests each component with math.isclose(x, 0.0), which is true only for exactly 0.
    if (d[3] !== 0 || d[4] !== 0 || d[5] !== 0) {
      axisAngleToMat(d[3]!, d[4]!, d[5]!, this.rot);
      const R = this.rot;
      const cur = this.start ? this.start.mat : v.siteXmat;
      const o = this.start ? 0 : 9 * s;
      for (let r = 0; r < 3; r++) {
        for (let c = 0; c < 3; c++) {
          this.goalOri[3 * r + c] = R[3 * r]! * cur[o + c]! + R[3 * r + 1]! * cur[o + 3 + c]! + R[3 * r + 2]! * cur[o + 6 + c]!;
        }
      }
    }
  }

  /** Arm torques for this substep, written to data.ctrl (and returned, clipped). */
  /** q, qd, the grip site's Jacobian and the arm's mass matrix block, from the current data, into the scratch arrays. */
  private readState(): void {
    const v = this.views.fresh();
    const { q, qd, J, Marm } = this;
    const ids = this.ids;
    const nv = this.nv;
    this.mj.mj_jacSite(this.model, this.data, this.jacp, this.jacr, ids.gripSite);
    if (this.jacpView.length === 0) {
      this.jacpView = this.jacp.GetView() as Float64Array;
      this.jacrView = this.jacr.GetView() as Float64Array;
    }
    const jp = this.jacpView;
    const jr = this.jacrView;
    for (let k = 0; k < ARM; k++) {
      const dof = ids.armDof[k]!;
      q[k] = v.qpos[ids.armQpos[k]!]!;
      qd[k] = v.qvel[dof]!;
      for (let r = 0; r < 3; r++) {
        J[r * ARM + k] = jp[r * nv + dof]!;
        J[(r + 3) * ARM + k] = jr[r * nv + dof]!;
      }
    }
    // Arm block of the joint-space inertia (incl. armature), from MuJoCo's CSR lower triangle.
    const Mcsr = v.massCsr;
    for (let i = 0; i < ARM; i++) {
      for (let j = 0; j <= i; j++) {
        const a = this.massAddr[i * ARM + j]!;
        const m = a >= 0 ? Mcsr[a]! : 0;
        Marm[i * ARM + j] = m;
        Marm[j * ARM + i] = m;
      }
    }
  }

  /** Arm torques for this substep, written to data.ctrl (and returned, clipped). */
  computeTorques(): Float64Array {
    const v = this.views.fresh();
    const { q, qd, J, A, L, Marm } = this;
    const ids = this.ids;
    // robosuite's first substep after a reset runs on the state its controller cached then.
    const start = this.start;
    this.start = null;
    if (start) {
      q.set(start.q);
      qd.set(start.qd);
      J.set(start.J);
      Marm.set(start.Marm);
    } else {
      this.readState();
    }
    const sitePos = start ? start.pos : v.siteXpos.subarray(3 * ids.gripSite, 3 * ids.gripSite + 3);

    // Task-space PD: F = kp (goal - x) - kd v,  T = kp ori_err - kd w.
    const xm = start ? start.mat : v.siteXmat;
    const o = start ? 0 : 9 * ids.gripSite;
    const g = this.goalOri;
    const want = this.desired;
    for (let r = 0; r < 3; r++) {
      let vel = 0;
      let ang = 0;
      for (let k = 0; k < ARM; k++) {
        vel += J[r * ARM + k]! * qd[k]!;
        ang += J[(r + 3) * ARM + k]! * qd[k]!;
      }
      want[r] = OSC_KP * (this.goalPos[r]! - sitePos[r]!) - OSC_KD * vel;
      want[r + 3] = -OSC_KD * ang;
    }
    // ori_err = 0.5 * sum_i cross(current[:, i], goal[:, i]); xmat is row-major, so column i is (m[i], m[3+i], m[6+i]).
    let ex = 0, ey = 0, ez = 0;
    for (let i = 0; i < 3; i++) {
      const cx = xm[o + i]!, cy = xm[o + 3 + i]!, cz = xm[o + 6 + i]!;
      const gx = g[i]!, gy = g[3 + i]!, gz = g[6 + i]!;
      ex += cy * gz - cz * gy;
      ey += cz * gx - cx * gz;
      ez += cx * gy - cy * gx;
    }
    want[3] = want[3]! + OSC_KP * 0.5 * ex;
    want[4] = want[4]! + OSC_KP * 0.5 * ey;
    want[5] = want[5]! + OSC_KP * 0.5 * ez;

    if (!cholesky(Marm, ARM, L)) throw new Error('OSC: arm mass matrix is not positive definite');

    // A = M^-1 J^T (column c = M^-1 J[c, :]^T), then Λ^-1 = J A.
    for (let c = 0; c < 6; c++) choleskySolveStrided(L, ARM, J, c * ARM, A, c, 6);
    const li = this.lamInv;
    for (let r = 0; r < 6; r++) {
      for (let c = r; c < 6; c++) {
        let sum = 0;
        for (let k = 0; k < ARM; k++) sum += J[r * ARM + k]! * A[k * 6 + c]!;
        li[r * 6 + c] = sum;
        li[c * 6 + r] = sum;
      }
    }
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) this.block[r * 3 + c] = li[r * 6 + c]!;
    symmetricPinv(this.block, 3, this.lamPos, this.work);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) this.block[r * 3 + c] = li[(r + 3) * 6 + c + 3]!;
    symmetricPinv(this.block, 3, this.lamOri, this.work);
    if (!cholesky(li, 6, this.work)) symmetricPinv(li, 6, this.lamFull, this.work);
    else choleskyInverse(this.work, 6, this.lamFull, this.block);

    // Decoupled wrench and tau = J^T [Λpos F; Λori T] + qfrc_bias.
    const w = this.wrench;
    for (let r = 0; r < 3; r++) {
      w[r] = this.lamPos[r * 3]! * want[0]! + this.lamPos[r * 3 + 1]! * want[1]! + this.lamPos[r * 3 + 2]! * want[2]!;
      w[r + 3] = this.lamOri[r * 3]! * want[3]! + this.lamOri[r * 3 + 1]! * want[4]! + this.lamOri[r * 3 + 2]! * want[5]!;
    }

    // Null space: tau_null = N^T p, p = M u, u = kp (q0 - q) - kd qd, N = I - Jbar J, Jbar = A Λfull.
    // N^T p = p - J^T Λfull A^T p, and A^T p = J M^-1 M u = J u exactly, which saves a solve.
    const { u, p, ju, lju } = this;
    for (let k = 0; k < ARM; k++) u[k] = OSC_NULL_KP * (this.nullTarget[k]! - q[k]!) - OSC_NULL_KD * qd[k]!;
    for (let i = 0; i < ARM; i++) {
      let sum = 0;
      for (let k = 0; k < ARM; k++) sum += Marm[i * ARM + k]! * u[k]!;
      p[i] = sum;
    }
    for (let r = 0; r < 6; r++) {
      let sum = 0;
      for (let k = 0; k < ARM; k++) sum += J[r * ARM + k]! * u[k]!;
      ju[r] = sum;
    }
    for (let r = 0; r < 6; r++) {
      let sum = 0;
      for (let c = 0; c < 6; c++) sum += this.lamFull[r * 6 + c]! * ju[c]!;
      lju[r] = w[r]! - sum; // J^T (wrench - Λfull J u) covers both J^T terms at once
    }

    const tau = this.torques;
    for (let k = 0; k < ARM; k++) {
      let sum = 0;
      for (let r = 0; r < 6; r++) sum += J[r * ARM + k]! * lju[r]!;
      const t = sum + v.qfrcBias[ids.armDof[k]!]! + p[k]!;
      const clipped = Math.min(this.ctrlHigh[k]!, Math.max(this.ctrlLow[k]!, t));
      tau[k] = clipped;
      v.ctrl[ids.armActuators[k]!] = clipped;
    }
    return tau;
  }

  /** Frees the wasm buffers; call once. */
  delete(): void {
    this.jacp.delete();
    this.jacr.delete();
  }
}

/**
 * PandaGripper's ramp. robosuite keeps current_action = [-c, +c] (the finger actuators have mirrored
 * ranges) and moves c by 0.01 * sign(a) every substep, clipped to [-1, 1]; -1 = open, +1 = closed.
 * ctrl_i = mid_i + halfrange_i * current_action_i, so closing drives finger 1 to 0 (its range
 * [0, 0.04]) and finger 2 to 0 (its range [-0.04, 0]). A full ramp takes 200 substeps = 8 env steps.
 */
export class GripperRamp {
  /** c above: 0 after reset (robosuite sets current_action = 0 in robot.reset()). */
  current = 0;
  private readonly ctrlIds: Int32Array;
  private readonly mid = new Float64Array(2);
  private readonly half = new Float64Array(2);
  private readonly views: DataViews;

  constructor(mj: MujocoModule, model: MjModel, data: MjData) {
    const ids = resolvePandaIds(mj, model);
    this.ctrlIds = ids.fingerActuators;
    const range = model.actuator_ctrlrange as Float64Array;
    for (let i = 0; i < 2; i++) {
      const a = this.ctrlIds[i]!;
      this.mid[i] = 0.5 * (range[2 * a]! + range[2 * a + 1]!);
      this.half[i] = 0.5 * (range[2 * a + 1]! - range[2 * a]!);
    }
    this.views = new DataViews(data);
  }

  reset(): void {
    this.current = 0;
  }

  /** One substep with gripper action `a` (sign only): ramps and writes both finger ctrls. */
  step(a: number): void {
    const sign = a > 0 ? 1 : a < 0 ? -1 : 0; // np.sign; NaN counts as 0 here
    this.current = Math.min(1, Math.max(-1, this.current + GRIPPER_SPEED * sign));
    const ctrl = this.views.fresh().ctrl;
    ctrl[this.ctrlIds[0]!] = this.mid[0]! + this.half[0]! * -this.current;
    ctrl[this.ctrlIds[1]!] = this.mid[1]! + this.half[1]! * this.current;
  }
}

/**
 * One 20 Hz env step: 25 substeps of mj_step1 / controller / mj_step2 (see the header). `action`
 * is LIBERO's 7-D action: OSC_POSE deltas (6) and the gripper (-1 open, +1 close).
 */
export function controlledEnvStep(
  mj: MujocoModule,
  model: MjModel,
  data: MjData,
  osc: OscPoseController,
  gripper: GripperRamp,
  action: ArrayLike<number>,
  substeps = SUBSTEPS_PER_ENV_STEP,
): void {
  const grip = action[6] ?? 0;
  for (let i = 0; i < substeps; i++) {
    mj.mj_step1(model, data);
    if (i === 0) osc.setAction(action);
    osc.computeTorques();
    gripper.step(grip);
    mj.mj_step2(model, data);
  }
}

/**
 * LIBERO/OFT's 8-D proprio: grip-site position, quat2axisangle of robot0_right_hand's xquat, the two
 * finger joint positions (docs/libero.md 4.3). Reads data as the last step left it, as
 * robosuite's observables do.
 */
export function robotProprio(ids: PandaIds, data: MjData, out: Float64Array = new Float64Array(8)): Float64Array {
  const xpos = data.site_xpos as Float64Array;
  const xquat = data.xquat as Float64Array;
  const qpos = data.qpos as Float64Array;
  for (let i = 0; i < 3; i++) out[i] = xpos[3 * ids.gripSite + i]!;
  const b = 4 * ids.handBody;
  quatToAxisAngle(xquat[b]!, xquat[b + 1]!, xquat[b + 2]!, xquat[b + 3]!, out, 3);
  out[6] = qpos[ids.fingerQpos[0]!]!;
  out[7] = qpos[ids.fingerQpos[1]!]!;
  return out;
}

/**
 * robosuite's quat2axisangle for a MuJoCo (w, x, y, z) quaternion: clip w to [-1, 1]; zero when
 * sqrt(1 - w^2) is 0 (its math.isclose(den, 0.0) has no absolute tolerance, so only exactly 0);
 * else xyz * 2 acos(w) / sqrt(1 - w^2). No sign canonicalisation: w < 0 gives angles above pi.
 */
export function quatToAxisAngle(w: number, x: number, y: number, z: number, out: Float64Array | number[], offset = 0): void {
  const cw = Math.min(1, Math.max(-1, w));
  const den = Math.sqrt(1 - cw * cw);
  if (den === 0) {
    out[offset] = 0;
    out[offset + 1] = 0;
    out[offset + 2] = 0;
    return;
  }
  const k = (2 * Math.acos(cw)) / den;
  out[offset] = x * k;
  out[offset + 1] = y * k;
  out[offset + 2] = z * k;
}

/** Rotation matrix (row-major) of axis-angle vector (ax, ay, az), as robosuite's quat2mat(axisangle2quat(v)). */
export function axisAngleToMat(ax: number, ay: number, az: number, out: Float64Array): void {
  const angle = Math.hypot(ax, ay, az);
  if (angle === 0) {
    out.set([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    return;
  }
  const x = ax / angle, y = ay / angle, z = az / angle;
  const c = Math.cos(angle), s = Math.sin(angle), t = 1 - c;
  out[0] = t * x * x + c; out[1] = t * x * y - s * z; out[2] = t * x * z + s * y;
  out[3] = t * x * y + s * z; out[4] = t * y * y + c; out[5] = t * y * z - s * x;
  out[6] = t * x * z - s * y; out[7] = t * y * z + s * x; out[8] = t * z * z + c;
}

// ---- small dense linear algebra (row-major, no allocation) ----

/** Lower Cholesky factor of the n x n SPD matrix `a` into `l`; false if not positive definite. */
export function cholesky(a: Float64Array, n: number, l: Float64Array): boolean {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(sum > 0)) return false;
        l[i * n + i] = Math.sqrt(sum);
      } else {
        l[i * n + j] = sum / l[j * n + j]!;
      }
    }
    for (let j = i + 1; j < n; j++) l[i * n + j] = 0;
  }
  return true;
}

/** Solves (L L^T) x = b, b read from `b[bOff + k]`, x written to `x[k * xStride + xOff]`. */
function choleskySolveStrided(l: Float64Array, n: number, b: Float64Array, bOff: number, x: Float64Array, xOff: number, xStride: number): void {
  for (let i = 0; i < n; i++) {
    let sum = b[bOff + i]!;
    for (let k = 0; k < i; k++) sum -= l[i * n + k]! * x[k * xStride + xOff]!;
    x[i * xStride + xOff] = sum / l[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let sum = x[i * xStride + xOff]!;
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * x[k * xStride + xOff]!;
    x[i * xStride + xOff] = sum / l[i * n + i]!;
  }
}

const UNIT = new Float64Array(36);

/** Inverse of L L^T into `out` (n <= 6), column by column; `col` is n-long scratch. */
function choleskyInverse(l: Float64Array, n: number, out: Float64Array, col: Float64Array): void {
  for (let c = 0; c < n; c++) {
    UNIT.fill(0, 0, n);
    UNIT[c] = 1;
    choleskySolveStrided(l, n, UNIT, 0, col, 0, 1);
    for (let r = 0; r < n; r++) out[r * n + c] = col[r]!;
  }
}

/**
 * Moore-Penrose pseudo-inverse of a symmetric n x n matrix (n <= 6) by cyclic Jacobi
 * eigen-decomposition: pinv = V diag(1/λ) V^T, dropping |λ| <= 1e-15 max|λ| (numpy's rcond).
 * `work` needs 3 n^2 entries.
 */
export function symmetricPinv(a: Float64Array, n: number, out: Float64Array, work: Float64Array): void {
  const nn = n * n;
  const m = work.subarray(0, nn);
  const vec = work.subarray(nn, 2 * nn);
  m.set(a.subarray(0, nn));
  vec.fill(0);
  for (let i = 0; i < n; i++) vec[i * n + i] = 1;
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i]! * m[i * n + i]!;
      for (let j = i + 1; j < n; j++) off += m[i * n + j]! * m[i * n + j]!;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // m := J^T m J, applied as column then row rotations.
          const mkp = m[k * n + p]!, mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!, mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = vec[k * n + p]!, vkq = vec[k * n + q]!;
          vec[k * n + p] = c * vkp - s * vkq;
          vec[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let maxAbs = 0;
  for (let i = 0; i < n; i++) maxAbs = Math.max(maxAbs, Math.abs(m[i * n + i]!));
  const cutoff = 1e-15 * maxAbs;
  for (let r = 0; r < n; r++) {
    for (let c = r; c < n; c++) {
      let sum = 0;
      for (let k = 0; k < n; k++) {
        const lam = m[k * n + k]!;
        if (Math.abs(lam) > cutoff) sum += (vec[r * n + k]! * vec[c * n + k]!) / lam;
      }
      out[r * n + c] = sum;
      out[c * n + r] = sum;
    }
  }
}
