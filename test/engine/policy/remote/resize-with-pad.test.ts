import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { orientImage, type RgbImage } from '../../../../engine/bundle/image.js';
import { resizeWithPad } from '../../../../engine/policy/remote/resize-with-pad.js';

// Golden outputs of Pillow 12.3's resize_with_pad (fixtures/make_resize_golden.py wrote them; Pillow
// is not in the project's environment, so the test reads the file rather than running Pillow).
const golden = JSON.parse(readFileSync(new URL('./fixtures/resize-golden.json', import.meta.url), 'utf8')) as {
  cases: { height: number; width: number; targetHeight: number; targetWidth: number; mirror: boolean; sha256: string; bytes?: string }[];
};

/** The generator's test image: bytes that vary along both axes and per channel. */
function pattern(height: number, width: number): RgbImage {
  const data = new Uint8Array(height * width * 3);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) for (let ch = 0; ch < 3; ch++) data[(r * width + c) * 3 + ch] = (r * 7 + c * 13 + ch * 101 + ((r * c) % 37)) % 256;
  return { height, width, data };
}

describe("resize_with_pad as openpi's client does it (Pillow's bilinear resize, zero padding)", () => {
  for (const c of golden.cases) {
    it(`${c.height}x${c.width} -> ${c.targetHeight}x${c.targetWidth}${c.mirror ? ', mirrored (rot180 of the OpenGL buffer)' : ''}: byte for byte Pillow's`, () => {
      const source = pattern(c.height, c.width);
      const out = resizeWithPad(c.mirror ? orientImage(source, 'rot180') : source, c.targetHeight, c.targetWidth);
      expect([out.height, out.width, out.data.length]).toEqual([c.targetHeight, c.targetWidth, c.targetHeight * c.targetWidth * 3]);
      if (c.bytes) expect(Array.from(out.data)).toEqual(Array.from(Buffer.from(c.bytes, 'base64')));
      expect(createHash('sha256').update(out.data).digest('hex')).toBe(c.sha256);
    });
  }

  it('leaves an image of the target size as it is', () => {
    const image = pattern(8, 8);
    expect(resizeWithPad(image, 8, 8)).toBe(image);
  });
});
