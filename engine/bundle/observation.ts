import type * as Ort from 'onnxruntime-node';
import type { Observation } from '../sim/simulator.js';
import type { Manifest } from './manifest.js';
import { loadOnnxRuntime } from './onnxruntime.js';
import { normalizeQ99, ProcessingError } from './processing.js';

/**
 * A simulator observation to the bundle's observation tensors (docs/bundle-format.md
 * "Observation tensors"): q99-normalised proprio, the poses of the manifest's entities picked out
 * of the task's objects by name, and the task's instruction as an index into the manifest's list.
 * One encoder per (bundle, task); `feeds` batches the encoded items of several environments.
 */

/** One environment's encoded observation. */
export interface EncodedObservation {
  proprio: Float32Array;
  objectPoses: Float32Array;
  instruction: number;
}

export class ObservationEncoder {
  /** For each manifest entity, its index in the task's objects. */
  private readonly entityIndex: number[];
  readonly instruction: number;

  constructor(
    private readonly manifest: Manifest,
    /** The task's objects in the order the simulator reports their poses. */
    taskObjects: readonly string[],
    /** The task's natural-language instruction. */
    instructionText: string,
  ) {
    const obs = manifest.observation;
    if (obs.kind === 'vision') {
      throw new ProcessingError('observation.kind', `bundle "${manifest.name}" needs camera images (${obs.cameras.map((c) => c.name).join(', ')}), which the embedded simulator does not render yet`);
    }
    this.entityIndex = obs.objectPoses.entities.map((name) => {
      const i = taskObjects.indexOf(name);
      if (i < 0) throw new ProcessingError('observation.objectPoses.entities', `bundle "${manifest.name}" observes "${name}", which this task does not have (its objects: ${taskObjects.join(', ')})`);
      return i;
    });
    const wanted = normalizeInstruction(instructionText);
    this.instruction = obs.instruction.instructions.findIndex((s) => normalizeInstruction(s) === wanted);
    if (this.instruction < 0) {
      throw new ProcessingError('observation.instruction', `bundle "${manifest.name}" was not trained on the instruction "${instructionText}" (it knows ${obs.instruction.instructions.length}: "${obs.instruction.instructions.join('", "')}")`);
    }
  }

  encode(observation: Pick<Observation, 'proprio' | 'objectPoses'>): EncodedObservation {
    const obs = this.manifest.observation;
    const proprio = Float32Array.from(normalizeQ99(observation.proprio, obs.proprio.normalization, 'proprio'));
    const raw = new Float64Array(7 * this.entityIndex.length);
    this.entityIndex.forEach((from, e) => {
      if (observation.objectPoses.length < 7 * (from + 1)) throw new ProcessingError('objectPoses', `objectPoses has ${observation.objectPoses.length} values, too few for object ${from}`);
      raw.set(observation.objectPoses.subarray(7 * from, 7 * from + 7), 7 * e);
    });
    const norm = obs.objectPoses.normalization;
    const objectPoses = Float32Array.from(norm ? normalizeQ99(raw, norm, 'object_poses') : raw);
    return { proprio, objectPoses, instruction: this.instruction };
  }
}

/** The observation tensors for a batch of encoded observations, in item order. */
export function observationFeeds(manifest: Manifest, items: readonly EncodedObservation[]): Record<string, Ort.Tensor> {
  const ort = loadOnnxRuntime();
  const B = items.length;
  const P = manifest.observation.proprio.dim;
  const E7 = 7 * manifest.observation.objectPoses.entities.length;
  const proprio = new Float32Array(B * P);
  const poses = new Float32Array(B * E7);
  const instruction = new BigInt64Array(B);
  items.forEach((item, b) => {
    proprio.set(item.proprio, b * P);
    poses.set(item.objectPoses, b * E7);
    instruction[b] = BigInt(item.instruction);
  });
  const feeds: Record<string, Ort.Tensor> = {
    proprio: new ort.Tensor('float32', proprio, [B, P]),
    instruction: new ort.Tensor('int64', instruction, [B]),
  };
  if (E7 > 0) feeds.object_poses = new ort.Tensor('float32', poses, [B, E7]);
  return feeds;
}

function normalizeInstruction(s: string): string {
  return s.trim().toLowerCase().replace(/\s+/g, ' ');
}
