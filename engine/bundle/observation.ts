import type * as Ort from 'onnxruntime-node';
import { LIBERO_CAMERAS, type CameraRequest } from '../sim/cameras.js';
import type { Observation } from '../sim/simulator.js';
import { ImagePreprocessor, type CameraSpec } from './image.js';
import type { Manifest } from './manifest.js';
import { loadOnnxRuntime } from './onnxruntime.js';
import { normalizeQ99, ProcessingError } from './processing.js';
import { tokenizeInstruction } from './tokenizer.js';

/**
 * A simulator observation to the bundle's observation tensors (docs/bundle-format.md
 * "Observation tensors"): q99-normalised proprio, the poses of the manifest's entities picked out
 * of the task's objects by name, the task's instruction (an index into the manifest's list, or its
 * word tokens) and, for vision bundles, each camera's image through the manifest's conventions.
 * One encoder per (bundle, task); `observationFeeds` batches the encoded items of several environments.
 */

/** One environment's encoded observation. */
export interface EncodedObservation {
  proprio: Float32Array;
  objectPoses: Float32Array;
  /** The instruction tensor's row: [index] for `task-index`, `maxLength` token ids for `tokens`. */
  instruction: readonly number[];
  /** For each manifest camera, in order: its `image_<camera>` slice, float32 [3, h, w]. */
  images: Float32Array[];
}

/** The size the simulator renders a camera at: its `render` entry, else the tensor's size. */
export function renderSize(camera: CameraSpec): { height: number; width: number } {
  return camera.render ?? { height: camera.height, width: camera.width };
}

/** What the simulator must render for this bundle: each camera at its render size (none for a state bundle). */
export function cameraRequests(manifest: Manifest): CameraRequest[] {
  const obs = manifest.observation;
  if (obs.kind !== 'vision') return [];
  return obs.cameras.map((c) => ({ name: c.name, ...renderSize(c) }));
}

export class ObservationEncoder {
  /** For each manifest entity, its index in the task's objects. */
  private readonly entityIndex: number[];
  /** The task's instruction as the bundle reads it: the same for every step of the task. */
  readonly instruction: readonly number[];
  /** One per manifest camera, made for its render size, so a frame only reads and writes. */
  private readonly preprocessors: ImagePreprocessor[];

  constructor(
    private readonly manifest: Manifest,
    /** The task's objects in the order the simulator reports their poses. */
    taskObjects: readonly string[],
    /** The task's natural-language instruction. */
    instructionText: string,
  ) {
    const obs = manifest.observation;
    this.preprocessors = cameraRequests(manifest).map((request, i) => {
      // Both simulators render LIBERO's cameras and no others; refused here, before any episode runs.
      if (!LIBERO_CAMERAS.includes(request.name)) {
        throw new ProcessingError('observation.cameras', `bundle "${manifest.name}" needs camera "${request.name}", which the simulators do not render (they render ${LIBERO_CAMERAS.join(', ')})`);
      }
      return new ImagePreprocessor(obs.cameras[i]!, request.height, request.width);
    });
    this.entityIndex = obs.objectPoses.entities.map((name) => {
      const i = taskObjects.indexOf(name);
      if (i < 0) throw new ProcessingError('observation.objectPoses.entities', `bundle "${manifest.name}" observes "${name}", which this task does not have (its objects: ${taskObjects.join(', ')})`);
      return i;
    });
    const instruction = obs.instruction;
    if (instruction.kind === 'tokens') {
      // Text: words the vocabulary lacks become <unk>, as in training; any instruction can be read.
      this.instruction = tokenizeInstruction(instructionText, instruction);
    } else {
      const wanted = normalizeInstruction(instructionText);
      const index = instruction.instructions.findIndex((s) => normalizeInstruction(s) === wanted);
      if (index < 0) {
        throw new ProcessingError('observation.instruction', `bundle "${manifest.name}" was not trained on the instruction "${instructionText}" (it knows ${instruction.instructions.length}: "${instruction.instructions.join('", "')}")`);
      }
      this.instruction = [index];
    }
  }

  /** `images` may be left out for a bundle that reads none. */
  encode(observation: Pick<Observation, 'proprio' | 'objectPoses'> & Partial<Pick<Observation, 'images'>>): EncodedObservation {
    const obs = this.manifest.observation;
    const proprio = Float32Array.from(normalizeQ99(observation.proprio, obs.proprio.normalization, 'proprio'));
    const raw = new Float64Array(7 * this.entityIndex.length);
    this.entityIndex.forEach((from, e) => {
      if (observation.objectPoses.length < 7 * (from + 1)) throw new ProcessingError('objectPoses', `objectPoses has ${observation.objectPoses.length} values, too few for object ${from}`);
      raw.set(observation.objectPoses.subarray(7 * from, 7 * from + 7), 7 * e);
    });
    const norm = obs.objectPoses.normalization;
    const objectPoses = Float32Array.from(norm ? normalizeQ99(raw, norm, 'object_poses') : raw);
    const images = this.preprocessors.map((pre) => this.encodeImage(pre, observation.images ?? {}));
    return { proprio, objectPoses, instruction: this.instruction, images };
  }

  private encodeImage(pre: ImagePreprocessor, images: Observation['images']): Float32Array {
    const { name } = pre.camera;
    const tensor = `image_${name}`;
    const wanted = `${pre.srcHeight} x ${pre.srcWidth} (height x width)`;
    const image = images[name];
    if (!image) {
      const has = Object.keys(images);
      throw new ProcessingError(tensor, `${tensor}: the observation has no "${name}" image (it has ${has.length ? has.join(', ') : 'none'}); bundle "${this.manifest.name}" needs it rendered at ${wanted}`);
    }
    if (image.height !== pre.srcHeight || image.width !== pre.srcWidth || image.channels !== 3) {
      throw new ProcessingError(tensor, `${tensor}: the observation's "${name}" image is ${image.height} x ${image.width} x ${image.channels} but bundle "${this.manifest.name}" needs ${wanted} x 3 (RGB), its render size`);
    }
    return pre.run(image);
  }
}

/** The observation tensors for a batch of encoded observations, in item order. */
export function observationFeeds(manifest: Manifest, items: readonly EncodedObservation[]): Record<string, Ort.Tensor> {
  const ort = loadOnnxRuntime();
  const obs = manifest.observation;
  const B = items.length;
  const P = obs.proprio.dim;
  const E7 = 7 * obs.objectPoses.entities.length;
  const I = obs.instruction.kind === 'tokens' ? obs.instruction.maxLength : 1;
  const proprio = new Float32Array(B * P);
  const poses = new Float32Array(B * E7);
  const instruction = new BigInt64Array(B * I);
  items.forEach((item, b) => {
    proprio.set(item.proprio, b * P);
    poses.set(item.objectPoses, b * E7);
    item.instruction.forEach((id, i) => (instruction[b * I + i] = BigInt(id)));
  });
  const feeds: Record<string, Ort.Tensor> = { proprio: new ort.Tensor('float32', proprio, [B, P]) };
  if (E7 > 0) feeds.object_poses = new ort.Tensor('float32', poses, [B, E7]);
  if (obs.instruction.kind === 'tokens') feeds.instruction_tokens = new ort.Tensor('int64', instruction, [B, I]);
  else feeds.instruction = new ort.Tensor('int64', instruction, [B]);
  if (obs.kind === 'vision') {
    obs.cameras.forEach(({ name, height, width }, c) => {
      const size = 3 * height * width;
      const data = new Float32Array(B * size);
      items.forEach((item, b) => data.set(item.images[c]!, b * size));
      feeds[`image_${name}`] = new ort.Tensor('float32', data, [B, 3, height, width]);
    });
  }
  return feeds;
}

function normalizeInstruction(s: string): string {
  return s.trim().toLowerCase().replace(/\s+/g, ' ');
}
