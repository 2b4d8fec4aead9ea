import type { MjcfParts } from './mjcf.js';

/**
 * The Franka Panda as LIBERO's MountedPanda uses it (robosuite 1.4.1 robot + PandaGripper +
 * RethinkMount), written as our own MJCF with primitive geometry instead of robosuite's meshes.
 *
 * Facts and their sources (RS = robosuite v1.4.1 @ad8c89f, LIBERO @8f1084e):
 * - Joint frames, axes and limits: RS models/assets/robots/panda/robot.xml; the same frames and
 *   limits as mujoco_menagerie franka_emika_panda/panda.xml (Franka's DH parameters).
 * - Link masses / inertias: RS robot.xml (its simplified values: 4, 3, 3, 2, 2, 2, 1.5, 0.5 kg and
 *   0.5 kg for right_hand), not menagerie's CAD values, because RS's are what LIBERO simulates.
 * - Damping 0.1 (joints 1-5) and 0.01 (6-7): RS robot.xml, set again by LIBERO mounted_panda.py.
 * - Armature 5/(i+1) and frictionloss 0.1 per arm joint: RS models/robots/robot_model.py sets them
 *   (force=False) because robot.xml has none.
 * - Gripper (bodies, fingers, pads, actuators, inertias, friction, solref): RS
 *   models/assets/grippers/panda_gripper.xml; finger init ±0.020833: RS panda_gripper.py.
 * - Mount: RS models/assets/mounts/rethink_mount.xml + rethink_mount.py (top_offset z -0.01).
 * - Base position: LIBERO bddl_base_domain.py puts the robot at base_xpos_offset["table"](1.0) =
 *   (-0.66, 0, 0) and RS robot_model.set_base_xpos adds -bottom_offset = +0.912 in z
 *   (mount base at -0.922, top_offset -0.01), so link0 sits at (-0.66, 0, 0.912).
 *
 * IMPORTANT: hinge ranges are in radians: the scene document must use <compiler angle="radian"/>.
 */

export const PANDA_INIT_QPOS: readonly number[] = Object.freeze([0, -0.161037389, 0, -2.44459747, 0, 2.2267522, Math.PI / 4]);
/** Finger joint positions at reset (RS PandaGripperBase.init_qpos). */
export const PANDA_FINGER_INIT_QPOS: readonly number[] = Object.freeze([0.020833, -0.020833]);
/** LIBERO MountedPanda on the table arena (table length 1.0): see the header. */
export const PANDA_DEFAULT_BASE_POS: readonly [number, number, number] = Object.freeze([-0.66, 0, 0.912]) as readonly [number, number, number];

export const PANDA_ARM_JOINTS = ['robot0_joint1', 'robot0_joint2', 'robot0_joint3', 'robot0_joint4', 'robot0_joint5', 'robot0_joint6', 'robot0_joint7'] as const;
export const PANDA_ARM_ACTUATORS = ['robot0_torq_j1', 'robot0_torq_j2', 'robot0_torq_j3', 'robot0_torq_j4', 'robot0_torq_j5', 'robot0_torq_j6', 'robot0_torq_j7'] as const;
export const PANDA_FINGER_JOINTS = ['gripper0_finger_joint1', 'gripper0_finger_joint2'] as const;
export const PANDA_FINGER_ACTUATORS = ['gripper0_finger_joint1', 'gripper0_finger_joint2'] as const;
export const PANDA_GRIP_SITE = 'gripper0_grip_site';
export const PANDA_HAND_BODY = 'robot0_right_hand';
export const PANDA_EYE_IN_HAND_CAMERA = 'robot0_eye_in_hand';

/** Per arm joint: range (rad), damping, torque limit (N·m). */
const ARM_JOINTS: readonly { range: [number, number]; damping: number; torque: number }[] = [
  { range: [-2.8973, 2.8973], damping: 0.1, torque: 80 },
  { range: [-1.7628, 1.7628], damping: 0.1, torque: 80 },
  { range: [-2.8973, 2.8973], damping: 0.1, torque: 80 },
  { range: [-3.0718, -0.0698], damping: 0.1, torque: 80 },
  { range: [-2.8973, 2.8973], damping: 0.1, torque: 80 },
  { range: [-0.0175, 3.7525], damping: 0.01, torque: 12 },
  { range: [-2.8973, 2.8973], damping: 0.01, torque: 12 },
];

type Vec3 = readonly [number, number, number];

/** A primitive shape in its body's frame; emitted once as collision (group 0) and once as visual (group 1). */
interface Shape {
  type: 'capsule' | 'cylinder' | 'box';
  size: readonly number[];
  fromto?: readonly [number, number, number, number, number, number];
  pos?: Vec3;
  dark?: boolean;
}

/** One arm link: where it sits in its parent, its inertia and the primitives approximating its shell. */
interface Link {
  pos: Vec3;
  quat?: readonly [number, number, number, number];
  mass: number;
  com: Vec3;
  inertia: Vec3;
  shapes: Shape[];
}

// Shapes approximate the Panda's link shells (radius ~0.06 m tubes, joint housings along the joint
// axes); each link frame is the joint frame, so a housing is a cylinder along z at the origin.
const LINKS: readonly Link[] = [
  // link0: the base, welded to the mount.
  {
    pos: [0, 0, 0], mass: 4, com: [0, 0, 0.05], inertia: [0.4, 0.4, 0.4],
    shapes: [{ type: 'cylinder', size: [0.075, 0.07], pos: [-0.03, 0, 0.07] }],
  },
  {
    pos: [0, 0, 0.333], mass: 3, com: [0, 0, -0.07], inertia: [0.3, 0.3, 0.3],
    shapes: [
      { type: 'cylinder', size: [0.06], fromto: [0, 0, -0.19, 0, 0, -0.04] },
      { type: 'cylinder', size: [0.06], fromto: [0, -0.06, 0, 0, 0.06, 0] },
    ],
  },
  {
    pos: [0, 0, 0], quat: [0.707107, -0.707107, 0, 0], mass: 3, com: [0, -0.1, 0], inertia: [0.3, 0.3, 0.3],
    shapes: [{ type: 'capsule', size: [0.06], fromto: [0, 0, 0, 0, -0.19, 0] }],
  },
  {
    pos: [0, -0.316, 0], quat: [0.707107, 0.707107, 0, 0], mass: 2, com: [0.04, 0, -0.05], inertia: [0.2, 0.2, 0.2],
    shapes: [
      { type: 'capsule', size: [0.06], fromto: [0, 0, -0.12, 0, 0, 0] },
      { type: 'capsule', size: [0.055], fromto: [0, 0, 0, 0.0825, 0, 0] },
    ],
  },
  {
    pos: [0.0825, 0, 0], quat: [0.707107, 0.707107, 0, 0], mass: 2, com: [-0.04, 0.05, 0], inertia: [0.2, 0.2, 0.2],
    shapes: [
      { type: 'cylinder', size: [0.055], fromto: [0, 0, -0.055, 0, 0, 0.055] },
      { type: 'capsule', size: [0.055], fromto: [0, 0, 0, -0.0825, 0.08, 0] },
    ],
  },
  {
    pos: [-0.0825, 0.384, 0], quat: [0.707107, -0.707107, 0, 0], mass: 2, com: [0, 0, -0.15], inertia: [0.2, 0.2, 0.2],
    shapes: [{ type: 'capsule', size: [0.055], fromto: [0, 0, -0.27, 0, 0, -0.03] }],
  },
  {
    pos: [0, 0, 0], quat: [0.707107, 0.707107, 0, 0], mass: 1.5, com: [0.06, 0, 0], inertia: [0.1, 0.1, 0.1],
    shapes: [
      { type: 'cylinder', size: [0.055], fromto: [0, 0, -0.05, 0, 0, 0.04] },
      { type: 'capsule', size: [0.045], fromto: [0, 0, 0, 0.088, 0, 0] },
    ],
  },
  {
    pos: [0.088, 0, 0], quat: [0.707107, 0.707107, 0, 0], mass: 0.5, com: [0, 0, 0.08], inertia: [0.05, 0.05, 0.05],
    shapes: [{ type: 'cylinder', size: [0.045], fromto: [0, 0, -0.02, 0, 0, 0.095], dark: true }],
  },
];

const fmt = (v: readonly number[]): string => v.map((x) => String(Number(x.toPrecision(10)))).join(' ');

function shapeGeoms(shape: Shape, name: string): string {
  const where = shape.fromto ? `fromto="${fmt(shape.fromto)}"` : `pos="${fmt(shape.pos ?? [0, 0, 0])}"`;
  const common = `type="${shape.type}" size="${fmt(shape.size)}" ${where}`;
  const material = shape.dark ? 'robot0_dark' : 'robot0_white';
  return `<geom name="${name}_collision" class="robot0_col" ${common}/>` + `<geom name="${name}_visual" class="robot0_vis" material="${material}" ${common}/>`;
}

function gripper(): string {
  // Gripper body frame (RS): -90 deg about z from right_hand; fingers are +90 deg back, so the
  // fingers open along the hand's y axis and the hand's long side is this body's x axis.
  const hand = `<geom name="gripper0_hand_collision" class="robot0_col" type="box" size="0.1 0.03 0.033" pos="0 0 0.027"/>`
    + `<geom name="gripper0_hand_visual" class="robot0_vis" material="robot0_white" type="box" size="0.1 0.02 0.033" pos="0 0 0.027"/>`;
  // Each finger: a box shell (RS's mesh: contype 0, conaffinity 1, condim 4, friction 1, solref
  // 0.02 1) and RS's exact pad box on a tip body (friction 2, solref 0.01 0.5, contype/conaffinity 1).
  const finger = (i: 1 | 2, side: 1 | -1): string => {
    const name = i === 1 ? 'leftfinger' : 'rightfinger';
    const range = i === 1 ? '0 0.04' : '-0.04 0';
    const shell = `type="box" size="0.01 0.006 0.026" pos="0 ${fmt([0.0135 * side])} 0.028"`;
    return `<body name="gripper0_${name}" pos="0 0 0.0524" quat="0.707107 0 0 0.707107">`
      + `<inertial pos="0 0 0.05" mass="0.1" diaginertia="0.01 0.01 0.005"/>`
      + `<joint name="gripper0_finger_joint${i}" type="slide" axis="0 1 0" range="${range}" damping="100" armature="1" frictionloss="1"/>`
      + `<geom name="gripper0_finger${i}_collision" class="robot0_col" contype="0" conaffinity="1" condim="4" friction="1 0.005 0.0001" solref="0.02 1" ${shell}/>`
      + `<geom name="gripper0_finger${i}_visual" class="robot0_vis" material="robot0_finger" ${shell}/>`
      + `<body name="gripper0_finger_joint${i}_tip" pos="0 ${fmt([0.0085 * side])} 0.056">`
      + `<inertial pos="0 0 0" quat="0 0 0 1" mass="0.01" diaginertia="0.01 0.01 0.01"/>`
      + `<geom name="gripper0_finger${i}_pad_collision" type="box" size="0.008 0.004 0.008" pos="0 ${fmt([-0.005 * side])} -0.015" group="0" contype="1" conaffinity="1" friction="2 0.05 0.0001" solref="0.01 0.5" rgba="0.3 0.3 0.3 1"/>`
      + `</body></body>`;
  };
  return `<body name="gripper0_right_gripper" pos="0 0 0" quat="0.707107 0 0 -0.707107">`
    + `<inertial pos="0 0 0.17" quat="0.707107 0.707107 0 0" mass="0.3" diaginertia="0.09 0.07 0.05"/>`
    + `<site name="gripper0_ft_frame" pos="0 0 0" size="0.01" group="1" rgba="1 0 0 1"/>`
    + hand
    + `<body name="gripper0_eef" pos="0 0 0.097"><site name="${PANDA_GRIP_SITE}" pos="0 0 0" size="0.01" group="1" rgba="1 0 0 0.5"/></body>`
    + finger(1, 1)
    + finger(2, -1)
    + `</body>`;
}

function mount(): string {
  // RS rethink_mount.xml's collision primitives (controller box, feet, pedestal column); its pedestal
  // mesh is replaced by the column itself. Static: its mass only matters for mj_getTotalmass.
  const geoms: [string, string][] = [
    ['controller_box', 'type="box" size="0.11 0.2 0.265" pos="-0.325 0 -0.38"'],
    ['pedestal_feet', 'type="box" size="0.385 0.35 0.155" pos="-0.1225 0 -0.758"'],
    ['pedestal', 'type="cylinder" size="0.18 0.31" pos="-0.02 0 -0.29"'],
  ];
  return `<body name="robot0_mount" pos="0 0 0.01">`
    + `<inertial pos="-0.13 0 -0.53" mass="274.594" diaginertia="16 16.7 20.1"/>`
    + geoms.map(([n, g]) => `<geom name="robot0_mount_${n}_collision" class="robot0_mount" ${g}/><geom name="robot0_mount_${n}_visual" class="robot0_vis" material="robot0_mount" ${g}/>`).join('')
    + `<geom name="robot0_mount_torso_visual" class="robot0_vis" material="robot0_mount" type="box" size="0.05 0.05 0.05" pos="0 0 -0.05"/>`
    + `</body>`;
}

function arm(): string {
  let xml = '';
  LINKS.forEach((link, i) => {
    const quat = link.quat ? ` quat="${fmt(link.quat)}"` : '';
    xml += `<body name="robot0_link${i}" pos="${fmt(link.pos)}"${quat}>`;
    xml += `<inertial pos="${fmt(link.com)}" mass="${link.mass}" diaginertia="${fmt(link.inertia)}"/>`;
    const joint = i > 0 ? ARM_JOINTS[i - 1] : undefined;
    if (joint) {
      // Armature 5/(i+1) for the i-th (0-based) joint: RS robot_model.py.
      xml += `<joint name="robot0_joint${i}" type="hinge" axis="0 0 1" range="${fmt(joint.range)}" damping="${joint.damping}" armature="${fmt([5 / i])}" frictionloss="0.1"/>`;
    }
    link.shapes.forEach((shape, k) => {
      xml += shapeGeoms(shape, `robot0_link${i}_${k}`);
    });
  });
  xml += `<body name="${PANDA_HAND_BODY}" pos="0 0 0.1065" quat="0.924 0 0 -0.383">`;
  xml += `<inertial pos="0 0 0" mass="0.5" diaginertia="0.05 0.05 0.05"/>`;
  xml += `<camera name="${PANDA_EYE_IN_HAND_CAMERA}" mode="fixed" pos="0.05 0 0" quat="0 0.707108 0.707108 0" fovy="75"/>`;
  xml += gripper();
  xml += `</body>`;
  xml += '</body>'.repeat(LINKS.length);
  return xml;
}

/**
 * The mounted Panda as MJCF fragments. Collision classes: arm and hand shells have contype 2 /
 * conaffinity 1, so they hit the table, objects, fixtures and the finger pads (contype 1) but not
 * each other: our primitives overlap where RS's meshes do not, and self-contact would fight the
 * controller. Finger shells and pads keep RS's own contype/conaffinity.
 */
export function mountedPanda(options: { basePos?: readonly [number, number, number] } = {}): MjcfParts {
  const basePos = options.basePos ?? PANDA_DEFAULT_BASE_POS;
  const assets = '<material name="robot0_white" rgba="0.95 0.95 0.95 1" specular="0.5" shininess="0.45"/>'
    + '<material name="robot0_dark" rgba="0.25 0.25 0.25 1" specular="0.5" shininess="0.45"/>'
    + '<material name="robot0_finger" rgba="0.499 0.499 0.499 1"/>'
    + '<material name="robot0_mount" rgba="0.2 0.2 0.2 1"/>';
  const defaults = '<default class="robot0_col"><geom group="0" contype="2" conaffinity="1" rgba="0.6 0.6 0.9 0.3"/></default>'
    + '<default class="robot0_vis"><geom group="1" contype="0" conaffinity="0" mass="0"/></default>'
    + '<default class="robot0_mount"><geom group="0" contype="1" conaffinity="1" rgba="0.2 0.2 0.2 0.3"/></default>';
  const worldbody = `<body name="robot0_base" pos="${fmt(basePos)}">`
    + '<camera name="robot0_robotview" mode="fixed" pos="1.0 0 0.4" quat="0.653 0.271 0.271 0.653"/>'
    + mount()
    + arm()
    + '</body>';
  const actuators = ARM_JOINTS.map((j, i) => `<motor name="robot0_torq_j${i + 1}" joint="robot0_joint${i + 1}" ctrllimited="true" ctrlrange="${-j.torque} ${j.torque}"/>`).join('')
    + '<position name="gripper0_finger_joint1" joint="gripper0_finger_joint1" kp="1000" ctrllimited="true" ctrlrange="0 0.04" forcelimited="true" forcerange="-20 20"/>'
    + '<position name="gripper0_finger_joint2" joint="gripper0_finger_joint2" kp="1000" ctrllimited="true" ctrlrange="-0.04 0" forcelimited="true" forcerange="-20 20"/>';
  return { assets, defaults, worldbody, actuators };
}
