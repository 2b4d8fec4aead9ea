import * as THREE from 'three';

/**
 * The replay camera in MuJoCo's world (z up; the three.js camera gets `up = +z`). Three modes:
 * `orbit` turns around a point over the table, `follow` turns around the gripper as it moves, and
 * `agentview` is LIBERO's agentview camera (front-above the table, looking back at the robot).
 * Orbit and follow are dragged with the pointer; dragging the agent view starts orbiting from it.
 */

export type { CameraMode } from './camera-modes.js';

/** docs/scene-conventions.md: camera `agentview` (robosuite's), in the world frame. */
export const AGENTVIEW = {
  pos: [0.6586131746834771, 0, 1.6103500240372423] as const,
  /** wxyz */
  quat: [0.6380177736282349, 0.3048497438430786, 0.30484986305236816, 0.6380177736282349] as const,
  fovy: 45,
};

/** Table top (docs/scene-conventions.md: main_table, top surface at z = 0.90, centred at x = 0). */
export const TABLE_TOP_Z = 0.9;
export const TABLE_CENTRE = new THREE.Vector3(0, 0, TABLE_TOP_Z);

export interface Orbit {
  target: THREE.Vector3;
  /** Angle about +z from +x, radians. */
  azimuth: number;
  /** Angle above the horizontal, radians. */
  elevation: number;
  distance: number;
}

export const ORBIT_LIMITS = { minDistance: 0.15, maxDistance: 3.2, minElevation: -0.2, maxElevation: 1.5 };

/** The default orbit: from the front right, above the table, as a person standing there would see it. */
export function defaultOrbit(): Orbit {
  return { target: TABLE_CENTRE.clone().add(new THREE.Vector3(-0.15, 0, 0.1)), azimuth: 0.55, elevation: 0.55, distance: 2.0 };
}

export function defaultFollow(): Orbit {
  return { target: new THREE.Vector3(), azimuth: 0.7, elevation: 0.5, distance: 0.7 };
}

export function clampOrbit(o: Orbit): Orbit {
  o.distance = Math.min(Math.max(o.distance, ORBIT_LIMITS.minDistance), ORBIT_LIMITS.maxDistance);
  o.elevation = Math.min(Math.max(o.elevation, ORBIT_LIMITS.minElevation), ORBIT_LIMITS.maxElevation);
  return o;
}

/** Poses the camera on an orbit: at `distance` from the target, looking at it, z up. */
export function applyOrbit(camera: THREE.PerspectiveCamera, o: Orbit): void {
  const c = Math.cos(o.elevation);
  camera.up.set(0, 0, 1);
  camera.position.set(o.target.x + o.distance * c * Math.cos(o.azimuth), o.target.y + o.distance * c * Math.sin(o.azimuth), o.target.z + o.distance * Math.sin(o.elevation));
  camera.lookAt(o.target);
}

/** Poses the camera as LIBERO's agentview. MuJoCo cameras look along their -z with +y up, as three's do. */
export function applyAgentview(camera: THREE.PerspectiveCamera): void {
  const [w, x, y, z] = AGENTVIEW.quat;
  camera.up.set(0, 0, 1);
  camera.position.set(...AGENTVIEW.pos);
  camera.quaternion.set(x, y, z, w).normalize();
}

/** The orbit that sees what the camera sees now: around the point where its view meets the table top. */
export function orbitFromCamera(camera: THREE.Camera): Orbit {
  const forward = new THREE.Vector3(0, 0, -1).applyQuaternion(camera.quaternion);
  let distance = 1.2;
  if (forward.z < -1e-3) distance = (TABLE_TOP_Z - camera.position.z) / forward.z;
  distance = Math.min(Math.max(distance, ORBIT_LIMITS.minDistance), ORBIT_LIMITS.maxDistance);
  const target = camera.position.clone().addScaledVector(forward, distance);
  const offset = camera.position.clone().sub(target);
  return clampOrbit({ target, azimuth: Math.atan2(offset.y, offset.x), elevation: Math.asin(Math.min(Math.max(offset.z / offset.length(), -1), 1)), distance });
}

/** Pointer drag: rotate (left button), pan (right button or shift); wheel: zoom. Returns the orbit changed in place. */
export function rotateOrbit(o: Orbit, dx: number, dy: number): Orbit {
  o.azimuth -= dx * 0.008;
  o.elevation += dy * 0.008;
  return clampOrbit(o);
}

export function zoomOrbit(o: Orbit, wheelDeltaY: number): Orbit {
  o.distance *= Math.exp(wheelDeltaY * 0.0015);
  return clampOrbit(o);
}

export function panOrbit(o: Orbit, camera: THREE.PerspectiveCamera, dx: number, dy: number, viewportHeight: number): Orbit {
  const perPixel = (2 * o.distance * Math.tan(THREE.MathUtils.degToRad(camera.fov) / 2)) / Math.max(viewportHeight, 1);
  const right = new THREE.Vector3(1, 0, 0).applyQuaternion(camera.quaternion);
  const up = new THREE.Vector3(0, 1, 0).applyQuaternion(camera.quaternion);
  o.target.addScaledVector(right, -dx * perPixel).addScaledVector(up, dy * perPixel);
  return o;
}

/**
 * The default orbit for a scene: from the front right and above (as defaultOrbit), around the
 * centre of `box` (the table, the objects and the robot at the episode's start), just far enough
 * for each of the box's corners to be in view, with a small margin.
 */
export function framingOrbit(box: THREE.Box3, fovDeg: number, aspect: number, margin = 1.05): Orbit {
  const base = defaultOrbit();
  if (box.isEmpty()) return base;
  const target = box.getCenter(new THREE.Vector3());
  const { azimuth, elevation } = base;
  // The camera's frame on this orbit: back (target to camera), right, up.
  const back = new THREE.Vector3(Math.cos(elevation) * Math.cos(azimuth), Math.cos(elevation) * Math.sin(azimuth), Math.sin(elevation));
  const right = new THREE.Vector3(0, 0, 1).cross(back).normalize();
  const up = back.clone().cross(right);
  const tanV = Math.tan(THREE.MathUtils.degToRad(fovDeg) / 2);
  const tanH = tanV * Math.max(aspect, 1e-3);
  let distance = 0;
  const p = new THREE.Vector3();
  for (let i = 0; i < 8; i++) {
    p.set(i & 1 ? box.max.x : box.min.x, i & 2 ? box.max.y : box.min.y, i & 4 ? box.max.z : box.min.z).sub(target);
    // The corner is in view when the camera is this far or farther: its depth along `back` plus what its offset across needs.
    distance = Math.max(distance, p.dot(back) + Math.max(Math.abs(p.dot(right)) / tanH, Math.abs(p.dot(up)) / tanV) * margin);
  }
  return clampOrbit({ target, azimuth, elevation, distance });
}
