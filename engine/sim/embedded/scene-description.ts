import type { MjData, MjModel } from '@mujoco/mujoco';
import type { MujocoModule } from './mujoco-api.js';
import type { BodyPoses, SceneDescription, SceneGeom } from '../simulator.js';

/** Visual geoms are group 1 in every asset of this project (docs/scene-conventions.md). */
export const VISUAL_GROUP = 1;

const GEOM_TYPES: Record<number, SceneGeom['type']> = { 0: 'plane', 2: 'sphere', 3: 'capsule', 4: 'ellipsoid', 5: 'cylinder', 6: 'box', 7: 'mesh' };

/**
 * What replay needs to draw the scene: every visual geom with its body, type, size, local pose,
 * colour (its material's, textures aside) and, for meshes, vertices and faces. The bodies listed
 * are the ones that carry visual geoms; readBodyPoses returns their world poses in the same order.
 */
export function describeScene(mj: MujocoModule, model: MjModel, task: string): SceneDescription {
  const group = model.geom_group as Int32Array;
  const type = model.geom_type as Int32Array;
  const bodyOf = model.geom_bodyid as Int32Array;
  const size = model.geom_size as Float64Array;
  const pos = model.geom_pos as Float64Array;
  const quat = model.geom_quat as Float64Array;
  const rgba = model.geom_rgba as Float32Array;
  const matid = model.geom_matid as Int32Array;
  const matRgba = model.mat_rgba as Float32Array;
  const dataid = model.geom_dataid as Int32Array;

  const bodyIndex = new Map<number, number>();
  const meshIndex = new Map<number, number>();
  const description: SceneDescription = { task, bodies: [], geoms: [], meshes: [] };
  const BODY = mj.mjtObj.mjOBJ_BODY.value;

  for (let g = 0; g < model.ngeom; g++) {
    if (group[g] !== VISUAL_GROUP) continue;
    const kind = GEOM_TYPES[type[g]!];
    if (!kind) continue; // heightfields and SDFs are not used by this project's scenes
    const b = bodyOf[g]!;
    if (!bodyIndex.has(b)) {
      bodyIndex.set(b, description.bodies.length);
      description.bodies.push(mj.mj_id2name(model, BODY, b) || `body${b}`);
    }
    const colour = matid[g]! >= 0 ? matRgba.subarray(4 * matid[g]!, 4 * matid[g]! + 4) : rgba.subarray(4 * g, 4 * g + 4);
    const geom: SceneGeom = {
      body: bodyIndex.get(b)!,
      type: kind,
      size: [size[3 * g]!, size[3 * g + 1]!, size[3 * g + 2]!],
      pos: [pos[3 * g]!, pos[3 * g + 1]!, pos[3 * g + 2]!],
      quat: [quat[4 * g]!, quat[4 * g + 1]!, quat[4 * g + 2]!, quat[4 * g + 3]!],
      rgba: [colour[0]!, colour[1]!, colour[2]!, colour[3]!],
    };
    if (kind === 'mesh') geom.mesh = meshOf(model, dataid[g]!, meshIndex, description);
    description.geoms.push(geom);
  }
  return description;
}

function meshOf(model: MjModel, mesh: number, index: Map<number, number>, description: SceneDescription): number {
  const known = index.get(mesh);
  if (known !== undefined) return known;
  const vertadr = (model.mesh_vertadr as Int32Array)[mesh]!;
  const vertnum = (model.mesh_vertnum as Int32Array)[mesh]!;
  const faceadr = (model.mesh_faceadr as Int32Array)[mesh]!;
  const facenum = (model.mesh_facenum as Int32Array)[mesh]!;
  // Mesh vertices are in the mesh frame, which MuJoCo already folded into geom_pos/geom_quat.
  const vertices = Array.from((model.mesh_vert as Float32Array).subarray(3 * vertadr, 3 * (vertadr + vertnum)), (v) => Math.round(v * 1e5) / 1e5);
  const faces = Array.from((model.mesh_face as Int32Array).subarray(3 * faceadr, 3 * (faceadr + facenum)));
  index.set(mesh, description.meshes.length);
  description.meshes.push({ vertices, faces });
  return description.meshes.length - 1;
}

/** World pose (xyz, wxyz) of each body describeScene listed, in its order. */
export function readBodyPoses(model: MjModel, data: MjData, bodies: Int32Array = visualBodies(model)): BodyPoses {
  const ids = bodies;
  const xpos = data.xpos as Float64Array;
  const xquat = data.xquat as Float64Array;
  const out = new Float64Array(7 * ids.length);
  ids.forEach((b, i) => {
    out.set(xpos.subarray(3 * b, 3 * b + 3), 7 * i);
    out.set(xquat.subarray(4 * b, 4 * b + 4), 7 * i + 3);
  });
  return out;
}

/** Bodies with visual geoms, in the order describeScene lists them. */
export function visualBodies(model: MjModel): Int32Array {
  const group = model.geom_group as Int32Array;
  const type = model.geom_type as Int32Array;
  const bodyOf = model.geom_bodyid as Int32Array;
  const seen: number[] = [];
  for (let g = 0; g < model.ngeom; g++) {
    if (group[g] !== VISUAL_GROUP || !GEOM_TYPES[type[g]!]) continue;
    if (!seen.includes(bodyOf[g]!)) seen.push(bodyOf[g]!);
  }
  return Int32Array.from(seen);
}
