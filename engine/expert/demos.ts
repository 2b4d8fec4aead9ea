import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { EpisodeOutcome } from '../api/schemas/results.js';
import { ImagePreprocessor, type CameraSpec } from '../bundle/image.js';
import type { CameraImage } from '../sim/simulator.js';

/**
 * Demonstrations: what a policy saw and did at every step of an episode, for training.
 *
 * Format (JSON Lines, `.jsonl`): one line per episode, a JSON object
 *
 *   {"format":"rsd-demo/1", "suite":"libero_spatial", "taskId":4, "taskName":"pick_up_...",
 *    "instruction":"pick up the black bowl ...", "initIndex":7, "initSource":"libero",
 *    "objects":["akita_black_bowl_1", ...], "outcome":"success", "steps":93,
 *    "proprio":"<base64>", "objectPoses":"<base64>", "actions":"<base64>"}
 *
 * The three arrays are little-endian float32, row-major, `steps` rows each:
 *   proprio      steps x 8                grip-site xyz, hand axis-angle, two finger joints (OFT's 8-D state)
 *   objectPoses  steps x 7*len(objects)   per object xyz + quaternion wxyz, in `objects` order
 *   actions      steps x 7                OSC_POSE deltas in [-1, 1] and the gripper (-1 open, +1 close)
 * Row t is the observation the action of row t was computed from (after the 10 wait steps, which
 * are not recorded). With `"noise": std` the simulator executed the actions of the steps in
 * `"perturbedSteps": [[start, end), ...]` plus DART-style noise (engine/expert/perturbation.ts),
 * while `actions` holds the expert's own, unperturbed actions. With `"policy": {name, contentHash,
 * decoding}` a trained bundle's chunk actions drove the arm in those steps instead
 * (engine/expert/policy-perturbation.ts), the gripper command and `actions` still the expert's. `outcome` is "success", "failure" or "error" (then `error` holds the cause).
 * Python: `np.frombuffer(base64.b64decode(d["actions"]), "<f4").reshape(d["steps"], 7)`.
 *
 * Camera images (`rsd expert --record DIR --cameras ...`): the line's `"images"` names a NumPy .npy
 * file beside it, `{"file": "images/task04-init007-noise0.2.npy", "format": "npy", "dtype": "uint8",
 * "layout": ["step","camera","channel","row","column"], "shape": [steps, cameras, 3, h, w],
 * "cameras": [<manifest camera entries, render size included>], "sha256": "<of the file>"}`.
 * Row t holds each camera's image of the observation of row t as the policy's tensor: rendered at
 * the camera's `render` size and run through the engine's ImagePreprocessor (orientation, centre
 * crop, resize to h x w), stored as round(255 x). So training sees what the policy sees at
 * evaluation, to within 1/510. `np.load(path, mmap_mode="r")` reads it without loading it whole.
 */

export const DEMO_FORMAT = 'rsd-demo/1';

export interface DemoEpisode {
  suite: string;
  taskId: number;
  taskName: string;
  instruction: string;
  initIndex: number;
  /** Where the initial state came from: `libero` (LIBERO's .pruned_init) or `project` (assets/). */
  initSource: string;
  /** Std of the DART-style noise added to the executed actions (absent: none); `actions` are the expert's own. */
  noise?: number;
  /** The trained policy that drove the arm in bursts (policy-perturbation.ts); `actions` are the expert's own. */
  policy?: { name: string; contentHash: string; decoding: string };
  /** With `noise` or `policy`: the [start, end) step ranges whose executed actions were perturbed (bursts). */
  perturbedSteps?: [number, number][];
  objects: string[];
  outcome: EpisodeOutcome;
  error?: string;
  steps: number;
  proprio: Float32Array;
  objectPoses: Float32Array;
  actions: Float32Array;
  /** Recorded with cameras: the frames, until written to their file (writeDemoImages). */
  images?: DemoImages;
  /** A decoded line's reference to its image file. */
  imageFile?: DemoImageFile;
}

/** A camera as a recording makes its images: the manifest's camera entry, with the size it is rendered at. */
export type DemoCamera = CameraSpec & { render: { height: number; width: number } };

/** The frames of an episode: uint8 [steps, cameras, 3, h, w] (every camera at one h x w). */
export interface DemoImages {
  cameras: DemoCamera[];
  data: Uint8Array;
}

export const IMAGE_LAYOUT = ['step', 'camera', 'channel', 'row', 'column'] as const;

/** A line's `images`: where the frames are, and what they are. */
export interface DemoImageFile {
  /** Relative to the .jsonl's folder. */
  file: string;
  format: 'npy';
  dtype: 'uint8';
  layout: readonly string[];
  shape: number[];
  cameras: DemoCamera[];
  sha256: string;
}

/** The recorded cameras must share one tensor size (one array per episode). */
export function checkDemoCameras(cameras: readonly DemoCamera[]): void {
  const [first] = cameras;
  if (!first) throw new Error('a recording with images needs at least one camera');
  const names = new Set<string>();
  for (const c of cameras) {
    if (names.has(c.name)) throw new Error(`camera "${c.name}" is named twice`);
    names.add(c.name);
    if (c.height !== first.height || c.width !== first.width) {
      throw new Error(`recorded cameras share one image size: "${first.name}" is ${first.height} x ${first.width}, "${c.name}" ${c.height} x ${c.width}`);
    }
  }
}

/** Turns each step's camera images into the policy's tensors, quantised to uint8. */
class FrameRecorder {
  private readonly preprocessors: ImagePreprocessor[];
  private readonly tensor: Float32Array;
  private readonly frames: Uint8Array[] = [];

  constructor(readonly cameras: DemoCamera[]) {
    checkDemoCameras(cameras);
    this.preprocessors = cameras.map((c) => new ImagePreprocessor(c, c.render.height, c.render.width));
    this.tensor = new Float32Array(this.preprocessors[0]!.size);
  }

  add(images: Record<string, CameraImage>): void {
    const size = this.tensor.length;
    const frame = new Uint8Array(size * this.preprocessors.length);
    this.preprocessors.forEach((pre, i) => {
      const { name, render } = this.cameras[i]!;
      const image = images[name];
      if (!image) throw new Error(`camera "${name}": the observation has no image (it has ${Object.keys(images).join(', ') || 'none'}); the recording's simulator must render it`);
      if (image.height !== render.height || image.width !== render.width || image.channels !== 3) {
        throw new Error(`camera "${name}": the observation's image is ${image.height} x ${image.width} x ${image.channels}, the recording renders ${render.height} x ${render.width} x 3`);
      }
      pre.run(image, this.tensor);
      for (let k = 0; k < size; k++) frame[i * size + k] = Math.round(this.tensor[k]! * 255);
    });
    this.frames.push(frame);
  }

  finish(): DemoImages {
    const per = this.frames[0]?.length ?? 0;
    const data = new Uint8Array(per * this.frames.length);
    this.frames.forEach((f, t) => data.set(f, t * per));
    return { cameras: this.cameras, data };
  }
}

/** Collects one episode's rows as they happen; with `cameras`, each step's images too. */
export class DemoRecorder {
  private readonly proprio: number[] = [];
  private readonly poses: number[] = [];
  private readonly actions: number[] = [];
  private readonly frames: FrameRecorder | undefined;
  private steps = 0;

  constructor(
    private readonly objectCount: number,
    cameras?: DemoCamera[],
  ) {
    this.frames = cameras?.length ? new FrameRecorder(cameras) : undefined;
  }

  add(proprio: ArrayLike<number>, objectPoses: ArrayLike<number>, action: ArrayLike<number>, images?: Record<string, CameraImage>): void {
    if (proprio.length !== 8 || objectPoses.length !== 7 * this.objectCount || action.length !== 7) {
      throw new Error(`demo row of ${proprio.length}/${objectPoses.length}/${action.length} values, expected 8/${7 * this.objectCount}/7`);
    }
    this.frames?.add(images ?? {});
    this.proprio.push(...Array.from(proprio));
    this.poses.push(...Array.from(objectPoses));
    this.actions.push(...Array.from(action));
    this.steps++;
  }

  finish(meta: Omit<DemoEpisode, 'steps' | 'proprio' | 'objectPoses' | 'actions' | 'images' | 'imageFile'>): DemoEpisode {
    return {
      ...meta,
      steps: this.steps,
      proprio: Float32Array.from(this.proprio),
      objectPoses: Float32Array.from(this.poses),
      actions: Float32Array.from(this.actions),
      ...(this.frames ? { images: this.frames.finish() } : {}),
    };
  }
}

/**
 * The line of an episode. An episode recorded with images needs its file's reference
 * (writeDemoImages), so that no line points at frames that were never written.
 */
export function encodeDemo(d: DemoEpisode, imageFile?: DemoImageFile): string {
  const { proprio, objectPoses, actions, images, imageFile: decoded, ...meta } = d;
  const file = imageFile ?? decoded;
  if (images && !file) throw new Error(`${d.suite} task ${d.taskId} init ${d.initIndex}: an episode with images is encoded with its image file (writeDemoImages)`);
  return JSON.stringify({ format: DEMO_FORMAT, ...meta, proprio: b64(proprio), objectPoses: b64(objectPoses), actions: b64(actions), ...(file ? { images: file } : {}) });
}

/**
 * The image file's name: one per (task, initial state, perturbation), so the same recording
 * command writes the same files whatever order its workers finish in.
 */
export function demoImageName(d: DemoEpisode): string {
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  const how = d.policy ? `policy-${d.policy.contentHash.slice(0, 12)}` : d.noise ? `noise${d.noise}` : 'clean';
  return `images/task${pad(d.taskId, 2)}-init${pad(d.initIndex, 3)}-${how}.npy`;
}

/** A NumPy .npy (format 1.0) of uint8 with this shape: header padded to a multiple of 64 bytes, then the data. */
export function npyBytes(data: Uint8Array, shape: readonly number[]): Buffer {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`npy: shape [${shape.join(', ')}] needs ${count} bytes, got ${data.length}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${dims}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}

/**
 * Writes the episode's frames to DIR/demoImageName(d) and returns the line's reference to them.
 * `written` (the names this recording wrote) refuses a second episode of the same name, which
 * would overwrite the first's frames (e.g. a noise level given twice).
 */
export function writeDemoImages(dir: string, d: DemoEpisode, written?: Set<string>): DemoImageFile {
  const images = d.images;
  if (!images) throw new Error(`${d.suite} task ${d.taskId} init ${d.initIndex}: the episode has no images`);
  const [cam] = images.cameras;
  const shape = [d.steps, images.cameras.length, 3, cam!.height, cam!.width];
  const bytes = npyBytes(images.data, shape);
  const file = demoImageName(d);
  if (written?.has(file)) throw new Error(`${file}: two episodes of this recording have this name (is a noise level or a policy given twice?)`);
  written?.add(file);
  mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
  writeFileSync(path.join(dir, file), bytes);
  return { file, format: 'npy', dtype: 'uint8', layout: [...IMAGE_LAYOUT], shape, cameras: images.cameras, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export function decodeDemo(line: string): DemoEpisode {
  const raw = JSON.parse(line) as Record<string, unknown>;
  if (raw.format !== DEMO_FORMAT) throw new Error(`not an ${DEMO_FORMAT} line (format: ${String(raw.format)})`);
  const steps = raw.steps as number;
  const objects = raw.objects as string[];
  const demo: DemoEpisode = {
    suite: raw.suite as string,
    taskId: raw.taskId as number,
    taskName: raw.taskName as string,
    instruction: raw.instruction as string,
    initIndex: raw.initIndex as number,
    initSource: raw.initSource as string,
    objects,
    outcome: raw.outcome as DemoEpisode['outcome'],
    steps,
    proprio: unb64(raw.proprio as string, steps * 8, 'proprio'),
    objectPoses: unb64(raw.objectPoses as string, steps * 7 * objects.length, 'objectPoses'),
    actions: unb64(raw.actions as string, steps * 7, 'actions'),
  };
  if (typeof raw.error === 'string') demo.error = raw.error;
  if (typeof raw.noise === 'number') demo.noise = raw.noise;
  if (raw.policy && typeof raw.policy === 'object') demo.policy = raw.policy as DemoEpisode['policy'];
  if (Array.isArray(raw.perturbedSteps)) demo.perturbedSteps = raw.perturbedSteps as [number, number][];
  if (raw.images && typeof raw.images === 'object') demo.imageFile = raw.images as DemoImageFile;
  return demo;
}

/** Reads a .jsonl file of demonstrations, one episode per non-empty line. */
export async function readDemos(file: string): Promise<DemoEpisode[]> {
  const out: DemoEpisode[] = [];
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    n++;
    if (line.trim() === '') continue;
    try {
      out.push(decodeDemo(line));
    } catch (error) {
      throw new Error(`${file}:${n}: ${(error as Error).message}`);
    }
  }
  return out;
}

function b64(a: Float32Array): string {
  const bytes = Buffer.alloc(4 * a.length);
  for (let i = 0; i < a.length; i++) bytes.writeFloatLE(a[i]!, 4 * i);
  return bytes.toString('base64');
}

function unb64(s: string, count: number, what: string): Float32Array {
  const bytes = Buffer.from(s, 'base64');
  if (bytes.byteLength !== 4 * count) throw new Error(`${what} holds ${bytes.byteLength / 4} floats, expected ${count}`);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = bytes.readFloatLE(4 * i);
  return out;
}
