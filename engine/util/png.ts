import { PNG } from 'pngjs';

/**
 * PNG files of RGB images (docs/cameras.md). pngjs, pure JavaScript with no dependencies of its
 * own: it runs in Node, in a worker thread and inside the packaged app without native builds, and
 * its output for the same pixels is the same bytes everywhere (zlib at a fixed level).
 */

/** Row-major, top row first, 3 bytes per pixel (RGB): the shape of an observation's camera image. */
export interface RgbImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

export class PngError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PngError';
  }
}

/** An RGB image as PNG bytes (8-bit RGB, no alpha: camera images are opaque). */
export function encodePng(image: RgbImage): Buffer {
  const { width, height, channels, data } = image;
  if (channels !== 3) throw new PngError(`expected an RGB image (3 channels), got ${channels}`);
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new PngError(`expected a positive integer size, got ${width}x${height}`);
  if (data.length !== width * height * 3) throw new PngError(`a ${width}x${height} RGB image has ${width * height * 3} bytes, got ${data.length}`);
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 9 });
}

/** PNG bytes as an RGB image (alpha dropped; pngjs expands every colour type to 8-bit RGBA). */
export function decodePng(bytes: Uint8Array): RgbImage {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (thrown) {
    throw new PngError(`not a readable PNG: ${(thrown as Error).message}`);
  }
  const { width, height } = png;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < data.length; i += 3, j += 4) {
    data[i] = png.data[j]!;
    data[i + 1] = png.data[j + 1]!;
    data[i + 2] = png.data[j + 2]!;
  }
  return { width, height, channels: 3, data };
}
