import type { Region } from '../../../libero/task.js';
import { num, nums } from './lathe.js';
import type { MjcfParts } from './mjcf.js';
import { CONTACT_BITS } from './contact-pruning.js';

/**
 * The tabletop arena of LIBERO_Tabletop_Manipulation (LIBERO's table_arena.py and
 * libero_tabletop_base_style.xml, as facts): floor, optional visual walls, the table, two lights,
 * the `agentview` camera and one TargetZone site per `main_table` region.
 */

export const TABLE_NAME = 'main_table';
/** Full size (x, y, z), metres. */
export const TABLE_SIZE = [1.0, 1.2, 0.05] as const;
export const TABLE_TOP_Z = 0.9;
export const TABLE_FRICTION = [0.6, 0.005, 0.0001] as const;

/**
 * LIBERO's TargetZone: half height 0.007, centred 0.02 above the table BODY's origin. That origin
 * is the table box's centre (z 0.875), so the site sits at z 0.895, 5 mm below the top surface;
 * `On(x, main_table_*)` then holds for an object resting on the table (origin z > 0.897).
 */
export const TARGET_ZONE_HALF_HEIGHT = 0.007;
export const TARGET_ZONE_Z_OFFSET = 0.02;

export const AGENTVIEW_CAMERA = {
  name: 'agentview',
  pos: [0.6586131746834771, 0, 1.6103500240372423],
  quat: [0.6380177736282349, 0.3048497438430786, 0.30484986305236816, 0.6380177736282349],
  fovy: 45,
} as const;

export interface TableOptions {
  /** Visual walls around the scene (no collision). Default true. */
  walls?: boolean;
  /** The pruned collision model's contact bits on the table (contact-pruning.ts). Default true. */
  contactPruning?: boolean;
}

export interface TableParts extends MjcfParts {
  /** TargetZone site names, in the order of the task's regions. */
  sites: string[];
}

/** Centre and half sizes of a `main_table` region, from its first `:ranges` box (as LIBERO's TargetZone). */
export function targetZone(region: Region): { centre: [number, number]; half: [number, number] } {
  const range = region.ranges[0];
  if (!range) throw new Error(`region ${region.name} targets ${TABLE_NAME} but has no :ranges`);
  const [xMin, yMin, xMax, yMax] = range;
  return { centre: [(xMin + xMax) / 2, (yMin + yMax) / 2], half: [(xMax - xMin) / 2, (yMax - yMin) / 2] };
}

export function tableArena(regions: readonly Region[], options: TableOptions = {}): TableParts {
  const [lx, ly, lz] = TABLE_SIZE;
  const half = [lx / 2, ly / 2, lz / 2];
  const centreZ = TABLE_TOP_Z - lz / 2;
  const tableRegions = regions.filter((r) => r.target === TABLE_NAME);
  const sites = tableRegions.map((r) => {
    const zone = targetZone(r);
    return `<site name="${r.name}" type="box" pos="${nums([...zone.centre, TARGET_ZONE_Z_OFFSET])}" size="${nums([...zone.half, TARGET_ZONE_HALF_HEIGHT])}" rgba="0 0 1 0"/>`;
  });
  // Legs as LIBERO's arena places them: 0.1 in from each edge, radius 0.025, from the floor to the table's underside.
  const legHalf = (TABLE_TOP_Z - lz) / 2;
  const legs = [
    [1, 1],
    [-1, 1],
    [-1, -1],
    [1, -1],
  ].map(
    ([sx, sy], i) =>
      `<geom name="${TABLE_NAME}_v${i + 1}" class="rsd_arena_visual" type="cylinder" size="0.025 ${num(legHalf)}" pos="${nums([sx! * (half[0]! - 0.1), sy! * (half[1]! - 0.1), -lz / 2 - legHalf])}" material="rsd_table_legs"/>`,
  );
  const walls = (options.walls ?? true)
    ? [
        // Visual only: a room around the table so rendered images have a background, not the skybox.
        '<geom name="wall_rear" class="rsd_arena_visual" type="box" size="0.01 3 1.5" pos="-2 0 1.5" material="rsd_wall"/>',
        '<geom name="wall_front" class="rsd_arena_visual" type="box" size="0.01 3 1.5" pos="3 0 1.5" material="rsd_wall"/>',
        '<geom name="wall_left" class="rsd_arena_visual" type="box" size="2.5 0.01 1.5" pos="0.5 3 1.5" material="rsd_wall"/>',
        '<geom name="wall_right" class="rsd_arena_visual" type="box" size="2.5 0.01 1.5" pos="0.5 -3 1.5" material="rsd_wall"/>',
      ]
    : [];
  const cam = AGENTVIEW_CAMERA;
  const bits = (options.contactPruning ?? true) ? ` contype="${CONTACT_BITS.table.contype}" conaffinity="${CONTACT_BITS.table.conaffinity}"` : '';
  const worldbody = [
    '<geom name="floor" type="plane" size="3 3 0.125" pos="0 0 0" group="1" material="rsd_floor"/>',
    ...walls,
    `<body name="${TABLE_NAME}" pos="${nums([0, 0, centreZ])}">`,
    `<geom name="${TABLE_NAME}_g0" type="box" size="${nums(half)}" group="0" friction="${nums(TABLE_FRICTION)}"${bits} rgba="0.8 0.8 0.8 0"/>`,
    `<geom name="${TABLE_NAME}_v0" class="rsd_arena_visual" type="box" size="${nums(half)}" material="rsd_table"/>`,
    ...legs,
    ...sites,
    '</body>',
    '<light name="light1" pos="1 1 4" dir="0 -0.15 -1" directional="false" diffuse="0.8 0.8 0.8" specular="0.3 0.3 0.3" castshadow="false"/>',
    '<light name="light2" pos="-3 -3 4" dir="0 -0.15 -1" directional="false" diffuse="0.8 0.8 0.8" specular="0.3 0.3 0.3" castshadow="false"/>',
    `<camera name="${cam.name}" mode="fixed" pos="${nums(cam.pos)}" quat="${nums(cam.quat)}" fovy="${cam.fovy}"/>`,
  ].join('\n');
  const assets = [
    '<texture name="rsd_skybox" type="skybox" builtin="gradient" rgb1="0.9 0.9 1" rgb2="0.2 0.3 0.4" width="256" height="256"/>',
    '<texture name="rsd_floor_tex" type="2d" builtin="checker" rgb1="0.72 0.72 0.72" rgb2="0.66 0.66 0.66" width="256" height="256"/>',
    '<material name="rsd_floor" texture="rsd_floor_tex" texrepeat="6 6" texuniform="true" reflectance="0"/>',
    '<material name="rsd_table" rgba="0.9 0.82 0.73 1" specular="0" shininess="0.1"/>',
    '<material name="rsd_table_legs" rgba="0.5 0.36 0.24 1" specular="0.6" shininess="0.6"/>',
    '<material name="rsd_wall" rgba="1 0.98 0.95 1" specular="0.1"/>',
  ].join('\n');
  return {
    assets,
    defaults: '<default class="rsd_arena_visual"><geom group="1" contype="0" conaffinity="0" density="0"/></default>',
    worldbody,
    actuators: '',
    sites: tableRegions.map((r) => r.name),
  };
}
