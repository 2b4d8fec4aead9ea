// A vision bundle as a Policy, end to end through onnxruntime: the cameras it asks the simulator
// for, observations carrying images decoded into env actions, and what it refuses by name.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNTHETIC_PRESETS, writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { RUN_DEFAULTS } from '../../../engine/eval/defaults.js';
import { planEpisodes, taskContext } from '../../../engine/eval/plan.js';
import { createSimulator } from '../../../engine/sim/factory.js';
import { BundlePolicy } from '../../../engine/policy/bundle-policy.js';
import type { PolicyInput, TaskContext } from '../../../engine/policy/policy.js';
import type { CameraImage, Observation } from '../../../engine/sim/simulator.js';

let root: string;
let policy: BundlePolicy;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'rsd-vision-policy-'));
  await writeSyntheticBundle(path.join(root, 'tiny-vision'), 'tiny-vision', 1);
  policy = await BundlePolicy.load({ dir: path.join(root, 'tiny-vision'), ep: 'cpu', decoding: 'speculative' });
});
afterAll(async () => {
  await policy?.close();
  await rm(root, { recursive: true, force: true });
});

const task: TaskContext = { suite: 'libero_spatial', taskId: 1, instruction: 'pick up the black bowl next to the ramekin and place it on the plate', objects: [] };

/** A deterministic image: a gradient whose direction and offset `seed` sets. */
function image(height: number, width: number, seed: number): CameraImage {
  const data = new Uint8Array(height * width * 3);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) data.set([(37 * seed + 16 * c) % 256, (91 * seed + 9 * r) % 256, (13 * seed * (r + c)) % 256], (r * width + c) * 3);
  return { height, width, channels: 3, data };
}

/** An observation with both cameras at the bundle's render sizes (agentview 16 x 12, wrist 6 x 6). */
function observation(seed: number, agentview = image(16, 12, seed)): Observation {
  return { proprio: Float64Array.from({ length: 8 }, (_, i) => Math.sin(seed + i) / 2), objectPoses: new Float64Array(0), images: { agentview, robot0_eye_in_hand: image(6, 6, seed + 1) } };
}

const input = (obs: Observation, t: TaskContext = task): PolicyInput => ({ observation: obs, task: t });

describe('BundlePolicy: a vision bundle', () => {
  it('asks the simulator for its cameras at their render sizes and observes the instruction, no object poses', () => {
    expect(policy.metadata.observation).toEqual({
      cameras: [
        { name: 'agentview', height: 16, width: 12 },
        { name: 'robot0_eye_in_hand', height: 6, width: 6 },
      ],
      proprio: 8,
      objectPoses: false,
      instruction: true,
    });
  });

  it('decodes a batch of observations with images into env actions, each item as it decodes alone', async () => {
    const chunk = SYNTHETIC_PRESETS['tiny-vision'].chunk;
    const batch = await policy.inferBatch([input(observation(1)), input(observation(2))]);
    expect(batch).toHaveLength(2);
    for (const item of batch) {
      expect(item.actions).toHaveLength(chunk * 7);
      expect(item.actions.every(Number.isFinite)).toBe(true);
      expect(item.record?.strategy).toBe('speculative');
      expect(item.record?.batchSize).toBe(2);
    }
    const [alone] = await policy.inferBatch([input(observation(2))]);
    expect([...alone!.actions]).toEqual([...batch[1]!.actions]);
  });

  it('reads the images: a different agentview image gives different actions', async () => {
    const dark = image(16, 12, 0).data.fill(0);
    const light = image(16, 12, 0).data.fill(255);
    const [a, b] = await policy.inferBatch([input(observation(3, { height: 16, width: 12, channels: 3, data: dark })), input(observation(3, { height: 16, width: 12, channels: 3, data: light }))]);
    expect([...a!.actions]).not.toEqual([...b!.actions]);
  });

  it('accepts any instruction as text, and a task whose objects it does not observe', () => {
    expect(() => policy.check([{ ...task, instruction: 'stack the two bowls on the stove' }, { ...task, objects: ['plate_1'] }])).not.toThrow();
  });

  it('names an image that is missing or of the wrong size', async () => {
    const noWrist = observation(4);
    delete (noWrist.images as Record<string, CameraImage>).robot0_eye_in_hand;
    await expect(policy.inferBatch([input(noWrist)])).rejects.toThrow(/^image_robot0_eye_in_hand: the observation has no "robot0_eye_in_hand" image \(it has agentview\)/);
    await expect(policy.inferBatch([input(observation(4, image(12, 16, 4)))])).rejects.toThrow('image_agentview: the observation\'s "agentview" image is 12 x 16 x 3 but bundle "synthetic-tiny-vision" needs 16 x 12 (height x width) x 3 (RGB), its render size');
  });

  it('acts on what the embedded simulator renders when given the cameras its metadata lists', async () => {
    const [episode] = planEpisodes('libero_spatial', [1], 1, RUN_DEFAULTS.initSource);
    const sim = await createSimulator({ kind: 'embedded' }, { cameras: policy.metadata.observation.cameras });
    try {
      const obs = await sim.reset(episode!.task, episode!.init);
      expect(Object.keys(obs.images).sort()).toEqual(['agentview', 'robot0_eye_in_hand']);
      const [chunk] = await policy.inferBatch([input(obs, taskContext('libero_spatial', 1, episode!.task))]);
      expect(chunk!.actions.every(Number.isFinite)).toBe(true);
    } finally {
      await sim.close();
    }
  });
});
