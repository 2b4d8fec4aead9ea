/**
 * Which cameras a simulator renders into each observation (docs/cameras.md). A policy's metadata
 * names the cameras and sizes it needs; a run may ask for more to keep in its trajectories. A
 * simulator given none renders none, so state policies keep the physics' speed.
 */

/** One camera to render: LIBERO's name and the size of the image, in pixels. */
export interface CameraRequest {
  name: string;
  width: number;
  height: number;
}

/** LIBERO's two cameras (docs/libero.md 4.2): the tabletop view and the wrist view. */
export const AGENTVIEW = 'agentview';
export const EYE_IN_HAND = 'robot0_eye_in_hand';
export const LIBERO_CAMERAS: readonly string[] = [AGENTVIEW, EYE_IN_HAND];

export interface SimulatorOptions {
  /** Rendered into every observation's `images`, upright (row 0 at the top, column 0 camera-left), RGB. */
  cameras?: readonly CameraRequest[];
}

/** The union of several requests by name; the same camera asked at two sizes is an error naming both. */
export function mergeCameraRequests(...lists: (readonly CameraRequest[] | undefined)[]): CameraRequest[] {
  const out = new Map<string, CameraRequest>();
  for (const list of lists) {
    for (const c of list ?? []) {
      const seen = out.get(c.name);
      if (seen && (seen.width !== c.width || seen.height !== c.height)) {
        throw new Error(`camera "${c.name}" is asked for at ${seen.width}x${seen.height} and at ${c.width}x${c.height}; one simulator renders each camera at one size`);
      }
      out.set(c.name, { name: c.name, width: c.width, height: c.height });
    }
  }
  return [...out.values()];
}
