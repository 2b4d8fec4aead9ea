import { describe, expect, it } from 'vitest';
import { ObservationEncoder, observationFeeds } from '../../../engine/bundle/observation.js';
import { buildSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { ProcessingError } from '../../../engine/bundle/processing.js';

const { manifest } = buildSyntheticBundle('tiny', 1); // entities: akita_black_bowl_1, plate_1
const objects = ['akita_black_bowl_1', 'akita_black_bowl_2', 'cookies_1', 'glazed_rim_porcelain_ramekin_1', 'plate_1'];
const instruction = 'pick up the black bowl next to the ramekin and place it on the plate';

describe('ObservationEncoder', () => {
  it('normalises proprio, picks the manifest entities out of the task objects by name, and indexes the instruction', () => {
    const encoder = new ObservationEncoder(manifest, objects, '  Pick up the black bowl next to the ramekin and place it on the plate ');
    expect(encoder.instruction).toBe(1);
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

  it('refuses a vision bundle, whose cameras the embedded simulator does not render', () => {
    const vision = { ...manifest, observation: { ...manifest.observation, kind: 'vision' as const, cameras: [{ name: 'agentview', height: 8, width: 8, orientation: 'rot180' as const, centerCrop: null }] } };
    expect(() => new ObservationEncoder(vision, objects, instruction)).toThrow(/needs camera images \(agentview\)/);
  });
});
