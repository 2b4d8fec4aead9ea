/**
 * Camera frames for replay: JPEG Blobs (from `runs.cameras`) decoded once into ImageBitmaps, shared
 * by the camera panel and the video export.
 */

const bitmaps = new WeakMap<Blob, Promise<ImageBitmap>>();

/** The decoded picture of a frame (decoded once per Blob). */
export function bitmapOf(blob: Blob): Promise<ImageBitmap> {
  let bitmap = bitmaps.get(blob);
  if (!bitmap) {
    bitmap = createImageBitmap(blob);
    bitmaps.set(blob, bitmap);
  }
  return bitmap;
}

/** Whether this browser can decode frames (jsdom cannot; every browser the app supports can). */
export function canDecodeFrames(): boolean {
  return typeof createImageBitmap === 'function';
}

/** The row a cursor shows: the recorded row of its whole step, or the last loaded one before it. */
export function rowAt(rows: readonly (readonly Blob[] | undefined)[], step: number): number {
  for (let r = Math.min(step, rows.length - 1); r >= 0; r--) if (rows[r]) return r;
  return -1;
}

/** LIBERO's camera names, said plainly beside the name itself. */
export function cameraTitle(name: string): string {
  switch (name) {
    case 'agentview':
      return 'agentview · front';
    case 'robot0_eye_in_hand':
      return 'robot0_eye_in_hand · wrist';
    default:
      return name;
  }
}
