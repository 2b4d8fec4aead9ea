import type { Manifest } from './manifest.js';
import { ProcessingError } from './processing.js';

/**
 * Camera images to the policy's `image_<camera>` tensor: float32 [3, h, w] in [0, 1], oriented,
 * centre-cropped and resized as the manifest's camera entry says (docs/bundle-format.md).
 *
 * Orientation. Let U[r][c] be our render as the camera sees it: row 0 at the top, column 0 at
 * camera-left (the input here). What OFT's policy sees (docs/libero.md 4.2):
 * - MuJoCo's mjr_readPixels fills rows bottom-up, and robosuite ("opengl" convention) passes that
 *   buffer on unchanged: G[r][c] = U[H-1-r][c].
 * - OFT takes img[::-1, ::-1] of it: P[r][c] = G[H-1-r][W-1-c] = U[r][W-1-c].
 * The two row flips cancel; the column flip stays. So `rot180` on an upright render is a left-right
 * MIRROR, not a 180° rotation (which would leave the image upside down). This matches the research
 * note: in OFT's sample observation the cabinet, at camera-left, appears on the right.
 *
 * Crop and resize. OFT: JPEG encode/decode, tf.image.resize 256 -> 224 with lanczos3 (antialiased),
 * round to uint8, then tf.image.crop_and_resize of the central box of side sqrt(0.9) back to 224 x
 * 224 (bilinear), round to uint8 again. We resample once, from the source straight to (h, w): the
 * crop is the central box of side sqrt(centerCrop) of each dimension in continuous coordinates, and
 * output pixel i samples its centre at start + (i + 0.5) * side / out (half-pixel centres). That
 * puts every sample exactly where OFT's two stages put it (when the crop's output size equals its
 * input size, as in OFT, half-pixel centres coincide with crop_and_resize's corner-aligned
 * points: with s = sqrt(centerCrop) = 1 - 2 off, sample 0 is at off n + s/2 - 0.5 = off (n - 1) and
the step is s = s (n - 1) / (n - 1)). The filter differs: ours is a triangle (bilinear)
 * filter, plain bilinear when upscaling and widened to the scale factor when downscaling (the
 * antialiasing of tf.image.resize(bilinear, antialias=True) and PIL's BILINEAR), not area averaging;
 * no JPEG round trip, no lanczos3, no uint8 rounding between stages. Taps outside the image are
 * dropped and the rest renormalised.
 */

export type CameraSpec = Manifest['observation']['cameras'][number];

/** RGB, uint8, H x W x 3 interleaved, row 0 at the top. */
export interface RgbImage {
  readonly height: number;
  readonly width: number;
  readonly data: Uint8Array | Uint8ClampedArray;
}

function checkSize(name: string, height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new ProcessingError(name, `${name} is ${height} x ${width}; needs positive integer sizes`);
  }
}

function checkImage(name: string, image: RgbImage): void {
  const { height, width, data } = image;
  checkSize(name, height, width);
  if (data.length !== height * width * 3) {
    throw new ProcessingError(name, `${name} has ${data.length} bytes but ${height} x ${width} x 3 needs ${height * width * 3}`);
  }
}

/** The image as the policy's orientation sees it (see the derivation above): `rot180` mirrors the columns. */
export function orientImage(image: RgbImage, orientation: CameraSpec['orientation']): RgbImage {
  checkImage('image', image);
  const { height, width, data } = image;
  if (orientation === 'upright') return { height, width, data: data.slice() };
  const out = new Uint8Array(data.length);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const from = (r * width + (width - 1 - c)) * 3;
      out.set(data.subarray(from, from + 3), (r * width + c) * 3);
    }
  }
  return { height, width, data: out };
}

/** A 1-D resampling: output i is Σ_k weight[i*taps + k] * source[index[i*taps + k]]. */
interface Filter {
  readonly taps: number;
  readonly index: Int32Array;
  readonly weight: Float64Array;
  /** Lowest and highest source index any tap reads. */
  readonly first: number;
  readonly last: number;
}

/**
 * Triangle filter from `size` source pixels, keeping the central `keep` fraction of the side, to
 * `out` pixels; `mirror` reads the source reversed (for free, instead of copying a flipped image).
 */
export function resampleFilter(size: number, out: number, keep: number, mirror: boolean): Filter {
  const side = size * keep;
  const start = (size - side) / 2;
  const scale = side / out;
  const radius = Math.max(scale, 1);
  const taps = Math.floor(2 * radius) + 1;
  const index = new Int32Array(out * taps);
  const weight = new Float64Array(out * taps);
  let first = size - 1;
  let last = 0;
  for (let i = 0; i < out; i++) {
    // The sample's centre in pixel-centre coordinates (pixel j's centre is at j).
    const c = start + (i + 0.5) * scale - 0.5;
    const lo = Math.max(0, Math.ceil(c - radius));
    const hi = Math.min(size - 1, Math.floor(c + radius));
    let sum = 0;
    let k = i * taps;
    for (let j = lo; j <= hi && k < (i + 1) * taps; j++, k++) {
      const w = 1 - Math.abs(j - c) / radius;
      const src = mirror ? size - 1 - j : j;
      index[k] = src;
      weight[k] = w;
      sum += w;
      first = Math.min(first, src);
      last = Math.max(last, src);
    }
    // Unused taps read this output's first pixel with weight 0, so they never touch rows left unfiltered.
    for (; k < (i + 1) * taps; k++) index[k] = index[i * taps]!;
    for (let t = i * taps; t < (i + 1) * taps; t++) weight[t] = weight[t]! / sum;
  }
  return { taps, index, weight, first, last };
}

/**
 * One camera's preprocessing for a fixed source size: filters and scratch space are made once,
 * so each frame only reads the image and writes the tensor.
 */
export class ImagePreprocessor {
  readonly outHeight: number;
  readonly outWidth: number;
  private readonly rows: Filter;
  private readonly cols: Filter;
  /** Source rows filtered along x: [srcHeight, outWidth, 3]. */
  private readonly scratch: Float64Array;

  constructor(
    readonly camera: CameraSpec,
    readonly srcHeight: number,
    readonly srcWidth: number,
  ) {
    checkSize(`image_${camera.name}`, srcHeight, srcWidth);
    this.outHeight = camera.height;
    this.outWidth = camera.width;
    const keep = Math.sqrt(camera.centerCrop ?? 1);
    this.rows = resampleFilter(srcHeight, camera.height, keep, false);
    this.cols = resampleFilter(srcWidth, camera.width, keep, camera.orientation === 'rot180');
    this.scratch = new Float64Array(srcHeight * camera.width * 3);
  }

  /** Number of floats one image takes in the tensor: 3 * h * w. */
  get size(): number {
    return 3 * this.outHeight * this.outWidth;
  }

  /** Writes the image as float32 CHW in [0, 1] into `out` at `offset` (a batch tensor's slot), and returns `out`. */
  run(image: RgbImage, out: Float32Array = new Float32Array(this.size), offset = 0): Float32Array {
    const name = `image_${this.camera.name}`;
    checkImage(name, image);
    if (image.height !== this.srcHeight || image.width !== this.srcWidth) {
      throw new ProcessingError(name, `${name} is ${image.height} x ${image.width} but this preprocessor was made for ${this.srcHeight} x ${this.srcWidth}`);
    }
    if (!Number.isInteger(offset) || offset < 0 || offset + this.size > out.length) {
      throw new ProcessingError(name, `${name} needs ${this.size} floats at offset ${offset} but the tensor has ${out.length}`);
    }
    const { data } = image;
    const { rows, cols, scratch } = this;
    const w = this.outWidth;
    const h = this.outHeight;
    const W = this.srcWidth;

    // Along x, only the source rows that some output row reads.
    for (let y = rows.first; y <= rows.last; y++) {
      for (let x = 0; x < w; x++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let k = x * cols.taps; k < (x + 1) * cols.taps; k++) {
          const wt = cols.weight[k]!;
          const p = (y * W + cols.index[k]!) * 3;
          r += wt * data[p]!;
          g += wt * data[p + 1]!;
          b += wt * data[p + 2]!;
        }
        const s = (y * w + x) * 3;
        scratch[s] = r;
        scratch[s + 1] = g;
        scratch[s + 2] = b;
      }
    }

    // Along y, straight into the planar tensor. Weights are non-negative and sum to 1, so values stay in [0, 255].
    const plane = h * w;
    for (let i = 0; i < h; i++) {
      for (let x = 0; x < w; x++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let k = i * rows.taps; k < (i + 1) * rows.taps; k++) {
          const wt = rows.weight[k]!;
          const s = (rows.index[k]! * w + x) * 3;
          r += wt * scratch[s]!;
          g += wt * scratch[s + 1]!;
          b += wt * scratch[s + 2]!;
        }
        const o = offset + i * w + x;
        out[o] = r / 255;
        out[o + plane] = g / 255;
        out[o + 2 * plane] = b / 255;
      }
    }
    return out;
  }
}

/** One-off convenience: a preprocessor for this image's size, run once. Keep an ImagePreprocessor for a stream of frames. */
export function prepareImage(image: RgbImage, camera: CameraSpec, out?: Float32Array, offset = 0): Float32Array {
  checkImage(`image_${camera.name}`, image);
  return new ImagePreprocessor(camera, image.height, image.width).run(image, out, offset);
}
