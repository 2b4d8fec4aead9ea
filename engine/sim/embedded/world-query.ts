import type { MjData, MjModel } from '@mujoco/mujoco';
import type { MujocoModule } from './mujoco-api.js';
import type { TaskSpec } from '../../libero/task.js';
import type { Mat3, SiteFrame, Vec3, WorldQuery } from '../../libero/world.js';

/**
 * The WorldQuery of a compiled scene (names per docs/scene-conventions.md). Every name is resolved
 * once here; queries index MuJoCo's arrays directly, re-reading each array view per call because
 * wasm heap growth detaches old views.
 */

/**
 * The workspaces whose regions LIBERO builds as parentless TargetZones: each problem class's
 * `workspace_name` (envs/problems/*.py). Regions of any other target are sites on that object.
 */
const WORKSPACES = new Set(['main_table', 'kitchen_table', 'living_room_table', 'study_table', 'coffee_table', 'floor']);

/** `<entity>_g<i>`: an entity's collision geom, robosuite's `contact_geoms`. */
const COLLISION_GEOM = /^(.+)_g\d+$/;

interface RegionRef {
  siteId: number;
  parent: string | null;
  /** qpos addresses of the 1-dof joints on the site's own body. */
  joints: number[];
}

export function mujocoWorldQuery(mj: MujocoModule, model: MjModel, data: MjData, task: TaskSpec): WorldQuery {
  const BODY = mj.mjtObj.mjOBJ_BODY.value;
  const GEOM = mj.mjtObj.mjOBJ_GEOM.value;
  const SITE = mj.mjtObj.mjOBJ_SITE.value;

  const entities = [...task.objects, ...task.fixtures];
  const entityIndex = new Map(entities.map((e, i) => [e.name, i]));
  const bodyIds = entities.map((e) => mj.mj_name2id(model, BODY, e.name));

  // Copies, not views: model arrays do not change, but views of them go stale on heap growth.
  const bodyParent = Int32Array.from(model.body_parentid as Int32Array);
  const jntBody = Int32Array.from(model.jnt_bodyid as Int32Array);
  const jntType = Int32Array.from(model.jnt_type as Int32Array);
  const jntQposAdr = Int32Array.from(model.jnt_qposadr as Int32Array);
  const siteBody = Int32Array.from(model.site_bodyid as Int32Array);

  // Collision geom -> entity index (-1: the robot and anything not named `<entity>_g<i>`), so inContact
  // costs two array reads per contact.
  const geomEntity = new Int32Array(model.ngeom).fill(-1);
  for (let g = 0; g < model.ngeom; g++) {
    const owner = COLLISION_GEOM.exec(mj.mj_id2name(model, GEOM, g) ?? '')?.[1];
    const index = owner === undefined ? undefined : entityIndex.get(owner);
    if (index !== undefined) geomEntity[g] = index;
  }

  // Body -> the nearest entity at or above it; MuJoCo orders parents before children.
  const bodyEntity = new Int32Array(model.nbody).fill(-1);
  bodyIds.forEach((b, e) => {
    if (b >= 0) bodyEntity[b] = e;
  });
  for (let b = 1; b < model.nbody; b++) {
    if (bodyEntity[b] === -1) bodyEntity[b] = bodyEntity[bodyParent[b]!]!;
  }

  // Open/Close read 1-dof joints only; a free joint's 7 numbers are no drawer or door.
  const scalarJoints: number[] = [];
  for (let j = 0; j < model.njnt; j++) {
    const type = jntType[j];
    if (type === mj.mjtJoint.mjJNT_SLIDE.value || type === mj.mjtJoint.mjJNT_HINGE.value) scalarJoints.push(j);
  }
  const entityJoints = entities.map((_, e) => scalarJoints.filter((j) => bodyEntity[jntBody[j]!] === e).map((j) => jntQposAdr[j]!));

  const regions = new Map<string, RegionRef>();
  for (const region of task.regions) {
    const siteId = mj.mj_name2id(model, SITE, region.name);
    const joints = siteId < 0 ? [] : scalarJoints.filter((j) => jntBody[j] === siteBody[siteId]).map((j) => jntQposAdr[j]!);
    regions.set(region.name, { siteId, parent: WORKSPACES.has(region.target) ? null : region.target, joints });
  }

  const entity = (name: string): number => {
    const index = entityIndex.get(name);
    if (index === undefined) throw new Error(`unknown object or fixture: ${name}`);
    return index;
  };
  const region = (name: string): RegionRef | undefined => {
    const ref = regions.get(name);
    if (ref && ref.siteId < 0) throw new Error(`region ${name} has no site in the scene`);
    return ref;
  };

  return {
    bodyPosition(name) {
      const body = bodyIds[entity(name)]!;
      if (body < 0) throw new Error(`no body named ${name} in the scene`);
      return vec3(data.xpos as Float64Array, body);
    },

    site(name): SiteFrame | null {
      const ref = region(name);
      if (!ref) return null;
      return {
        pos: vec3(data.site_xpos as Float64Array, ref.siteId),
        mat: mat3(data.site_xmat as Float64Array, ref.siteId),
        halfSize: vec3(model.site_size as Float64Array, ref.siteId),
      };
    },

    parentOfSite(name) {
      const ref = region(name);
      if (!ref) throw new Error(`not a region: ${name}`);
      return ref.parent;
    },

    inContact(a, b) {
      const ea = entity(a);
      const eb = entity(b);
      const n = data.ncon;
      if (n === 0) return false;
      const contacts = data.contact; // a copy of the contact array; each element is a handle to free
      try {
        const count = Math.min(n, contacts.size());
        for (let i = 0; i < count; i++) {
          const c = contacts.get(i);
          if (!c) continue;
          const e1 = geomEntity[c.geom1];
          const e2 = geomEntity[c.geom2];
          c.delete();
          if ((e1 === ea && e2 === eb) || (e1 === eb && e2 === ea)) return true;
        }
        return false;
      } finally {
        contacts.delete();
      }
    },

    jointPositions(name) {
      const addresses = region(name)?.joints ?? entityJoints[entity(name)]!;
      const qpos = data.qpos as Float64Array;
      return addresses.map((adr) => qpos[adr]!);
    },

    categoryOf(name) {
      return entities[entity(name)]!.category;
    },
  };
}

function vec3(array: Float64Array, index: number): Vec3 {
  return [array[3 * index]!, array[3 * index + 1]!, array[3 * index + 2]!];
}

function mat3(array: Float64Array, index: number): Mat3 {
  const m = (k: number) => array[9 * index + k]!;
  return [m(0), m(1), m(2), m(3), m(4), m(5), m(6), m(7), m(8)];
}
