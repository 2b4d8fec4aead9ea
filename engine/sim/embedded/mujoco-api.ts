import type { MainModule } from '@mujoco/mujoco';

/**
 * The part of @mujoco/mujoco's MainModule the engine uses. Both physics builds provide it: the
 * official WebAssembly one (mujoco.ts) and native MuJoCo through the addon (native.ts), so the
 * physics, the controller and the world query never learn which one runs.
 */
export type MujocoModule = Pick<
  MainModule,
  | 'mj_step'
  | 'mj_step1'
  | 'mj_step2'
  | 'mj_forward'
  | 'mj_resetData'
  | 'mj_jacSite'
  | 'mj_name2id'
  | 'mj_id2name'
  | 'mj_getTotalmass'
  | 'mj_versionString'
  | 'MjModel'
  | 'MjData'
  | 'DoubleBuffer'
  | 'mjtObj'
  | 'mjtWarning'
  | 'mjtJoint'
>;

/** Which MuJoCo build runs the embedded simulator's physics; `auto` picks native where it loads (physics-choice.ts). */
export const PHYSICS_BUILDS = ['wasm', 'native'] as const;
export type PhysicsBuild = (typeof PHYSICS_BUILDS)[number];
export type PhysicsRequest = PhysicsBuild | 'auto';
