/**
 * A 3x5 pixel font for labels on figures the engine writes (the camera comparison): upper-case
 * letters, digits and a few signs, so a figure names its panels and scale without a font file.
 */

const GLYPHS: Readonly<Record<string, string>> = {
  A: '010101111101101', B: '110101110101110', C: '011100100100011', D: '110101101101110',
  E: '111100110100111', F: '111100110100100', G: '011100101101011', H: '101101111101101',
  I: '111010010010111', J: '001001001101010', K: '101101110101101', L: '100100100100111',
  M: '101111111101101', N: '110101101101101', O: '010101101101010', P: '110101110100100',
  Q: '010101101110011', R: '110101110101101', S: '011100010001110', T: '111010010010010',
  U: '101101101101111', V: '101101101101010', W: '101101111111101', X: '101101010101101',
  Y: '101101010010010', Z: '111001010100111',
  '0': '111101101101111', '1': '010110010010111', '2': '110001010100111', '3': '110001010001110',
  '4': '101101111001001', '5': '111100110001110', '6': '011100111101111', '7': '111001010010010',
  '8': '111101111101111', '9': '111101111001110',
  ' ': '000000000000000', '-': '000000111000000', '|': '010010010010010', '.': '000000000000010',
  '+': '000010111010000', '/': '001001010100100', '%': '101001010100101', '<': '001010100010001',
  '=': '000111000111000', ':': '000010000010000', x: '000101010101000', '(': '010100100100010',
  ')': '010001001001010',
};

export const GLYPH_WIDTH = 3;
export const GLYPH_HEIGHT = 5;

/** Width in pixels of `text` at `scale` (one blank column between glyphs). */
export function textWidth(text: string, scale: number): number {
  return text.length === 0 ? 0 : (text.length * (GLYPH_WIDTH + 1) - 1) * scale;
}

/** Draws `text` with its top-left corner at (x, y) into an RGB image; pixels outside are dropped. */
export function drawText(image: { width: number; height: number; data: Uint8Array }, x: number, y: number, text: string, scale: number, rgb: readonly [number, number, number]): void {
  let left = x;
  for (const ch of text) {
    const glyph = GLYPHS[ch] ?? GLYPHS[ch.toUpperCase()];
    if (glyph === undefined) throw new Error(`the pixel font has no glyph for ${JSON.stringify(ch)}`);
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (glyph[gy * GLYPH_WIDTH + gx] !== '1') continue;
        for (let sy = 0; sy < scale; sy++) {
          for (let sx = 0; sx < scale; sx++) {
            const px = left + gx * scale + sx;
            const py = y + gy * scale + sy;
            if (px < 0 || py < 0 || px >= image.width || py >= image.height) continue;
            image.data.set(rgb, 3 * (py * image.width + px));
          }
        }
      }
    }
    left += (GLYPH_WIDTH + 1) * scale;
  }
}
