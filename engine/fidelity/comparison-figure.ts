import type { CameraImage } from '../sim/simulator.js';
import { drawText, GLYPH_HEIGHT, textWidth } from '../util/pixel-font.js';
import { WITHIN_LEVELS, type ImageDifference } from './image-diff.js';

/**
 * The side-by-side figure of one camera (docs/cameras.md): the embedded render | real LIBERO's |
 * the per-pixel absolute difference (largest channel) as a heat map, black 0 to pale yellow 255
 * (matplotlib's inferno), with its colour bar and the two summary numbers written under it.
 */

/** inferno at 0, 0.1, ..., 1 (matplotlib): dark for small differences, bright for large ones. */
const INFERNO: readonly (readonly [number, number, number])[] = [
  [0, 0, 4], [22, 11, 57], [66, 10, 104], [106, 23, 110], [147, 38, 103], [188, 55, 84],
  [221, 81, 58], [243, 120, 25], [252, 165, 10], [246, 215, 70], [252, 255, 164],
];

/** The heat map's colour of a difference of `value` levels (0-255). */
export function heatColour(value: number): [number, number, number] {
  const t = (Math.min(Math.max(value, 0), 255) / 255) * (INFERNO.length - 1);
  const i = Math.min(Math.floor(t), INFERNO.length - 2);
  const f = t - i;
  const a = INFERNO[i]!;
  const b = INFERNO[i + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + f * (b[c]! - a[c]!))) as [number, number, number];
}

const BACKGROUND = 255;
const INK: [number, number, number] = [30, 30, 30];
const GAP = 4;
const TICKS = [0, 64, 128, 255];

export interface FigureInput {
  embedded: CameraImage;
  reference: CameraImage;
  /** Per pixel, the largest channel difference (image-diff.ts), row 0 at the top. */
  map: Uint8Array;
  difference: ImageDifference;
  /** The reference's label above its panel. */
  referenceLabel?: string;
}

export function comparisonFigure(input: FigureInput): CameraImage {
  const { embedded, reference, map, difference } = input;
  const w = embedded.width;
  const h = embedded.height;
  // Labels twice the font's size from 96 pixels up, so they stay legible beside the panels.
  const s = w >= 96 ? 2 : 1;
  const text = GLYPH_HEIGHT * s;
  const panelsTop = GAP + text + GAP;
  const footerTop = panelsTop + h + GAP;
  const barHeight = 4 * s;
  const footer = Math.max(barHeight + 3 + text, 2 * text + GAP);
  const width = 3 * w + 4 * GAP;
  const height = footerTop + footer + GAP;
  const figure: CameraImage = { width, height, channels: 3, data: new Uint8Array(width * height * 3).fill(BACKGROUND) };
  const x = [GAP, 2 * GAP + w, 3 * GAP + 2 * w];

  blit(figure, embedded, x[0]!, panelsTop);
  blit(figure, reference, x[1]!, panelsTop);
  const heat: CameraImage = { width: w, height: h, channels: 3, data: new Uint8Array(w * h * 3) };
  for (let p = 0; p < w * h; p++) heat.data.set(heatColour(map[p]!), 3 * p);
  blit(figure, heat, x[2]!, panelsTop);

  drawText(figure, x[0]!, GAP, 'EMBEDDED', s, INK);
  drawText(figure, x[1]!, GAP, input.referenceLabel ?? 'REAL LIBERO', s, INK);
  drawText(figure, x[2]!, GAP, 'ABS DIFFERENCE', s, INK);

  // The colour bar under the heat map, 0 at the left to 255 at the right, with ticks and numbers.
  for (let col = 0; col < w; col++) {
    const rgb = heatColour((col / (w - 1)) * 255);
    for (let row = 0; row < barHeight; row++) figure.data.set(rgb, 3 * ((footerTop + row) * width + x[2]! + col));
  }
  for (const tick of TICKS) {
    const tx = x[2]! + Math.round((tick / 255) * (w - 1));
    for (let row = 0; row < 2; row++) figure.data.set(INK, 3 * ((footerTop + barHeight + row) * width + tx));
    const label = String(tick);
    const lw = textWidth(label, s);
    const lx = Math.min(Math.max(tx - Math.floor(lw / 2), x[2]!), x[2]! + w - lw);
    drawText(figure, lx, footerTop + barHeight + 3, label, s, INK);
  }

  drawText(figure, x[0]!, footerTop, `MEAN |DIFF| ${difference.meanAbsDiff.toFixed(1)} OF 255`, s, INK);
  drawText(figure, x[0]!, footerTop + text + GAP, `WITHIN ${WITHIN_LEVELS}: ${(100 * difference.withinFraction).toFixed(1)}% OF PIXELS`, s, INK);
  return figure;
}

function blit(into: CameraImage, image: CameraImage, left: number, top: number): void {
  for (let row = 0; row < image.height; row++) {
    const from = image.data.subarray(3 * row * image.width, 3 * (row + 1) * image.width);
    into.data.set(from, 3 * ((top + row) * into.width + left));
  }
}
