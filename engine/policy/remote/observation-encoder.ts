import { mergeCameraRequests, type CameraRequest } from '../../sim/cameras.js';
import type { CameraImage } from '../../sim/simulator.js';
import type { PolicyInput } from '../policy.js';
import { ndarray, type NdArray, type Outgoing } from './msgpack-numpy.js';
import type { ImageSpec, PolicyProfile } from './profile.js';
import { resizeWithPad } from './resize-with-pad.js';

/**
 * A workbench observation as a policy server's observation map, by its profile (profile.ts): the
 * images turned and resized as the profile says, the state, object poses and task fields under the
 * profile's keys, in the profile's order (images, state, object poses, task fields, prompt).
 */

/** A camera the server's metadata asks for, and the key the profile sends it under. */
export interface ServerCamera extends CameraRequest {
  key: string;
}

/** An observation that does not have what the profile sends (a camera missing or of another size). */
export class ObservationEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ObservationEncodeError';
  }
}

export class ObservationEncoder {
  /** The cameras the simulator must render: the profile's and the server's, each at one size. */
  readonly cameras: CameraRequest[];

  constructor(
    private readonly profile: PolicyProfile,
    private readonly serverCameras: readonly ServerCamera[],
  ) {
    this.cameras = mergeCameraRequests(
      profile.observation.images.map((i) => ({ name: i.camera, width: i.render.width, height: i.render.height })),
      serverCameras.map(({ name, width, height }) => ({ name, width, height })),
    );
  }

  encode({ observation, task }: PolicyInput): Record<string, Outgoing> {
    const o = this.profile.observation;
    const out: Record<string, Outgoing> = {};
    for (const spec of o.images) out[spec.key] = profileImage(spec, this.image(observation.images, spec.camera, spec.render));
    for (const c of this.serverCameras) out[c.key] = rgb(this.image(observation.images, c.name, c));
    if (o.state) out[o.state] = ndarray(Float32Array.from(observation.proprio), [observation.proprio.length]);
    if (o.objectPoses) {
      if (observation.objectPoses.length !== task.objects.length * 7) throw new ObservationEncodeError(`the observation has ${observation.objectPoses.length / 7} object poses, the task ${task.objects.length} objects`);
      out[o.objectPoses] = ndarray(Float32Array.from(observation.objectPoses), [task.objects.length, 7]);
    }
    if (o.taskObjects) out[o.taskObjects] = [...task.objects];
    if (o.taskSuite) out[o.taskSuite] = task.suite;
    if (o.taskId) out[o.taskId] = task.taskId;
    if (o.prompt) out[o.prompt] = task.instruction;
    return out;
  }

  private image(images: Record<string, CameraImage>, camera: string, size: { width: number; height: number }): CameraImage {
    const image = images[camera];
    if (!image) throw new ObservationEncodeError(`the observation has no "${camera}" image (it has ${Object.keys(images).join(', ') || 'none'})`);
    if (image.width !== size.width || image.height !== size.height || image.channels !== 3) {
      throw new ObservationEncodeError(`the "${camera}" image is ${image.width}x${image.height}x${image.channels}, the policy expects ${size.width}x${size.height}x3`);
    }
    return image;
  }
}

function rgb(image: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }): NdArray {
  const data = image.data instanceof Uint8Array ? image.data : new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return ndarray(data, [image.height, image.width, 3]);
}

/** An image turned (rot180: the left-right mirror of the upright render) and resized with padding, as the profile says. */
function profileImage(spec: ImageSpec, image: CameraImage): NdArray {
  let out: { width: number; height: number; data: Uint8Array | Uint8ClampedArray } = spec.orientation === 'rot180' ? mirrorColumns(image) : image;
  if (spec.resizeWithPad) out = resizeWithPad(out, spec.resizeWithPad.height, spec.resizeWithPad.width);
  return rgb(out);
}

/**
 * The left-right mirror of an RGB image: what `img[::-1, ::-1]` of the bottom-up OpenGL buffer is on
 * an upright render (engine/bundle/image.ts derives it; its orientImage does the same, slower).
 */
export function mirrorColumns(image: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }): { width: number; height: number; data: Uint8Array } {
  const { width, height, data } = image;
  const out = new Uint8Array(width * height * 3);
  for (let r = 0; r < height; r++) {
    const row = r * width * 3;
    for (let c = 0, from = row + (width - 1) * 3; c < width; c++, from -= 3) {
      const to = row + c * 3;
      out[to] = data[from]!;
      out[to + 1] = data[from + 1]!;
      out[to + 2] = data[from + 2]!;
    }
  }
  return { width, height, data: out };
}
