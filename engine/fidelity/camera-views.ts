import type { FixtureOffset } from '../api/schemas/fidelity.js';
import type { SimulatorSpec } from '../api/schemas/run-request.js';
import type { InitState } from '../libero/init-states.js';
import { NUM_WAIT_STEPS, WAIT_ACTION } from '../libero/suites.js';
import type { TaskSpec } from '../libero/task.js';
import type { CameraRequest } from '../sim/cameras.js';
import type { Pose } from '../sim/embedded/scene.js';
import { embeddedPhysics, EmbeddedSimulator } from '../sim/embedded/simulator.js';
import { createSimulator } from '../sim/factory.js';
import type { CameraImage, Simulator } from '../sim/simulator.js';
import { referenceFixtures } from './fixtures.js';
import { edgeAlignment, imageDifference, type EdgeAlignment, type ImageDifference } from './image-diff.js';

/**
 * What the cameras show at the start of an episode (docs/cameras.md), on any backend: reset to an
 * initial state, then the NUM_WAIT_STEPS steps of WAIT_ACTION an evaluation runs before the policy's
 * first step, and the images of that last observation: the first frame a policy sees.
 *
 * The comparison renders the same initial state in real LIBERO (the reference) and in the embedded
 * simulator, with the embedded fixtures (cabinet, stove) moved to where the reference's reset drew
 * them (engine/fidelity/fixtures.ts), so that the figures show rendering differences, not placement.
 */

export interface ViewRequest {
  task: TaskSpec;
  init: InitState;
  /** The initial state's index within its task: LIBERO draws its fixture poses for that episode. */
  initIndex: number;
  cameras: readonly CameraRequest[];
}

/** The images of one backend's first policy frame, by camera name. */
export type CameraViews = Record<string, CameraImage>;

export interface SimulatorOpening {
  cameras: readonly CameraRequest[];
  /** Embedded only: fixture root poses instead of the scene's defaults. */
  fixturePlacement?: Readonly<Record<string, Pose>>;
}

/** Makes a simulator of a kind with these cameras (tests substitute their own). */
export type OpenSimulator = (spec: SimulatorSpec, opening: SimulatorOpening) => Promise<Simulator>;

/** The camera asked for is missing from an observation: the backend does not render it. */
export class MissingCameraImageError extends Error {
  constructor(backend: string, camera: string, got: readonly string[]) {
    super(`the ${backend} simulator returned no "${camera}" image (it returned ${got.length ? got.join(', ') : 'no images'}): it does not render this camera`);
    this.name = 'MissingCameraImageError';
  }
}

/** The factory's simulator; an embedded one with other fixture poses is made directly (only it takes them). */
export const openSimulator: OpenSimulator = async (spec, { cameras, fixturePlacement }) => {
  if (spec.kind === 'embedded' && fixturePlacement) return EmbeddedSimulator.create({ cameras: [...cameras], fixturePlacement });
  return createSimulator(spec, { cameras });
};

/** The first policy frame's images on `sim` (made with the request's cameras), checked for size. */
export async function initialViews(sim: Simulator, request: ViewRequest): Promise<CameraViews> {
  let observation = await sim.reset(request.task, request.init, { index: request.initIndex });
  for (let i = 0; i < NUM_WAIT_STEPS; i++) observation = (await sim.step(WAIT_ACTION)).observation;
  return pickViews(sim.backend, observation.images, request.cameras);
}

function pickViews(backend: string, images: Record<string, CameraImage>, cameras: readonly CameraRequest[]): CameraViews {
  const views: CameraViews = {};
  for (const camera of cameras) {
    const image = images[camera.name];
    if (!image) throw new MissingCameraImageError(backend, camera.name, Object.keys(images));
    if (image.width !== camera.width || image.height !== camera.height || image.channels !== 3 || image.data.length !== image.width * image.height * 3) {
      throw new Error(`the ${backend} simulator's "${camera.name}" image is ${image.width}x${image.height}x${image.channels} (${image.data.length} bytes); ${camera.width}x${camera.height}x3 was asked for`);
    }
    views[camera.name] = image;
  }
  return views;
}

/** One backend's render of a request: its views, and the version it reported. */
export async function renderViews(spec: SimulatorSpec, request: ViewRequest, open: OpenSimulator = openSimulator): Promise<{ views: CameraViews; backend: string; version: string }> {
  const sim = await open(spec, { cameras: request.cameras });
  try {
    return { views: await initialViews(sim, request), backend: sim.backend, version: sim.version };
  } finally {
    await sim.close();
  }
}

export interface CameraComparison {
  camera: string;
  width: number;
  height: number;
  difference: ImageDifference;
  /** Where the edges line up best: (0, 0) when both cameras have the same pose and field of view. */
  alignment: EdgeAlignment;
  /** Per pixel, the largest channel difference (for the figure's heat map). */
  map: Uint8Array;
  embedded: CameraImage;
  reference: CameraImage;
}

export interface ViewComparison {
  embedded: { backend: string; version: string };
  reference: { backend: string; version: string };
  /** Where the reference's fixtures were against the embedded defaults (the embedded render used the reference's). */
  fixtures: FixtureOffset[];
  cameras: CameraComparison[];
}

/**
 * The request rendered in the reference (real LIBERO) and in the embedded simulator, and compared
 * per camera. The reference runs first: it is the likeliest to fail (an interpreter, an install).
 */
export async function compareViews(reference: SimulatorSpec, request: ViewRequest, open: OpenSimulator = openSimulator): Promise<ViewComparison> {
  const ref = await open(reference, { cameras: request.cameras });
  let refViews: CameraViews;
  let refFrames: { bodies: string[]; poses: Float64Array };
  try {
    let observation = await ref.reset(request.task, request.init, { index: request.initIndex });
    // Fixture poses right after the reset, as the fidelity report reads them.
    refFrames = { bodies: (await ref.sceneDescription()).bodies, poses: await ref.bodyPoses() };
    for (let i = 0; i < NUM_WAIT_STEPS; i++) observation = (await ref.step(WAIT_ACTION)).observation;
    refViews = pickViews(ref.backend, observation.images, request.cameras);
  } finally {
    await ref.close();
  }

  // The embedded scene with its default fixtures: where the reference's fixtures are measured from.
  const probe = await EmbeddedSimulator.create();
  let placement: ReturnType<typeof referenceFixtures>;
  try {
    await probe.reset(request.task, request.init);
    const frames = { bodies: (await probe.sceneDescription()).bodies, poses: await probe.bodyPoses() };
    const defaults = embeddedPhysics(probe, 'the camera comparison').scene.fixturePlacement;
    placement = referenceFixtures(Object.keys(defaults), refFrames, frames, defaults);
  } finally {
    await probe.close();
  }

  const emb = await open({ kind: 'embedded' }, { cameras: request.cameras, fixturePlacement: placement.placement });
  let embViews: CameraViews;
  try {
    embViews = await initialViews(emb, request);
  } finally {
    await emb.close();
  }

  const cameras = request.cameras.map((c): CameraComparison => {
    const embedded = embViews[c.name]!;
    const referenceImage = refViews[c.name]!;
    const { difference, map } = imageDifference(embedded, referenceImage);
    return { camera: c.name, width: c.width, height: c.height, difference, alignment: edgeAlignment(embedded, referenceImage), map, embedded, reference: referenceImage };
  });
  return {
    embedded: { backend: emb.backend, version: emb.version },
    reference: { backend: ref.backend, version: ref.version },
    fixtures: placement.offsets,
    cameras,
  };
}
