import type { SceneDescription } from '../../api/schemas/scene.js';
import type { BodyPoses, CameraImage, Observation } from '../simulator.js';
import { BadFrameError, type Blob, type Dtype } from './frames.js';

/**
 * The meaning of the bridge's messages (docs/libero-bridge.md "Messages"): the hello, observations
 * and the scene, each checked field by field as it arrives, so a worker of another version or a
 * broken one is named at once instead of feeding the runner wrong shapes.
 */

export const PROTOCOL_VERSION = 1;

export interface Hello {
  protocol: unknown;
  versions: { python: string; libero: string; robosuite: string; mujoco: string; numpy: string };
  mujocoGl: string | null;
  liberoRoot: string;
  pid: number;
  /** Set when LIBERO could not be imported (the worker then exits). */
  error: { type: string; message: string } | null;
}

export interface WorkerObservation {
  observation: Observation;
  bodyPoses: BodyPoses;
  /** Time inside env.step (or reset + set_init_state), measured in the worker. */
  stepMs: number;
}

export function parseHello(m: Record<string, unknown>): Hello {
  if (m.op !== 'hello') throw new BadFrameError(`expected a hello first, got ${JSON.stringify(m.op ?? m)}`.slice(0, 200));
  const error = m.error as Hello['error'] | undefined;
  const v = (m.versions ?? {}) as Record<string, unknown>;
  const str = (x: unknown): string => (typeof x === 'string' ? x : 'unknown');
  return {
    protocol: m.protocol,
    versions: { python: str(v.python), libero: str(v.libero), robosuite: str(v.robosuite), mujoco: str(v.mujoco), numpy: str(v.numpy) },
    mujocoGl: typeof m.mujoco_gl === 'string' ? m.mujoco_gl : null,
    liberoRoot: str(m.libero_root),
    pid: typeof m.pid === 'number' ? m.pid : -1,
    error: error && typeof error === 'object' ? { type: str(error.type), message: str(error.message) } : null,
  };
}

/** An observation reply: proprio [8], object poses [objects, 7], body poses [bodies, 7], images [H, W, 3]. */
export function parseObservation(m: Record<string, unknown>, objects: number, bodies: number | null): WorkerObservation {
  const proprio = array(m, 'proprio', 'f64', [8]).data as Float64Array;
  const objectPoses = array(m, 'object_poses', 'f64', [objects, 7]).data as Float64Array;
  const poses = array(m, 'body_poses', 'f64', [bodies ?? -1, 7]);
  const images: Record<string, CameraImage> = {};
  const rawImages = m.images ?? {};
  if (typeof rawImages !== 'object' || rawImages === null) throw new BadFrameError('"images" is not an object');
  for (const [name, value] of Object.entries(rawImages)) {
    const b = blobField(value, `images.${name}`, 'u8');
    if (b.shape.length !== 3 || b.shape[2] !== 3) throw new BadFrameError(`images.${name} has shape [${b.shape.join(', ')}]; expected [H, W, 3]`);
    images[name] = { height: b.shape[0]!, width: b.shape[1]!, channels: 3, data: b.data as Uint8Array };
  }
  for (const [name, data] of [['proprio', proprio], ['object_poses', objectPoses]] as const) {
    const bad = data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new BadFrameError(`${name}[${bad}] is ${data[bad]}`);
  }
  const stepMs = typeof m.step_ms === 'number' ? m.step_ms : Number.NaN;
  return { observation: { proprio, objectPoses, images }, bodyPoses: poses.data as Float64Array, stepMs };
}

export function parseSuccess(m: Record<string, unknown>): boolean {
  if (typeof m.success !== 'boolean') throw new BadFrameError(`"success" is ${JSON.stringify(m.success)}, not true or false`);
  return m.success;
}

/** A reset reply's `goal_state` (LIBERO's parsed goal atoms, [predicate, ...args] each); null when the worker sent none. */
export function parseGoalState(m: Record<string, unknown>): string[][] | null {
  if (m.goal_state === undefined) return null;
  const g = m.goal_state;
  if (!Array.isArray(g) || !g.every((a) => Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === 'string'))) {
    throw new BadFrameError(`"goal_state" is ${JSON.stringify(g).slice(0, 200)}, not a list of [predicate, ...args] string lists`);
  }
  return g as string[][];
}

/** A step reply's `goal`: each goal atom's truth, `atoms` of them; null when the worker sent none. */
export function parseGoal(m: Record<string, unknown>, atoms: number): boolean[] | null {
  if (m.goal === undefined) return null;
  const g = m.goal;
  if (!Array.isArray(g) || g.length !== atoms || !g.every((x) => typeof x === 'boolean')) {
    throw new BadFrameError(`"goal" is ${JSON.stringify(g).slice(0, 200)}, not ${atoms} true or false value(s), one per goal atom`);
  }
  return g as boolean[];
}

/** The scene reply as the contract's SceneDescription (meshes' blobs become number lists). */
export function parseScene(m: Record<string, unknown>): SceneDescription {
  const s = m.scene as Record<string, unknown> | undefined;
  if (!s || typeof s !== 'object') throw new BadFrameError('the scene reply has no "scene" object');
  const meshes = Array.isArray(s.meshes) ? s.meshes : [];
  return {
    task: String(s.task),
    bodies: s.bodies as string[],
    geoms: s.geoms as SceneDescription['geoms'],
    meshes: meshes.map((mesh: Record<string, unknown>, i: number) => {
      const vertices = blobField(mesh.vertices, `scene.meshes[${i}].vertices`, 'f32');
      const faces = blobField(mesh.faces, `scene.meshes[${i}].faces`, 'i32');
      // Rounded to 0.1 mm: the scene file stays small, and replay cannot show finer.
      return { vertices: Array.from(vertices.data, (x) => Math.round(x * 1e4) / 1e4), faces: Array.from(faces.data) };
    }),
  };
}

function array(m: Record<string, unknown>, name: string, dtype: Dtype, shape: number[]): Blob {
  const b = blobField(m[name], name, dtype);
  const ok = b.shape.length === shape.length && shape.every((d, i) => d < 0 || b.shape[i] === d);
  if (!ok) throw new BadFrameError(`${name} has shape [${b.shape.join(', ')}]; expected [${shape.map((d) => (d < 0 ? 'n' : d)).join(', ')}]`);
  return b;
}

function blobField(value: unknown, name: string, dtype: Dtype): Blob {
  const b = value as Blob | undefined;
  if (!b || typeof b !== 'object' || !('data' in b)) throw new BadFrameError(`${name} is missing or not an array`);
  if (b.dtype !== dtype) throw new BadFrameError(`${name} is ${b.dtype}; expected ${dtype}`);
  return b;
}
