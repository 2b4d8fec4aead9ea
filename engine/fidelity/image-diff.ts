import type { CameraImage } from '../sim/simulator.js';

/**
 * How far two renders of the same camera are apart, per pixel (docs/cameras.md "Comparing with
 * real LIBERO"): the mean absolute difference over every pixel and channel, on the 0-255 scale,
 * and the fraction of pixels whose three channels are all within WITHIN_LEVELS of each other.
 */

/** A pixel "matches" when no channel differs by more than this many levels (of 255). */
export const WITHIN_LEVELS = 16;

export interface ImageDifference {
  /** Mean of |a - b| over all pixels and channels, 0-255. */
  meanAbsDiff: number;
  /** Fraction of pixels whose largest channel difference is at most WITHIN_LEVELS. */
  withinFraction: number;
  /** The largest channel difference of any pixel, 0-255. */
  maxAbsDiff: number;
}

export class ImageSizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageSizeError';
  }
}

/**
 * The summary, and the per-pixel map of the largest channel difference (one byte per pixel, row 0
 * at the top): what the comparison figure's heat map shows.
 */
export function imageDifference(a: CameraImage, b: CameraImage): { difference: ImageDifference; map: Uint8Array } {
  if (a.width !== b.width || a.height !== b.height || a.channels !== 3 || b.channels !== 3) {
    throw new ImageSizeError(`cannot compare a ${a.width}x${a.height}x${a.channels} image with a ${b.width}x${b.height}x${b.channels} one: both must be RGB of one size`);
  }
  const pixels = a.width * a.height;
  const map = new Uint8Array(pixels);
  let sum = 0;
  let within = 0;
  let max = 0;
  for (let p = 0; p < pixels; p++) {
    let pixelMax = 0;
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(a.data[3 * p + c]! - b.data[3 * p + c]!);
      sum += d;
      if (d > pixelMax) pixelMax = d;
    }
    map[p] = pixelMax;
    if (pixelMax <= WITHIN_LEVELS) within++;
    if (pixelMax > max) max = pixelMax;
  }
  return { difference: { meanAbsDiff: sum / (3 * pixels), withinFraction: within / pixels, maxAbsDiff: max }, map };
}
