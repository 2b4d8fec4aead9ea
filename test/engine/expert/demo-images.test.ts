// Demonstrations with camera images (rsd expert --cameras): each step's frames are the policy's
// tensors quantised to uint8, in one .npy per episode that training memory-maps.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareImage } from '../../../engine/bundle/image.js';
import { parseRecordCameras } from '../../../engine/commands/expert.js';
import { decodeDemo, demoImageName, DemoRecorder, encodeDemo, npyBytes, writeDemoImages, type DemoCamera } from '../../../engine/expert/demos.js';
import { runExpertEpisode } from '../../../engine/expert/episodes.js';
import { expertEpisodes } from '../../../engine/expert/suite.js';
import { EmbeddedSimulator } from '../../../engine/sim/embedded/simulator.js';
import type { CameraImage } from '../../../engine/sim/simulator.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rsd-demo-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const camera = (name: string, size: number, render: number, extra: Partial<DemoCamera> = {}): DemoCamera => ({ name, height: size, width: size, orientation: 'upright', centerCrop: null, render: { height: render, width: render }, ...extra });

function image(height: number, width: number, seed: number): CameraImage {
  const data = new Uint8Array(height * width * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + seed * 11) % 256;
  return { height, width, channels: 3, data };
}

/** The .npy header's fields, as numpy reads them. */
function npyHeader(bytes: Buffer): { descr: string; shape: number[]; offset: number } {
  expect(bytes.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
  const len = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + len).toString('latin1');
  expect((10 + len) % 64).toBe(0);
  expect(header.endsWith('\n')).toBe(true);
  return { descr: /'descr': '([^']+)'/.exec(header)![1]!, shape: /'shape': \(([^)]*)\)/.exec(header)![1]!.split(',').filter((s) => s.trim()).map(Number), offset: 10 + len };
}

const meta = { suite: 'libero_spatial', taskId: 4, taskName: 't', instruction: 'do it', initIndex: 7, initSource: 'project', objects: ['a'], outcome: 'success' as const };
const row = [[1, 2, 3, 0.1, 0.2, 0.3, 0.04, -0.04], [1, 2, 3, 1, 0, 0, 0], [0.5, -1, 1, 0, 0, 0, -1]] as const;

describe('demonstration images', () => {
  it('stores each camera as the preprocessed tensor, round(255 x), in step, camera, channel, row, column order', () => {
    const cams = [camera('agentview', 4, 8, { orientation: 'rot180', centerCrop: 0.9 }), camera('robot0_eye_in_hand', 4, 6)];
    const rec = new DemoRecorder(1, cams);
    const steps = [0, 1].map((t) => ({ agentview: image(8, 8, t), robot0_eye_in_hand: image(6, 6, 10 + t) }));
    for (const images of steps) rec.add(...row, images);
    const demo = rec.finish(meta);
    expect(demo.images!.data).toHaveLength(2 * 2 * 3 * 4 * 4);
    steps.forEach((images, t) => {
      cams.forEach((cam, c) => {
        const want = Array.from(prepareImage(images[cam.name as keyof typeof images], cam), (x) => Math.round(x * 255));
        const at = (t * 2 + c) * 48;
        expect(Array.from(demo.images!.data.subarray(at, at + 48))).toEqual(want);
      });
    });
  });

  it('refuses a missing image, one of another size, and cameras of different tensor sizes, naming them', () => {
    const rec = new DemoRecorder(1, [camera('agentview', 4, 8)]);
    expect(() => rec.add(...row, {})).toThrow(/camera "agentview": the observation has no image \(it has none\)/);
    expect(() => rec.add(...row, { agentview: image(6, 8, 0) })).toThrow(/image is 6 x 8 x 3, the recording renders 8 x 8 x 3/);
    expect(() => new DemoRecorder(1, [camera('agentview', 4, 8), camera('robot0_eye_in_hand', 5, 8)])).toThrow(/"agentview" is 4 x 4, "robot0_eye_in_hand" 5 x 5/);
  });

  it('writes a .npy numpy reads (header, shape, bytes) and a line that names it with its SHA-256', () => {
    const cams = [camera('agentview', 2, 4), camera('robot0_eye_in_hand', 2, 4)];
    const rec = new DemoRecorder(1, cams);
    for (let t = 0; t < 3; t++) rec.add(...row, { agentview: image(4, 4, t), robot0_eye_in_hand: image(4, 4, 5 + t) });
    const demo = { ...rec.finish(meta), noise: 0.2 };
    expect(() => encodeDemo(demo)).toThrow(/an episode with images is encoded with its image file/);
    const written = new Set<string>();
    const ref = writeDemoImages(dir, demo, written);
    expect(ref).toMatchObject({ file: 'images/task04-init007-noise0.2.npy', format: 'npy', dtype: 'uint8', layout: ['step', 'camera', 'channel', 'row', 'column'], shape: [3, 2, 3, 2, 2], cameras: cams });
    const bytes = readFileSync(path.join(dir, ref.file));
    expect(ref.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const { descr, shape, offset } = npyHeader(bytes);
    expect({ descr, shape }).toEqual({ descr: '|u1', shape: [3, 2, 3, 2, 2] });
    expect(Buffer.compare(bytes.subarray(offset), Buffer.from(demo.images!.data))).toBe(0);
    const line = encodeDemo(demo, ref);
    const back = decodeDemo(line);
    expect(back.imageFile).toEqual(ref);
    expect(JSON.parse(line).images).toEqual(ref);
    // The decoded line re-encodes to itself (the reference travels with it).
    expect(encodeDemo(back)).toBe(line);
    expect(() => writeDemoImages(dir, demo, written)).toThrow(/two episodes of this recording have this name/);
  });

  it('names files per task, initial state and perturbation', () => {
    const d = { ...meta, steps: 0, proprio: new Float32Array(), objectPoses: new Float32Array(), actions: new Float32Array() };
    expect(demoImageName(d)).toBe('images/task04-init007-clean.npy');
    expect(demoImageName({ ...d, noise: 0.1 })).toBe('images/task04-init007-noise0.1.npy');
    expect(demoImageName({ ...d, policy: { name: 'default', contentHash: 'abcdef0123456789ff', decoding: 'speculative' } })).toBe('images/task04-init007-policy-abcdef012345.npy');
    expect(npyBytes(new Uint8Array(5), [5]).subarray(10).toString('latin1')).toContain("'shape': (5,)");
  });

  it('records an expert episode on the embedded simulator with both cameras, the same bytes twice', async () => {
    const cams = [camera('agentview', 16, 32), camera('robot0_eye_in_hand', 16, 32)];
    const sim = await EmbeddedSimulator.create({ cameras: cams.map((c) => ({ name: c.name, ...c.render })) });
    const [episode] = expertEpisodes('libero_spatial', [0], 1, { kind: 'project', split: 'demo' });
    const first = (await runExpertEpisode(sim, episode!, { record: true, maxSteps: 6, cameras: cams })).demo!;
    const again = (await runExpertEpisode(sim, episode!, { record: true, maxSteps: 6, cameras: cams })).demo!;
    await sim.close();
    expect(first.steps).toBe(6);
    expect(first.images!.data).toHaveLength(6 * 2 * 3 * 16 * 16);
    expect(Buffer.compare(Buffer.from(first.images!.data), Buffer.from(again.images!.data))).toBe(0);
    // Not a blank frame: the table and the robot differ from pixel to pixel.
    expect(new Set(first.images!.data.subarray(0, 3 * 16 * 16)).size).toBeGreaterThan(20);
    // Without a renderer for a camera, recording it is an error naming it.
    const blind = await EmbeddedSimulator.create();
    const run = await runExpertEpisode(blind, episode!, { record: true, maxSteps: 2, cameras: cams });
    await blind.close();
    expect(run.result.outcome).toBe('error');
    expect(run.result.error).toMatch(/camera "agentview": the observation has no image/);
  });
});

describe('rsd expert --cameras and --order', () => {
  it('reads the camera flags into manifest camera entries, refusing what the simulator cannot render', () => {
    expect(parseRecordCameras({})).toBeUndefined();
    expect(parseRecordCameras({ cameras: 'agentview,robot0_eye_in_hand' })).toEqual([camera('agentview', 64, 128), camera('robot0_eye_in_hand', 64, 128)]);
    expect(parseRecordCameras({ cameras: 'agentview', 'render-size': '256', 'image-size': '224', orientation: 'rot180', 'center-crop': '0.9' })).toEqual([
      camera('agentview', 224, 256, { orientation: 'rot180', centerCrop: 0.9 }),
    ]);
    expect(() => parseRecordCameras({ cameras: 'frontview' })).toThrow(/"frontview" is not a camera the simulator renders/);
    expect(() => parseRecordCameras({ cameras: 'agentview,agentview' })).toThrow(/named twice/);
    expect(() => parseRecordCameras({ 'image-size': '64' })).toThrow(/--image-size needs --cameras/);
    expect(() => parseRecordCameras({ cameras: 'agentview', 'center-crop': '1.5' })).toThrow(/--center-crop/);
    expect(() => parseRecordCameras({ cameras: 'agentview', orientation: 'flipped' })).toThrow(/--orientation/);
  });

  it('interleaves episodes initial state by initial state, so a stopped recording covers every task and level', () => {
    const key = (e: { taskId: number; initIndex: number; perturbation?: { std: number } }) => `${e.initIndex}:${e.perturbation?.std ?? 0}:${e.taskId}`;
    const byTask = expertEpisodes('libero_spatial', [0, 3], 2, { kind: 'project', split: 'demo' }, [0, 0.2], 0);
    const interleaved = expertEpisodes('libero_spatial', [0, 3], 2, { kind: 'project', split: 'demo' }, [0, 0.2], 0, [], 'interleaved');
    expect(byTask.map(key)).toEqual(['0:0:0', '0:0.2:0', '1:0:0', '1:0.2:0', '0:0:3', '0:0.2:3', '1:0:3', '1:0.2:3']);
    expect(interleaved.map(key)).toEqual(['0:0:0', '0:0:3', '0:0.2:0', '0:0.2:3', '1:0:0', '1:0:3', '1:0.2:0', '1:0.2:3']);
    // The same episodes (seeds included), in another order.
    expect(new Set(interleaved)).toEqual(new Set(byTask));
  });
});
