import type { RgbImage } from '../../bundle/image.js';

/**
 * openpi's `image_tools.resize_with_pad` (packages/openpi-client), which its LIBERO example applies
 * to every camera before sending: the image is scaled by one factor to fit inside height x width
 * (each side `int(side / ratio)`), centred (offsets `int((target - side) / 2)`) on a black canvas.
 * The scaling is PIL's `Image.resize(..., BILINEAR)` reproduced to the byte: PIL's triangle filter
 * widened by the scale factor when shrinking (so it antialiases), its weights rounded to 22-bit
 * fixed point, a horizontal pass rounded to uint8 and then a vertical pass (libImaging/Resample.c).
 * An image already of the target size is returned as it is, as openpi does; a square render to a
 * square target is a plain resize with no padding. Checked against Pillow 12.3 on golden outputs
 * (test/engine/policy/remote/resize-with-pad.test.ts).
 */
export function resizeWithPad(image: RgbImage, height: number, width: number): RgbImage {
  if (image.height === height && image.width === width) return image;
  const ratio = Math.max(image.width / width, image.height / height);
  const h = Math.trunc(image.height / ratio);
  const w = Math.trunc(image.width / ratio);
  const resized = pilBilinearResize(image, h, w);
  const out = new Uint8Array(height * width * 3);
  const top = Math.max(0, Math.trunc((height - h) / 2));
  const left = Math.max(0, Math.trunc((width - w) / 2));
  for (let r = 0; r < h; r++) out.set(resized.data.subarray(r * w * 3, (r + 1) * w * 3), ((top + r) * width + left) * 3);
  return { height, width, data: out };
}

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

/** Per output pixel: the first source pixel, how many it reads, and their fixed-point weights (`ksize` slots each). */
interface Coeffs {
  ksize: number;
  bounds: Int32Array;
  weights: Int32Array;
}

const cache = new Map<string, Coeffs>();

/** libImaging's precompute_coeffs + normalize_coeffs_8bpc for the bilinear filter (support 1), made once per pair of sizes. */
function coefficients(inSize: number, outSize: number): Coeffs {
  const key = `${inSize}>${outSize}`;
  let c = cache.get(key);
  if (!c) cache.set(key, (c = computeCoefficients(inSize, outSize)));
  return c;
}

function computeCoefficients(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 1 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * (1 / filterscale));
      const w = t < 1 ? 1 - t : 0;
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? k[x]! / ww : k[x]!;
      weights[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

/**
 * PIL's two-pass resize of an RGB image: horizontal then vertical, each rounded to uint8, a pass
 * skipped when its size is unchanged. Sums stay below 2^31 (weights total 2^22, bytes at most 255),
 * so `>> 22` is clip8's arithmetic shift; the clamp is PIL's lookup table.
 */
function pilBilinearResize(image: RgbImage, outH: number, outW: number): RgbImage {
  let data: Uint8Array | Uint8ClampedArray = image.data;
  let w = image.width;
  const h = image.height;
  if (outW !== w) {
    const { bounds, weights, ksize } = coefficients(w, outW);
    const next = new Uint8Array(h * outW * 3);
    for (let y = 0; y < h; y++) {
      const row = y * w * 3;
      let o = y * outW * 3;
      for (let xx = 0; xx < outW; xx++, o += 3) {
        const n = bounds[xx * 2 + 1]!;
        let p = row + bounds[xx * 2]! * 3;
        let k = xx * ksize;
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        for (let x = 0; x < n; x++, p += 3, k++) {
          const kw = weights[k]!;
          s0 += data[p]! * kw;
          s1 += data[p + 1]! * kw;
          s2 += data[p + 2]! * kw;
        }
        next[o] = clamp(s0 >> PRECISION_BITS);
        next[o + 1] = clamp(s1 >> PRECISION_BITS);
        next[o + 2] = clamp(s2 >> PRECISION_BITS);
      }
    }
    data = next;
    w = outW;
  }
  if (outH !== h) {
    const { bounds, weights, ksize } = coefficients(h, outH);
    const rowLength = w * 3;
    const next = new Uint8Array(outH * rowLength);
    const acc = new Float64Array(rowLength);
    for (let yy = 0; yy < outH; yy++) {
      acc.fill(HALF);
      const ymin = bounds[yy * 2]!;
      const n = bounds[yy * 2 + 1]!;
      for (let y = 0; y < n; y++) {
        const kw = weights[yy * ksize + y]!;
        const row = (y + ymin) * rowLength;
        for (let i = 0; i < rowLength; i++) acc[i]! += data[row + i]! * kw;
      }
      const o = yy * rowLength;
      for (let i = 0; i < rowLength; i++) next[o + i] = clamp(acc[i]! >> PRECISION_BITS);
    }
    data = next;
  }
  return { height: outH, width: w, data: data instanceof Uint8Array ? data : new Uint8Array(data) };
}

const HALF = 1 << (PRECISION_BITS - 1);

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
