import type { MjcfParts } from './mjcf.js';
import {
  type BoxSpec,
  type ProfilePoint,
  type Quat,
  type Vec3,
  boxExtent,
  latheMesh,
  meshAsset,
  num,
  nums,
  ringOfBoxes,
  rotate,
  yawQuat,
} from './lathe.js';
import { CONTACT_BITS, FOOT_RADIUS, ringFeet } from './contact-pruning.js';

/**
 * The embedded scene's movable objects and fixtures (libero_spatial's set), authored here. Sizes,
 * masses, joint ranges and region sites follow LIBERO's asset files as facts (docs/libero.md
 * section 2.2 and 6); the geometry itself is procedural. Naming follows docs/scene-conventions.md:
 * root body = the BDDL name, collision geoms `<name>_g<i>`, visual geoms `<name>_v<i>`, free joint
 * `<name>_joint0`, fixture joints `<name>_<joint>`, region sites `<name>_<region>`.
 */

export interface Pose {
  pos: Vec3;
  quat: Quat;
}

export const IDENTITY_POSE: Pose = { pos: [0, 0, 0], quat: [1, 0, 0, 0] };

/** MjcfParts plus the names the scene builder reports for the entity. */
export interface ModelParts extends MjcfParts {
  /** Bodies in model order, the root first. */
  bodies: string[];
  /** Joints in qpos order. */
  joints: string[];
  collisionGeoms: string[];
  visualGeoms: string[];
  /** Region sites (full names, `wooden_cabinet_1_top_region`). */
  sites: string[];
}

export interface ModelOptions {
  /**
   * The pruned collision model (contact-pruning.ts): ring walls that stand on the table leave it
   * to a few feet. Default true; false builds the scene as it was before issue 20.
   */
  contactPruning?: boolean;
}

export type ModelBuilder = (name: string, pose?: Pose, options?: ModelOptions) => ModelParts;

// ---------------------------------------------------------------------------------------------
// Shared physics and appearance

/**
 * LIBERO's object physics on every object and articulated-fixture geom. Visual geoms carry no mass
 * (density 0) because robosuite 1.4 compiles with inertiagrouprange="0 0": only collision geoms
 * (group 0) give LIBERO's bodies their mass, which is why its bowl weighs ~6 g.
 */
const DEFAULTS = [
  '<default class="rsd_object">',
  '<geom solimp="0.998 0.998 0.001" solref="0.001 1" friction="0.95 0.3 0.1" density="100"/>',
  '<default class="rsd_collision"><geom group="0" contype="1" conaffinity="1" rgba="0.8 0.8 0.8 0"/></default>',
  '<default class="rsd_visual"><geom group="1" contype="0" conaffinity="0" density="0"/></default>',
  '</default>',
  // The stove's plates have no physics attributes in LIBERO: MuJoCo's defaults apply.
  '<default class="rsd_plain_collision"><geom group="0" contype="1" conaffinity="1" rgba="0.8 0.8 0.8 0"/></default>',
].join('\n');

const MATERIALS: Record<string, string> = {
  rsd_black_glaze: 'rgba="0.6 0.6 0.61 1" specular="0.6" shininess="0.7" reflectance="0.05"',
  rsd_porcelain: 'rgba="0.85 0.85 0.83 1" specular="0.5" shininess="0.6"',
  rsd_ramekin_glaze: 'rgba="0.95 0.94 0.9 1" specular="0.5" shininess="0.6"',
  rsd_cookie_box: 'rgba="0.4 0.3 0.2 1" specular="0.2"',
  rsd_cookie_label: 'rgba="0.62 0.46 0.26 1" specular="0.2"',
  rsd_wood: 'rgba="0.21 0.18 0.155 1" specular="0.2" shininess="0.3"',
  rsd_handle_metal: 'rgba="0.7 0.7 0.72 1" specular="0.8" shininess="0.8"',
  rsd_stove_metal: 'rgba="0.4 0.4 0.41 1" specular="0.7" shininess="0.8"',
  rsd_stove_base: 'rgba="0.7 0.7 0.7 1" specular="0.7" shininess="0.8"',
  rsd_burner: 'rgba="0.12 0.12 0.12 1" specular="0.4"',
  rsd_knob: 'rgba="0.1 0.1 0.1 1" specular="0.4"',
};

function materialAssets(names: readonly string[]): string[] {
  return names.map((n) => `<material name="${n}" ${MATERIALS[n] ?? ''}/>`);
}

const IDENTITY: Quat = [1, 0, 0, 0];
const isIdentity = (q: Quat): boolean => q[0] === 1 && q[1] === 0 && q[2] === 0 && q[3] === 0;

function poseAttrs(pos: Vec3, quat: Quat = IDENTITY): string {
  return `pos="${nums(pos)}"${isIdentity(quat) ? '' : ` quat="${nums(quat)}"`}`;
}

function box(pos: Vec3, size: Vec3, quat: Quat = IDENTITY): BoxSpec {
  return { pos, size, quat };
}

/** Visual geometry: a box, a cylinder (size = radius, half height) or a category mesh. */
type Visual =
  | { type: 'box'; size: Vec3; pos?: Vec3; quat?: Quat; material: string }
  | { type: 'cylinder'; size: [number, number]; pos?: Vec3; material: string }
  | { type: 'mesh'; mesh: string; material: string };

function visualGeom(name: string, v: Visual): string {
  if (v.type === 'mesh') return `<geom name="${name}" class="rsd_visual" type="mesh" mesh="${v.mesh}" material="${v.material}"/>`;
  const quat = v.type === 'box' ? v.quat : undefined;
  return `<geom name="${name}" class="rsd_visual" type="${v.type}" size="${nums(v.size)}" ${poseAttrs(v.pos ?? [0, 0, 0], quat)} material="${v.material}"/>`;
}

function collisionGeom(name: string, b: BoxSpec, cls = 'rsd_collision', bits = ''): string {
  return `<geom name="${name}" class="${cls}" type="box" size="${nums(b.size)}" ${poseAttrs(b.pos, b.quat)}${bits}/>`;
}

const bitsAttrs = (b: { contype: number; conaffinity: number }): string => ` contype="${b.contype}" conaffinity="${b.conaffinity}"`;

/** A foot of the pruned scene: massless (density 0), so the body's mass and inertia stay the boxes'. */
function footGeom(name: string, pos: Vec3): string {
  return `<geom name="${name}" class="rsd_collision" type="sphere" size="${num(FOOT_RADIUS)}" pos="${nums(pos)}" density="0"${bitsAttrs(CONTACT_BITS.foot)}/>`;
}

// ---------------------------------------------------------------------------------------------
// Movable objects: one body, a free joint, box collisions, visual geometry

interface ObjectDef {
  collision: BoxSpec[];
  visuals: Visual[];
  /** Category-level assets (meshes, materials): identical for every instance, deduplicated by the scene. */
  assets: string[];
  /**
   * Collision boxes [from, to) that form the ring wall the object stands on (its lowest points):
   * in the pruned scene they do not touch the table, feet at their lowest corners do.
   */
  standingWall?: [number, number];
}

/** How far an object reaches from its body origin: for default placement and stacking. */
export interface ObjectExtent {
  /** z of the lowest collision point (negative: below the origin). */
  bottom: number;
  /** z of the highest collision point. */
  top: number;
  /** Radius of a vertical cylinder around the origin that holds every collision geom. */
  radius: number;
}

function extentOf(boxes: readonly BoxSpec[]): ObjectExtent {
  const e = boxes.map(boxExtent);
  return {
    bottom: Math.min(...e.map((x) => x.zMin)),
    top: Math.max(...e.map((x) => x.zMax)),
    radius: Math.max(...e.map((x) => x.radius)),
  };
}

function buildObject(def: ObjectDef, name: string, pose: Pose = IDENTITY_POSE, options: ModelOptions = {}): ModelParts {
  const wall = (options.contactPruning ?? true) ? def.standingWall : undefined;
  const isWall = (i: number): boolean => wall !== undefined && i >= wall[0] && i < wall[1];
  const feet = wall ? ringFeet(def.collision.slice(wall[0], wall[1])) : [];
  // Feet continue the collision geoms' numbering: `contact(x, y)` looks at every `<name>_g<i>`.
  const collisionGeoms = [...def.collision, ...feet].map((_, i) => `${name}_g${i}`);
  const visualGeoms = def.visuals.map((_, i) => `${name}_v${i}`);
  const worldbody = [
    `<body name="${name}" ${poseAttrs(pose.pos, pose.quat)}>`,
    // LIBERO's movable objects: a free joint with a little damping (google_scanned_objects.py).
    `<joint name="${name}_joint0" type="free" damping="0.0005"/>`,
    ...def.collision.map((b, i) => collisionGeom(collisionGeoms[i]!, b, 'rsd_collision', isWall(i) ? bitsAttrs(CONTACT_BITS.wall) : '')),
    ...feet.map((p, i) => footGeom(collisionGeoms[def.collision.length + i]!, p)),
    ...def.visuals.map((v, i) => visualGeom(visualGeoms[i]!, v)),
    '</body>',
  ].join('\n');
  return {
    assets: def.assets.join('\n'),
    defaults: DEFAULTS,
    worldbody,
    actuators: '',
    bodies: [name],
    joints: [`${name}_joint0`],
    collisionGeoms,
    visualGeoms,
    sites: [],
  };
}

/** A round floor as two square plates crossed at 45 degrees: an octagon, nearly round in footprint and support. */
function octagonPlate(halfSide: number, halfThickness: number, z: number): BoxSpec[] {
  return [box([0, 0, z], [halfSide, halfSide, halfThickness]), box([0, 0, z], [halfSide, halfSide, halfThickness], yawQuat(Math.PI / 4))];
}

const LATHE_SEGMENTS = 32;

function latheAsset(category: string, profile: readonly ProfilePoint[]): { mesh: string; asset: string } {
  const mesh = `rsd_${category}_mesh`;
  return { mesh, asset: meshAsset(mesh, latheMesh(profile, LATHE_SEGMENTS)) };
}

/**
 * akita_black_bowl: ~10.5 cm across, 5.2 cm tall. LIBERO's collision boxes: a 5 mm floor plate,
 * 16 boxes sloping at 30 degrees (r 2.3..4.4 cm) and 16 walls at 75 degrees up to r 5.2 cm, z 5.2 cm.
 * The origin is 1.6 mm below the floor, as LIBERO's, so its stored init states place it alike.
 */
function akitaBlackBowl(): ObjectDef {
  const collision = [
    ...octagonPlate(0.019, 0.0026, 0.0042),
    ...ringOfBoxes({ from: [0.0235, 0.004], to: [0.044, 0.0158], thickness: 0.0014, count: 16 }),
    ...ringOfBoxes({ from: [0.0423, 0.0156], to: [0.0519, 0.0518], thickness: 0.0026, count: 16, phase: Math.PI / 16 }),
  ];
  const { mesh, asset } = latheAsset('akita_black_bowl', [
    [0, 0.0016], [0.019, 0.0016], [0.0235, 0.0032], [0.0444, 0.0151], [0.0461, 0.0225], [0.0489, 0.036],
    [0.0533, 0.0517], [0.0527, 0.0527], [0.0507, 0.0521], [0.047, 0.0368], [0.0438, 0.0228], [0.041, 0.0172],
    [0.0232, 0.0071], [0.019, 0.0068], [0, 0.0068],
  ]);
  return { collision, visuals: [{ type: 'mesh', mesh, material: 'rsd_black_glaze' }], assets: [asset, ...materialAssets(['rsd_black_glaze'])] };
}

/**
 * plate: ~13.5 cm across, 1.6 cm tall: a flat centre and a rim rising at 19 degrees. As LIBERO's,
 * the rim's inner lower edge is the lowest point (z -1.7 mm; LIBERO's -2.5 mm): the plate stands on that ring, and the
 * rim stays low enough that a bowl stored overlapping it (libero_spatial tasks 0, 2, 8) is pushed
 * aside instead of being launched.
 */
function plate(): ObjectDef {
  const collision = [
    ...octagonPlate(0.029, 0.0022, 0.0031),
    ...ringOfBoxes({ from: [0.0303, 0.0007], to: [0.0663, 0.0134], thickness: 0.0051, count: 12 }),
  ];
  const { mesh, asset } = latheAsset('plate', [
    [0, 0.0009], [0.029, 0.0009], [0.0303, -0.0017], [0.0672, 0.0114], [0.0672, 0.0158], [0.0655, 0.016],
    [0.0296, 0.0034], [0.027, 0.0053], [0, 0.0053],
  ]);
  return {
    collision,
    visuals: [{ type: 'mesh', mesh, material: 'rsd_porcelain' }],
    assets: [asset, ...materialAssets(['rsd_porcelain'])],
    standingWall: [2, collision.length],
  };
}

/** glazed_rim_porcelain_ramekin: ~8.3 cm across, 4.3 cm tall, walls flaring slightly outwards. */
function glazedRimPorcelainRamekin(): ObjectDef {
  const collision = [
    ...octagonPlate(0.0244, 0.0032, 0.0041),
    ...ringOfBoxes({ from: [0.0351, 0.0011], to: [0.0413, 0.0423], thickness: 0.0052, count: 16 }),
  ];
  const { mesh, asset } = latheAsset('glazed_rim_porcelain_ramekin', [
    [0, 0.0009], [0.034, 0.0009], [0.0366, 0.0021], [0.0428, 0.0398], [0.0432, 0.0427], [0.0402, 0.043],
    [0.0339, 0.0075], [0, 0.0073],
  ]);
  return {
    collision,
    visuals: [{ type: 'mesh', mesh, material: 'rsd_ramekin_glaze' }],
    assets: [asset, ...materialAssets(['rsd_ramekin_glaze'])],
    standingWall: [2, collision.length],
  };
}

/** cookies: a flat box, 6.2 x 8.3 x 1.9 cm, origin at its centre (LIBERO's HOPE cookies). */
function cookies(): ObjectDef {
  const half: Vec3 = [0.031, 0.0413, 0.0094];
  return {
    collision: [box([0, 0, 0], half)],
    visuals: [
      { type: 'box', size: half, material: 'rsd_cookie_box' },
      // a label on top, so the box's orientation shows in images
      { type: 'box', size: [0.022, 0.03, 0.0004], pos: [0, 0, half[2]], material: 'rsd_cookie_label' },
    ],
    assets: materialAssets(['rsd_cookie_box', 'rsd_cookie_label']),
  };
}

const OBJECT_DEFS: Record<string, () => ObjectDef> = {
  akita_black_bowl: akitaBlackBowl,
  plate,
  glazed_rim_porcelain_ramekin: glazedRimPorcelainRamekin,
  cookies,
};

// ---------------------------------------------------------------------------------------------
// Fixtures: no free joint; bodies (drawers, a knob) with their own joints and region sites

interface FixtureJoint {
  /** Local name: the full name is `<fixture>_<local>`. */
  local: string;
  type: 'slide' | 'hinge';
  axis: Vec3;
  range: [number, number];
  damping: number;
}

interface FixtureSite {
  /** Local name, as the BDDL region: `top_region`, `cook_region`; full name `<fixture>_<local>`. */
  local: string;
  type: 'box' | 'cylinder';
  pos: Vec3;
  quat?: Quat;
  size: number[];
  rgba?: string;
}

interface FixturePart {
  box: BoxSpec;
  material: string;
  /** Collision class other than LIBERO's object physics. */
  cls?: string;
}

interface FixtureBody {
  /** Local body name (`cabinet_top`); the root body has none and takes the fixture's name. */
  local?: string;
  pos?: Vec3;
  quat?: Quat;
  joint?: FixtureJoint;
  /** Explicit inertia, where LIBERO gives one (drawers, knob: 3 kg). */
  inertial?: { mass: number; diaginertia: Vec3 };
  /** Each part is both a collision box and its visual copy. */
  parts: FixturePart[];
  /** Extra visual-only geometry. */
  visuals?: Visual[];
  sites?: FixtureSite[];
  children?: FixtureBody[];
}

/** Where a region of a fixture holds objects: for default placement (On/In atoms). */
export interface FixtureRegion {
  /** Centre of the supporting surface in the fixture frame, joints at zero. */
  surface: Vec3;
  /** The joint that moves it (drawers), local name. */
  joint?: string;
  /** Direction the joint moves it, fixture frame, per unit of qpos. */
  jointAxis?: Vec3;
}

/** World position of a fixture region's supporting surface, with its joint (a drawer's slide) at `q`. */
export function regionSurface(region: FixtureRegion, pose: Pose, q: number): Vec3 {
  const axis = region.jointAxis ?? [0, 0, 0];
  const local: Vec3 = [region.surface[0] + q * axis[0], region.surface[1] + q * axis[1], region.surface[2] + q * axis[2]];
  const w = rotate(pose.quat, local);
  return [pose.pos[0] + w[0], pose.pos[1] + w[1], pose.pos[2] + w[2]];
}

export interface FixtureDef {
  root: FixtureBody;
  regions: Record<string, FixtureRegion>;
  /** qpos a joint takes for `(Open|Close|TurnOn|TurnOff <region or fixture>)`: mid of LIBERO's default ranges. */
  states: Partial<Record<'open' | 'close' | 'turnon' | 'turnoff', number>>;
  assets: string[];
}

function buildFixture(def: FixtureDef, name: string, pose: Pose = IDENTITY_POSE): ModelParts {
  const parts: ModelParts = {
    assets: def.assets.join('\n'),
    defaults: DEFAULTS,
    worldbody: '',
    actuators: '',
    bodies: [],
    joints: [],
    collisionGeoms: [],
    visualGeoms: [],
    sites: [],
  };
  const emit = (body: FixtureBody, isRoot: boolean): string => {
    const bodyName = isRoot ? name : `${name}_${body.local}`;
    parts.bodies.push(bodyName);
    const lines: string[] = [];
    const pos = isRoot ? pose.pos : (body.pos ?? [0, 0, 0]);
    const quat = isRoot ? pose.quat : (body.quat ?? IDENTITY);
    lines.push(`<body name="${bodyName}" ${poseAttrs(pos, quat)}>`);
    if (body.inertial) lines.push(`<inertial pos="0 0 0" mass="${num(body.inertial.mass)}" diaginertia="${nums(body.inertial.diaginertia)}"/>`);
    if (body.joint) {
      const j = body.joint;
      const jointName = `${name}_${j.local}`;
      parts.joints.push(jointName);
      lines.push(`<joint name="${jointName}" type="${j.type}" pos="0 0 0" axis="${nums(j.axis)}" limited="true" range="${nums(j.range)}" damping="${num(j.damping)}"/>`);
    }
    for (const site of body.sites ?? []) {
      const siteName = `${name}_${site.local}`;
      if (site.type === 'box') parts.sites.push(siteName);
      lines.push(`<site name="${siteName}" type="${site.type}" ${poseAttrs(site.pos, site.quat)} size="${nums(site.size)}" rgba="${site.rgba ?? '0.8 0.8 0 0'}"/>`);
    }
    for (const part of body.parts) {
      const g = `${name}_g${parts.collisionGeoms.length}`;
      parts.collisionGeoms.push(g);
      lines.push(collisionGeom(g, part.box, part.cls));
    }
    const visuals: Visual[] = [
      ...body.parts.map((p): Visual => ({ type: 'box', size: p.box.size, pos: p.box.pos, quat: p.box.quat, material: p.material })),
      ...(body.visuals ?? []),
    ];
    for (const v of visuals) {
      const g = `${name}_v${parts.visualGeoms.length}`;
      parts.visualGeoms.push(g);
      lines.push(visualGeom(g, v));
    }
    for (const child of body.children ?? []) lines.push(emit(child, false));
    lines.push('</body>');
    return lines.join('\n');
  };
  parts.worldbody = emit(def.root, true);
  return parts;
}

/** The orientation LIBERO gives the drawer region sites (90 degrees about y); the predicates depend on it. */
const DRAWER_SITE_QUAT: Quat = [0.70711, 0, 0.70711, 0];
const DRAWER_SITE_SIZE = [0.02993, 0.07561, 0.10224];

/** One drawer of the wooden cabinet; `floor` is the z of its floor plate's centre, `site` its region site's z. */
function drawer(level: 'top' | 'middle' | 'bottom', floor: number, site: number): FixtureBody {
  const wall = floor + 0.0284;
  const handle = floor + 0.0288;
  const wood = 'rsd_wood';
  const metal = 'rsd_handle_metal';
  return {
    local: `cabinet_${level}`,
    // LIBERO: <inertial mass="3" diaginertia="1 1 1"/>; for a slide joint only the mass matters.
    inertial: { mass: 3, diaginertia: [0.01, 0.01, 0.01] },
    joint: { local: `${level}_level`, type: 'slide', axis: [0, 1, 0], range: [-0.16, 0.01], damping: 50 },
    sites: [{ local: `${level}_region`, type: 'box', pos: [0.00328, 0.01128, site], quat: DRAWER_SITE_QUAT, size: DRAWER_SITE_SIZE }],
    parts: [
      { box: box([0.0035, 0.0105, floor], [0.107, 0.081, 0.004]), material: wood }, // floor
      // outer and inner front panels: the outer one reaches below the floor in front of the shelf
      { box: box([0.0033, -0.0752, floor + 0.02795], [0.1093, 0.0027, 0.0343]), material: wood },
      { box: box([0.0033, -0.0684, wall], [0.1068, 0.0036, 0.0321]), material: wood },
      { box: box([0.0033, 0.0908, wall], [0.1068, 0.0036, 0.0321]), material: wood }, // back
      { box: box([-0.1019, 0.0111, wall], [0.0027, 0.0815, 0.0317]), material: wood }, // left side
      { box: box([0.1089, 0.0111, wall], [0.0027, 0.0815, 0.0313]), material: wood }, // right side
      { box: box([-0.0028, -0.1016, handle], [0.0445, 0.0077, 0.0082]), material: metal }, // handle bar
      { box: box([0.0292, -0.0835, handle], [0.0051, 0.0106, 0.0055]), material: metal }, // handle posts
      { box: box([-0.0356, -0.0835, handle], [0.0051, 0.0106, 0.0055]), material: metal },
    ],
  };
}

/**
 * wooden_cabinet: 24 x 19 x 22 cm, three drawers sliding along -y (out of the front, where the
 * handles are) by up to 16 cm: slides `top_level`/`middle_level`/`bottom_level`, range -0.16..0.01,
 * damping 50. Region sites as LIBERO's: `top_side` on the body (the top board), the drawer regions
 * on the drawer bodies.
 */
function woodenCabinet(): FixtureDef {
  const wood = 'rsd_wood';
  const shelf = (z: number): FixturePart => ({ box: box([0.0039, 0.0187, z], [0.1119, 0.0896, 0.0011]), material: wood });
  return {
    root: {
      sites: [{ local: 'top_side', type: 'box', pos: [0.00354, 0.01567, 0.22152], size: [0.12534, 0.09438, 0.00147] }],
      parts: [
        { box: box([0.004, 0.016, 0.0069], [0.1229, 0.0898, 0.0023]), material: wood }, // bottom board
        { box: box([0.0039, 0.0158, 0.2216], [0.1273, 0.0941, 0.0014]), material: wood }, // top board
        { box: box([-0.1122, 0.0163, 0.1143], [0.0052, 0.0954, 0.1058]), material: wood }, // left wall
        { box: box([0.119, 0.0163, 0.1143], [0.0052, 0.0954, 0.1058]), material: wood }, // right wall
        { box: box([0.0021, 0.1094, 0.1143], [0.1191, 0.0023, 0.1058]), material: wood }, // back wall
        shelf(0.1494),
        shelf(0.0793),
        shelf(0.0093),
      ],
      children: [drawer('top', 0.15514, 0.18563), drawer('middle', 0.08543, 0.1169), drawer('bottom', 0.01682, 0.04701)],
    },
    regions: {
      top_side: { surface: [0.0035, 0.0157, 0.223] },
      top_region: { surface: [0.0033, 0.0113, 0.1592], joint: 'top_level', jointAxis: [0, 1, 0] },
      middle_region: { surface: [0.0033, 0.0113, 0.0895], joint: 'middle_level', jointAxis: [0, 1, 0] },
      bottom_region: { surface: [0.0033, 0.0113, 0.0208], joint: 'bottom_level', jointAxis: [0, 1, 0] },
    },
    // LIBERO WoodenCabinet: open ranges [-0.16, -0.14], close [0, 0.005].
    states: { open: -0.15, close: 0.0025 },
    assets: materialAssets(['rsd_wood', 'rsd_handle_metal']),
  };
}

/**
 * flat_stove: a 19 x 19 cm burner plate 15 cm along +x from a knob on a `button` hinge (range
 * -0.005..2.1 rad, damping 1; on when qpos >= 0.5). `cook_region` sits on the burner body; the red
 * `burner` site shows that the stove is on (the runtime toggles its alpha, as LIBERO does).
 */
function flatStove(): FixtureDef {
  return {
    root: {
      parts: [],
      children: [
        {
          local: 'burner',
          pos: [0.15, 0, 0],
          sites: [
            { local: 'cook_region', type: 'box', pos: [0, 0, 0], size: [0.075, 0.075, 0.0025] },
            { local: 'burner', type: 'cylinder', pos: [0, 0, 0.0235], size: [0.0625, 0.0005], rgba: '0.9 0.05 0.05 0' },
          ],
          parts: [
            { box: box([0, 0, 0], [0.095, 0.095, 0.02]), material: 'rsd_stove_base', cls: 'rsd_plain_collision' },
            { box: box([0, 0, 0.025], [0.095, 0.095, 0.0005]), material: 'rsd_stove_metal', cls: 'rsd_plain_collision' },
          ],
          visuals: [{ type: 'cylinder', size: [0.07, 0.002], pos: [0, 0, 0.021], material: 'rsd_burner' }],
        },
        {
          local: 'button',
          quat: yawQuat(Math.PI / 2),
          inertial: { mass: 3, diaginertia: [1, 1, 1] },
          joint: { local: 'button', type: 'hinge', axis: [0, 0, 1], range: [-0.005, 2.1], damping: 1 },
          parts: [
            { box: box([0.0013, 0.0046, 0.0066], [0.034, 0.034, 0.0062]), material: 'rsd_knob' },
            { box: box([0.0013, 0.0046, 0.0066], [0.034, 0.034, 0.0062], yawQuat(Math.PI / 4)), material: 'rsd_knob' },
            { box: box([0.0013, 0.0046, 0.0306], [0.008, 0.04, 0.018]), material: 'rsd_knob' }, // grip bar
          ],
        },
      ],
    },
    regions: { cook_region: { surface: [0.15, 0, 0.0255] } },
    // LIBERO FlatStove: turn-on range [0.5, 2.1], turn-off [-0.005, 0].
    states: { turnon: 1.3, turnoff: 0 },
    assets: materialAssets(['rsd_stove_metal', 'rsd_stove_base', 'rsd_burner', 'rsd_knob']),
  };
}

const FIXTURE_DEFS: Record<string, () => FixtureDef> = {
  wooden_cabinet: woodenCabinet,
  flat_stove: flatStove,
};

// ---------------------------------------------------------------------------------------------
// Registry

/** Object categories (movable, with a free joint) the embedded simulator can build. */
export const OBJECT_MODELS: Readonly<Record<string, ModelBuilder>> = Object.fromEntries(
  Object.entries(OBJECT_DEFS).map(([category, def]) => {
    const d = def();
    return [category, (name: string, pose?: Pose, options?: ModelOptions) => buildObject(d, name, pose, options)];
  }),
);

/** Fixture categories (placed, no free joint) the embedded simulator can build. */
export const FIXTURE_MODELS: Readonly<Record<string, ModelBuilder>> = Object.fromEntries(
  Object.entries(FIXTURE_DEFS).map(([category, def]) => {
    const d = def();
    return [category, (name: string, pose?: Pose) => buildFixture(d, name, pose)];
  }),
);

export const OBJECT_EXTENTS: Readonly<Record<string, ObjectExtent>> = Object.fromEntries(
  Object.entries(OBJECT_DEFS).map(([category, def]) => [category, extentOf(def().collision)]),
);

export function fixtureDef(category: string): FixtureDef | undefined {
  return FIXTURE_DEFS[category]?.();
}

/**
 * Fixture origins sit 5 mm above the table top, as LIBERO places them: workspace z 0.90 plus its
 * fixture z_offset (0.01 - table thickness 0.05) minus the fixture's bottom_site z (-0.045).
 */
export const FIXTURE_HEIGHT_ABOVE_TABLE = 0.005;

/**
 * Which LIBERO suites use each category (objects and fixtures), derived once from the task lists
 * of LIBERO 8f1084e (`../shared/libero`); test/engine/sim/scene.test.ts re-derives it from the
 * files. Used to say who needs a category the embedded simulator does not have.
 */
export const CATEGORY_SUITES: Readonly<Record<string, readonly string[]>> = {
  akita_black_bowl: ['libero_10', 'libero_90', 'libero_goal', 'libero_spatial'],
  alphabet_soup: ['libero_10', 'libero_90', 'libero_object'],
  basket: ['libero_10', 'libero_90', 'libero_object'],
  bbq_sauce: ['libero_object'],
  black_book: ['libero_10', 'libero_90'],
  butter: ['libero_10', 'libero_90', 'libero_object'],
  chefmate_8_frypan: ['libero_10', 'libero_90'],
  chocolate_pudding: ['libero_10', 'libero_90', 'libero_object'],
  cookies: ['libero_spatial'],
  cream_cheese: ['libero_10', 'libero_90', 'libero_goal', 'libero_object'],
  desk_caddy: ['libero_10', 'libero_90'],
  flat_stove: ['libero_10', 'libero_90', 'libero_goal', 'libero_spatial'],
  floor: ['libero_object'],
  glazed_rim_porcelain_ramekin: ['libero_spatial'],
  ketchup: ['libero_10', 'libero_90', 'libero_object'],
  kitchen_table: ['libero_10', 'libero_90'],
  living_room_table: ['libero_10', 'libero_90'],
  microwave: ['libero_10', 'libero_90'],
  milk: ['libero_10', 'libero_90', 'libero_object'],
  moka_pot: ['libero_10', 'libero_90'],
  new_salad_dressing: ['libero_90'],
  orange_juice: ['libero_10', 'libero_90', 'libero_object'],
  plate: ['libero_10', 'libero_90', 'libero_goal', 'libero_spatial'],
  porcelain_mug: ['libero_10', 'libero_90'],
  red_coffee_mug: ['libero_10', 'libero_90'],
  salad_dressing: ['libero_object'],
  study_table: ['libero_10', 'libero_90'],
  table: ['libero_goal', 'libero_spatial'],
  tomato_sauce: ['libero_10', 'libero_90', 'libero_object'],
  white_bowl: ['libero_90'],
  white_cabinet: ['libero_10', 'libero_90'],
  white_yellow_mug: ['libero_10', 'libero_90'],
  wine_bottle: ['libero_10', 'libero_90', 'libero_goal'],
  wine_rack: ['libero_10', 'libero_90', 'libero_goal'],
  wooden_cabinet: ['libero_90', 'libero_goal', 'libero_spatial'],
  wooden_tray: ['libero_90'],
  wooden_two_layer_shelf: ['libero_90'],
  yellow_book: ['libero_90'],
};
