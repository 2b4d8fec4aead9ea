import { describe, expect, it } from 'vitest';
import { compareViews, initialViews, MissingCameraImageError, openSimulator, type OpenSimulator } from '../../../engine/fidelity/camera-views.js';
import { comparisonFigure, heatColour } from '../../../engine/fidelity/comparison-figure.js';
import { edgeAlignment, imageDifference, ImageSizeError, WITHIN_LEVELS } from '../../../engine/fidelity/image-diff.js';
import { projectTask } from '../../../engine/libero/project-tasks.js';
import { initStatesFor } from '../../../engine/sim/init-source.js';
import type { CameraImage, Observation, SceneDescription, Simulator } from '../../../engine/sim/simulator.js';
import { decodePng, encodePng } from '../../../engine/util/png.js';

// The camera comparison's parts without real LIBERO: the difference measures, the figure, PNG
// round trips, and compareViews end to end with the embedded simulator as its own reference.

const image = (w: number, h: number, fill: (p: number, c: number) => number): CameraImage => {
  const data = new Uint8Array(w * h * 3);
  for (let p = 0; p < w * h; p++) for (let c = 0; c < 3; c++) data[3 * p + c] = fill(p, c);
  return { width: w, height: h, channels: 3, data };
};

describe('imageDifference', () => {
  it('measures the mean over pixels and channels, and pixels within 16 levels by their largest channel', () => {
    const a = image(2, 2, () => 100);
    // Pixel 0 equal; pixel 1 one channel off by 16 (within); pixel 2 one channel off by 17 (not); pixel 3 all off by 30.
    const b = image(2, 2, (p, c) => 100 + ([0, c === 0 ? 16 : 0, c === 2 ? -17 : 0, 30][p] ?? 0));
    const { difference, map } = imageDifference(a, b);
    expect(difference.meanAbsDiff).toBeCloseTo((16 + 17 + 90) / 12, 12);
    expect(difference.withinFraction).toBe(0.5);
    expect(difference.maxAbsDiff).toBe(30);
    expect(Array.from(map)).toEqual([0, 16, 17, 30]);
    expect(WITHIN_LEVELS).toBe(16);
  });

  it('refuses images of different sizes, naming both', () => {
    expect(() => imageDifference(image(2, 2, () => 0), image(2, 3, () => 0))).toThrow(ImageSizeError);
    expect(() => imageDifference(image(2, 2, () => 0), image(2, 3, () => 0))).toThrow('2x2x3 image with a 2x3x3');
  });
});

describe('the comparison figure', () => {
  it('puts embedded | reference | heat map side by side, panels unscaled, and is the same bytes every time', () => {
    const a = image(128, 128, (p, c) => (p + c) % 256);
    const b = image(128, 128, (p) => (p * 7) % 256);
    const { difference, map } = imageDifference(a, b);
    const figure = comparisonFigure({ embedded: a, reference: b, map, difference });
    expect(figure.width).toBe(3 * 128 + 4 * 4);
    expect(figure.height).toBeGreaterThan(128);
    // The first panel's pixels are the embedded image's, unchanged (top-left corner at (4, 18)).
    const top = 4 + 10 + 4;
    for (const [x, y] of [[0, 0], [127, 0], [5, 77], [127, 127]] as const) {
      const f = 3 * ((top + y) * figure.width + 4 + x);
      const s = 3 * (y * 128 + x);
      expect(Array.from(figure.data.subarray(f, f + 3))).toEqual(Array.from(a.data.subarray(s, s + 3)));
      const h = 3 * ((top + y) * figure.width + 4 + 2 * (128 + 4) + x);
      expect(Array.from(figure.data.subarray(h, h + 3))).toEqual(heatColour(map[y * 128 + x]!));
    }
    const again = comparisonFigure({ embedded: a, reference: b, map, difference });
    expect(Buffer.compare(encodePng(figure), encodePng(again))).toBe(0);
  });

  it('colours 0 black and 255 pale yellow (inferno), brighter for larger differences', () => {
    expect(heatColour(0)).toEqual([0, 0, 4]);
    expect(heatColour(255)).toEqual([252, 255, 164]);
    const brightness = (v: number): number => heatColour(v).reduce((s, x) => s + x, 0);
    for (let v = 16; v <= 255; v += 16) expect(brightness(v)).toBeGreaterThan(brightness(v - 16));
  });
});

describe('PNG files', () => {
  it('round-trip an RGB image exactly', () => {
    const a = image(7, 5, (p, c) => (p * 31 + c * 101) % 256);
    const b = decodePng(encodePng(a));
    expect([b.width, b.height, b.channels]).toEqual([7, 5, 3]);
    expect(Buffer.compare(Buffer.from(b.data), Buffer.from(a.data))).toBe(0);
  });
});

describe('compareViews', () => {
  const task = projectTask('libero_spatial', 0);
  const init = initStatesFor('libero_spatial', 0, task.objects.length, { kind: 'project' })[0]!;
  const cameras = [
    { name: 'agentview', width: 64, height: 64 },
    { name: 'robot0_eye_in_hand', width: 64, height: 64 },
  ];

  it('finds no difference between the embedded simulator and itself as the reference, both cameras', async () => {
    // The reference is an embedded simulator too: its fixtures are the embedded defaults, so the
    // embedded side is placed where it already was and renders the same images.
    const open: OpenSimulator = async (spec, opening) => openSimulator({ kind: 'embedded' }, spec.kind === 'libero' ? { cameras: opening.cameras } : opening);
    const c = await compareViews({ kind: 'libero', python: 'unused' }, { task, init, initIndex: 0, cameras }, open);
    expect(c.cameras.map((x) => x.camera)).toEqual(['agentview', 'robot0_eye_in_hand']);
    for (const cam of c.cameras) {
      expect([cam.embedded.width, cam.embedded.height, cam.reference.width]).toEqual([64, 64, 64]);
      // Exactly: the same state rendered by the same deterministic renderer.
      expect(cam.difference, cam.camera).toEqual({ meanAbsDiff: 0, withinFraction: 1, maxAbsDiff: 0 });
      expect(cam.alignment, cam.camera).toMatchObject({ dx: 0, dy: 0 });
    }
    expect(c.fixtures.map((f) => f.fixture).sort()).toEqual(['flat_stove_1', 'wooden_cabinet_1']);
    for (const f of c.fixtures) expect(f.position!).toBeLessThan(1e-5);
  }, 60_000);

  it('names a camera the simulator does not render', async () => {
    const blank: Observation = { proprio: new Float64Array(8), objectPoses: new Float64Array(7 * task.objects.length), images: { agentview: image(64, 64, () => 0) } };
    const standIn: Simulator = {
      backend: 'stand-in',
      version: '0',
      reset: async () => blank,
      step: async () => ({ observation: blank, success: false }),
      sceneDescription: async () => ({ bodies: [] }) as unknown as SceneDescription,
      bodyPoses: async () => new Float64Array(0),
      close: async () => undefined,
    };
    await expect(initialViews(standIn, { task, init, initIndex: 0, cameras })).rejects.toThrow(MissingCameraImageError);
    await expect(initialViews(standIn, { task, init, initIndex: 0, cameras })).rejects.toThrow('the stand-in simulator returned no "robot0_eye_in_hand" image (it returned agentview)');
  });
});

describe('edgeAlignment', () => {
  // A scene-like test card: a few rectangles of different grey on a background.
  const card = (shiftX: number, shiftY: number): CameraImage =>
    image(64, 64, (p) => {
      const x = (p % 64) - shiftX;
      const y = Math.floor(p / 64) - shiftY;
      if (x >= 10 && x < 25 && y >= 8 && y < 30) return 200;
      if (x >= 35 && x < 55 && y >= 30 && y < 40) return 40;
      if ((x - 20) ** 2 + (y - 48) ** 2 < 64) return 120;
      return 90;
    });

  it('finds (0, 0) for images whose edges agree, even with other colours', () => {
    const a = card(0, 0);
    const b: CameraImage = { ...a, data: a.data.map((v) => 255 - v) };
    expect(edgeAlignment(a, b)).toMatchObject({ dx: 0, dy: 0 });
    expect(edgeAlignment(a, b).correlation).toBeCloseTo(1, 9);
  });

  it('finds the shift of a camera that looks elsewhere', () => {
    expect(edgeAlignment(card(0, 0), card(3, -2))).toMatchObject({ dx: 3, dy: -2 });
    expect(edgeAlignment(card(0, 0), card(-1, 0))).toMatchObject({ dx: -1, dy: 0 });
  });
});
