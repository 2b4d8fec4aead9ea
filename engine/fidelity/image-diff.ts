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
  sameShape(a, b);
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

/** How far edge-alignment looks for a better match, in pixels each way. */
export const ALIGNMENT_RADIUS = 4;

export interface EdgeAlignment {
  /** The shift of `b` against `a` (pixels, x right, y down) at which their edges match best: (0, 0) when the cameras agree. */
  dx: number;
  dy: number;
  /** Normalised correlation of the two edge maps at that shift (1: the same edges). */
  correlation: number;
}

/**
 * Where the two images' edges line up best, within ALIGNMENT_RADIUS pixels: a camera pose or field
 * of view that differs shows as a shift away from (0, 0) even when colours differ everywhere.
 * Edges are the luminance gradient's magnitude (central differences).
 */
export function edgeAlignment(a: CameraImage, b: CameraImage, radius = ALIGNMENT_RADIUS): EdgeAlignment {
  sameShape(a, b);
  const ea = edges(a);
  const eb = edges(b);
  const { width: w, height: h } = a;
  let best: EdgeAlignment = { dx: 0, dy: 0, correlation: -Infinity };
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) {
      let ab = 0, aa = 0, bb = 0;
      for (let y = radius; y < h - radius; y++) {
        for (let x = radius; x < w - radius; x++) {
          const va = ea[y * w + x]!;
          const vb = eb[(y + dy) * w + x + dx]!;
          ab += va * vb; aa += va * va; bb += vb * vb;
        }
      }
      const correlation = aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
      // On a tie the smaller shift wins, so featureless images report (0, 0).
      const better = correlation > best.correlation + 1e-12 || (Math.abs(correlation - best.correlation) <= 1e-12 && Math.abs(dx) + Math.abs(dy) < Math.abs(best.dx) + Math.abs(best.dy));
      if (better) best = { dx, dy, correlation };
    }
  }
  return best;
}

function edges(image: CameraImage): Float64Array {
  const { width: w, height: h, data } = image;
  const lum = new Float64Array(w * h);
  for (let p = 0; p < w * h; p++) lum[p] = 0.299 * data[3 * p]! + 0.587 * data[3 * p + 1]! + 0.114 * data[3 * p + 2]!;
  const out = new Float64Array(w * h);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) out[y * w + x] = Math.hypot(lum[y * w + x + 1]! - lum[y * w + x - 1]!, lum[(y + 1) * w + x]! - lum[(y - 1) * w + x]!);
  }
  return out;
}

function sameShape(a: CameraImage, b: CameraImage): void {
  if (a.width !== b.width || a.height !== b.height || a.channels !== 3 || b.channels !== 3) {
    throw new ImageSizeError(`cannot compare a ${a.width}x${a.height}x${a.channels} image with a ${b.width}x${b.height}x${b.channels} one: both must be RGB of one size`);
  }
}
