import * as THREE from 'three';
import { mergeGeometries } from 'three/examples/jsm/utils/BufferGeometryUtils.js';
import type { ReplayScene, SceneGeom } from './scene.js';

/**
 * Builds the scene's drawable objects once per scene: one group per body (posed each frame from the
 * trajectory), holding one mesh per colour with all of that body's geoms of that colour merged into
 * one geometry (few draw calls: the cabinet's 27 boxes are 6 meshes).
 *
 * Geometry follows MuJoCo: sizes are half-sizes and radii; cylinders and capsules run along their
 * local z (three builds them along y, so they are turned); planes lie in their local xy plane; mesh
 * vertices are in the geom frame (MuJoCo folds the mesh frame into geom_pos/geom_quat).
 */

/** An infinite MuJoCo plane (size 0) is drawn this large (half-size, m). */
const INFINITE_PLANE = 10;
const ROUND = { radial: 24, sphere: [24, 16] as const, capsuleCap: 6 };

export interface BuiltScene {
  /** One group per scene body, in the description's `bodies` order. */
  bodies: THREE.Group[];
  /** Everything, to add to a three.js scene. */
  root: THREE.Group;
  /** Frees every geometry and material. */
  dispose(): void;
}

/** The geom's shape in its own frame (before its local pose), as a non-indexed geometry with position and normal only. */
export function geomGeometry(geom: SceneGeom, meshes: ReplayScene['meshes']): THREE.BufferGeometry {
  const [s0, s1, s2] = geom.size;
  let g: THREE.BufferGeometry;
  switch (geom.type) {
    case 'box':
      g = new THREE.BoxGeometry(2 * s0, 2 * s1, 2 * s2);
      break;
    case 'sphere':
      g = new THREE.SphereGeometry(s0, ...ROUND.sphere);
      break;
    case 'ellipsoid':
      g = new THREE.SphereGeometry(1, ...ROUND.sphere).scale(s0, s1, s2);
      break;
    case 'cylinder':
      g = new THREE.CylinderGeometry(s0, s0, 2 * s1, ROUND.radial).rotateX(Math.PI / 2);
      break;
    case 'capsule':
      g = new THREE.CapsuleGeometry(s0, 2 * s1, ROUND.capsuleCap, ROUND.radial).rotateX(Math.PI / 2);
      break;
    case 'plane':
      g = new THREE.PlaneGeometry(2 * (s0 || INFINITE_PLANE), 2 * (s1 || INFINITE_PLANE));
      break;
    case 'mesh': {
      const mesh = meshes[geom.mesh ?? -1];
      g = new THREE.BufferGeometry();
      if (mesh) {
        g.setAttribute('position', new THREE.Float32BufferAttribute(mesh.vertices, 3));
        g.setIndex(mesh.faces);
      }
      break;
    }
  }
  const flat = g.index ? g.toNonIndexed() : g;
  if (flat !== g) g.dispose();
  flat.deleteAttribute('uv');
  // Faceted normals for meshes (their vertices are shared across creases: a plate's rim); the
  // primitives bring their own smooth ones.
  if (geom.type === 'mesh' || !flat.getAttribute('normal')) flat.computeVertexNormals();
  return flat;
}

/** The geom's local pose (relative to its body) as a matrix; MuJoCo quaternions are wxyz. */
export function geomMatrix(geom: SceneGeom): THREE.Matrix4 {
  const [w, x, y, z] = geom.quat;
  return new THREE.Matrix4().compose(new THREE.Vector3(...geom.pos), new THREE.Quaternion(x, y, z, w).normalize(), new THREE.Vector3(1, 1, 1));
}

const colourKey = (rgba: readonly number[]) => rgba.map((v) => v.toFixed(3)).join(',');

/** `standard`: physically based shading (GPUs); `lambert`: diffuse only, much cheaper for a software rasteriser. */
export type Shading = 'standard' | 'lambert';

export function material(rgba: readonly [number, number, number, number], shading: Shading = 'standard'): THREE.MeshStandardMaterial | THREE.MeshLambertMaterial {
  const [r, g, b, a] = rgba;
  // MuJoCo's colours are display colours (no colour management): read them as sRGB.
  const colour = new THREE.Color().setRGB(r, g, b, THREE.SRGBColorSpace);
  const common = { color: colour, transparent: a < 1, opacity: a, side: a < 1 ? THREE.DoubleSide : THREE.FrontSide };
  return shading === 'lambert' ? new THREE.MeshLambertMaterial(common) : new THREE.MeshStandardMaterial({ ...common, roughness: 0.75, metalness: 0.05 });
}

export function buildScene(scene: ReplayScene, shading: Shading = 'standard'): BuiltScene {
  const root = new THREE.Group();
  root.name = 'replay-scene';
  const geometries: THREE.BufferGeometry[] = [];
  const materials: THREE.Material[] = [];
  const bodies = scene.bodies.map((name) => {
    const group = new THREE.Group();
    group.name = name;
    group.matrixAutoUpdate = true;
    root.add(group);
    return group;
  });

  // Per body, per colour: the geoms merged in the body's frame.
  const byBodyColour = new Map<string, { body: number; rgba: SceneGeom['rgba']; parts: THREE.BufferGeometry[]; planes: boolean }>();
  for (const geom of scene.geoms) {
    if (geom.rgba[3] <= 0) continue; // MuJoCo draws alpha-0 geoms as nothing
    const part = geomGeometry(geom, scene.meshes).applyMatrix4(geomMatrix(geom));
    if (!part.getAttribute('position') || part.getAttribute('position').count === 0) {
      part.dispose();
      continue;
    }
    const key = `${geom.body}|${colourKey(geom.rgba)}|${geom.type === 'plane'}`;
    const entry = byBodyColour.get(key) ?? { body: geom.body, rgba: geom.rgba, parts: [], planes: geom.type === 'plane' };
    entry.parts.push(part);
    byBodyColour.set(key, entry);
    if (geom.type === 'plane') bodies[geom.body]?.add(planeGrid(geom));
  }
  for (const { body, rgba, parts, planes } of byBodyColour.values()) {
    const merged = parts.length === 1 ? parts[0]! : mergeGeometries(parts);
    if (merged !== parts[0]) parts.forEach((p) => p.dispose());
    if (!merged) continue;
    const mat = material(rgba, shading);
    const mesh = new THREE.Mesh(merged, mat);
    // The 3D view dims the floor and the room's walls in dark mode, and frames what is not them.
    if (planes) mesh.name = 'floor';
    else if (isRoomPart(scene, body)) mesh.name = 'room';
    // Floors and walls take shadows; everything else casts them too.
    mesh.receiveShadow = true;
    mesh.castShadow = !planes && !isRoomPart(scene, body);
    bodies[body]?.add(mesh);
    geometries.push(merged);
    materials.push(mat);
  }
  return {
    bodies,
    root,
    dispose() {
      geometries.forEach((g) => g.dispose());
      materials.forEach((m) => m.dispose());
      root.traverse((o) => {
        if (o instanceof THREE.LineSegments) {
          o.geometry.dispose();
          (o.material as THREE.Material).dispose();
        }
      });
    },
  };
}

/** The world body's geoms are the floor and the room's walls: they receive shadows but cast none. */
function isRoomPart(scene: ReplayScene, body: number): boolean {
  return scene.bodies[body] === 'world';
}

/** Half-metre grid lines on a plane (MuJoCo floors are textured; a grid gives the same sense of scale and depth). */
function planeGrid(geom: SceneGeom): THREE.LineSegments {
  const hx = geom.size[0] || INFINITE_PLANE;
  const hy = geom.size[1] || INFINITE_PLANE;
  const spacing = 0.5;
  const points: number[] = [];
  for (let x = -Math.floor(hx / spacing) * spacing; x <= hx + 1e-9; x += spacing) points.push(x, -hy, 0.001, x, hy, 0.001);
  for (let y = -Math.floor(hy / spacing) * spacing; y <= hy + 1e-9; y += spacing) points.push(-hx, y, 0.001, hx, y, 0.001);
  const g = new THREE.BufferGeometry();
  g.setAttribute('position', new THREE.Float32BufferAttribute(points, 3));
  g.applyMatrix4(geomMatrix(geom));
  const lines = new THREE.LineSegments(g, new THREE.LineBasicMaterial({ color: 0x9aa0a8, transparent: true, opacity: 0.45 }));
  lines.name = 'floor-grid';
  return lines;
}
