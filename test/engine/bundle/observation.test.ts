import { describe, expect, it } from 'vitest';
import type { CameraSpec } from '../../../engine/bundle/image.js';
import { Manifest } from '../../../engine/bundle/manifest.js';
import { cameraRequests, ObservationEncoder, observationFeeds } from '../../../engine/bundle/observation.js';
import type { CameraImage } from '../../../engine/sim/simulator.js';
import { buildSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { ProcessingError } from '../../../engine/bundle/processing.js';

const { manifest } = buildSyntheticBundle('tiny', 1); // entities: akita_black_bowl_1, plate_1
const objects = ['akita_black_bowl_1', 'akita_black_bowl_2', 'cookies_1', 'glazed_rim_porcelain_ramekin_1', 'plate_1'];
const instruction = 'pick up the black bowl next to the ramekin and place it on the plate';

describe('ObservationEncoder', () => {
  it('normalises proprio, picks the manifest entities out of the task objects by name, and indexes the instruction', () => {
    const encoder = new ObservationEncoder(manifest, objects, '  Pick up the black bowl next to the ramekin and place it on the plate ');
    expect(encoder.instruction).toEqual([1]);
    const poses = Float64Array.from({ length: 35 }, (_, i) => i / 100);
    const proprio = Float64Array.from([0.1, -0.2, 0.3, 0, 0, 0, 0.02, -0.02]);
    const encoded = encoder.encode({ proprio, objectPoses: poses });
    // The tiny bundle's q99 statistics are [-1, 1] everywhere, so normalisation is the identity (up to OFT's 1e-8).
    const expected = [...poses.subarray(0, 7), ...poses.subarray(28, 35)];
    expect(encoded.objectPoses).toHaveLength(14);
    encoded.objectPoses.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    expect(encoded.proprio[0]).toBeCloseTo(0.1, 6);
    const feeds = observationFeeds(manifest, [encoded, encoded]);
    expect(feeds.proprio!.dims).toEqual([2, 8]);
    expect(feeds.object_poses!.dims).toEqual([2, 14]);
    expect(Array.from(feeds.instruction!.data as BigInt64Array)).toEqual([1n, 1n]);
  });

  it('refuses a task without an observed entity, an unknown instruction, and non-finite proprio, by name', () => {
    expect(() => new ObservationEncoder(manifest, objects.filter((o) => o !== 'plate_1'), instruction)).toThrow(/observes "plate_1", which this task does not have/);
    expect(() => new ObservationEncoder(manifest, objects, 'stack the bowls')).toThrow(/was not trained on the instruction "stack the bowls"/);
    const encoder = new ObservationEncoder(manifest, objects, instruction);
    const bad = Float64Array.from([0, 0, Number.NaN, 0, 0, 0, 0, 0]);
    expect(() => encoder.encode({ proprio: bad, objectPoses: new Float64Array(35) })).toThrow(ProcessingError);
    expect(() => encoder.encode({ proprio: bad, objectPoses: new Float64Array(35) })).toThrow(/proprio\[2\]/);
  });

});

// 16 x 24 (height x width), asymmetric: red grows to the right, green downwards, blue is constant.
// A triangle filter reproduces a linear ramp, so each tensor value is the ramp at its sample point.
const RENDER = { height: 16, width: 24 };
const ramp = (height: number, width: number): CameraImage => {
  const data = new Uint8Array(height * width * 3);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) data.set([10 + 10 * c, 10 + 10 * r, 128], (r * width + c) * 3);
  return { height, width, channels: 3, data };
};
const visionManifest = (agentview: Partial<CameraSpec> = {}): Manifest =>
  Manifest.parse({
    ...manifest,
    observation: {
      ...manifest.observation,
      kind: 'vision',
      objectPoses: { entities: [], normalization: null },
      cameras: [
        // The central quarter of the area (8 x 12 render pixels) resampled to 4 x 6: a scale of 2.
        { name: 'agentview', height: 4, width: 6, render: RENDER, orientation: 'rot180', centerCrop: 0.25, ...agentview },
        { name: 'robot0_eye_in_hand', height: 2, width: 3, orientation: 'upright', centerCrop: null },
      ],
      instruction: { kind: 'tokens', vocabulary: ['<pad>', '<unk>', 'pick', 'up', 'the', 'black', 'bowl'], maxLength: 6 },
    },
  });
/** Channel `ch` of a [3, h, w] slice, scaled back to 0..255. */
const plane = (t: Float32Array, ch: number, h: number, w: number) => Array.from({ length: h }, (_, r) => Array.from({ length: w }, (_, c) => Math.round(t[ch * h * w + r * w + c]! * 255 * 1000) / 1000));
const images = (agentview: CameraImage = ramp(16, 24)) => ({ agentview, robot0_eye_in_hand: ramp(2, 3) });
const proprio = new Float64Array(8);

describe('ObservationEncoder: vision bundles', () => {
  it("applies the manifest's conventions: rot180 mirrors left and right, the crop keeps the centre, the resize reaches the tensor's size", () => {
    const encoder = new ObservationEncoder(visionManifest(), objects, instruction);
    const [agentview, wrist] = encoder.encode({ proprio, objectPoses: new Float64Array(0), images: images() }).images;
    // Crop: the central 8 x 12 starts at render row 4, column 6; samples at pixel centres 4.5 + 2i (rows), 6.5 + 2i (columns).
    const columns = [75, 95, 115, 135, 155, 175];
    const rows = [55, 75, 95, 115];
    // rot180 is a left-right mirror (engine/bundle/image.ts): red now falls to the right, green still grows downwards.
    expect(plane(agentview!, 0, 4, 6)).toEqual(rows.map(() => [...columns].reverse()));
    expect(plane(agentview!, 1, 4, 6)).toEqual(rows.map((g) => columns.map(() => g)));
    expect(plane(agentview!, 2, 4, 6)).toEqual(rows.map(() => columns.map(() => 128)));
    // Upright keeps red growing to the right.
    const upright = new ObservationEncoder(visionManifest({ orientation: 'upright' }), objects, instruction);
    expect(plane(upright.encode({ proprio, objectPoses: new Float64Array(0), images: images() }).images[0]!, 0, 4, 6)).toEqual(rows.map(() => columns));
    // No render size: rendered at the tensor's size, no crop, upright: the pixels themselves.
    expect(plane(wrist!, 0, 2, 3)).toEqual([[10, 20, 30], [10, 20, 30]]);
    expect(plane(wrist!, 1, 2, 3)).toEqual([[10, 10, 10], [20, 20, 20]]);
  });

  it('batches images as [B, 3, h, w] and the instruction as tokens [B, maxLength]', () => {
    const m = visionManifest();
    const encoder = new ObservationEncoder(m, [], 'Pick up the RED bowl');
    expect(encoder.instruction).toEqual([2, 3, 4, 1, 6, 0]);
    const a = encoder.encode({ proprio, objectPoses: new Float64Array(0), images: images() });
    const b = encoder.encode({ proprio, objectPoses: new Float64Array(0), images: images(ramp(16, 24)) });
    const feeds = observationFeeds(m, [a, b]);
    expect(Object.keys(feeds).sort()).toEqual(['image_agentview', 'image_robot0_eye_in_hand', 'instruction_tokens', 'proprio']);
    expect(feeds.image_agentview!.dims).toEqual([2, 3, 4, 6]);
    expect(feeds.image_robot0_eye_in_hand!.dims).toEqual([2, 3, 2, 3]);
    expect([...(feeds.image_agentview!.data as Float32Array).subarray(72)]).toEqual([...a.images[0]!]);
    expect(feeds.instruction_tokens!.dims).toEqual([2, 6]);
    expect([...(feeds.instruction_tokens!.data as BigInt64Array)]).toEqual([2n, 3n, 4n, 1n, 6n, 0n, 2n, 3n, 4n, 1n, 6n, 0n]);
  });

  it('reads any instruction as text (unknown words are <unk>), where a task-index bundle refuses one it was not trained on', () => {
    expect(new ObservationEncoder(visionManifest(), objects, 'stack the bowls').instruction).toEqual([1, 4, 1, 0, 0, 0]);
  });

  it('names a missing image and one of the wrong size', () => {
    const encoder = new ObservationEncoder(visionManifest(), objects, instruction);
    const encode = (imgs: Record<string, CameraImage>) => () => encoder.encode({ proprio, objectPoses: new Float64Array(0), images: imgs });
    const { robot0_eye_in_hand } = images();
    expect(encode({ robot0_eye_in_hand })).toThrow(ProcessingError);
    expect(encode({ robot0_eye_in_hand })).toThrow('image_agentview: the observation has no "agentview" image (it has robot0_eye_in_hand); bundle "synthetic-tiny" needs it rendered at 16 x 24 (height x width)');
    expect(encode({ ...images(ramp(8, 8)) })).toThrow('image_agentview: the observation\'s "agentview" image is 8 x 8 x 3 but bundle "synthetic-tiny" needs 16 x 24 (height x width) x 3 (RGB), its render size');
    expect(encode({ ...images(), robot0_eye_in_hand: ramp(6, 6) })).toThrow(/^image_robot0_eye_in_hand: .* is 6 x 6 x 3 but .* needs 2 x 3 \(height x width\)/);
    expect(() => encoder.encode({ proprio, objectPoses: new Float64Array(0) })).toThrow(/no "agentview" image \(it has none\)/);
  });

  it('refuses, by name, a camera the simulators do not render', () => {
    const error = (() => {
      try {
        new ObservationEncoder(visionManifest({ name: 'frontview' }), objects, instruction);
      } catch (e) {
        return e as ProcessingError;
      }
    })();
    expect(error).toBeInstanceOf(ProcessingError);
    expect(error!.field).toBe('observation.cameras');
    expect(error!.message).toBe('bundle "synthetic-tiny" needs camera "frontview", which the simulators do not render (they render agentview, robot0_eye_in_hand)');
  });

  it("asks the simulator for each camera at its render size, and for none for a state bundle", () => {
    expect(cameraRequests(visionManifest())).toEqual([
      { name: 'agentview', height: 16, width: 24 },
      { name: 'robot0_eye_in_hand', height: 2, width: 3 },
    ]);
    expect(cameraRequests(manifest)).toEqual([]);
  });
});
