import type { MjModel } from '@mujoco/mujoco';
import { VISUAL_GROUP } from '../embedded/scene-description.js';
import { boxMesh, capsuleMesh, cylinderMesh, ellipsoidMesh, planeMesh, sphereMesh, type ShapeMesh } from './shapes.js';

/**
 * What the cameras draw, read once from a compiled model (docs/cameras.md): the visual geoms
 * (VISUAL_GROUP, the same geoms as replay's scene description) as triangle meshes in their own frames, with their
 * material's colour and lighting terms, and the model's lights. Poses come from MjData per frame.
 */

/** mjtTexRole's RGB slot in mat_texid (mjNTEXROLE slots per material). */
const TEXROLE_RGB = 1;
const TEXROLES = 10;

export interface RenderGeom {
  geom: number;
  shape: ShapeMesh;
  /** Diffuse and ambient colour (the material's, or the mean of its texture). */
  rgb: [number, number, number];
  /** Specular reflectance, OpenGL shininess exponent (MuJoCo's shininess x 128), emission. */
  specular: number;
  shininess: number;
  emission: number;
  /** Bounding-sphere radius about the geom's centre; 0 for planes (never culled). */
  rbound: number;
  /** A closed primitive (box, capsule, cylinder, sphere, ellipsoid): its back faces are never seen and are skipped. */
  closed: boolean;
  /** Welded to the world (no joint, not mocap): it never moves, so a fixed camera's view of it can be kept. */
  static: boolean;
}

export interface RenderLight {
  light: number;
  directional: boolean;
  ambient: [number, number, number];
  diffuse: [number, number, number];
  specular: [number, number, number];
  attenuation: [number, number, number];
  /** cos(cutoff) and exponent of a spot light (MuJoCo's lights are spot lights unless directional). */
  cosCutoff: number;
  exponent: number;
}

export interface RenderScene {
  geoms: RenderGeom[];
  lights: RenderLight[];
  /** The headlight: a directional light along the camera's view (MuJoCo's visual/headlight). */
  headlight: { ambient: [number, number, number]; diffuse: [number, number, number]; specular: [number, number, number]; active: boolean };
  /** Near clipping distance, metres (MuJoCo: visual/map znear x the model's extent). */
  znear: number;
  /** Where no geom is drawn: the middle of the arena's skybox gradient. */
  background: [number, number, number];
  /** Most vertices of any one geom: the renderer's scratch size. */
  maxVertices: number;
}

const triple = (a: ArrayLike<number>, i: number): [number, number, number] => [a[3 * i]!, a[3 * i + 1]!, a[3 * i + 2]!];

export function buildRenderScene(model: MjModel): RenderScene {
  const group = model.geom_group as Int32Array;
  const type = model.geom_type as Int32Array;
  const size = model.geom_size as Float64Array;
  const rgba = model.geom_rgba as Float32Array;
  const matid = model.geom_matid as Int32Array;
  const dataid = model.geom_dataid as Int32Array;
  const rbound = model.geom_rbound as Float64Array;
  const bodyOf = model.geom_bodyid as Int32Array;
  const weld = model.body_weldid as Int32Array;
  const mocap = model.body_mocapid as Int32Array;
  const meshes = new Map<number, ShapeMesh>();
  const geoms: RenderGeom[] = [];
  for (let g = 0; g < model.ngeom; g++) {
    if (group[g] !== VISUAL_GROUP) continue;
    const s = [size[3 * g]!, size[3 * g + 1]!, size[3 * g + 2]!];
    let shape: ShapeMesh | null = null;
    switch (type[g]) {
      case 0: shape = planeMesh(s); break;
      case 2: shape = sphereMesh(s); break;
      case 3: shape = capsuleMesh(s); break;
      case 4: shape = ellipsoidMesh(s); break;
      case 5: shape = cylinderMesh(s); break;
      case 6: shape = boxMesh(s); break;
      case 7: {
        const m = dataid[g]!;
        shape = meshes.get(m) ?? meshShape(model, m);
        meshes.set(m, shape);
        break;
      }
      default: continue; // heightfields and SDFs are not used by this project's scenes
    }
    const mat = matid[g]!;
    const colour = mat >= 0 ? materialColour(model, mat) : [rgba[4 * g]!, rgba[4 * g + 1]!, rgba[4 * g + 2]!, rgba[4 * g + 3]!];
    if (colour[3]! <= 0) continue; // invisible, as MuJoCo skips alpha 0
    geoms.push({
      geom: g,
      shape,
      rgb: [colour[0]!, colour[1]!, colour[2]!],
      specular: mat >= 0 ? (model.mat_specular as Float32Array)[mat]! : 0.5,
      shininess: 128 * (mat >= 0 ? (model.mat_shininess as Float32Array)[mat]! : 0.5),
      emission: mat >= 0 ? (model.mat_emission as Float32Array)[mat]! : 0,
      rbound: type[g] === 0 ? 0 : rbound[g]!,
      closed: type[g] !== 0 && type[g] !== 7,
      static: weld[bodyOf[g]!] === 0 && mocap[bodyOf[g]!]! < 0,
    });
  }
  const lights: RenderLight[] = [];
  for (let l = 0; l < model.nlight; l++) {
    // light_active and light_directional are bool arrays, which the WebAssembly binding cannot
    // read; light_type says directional (mjLIGHT_DIRECTIONAL = 1), and this project's lights are all active.
    lights.push({
      light: l,
      directional: (model.light_type as Int32Array)[l] === 1,
      ambient: triple(model.light_ambient as Float32Array, l),
      diffuse: triple(model.light_diffuse as Float32Array, l),
      specular: triple(model.light_specular as Float32Array, l),
      attenuation: triple(model.light_attenuation as Float32Array, l),
      cosCutoff: Math.cos(((model.light_cutoff as Float32Array)[l]! * Math.PI) / 180),
      exponent: (model.light_exponent as Float32Array)[l]!,
    });
  }
  const head = model.vis.headlight;
  // Static geoms first: the renderer draws them, keeps that layer, then draws the moving ones.
  geoms.sort((a, b) => Number(b.static) - Number(a.static) || a.geom - b.geom);
  return {
    geoms,
    lights,
    headlight: { ambient: triple(head.ambient, 0), diffuse: triple(head.diffuse, 0), specular: triple(head.specular, 0), active: head.active !== 0 },
    znear: model.vis.map.znear * model.stat.extent,
    background: [0.55, 0.6, 0.7],
    maxVertices: Math.max(0, ...geoms.map((g) => g.shape.positions.length / 3)),
  };
}

/**
 * A mesh with MuJoCo's own normals: the compiled model keeps one normal per face corner
 * (mesh_facenormal into mesh_normal), sharp where MuJoCo decided an edge is sharp, so corners that
 * share a vertex but not a normal become separate vertices here.
 */
function meshShape(model: MjModel, mesh: number): ShapeMesh {
  const vertadr = (model.mesh_vertadr as Int32Array)[mesh]!;
  const normaladr = (model.mesh_normaladr as Int32Array)[mesh]!;
  const normalnum = (model.mesh_normalnum as Int32Array)[mesh]!;
  const faceadr = (model.mesh_faceadr as Int32Array)[mesh]!;
  const facenum = (model.mesh_facenum as Int32Array)[mesh]!;
  const vert = model.mesh_vert as Float32Array;
  const normal = model.mesh_normal as Float32Array;
  const face = model.mesh_face as Int32Array;
  const faceNormal = model.mesh_facenormal as Int32Array;
  const index = new Map<number, number>();
  const positions: number[] = [];
  const normals: number[] = [];
  const triangles = new Uint32Array(3 * facenum);
  for (let k = 0; k < 3 * facenum; k++) {
    const v = face[3 * faceadr + k]!;
    const n = faceNormal[3 * faceadr + k]!;
    const key = v * normalnum + n;
    let i = index.get(key);
    if (i === undefined) {
      i = positions.length / 3;
      index.set(key, i);
      const pv = 3 * (vertadr + v);
      const pn = 3 * (normaladr + n);
      positions.push(vert[pv]!, vert[pv + 1]!, vert[pv + 2]!);
      normals.push(normal[pn]!, normal[pn + 1]!, normal[pn + 2]!);
    }
    triangles[k] = i;
  }
  return { positions: Float64Array.from(positions), normals: Float64Array.from(normals), triangles };
}

/** The material's rgba, times its RGB texture's mean colour where it has one (textures are not drawn). */
function materialColour(model: MjModel, mat: number): number[] {
  const rgba = Array.from((model.mat_rgba as Float32Array).subarray(4 * mat, 4 * mat + 4));
  const tex = (model.mat_texid as Int32Array)[mat * TEXROLES + TEXROLE_RGB]!;
  if (tex < 0) return rgba;
  const mean = textureMean(model, tex);
  return [rgba[0]! * mean[0]!, rgba[1]! * mean[1]!, rgba[2]! * mean[2]!, rgba[3]!];
}

function textureMean(model: MjModel, tex: number): number[] {
  const adr = (model.tex_adr as Int32Array)[tex]!;
  const n = (model.tex_width as Int32Array)[tex]! * (model.tex_height as Int32Array)[tex]!;
  const channels = (model.tex_nchannel as Int32Array)[tex]!;
  const data = model.tex_data as Uint8Array;
  const sum = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) sum[c] = sum[c]! + data[adr + i * channels + Math.min(c, channels - 1)]!;
  }
  return sum.map((s) => s / n / 255);
}
