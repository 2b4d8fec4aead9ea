import { describe, expect, it } from 'vitest';
import { ImagePreprocessor, orientImage, prepareImage, type CameraSpec, type RgbImage } from '../../../engine/bundle/image.js';
import { ProcessingError } from '../../../engine/bundle/processing.js';

function camera(height: number, width: number, orientation: CameraSpec['orientation'] = 'upright', centerCrop: number | null = null): CameraSpec {
  return { name: 'agentview', height, width, orientation, centerCrop };
}

function image(height: number, width: number, pixel: (r: number, c: number) => [number, number, number]): RgbImage {
  const data = new Uint8Array(height * width * 3);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) data.set(pixel(r, c), (r * width + c) * 3);
  return { height, width, data };
}

/** Channel `ch` of a CHW tensor as rows of values scaled back to 0..255. */
function channel(t: Float32Array, ch: number, h: number, w: number): number[][] {
  return Array.from({ length: h }, (_, r) => Array.from({ length: w }, (_, c) => t[ch * h * w + r * w + c]! * 255));
}

function expectClose(got: number[][], want: number[][], tol = 1e-4): void {
  expect(got.length).toBe(want.length);
  got.forEach((row, r) => row.forEach((v, c) => expect(Math.abs(v - want[r]![c]!), `[${r}][${c}] = ${v}, want ${want[r]![c]}`).toBeLessThan(tol)));
}

// 2 x 3, every pixel distinct: pixel (r, c) = [10k + 1, 10k + 2, 10k + 3] with k = 3r + c.
const SMALL = image(2, 3, (r, c) => {
  const k = 3 * r + c;
  return [10 * k + 1, 10 * k + 2, 10 * k + 3];
});

describe('orientation', () => {
  it('keeps an upright image and mirrors the columns for rot180', () => {
    expect([...orientImage(SMALL, 'upright').data]).toEqual([...SMALL.data]);
    // Row 0 was pixels k = 0, 1, 2 and becomes 2, 1, 0; row 1: 5, 4, 3.
    expect([...orientImage(SMALL, 'rot180').data]).toEqual([21, 22, 23, 11, 12, 13, 1, 2, 3, 51, 52, 53, 41, 42, 43, 31, 32, 33]);
  });

  it("equals OFT's img[::-1, ::-1] of the bottom-up OpenGL buffer of the same view", () => {
    const { height: H, width: W, data } = SMALL;
    const px = (d: Uint8Array | Uint8ClampedArray, r: number, c: number) => [...d.subarray((r * W + c) * 3, (r * W + c) * 3 + 3)];
    // mjr_readPixels: row 0 of the buffer is the bottom row of the view.
    const gl = image(H, W, (r, c) => px(data, H - 1 - r, c) as [number, number, number]);
    const oft = image(H, W, (r, c) => px(gl.data, H - 1 - r, W - 1 - c) as [number, number, number]);
    expect([...orientImage(SMALL, 'rot180').data]).toEqual([...oft.data]);
  });

  it('carries through to the CHW tensor at the same size (identity resample, exact)', () => {
    const chw = (planes: number[][]) => new Float32Array(planes.flat().map((v) => v / 255));
    expect(prepareImage(SMALL, camera(2, 3))).toEqual(chw([[1, 11, 21, 31, 41, 51], [2, 12, 22, 32, 42, 52], [3, 13, 23, 33, 43, 53]]));
    expect(prepareImage(SMALL, camera(2, 3, 'rot180'))).toEqual(chw([[21, 11, 1, 51, 41, 31], [22, 12, 2, 52, 42, 32], [23, 13, 3, 53, 43, 33]]));
  });
});

// 8 x 8 gradient: R = 20c + 10, G = 20r + 10, B = 128. A triangle filter reproduces a linear ramp,
// so each output is the ramp at its sample point, in pixel-centre coordinates.
const RAMP = image(8, 8, (r, c) => [20 * c + 10, 20 * r + 10, 128]);

describe('centre crop and resize', () => {
  it('downscales the central crop with the filter widened to the scale', () => {
    // centerCrop 0.25: side 0.5, the central 4 x 4 (continuous 2..6). To 2 x 2: scale 2, samples at
    // continuous 3 and 5 = pixel coordinates 2.5 and 4.5, so R = 60, 100 (taps 1..4 weighted 1:3:3:1).
    const out = prepareImage(RAMP, camera(2, 2, 'upright', 0.25));
    expectClose(channel(out, 0, 2, 2), [[60, 100], [60, 100]]);
    expectClose(channel(out, 1, 2, 2), [[60, 60], [100, 100]]);
    expectClose(channel(out, 2, 2, 2), [[128, 128], [128, 128]]);
    const mirrored = prepareImage(RAMP, camera(2, 2, 'rot180', 0.25));
    expectClose(channel(mirrored, 0, 2, 2), [[100, 60], [100, 60]]);
    expectClose(channel(mirrored, 1, 2, 2), [[60, 60], [100, 100]]);
  });

  it('upscales the central crop bilinearly', () => {
    // The same 4 x 4 crop to 8 x 8: scale 0.5, pixel coordinates 1.75 + 0.5 i, so R = 45 + 10 i.
    const out = prepareImage(RAMP, camera(8, 8, 'upright', 0.25));
    const row = Array.from({ length: 8 }, (_, i) => 45 + 10 * i);
    expectClose(channel(out, 0, 8, 8), Array.from({ length: 8 }, () => row));
    expectClose(channel(out, 1, 8, 8), row.map((v) => Array.from({ length: 8 }, () => v)));
  });

  it("samples where OFT's crop_and_resize does for its 224 -> 224 crop of 90 % area", () => {
    const ramp = image(224, 224, (r, c) => [c, r, 0]);
    const side = Math.sqrt(0.9);
    const off = (1 - side) / 2;
    const out = prepareImage(ramp, camera(224, 224, 'upright', 0.9));
    const R = channel(out, 0, 224, 224);
    const G = channel(out, 1, 224, 224);
    for (let i = 0; i < 224; i++) {
      // crop_and_resize with box [off, off + side]: sample i at off (n - 1) + i side (n - 1) / (n - 1).
      const x = off * 223 + i * side;
      expect(Math.abs(R[0]![i]! - x), `column ${i}`).toBeLessThan(1e-3);
      expect(Math.abs(G[i]![0]! - x), `row ${i}`).toBeLessThan(1e-3);
    }
  });

  it('drops taps outside the image and renormalises; averages 2 x 2 to 1 x 1', () => {
    // 1 x 4 grey [0, 100, 200, 40] to 1 x 2: scale 2, samples at pixel coordinates 0.5 and 2.5,
    // triangle weights 0.25 : 0.75 : 0.75 : 0.25, the tap at -1 dropped and the rest renormalised.
    const grey = [0, 100, 200, 40];
    const line = image(1, 4, (_, c) => [grey[c]!, grey[c]!, grey[c]!]);
    const out = prepareImage(line, camera(1, 2));
    expectClose(channel(out, 0, 1, 2), [[(0.75 * 0 + 0.75 * 100 + 0.25 * 200) / 1.75, (0.25 * 100 + 0.75 * 200 + 0.75 * 40) / 1.75]]);
    const square = image(2, 2, (r, c) => [[10, 20, 30, 60][2 * r + c]!, 0, 255]);
    const one = prepareImage(square, camera(1, 1));
    expectClose([[one[0]! * 255, one[1]! * 255, one[2]! * 255]], [[30, 0, 255]]);
  });
});

describe('ImagePreprocessor', () => {
  it('writes into a batch slot of a preallocated tensor and leaves the rest alone', () => {
    const pre = new ImagePreprocessor(camera(2, 2, 'rot180', 0.25), 8, 8);
    const batch = new Float32Array(2 * pre.size).fill(-1);
    const returned = pre.run(RAMP, batch, pre.size);
    expect(returned).toBe(batch);
    expect([...batch.subarray(0, pre.size)].every((v) => v === -1)).toBe(true);
    expectClose(channel(batch.subarray(pre.size), 0, 2, 2), [[100, 60], [100, 60]]);
    // Reused scratch gives the same answer on the next frame.
    expect([...pre.run(RAMP)]).toEqual([...batch.subarray(pre.size)]);
  });

  it('refuses bad images and tensors, naming them', () => {
    const pre = new ImagePreprocessor(camera(2, 2), 8, 8);
    const cases: [() => unknown, RegExp][] = [
      [() => pre.run({ height: 8, width: 8, data: new Uint8Array(10) }), /image_agentview has 10 bytes but 8 x 8 x 3 needs 192/],
      [() => pre.run(SMALL), /image_agentview is 2 x 3 but this preprocessor was made for 8 x 8/],
      [() => pre.run(RAMP, new Float32Array(12), 1), /needs 12 floats at offset 1 but the tensor has 12/],
    ];
    for (const [fn, message] of cases) {
      expect(fn).toThrow(ProcessingError);
      expect(fn).toThrow(message);
    }
  });
});
