import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orientImage } from '../../../../engine/bundle/image.js';
import { PartialBatchError, type PolicyInput } from '../../../../engine/policy/policy.js';
import { PolicyReplyError, PolicyServerError, PolicyTimeoutError } from '../../../../engine/policy/remote/errors.js';
import { probeHealth } from '../../../../engine/policy/remote/health.js';
import { RemotePolicy } from '../../../../engine/policy/remote/remote-policy.js';
import { resizeWithPad } from '../../../../engine/policy/remote/resize-with-pad.js';
import type { CameraImage } from '../../../../engine/sim/simulator.js';
import { NO_PROJECT_PYTHON, projectPython } from '../../project-python.js';
import { RSD_SERVER_METADATA, startStandin, type Standin } from './standin.js';

// RemotePolicy against the openpi stand-in (openpi_standin.py): one Python server for the file,
// reconfigured per test.
const python = projectPython();
if (!python) console.log(NO_PROJECT_PYTHON);

let server: Standin;
let tmp: string;
beforeAll(async () => {
  if (!python) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-remote-'));
  server = await startStandin(python);
}, 40_000);
afterAll(async () => {
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const golden = JSON.parse(await readFile(new URL('./fixtures/resize-golden.json', import.meta.url), 'utf8')) as { cases: { height: number; mirror: boolean; targetHeight: number; sha256: string }[] };

function pattern(height: number, width: number, salt = 0): CameraImage {
  const data = new Uint8Array(height * width * 3);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) for (let ch = 0; ch < 3; ch++) data[(r * width + c) * 3 + ch] = (r * 7 + c * 13 + ch * 101 + ((r * c) % 37) + salt) % 256;
  return { height, width, channels: 3, data };
}

const task = { suite: 'libero_spatial', taskId: 0, instruction: 'pick up the black bowl', objects: ['akita_black_bowl_1', 'plate_1'] };
const input = (images: Record<string, CameraImage>): PolicyInput => ({
  observation: { proprio: Float64Array.from([0.1, -0.2, 1.1, 3.1, 0, -0.1, 0.04, -0.04]), objectPoses: Float64Array.from({ length: 14 }, (_, i) => i / 10), images },
  task,
});
const libero = () => input({ agentview: pattern(256, 256), robot0_eye_in_hand: pattern(256, 256, 50) });

interface Recorded {
  n: number;
  keys: string[];
  arrays: Record<string, { dtype: string; shape: number[]; sha256: string; values: number[] | null }>;
  values: Record<string, unknown>;
}
async function recorded(file: string): Promise<Recorded[]> {
  return (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Recorded);
}

describe.skipIf(!python)('RemotePolicy against the openpi stand-in', () => {
  it('reads the metadata, picks openpi-libero for a server that does not say it is rsd-policy-server, and /healthz answers', async () => {
    await server.configure();
    const policy = await RemotePolicy.connect({ url: server.url });
    try {
      expect(policy.metadata).toMatchObject({
        kind: 'remote',
        name: 'standin-policy',
        hash: server.url, // no hash in the metadata: known by its address
        observation: { cameras: [{ name: 'agentview', width: 256, height: 256 }, { name: 'robot0_eye_in_hand', width: 256, height: 256 }], proprio: 8, objectPoses: false, instruction: true },
        action: { dim: 7, chunk: 5 },
        decoding: { strategy: 'parallel', accept: null, threshold: null },
        executionProvider: { requested: 'remote', used: 'remote' },
        remote: { url: server.url, profile: 'openpi-libero', server: 'openpi-standin', name: 'standin-policy', hash: null },
      });
    } finally {
      await policy.close();
    }
    expect(await probeHealth(server.url)).toEqual({ ok: true, status: 200, detail: 'OK' });
  });

  it("openpi-libero sends what openpi's LIBERO client sends: 224x224x3 uint8 images turned (the upright render mirrored) and resized with Pillow's bilinear, the state, the prompt", async () => {
    const record = path.join(tmp, 'libero.jsonl');
    await server.configure({ record });
    const policy = await RemotePolicy.connect({ url: server.url, profile: 'openpi-libero' });
    const [chunk] = await policy.inferBatch([libero()]);
    await policy.close();
    // The first 5 actions of the [10, 7] chunk, 7 numbers each: the stand-in's zeros with the gripper open.
    expect(chunk!.actions).toHaveLength(35);
    expect(Array.from(chunk!.actions.subarray(0, 7))).toEqual([0, 0, 0, 0, 0, 0, -1]);
    expect(chunk!.record).toMatchObject({ strategy: 'parallel', draftLayers: 0, batchSize: 1 });
    const [got] = await recorded(record);
    expect(got!.keys).toEqual(['observation/image', 'observation/state', 'observation/wrist_image', 'prompt']);
    const image = got!.arrays['observation/image']!;
    expect(image).toMatchObject({ dtype: '|u1', shape: [224, 224, 3] });
    // Pillow's own bytes for this render mirrored and resized (fixtures/resize-golden.json).
    expect(image.sha256).toBe(golden.cases.find((c) => c.height === 256 && c.mirror && c.targetHeight === 224)!.sha256);
    // The wrist image through the same steps, and not the upright render resized.
    const wrist = resizeWithPad(orientImage(pattern(256, 256, 50), 'rot180'), 224, 224);
    expect(got!.arrays['observation/wrist_image']!.sha256).toBe(createHash('sha256').update(wrist.data).digest('hex'));
    expect(got!.arrays['observation/wrist_image']!.sha256).not.toBe(createHash('sha256').update(resizeWithPad(pattern(256, 256, 50), 224, 224).data).digest('hex'));
    expect(got!.arrays['observation/state']).toMatchObject({ dtype: '<f4', shape: [8] });
    expect(got!.arrays['observation/state']!.values).toEqual(Array.from(Float32Array.from([0.1, -0.2, 1.1, 3.1, 0, -0.1, 0.04, -0.04])));
    expect(got!.values.prompt).toBe('pick up the black bowl');
  });

  it("rsd-server (the default for rsd-policy-server) sends the server's cameras as rendered, object poses and task fields; the rsd record becomes the chunk's record and codes", async () => {
    const record = path.join(tmp, 'rsd.jsonl');
    await server.configure({ record, rsd: true, metadata: RSD_SERVER_METADATA });
    const policy = await RemotePolicy.connect({ url: server.url });
    expect(policy.metadata).toMatchObject({
      name: 'standin-rsd',
      hash: 'sha256:5a1d',
      observation: { cameras: [{ name: 'agentview', width: 64, height: 48 }], objectPoses: true },
      action: { chunk: 10 },
      decoding: { strategy: 'speculative', accept: 'threshold', threshold: 0.7 },
      remote: { profile: 'rsd-server', server: 'rsd-policy-server', hash: 'sha256:5a1d' },
    });
    const image = pattern(48, 64);
    const [chunk] = await policy.inferBatch([input({ agentview: image })]);
    await policy.close();
    expect(chunk!.actions).toHaveLength(70); // the whole chunk
    expect(chunk!.record).toMatchObject({ strategy: 'speculative', accept: 'threshold', threshold: 0.7, draftLayers: 3, acceptedLayers: 2, accepted: [true, true, false], agreement: [1, 0.9, 0.5], note: 'stand-in record' });
    expect(chunk!.record!.latency).toMatchObject({ prefillMs: 1.5, draftMs: 0.5, verifyMs: 1, mainStepsMs: 2, mainSteps: 5, decoderMs: 0.25, rfsqMs: 0.125, ortMs: 5.25 });
    expect(chunk!.record!.latency.totalMs).toBeGreaterThan(0);
    expect(chunk!.codes).toEqual(Int32Array.from({ length: 8 * 70 }, (_, i) => i % 7));
    const [got] = await recorded(record);
    expect(got!.keys).toEqual(['observation/image', 'observation/object_poses', 'observation/state', 'prompt', 'task/id', 'task/objects', 'task/suite']);
    expect(got!.arrays['observation/image']).toMatchObject({ dtype: '|u1', shape: [48, 64, 3], sha256: createHash('sha256').update(image.data).digest('hex') });
    expect(got!.arrays['observation/object_poses']).toMatchObject({ dtype: '<f4', shape: [2, 7] });
    expect(got!.values).toMatchObject({ 'task/objects': task.objects, 'task/suite': 'libero_spatial', 'task/id': 0, prompt: task.instruction });
  });

  it('refuses an rsd record whose decoding differs from the metadata, naming both', async () => {
    await server.configure({ rsd: true }); // metadata without decoding: parallel
    const policy = await RemotePolicy.connect({ url: server.url });
    await expect(policy.inferBatch([libero()])).rejects.toThrow(/rsd record says speculative \(threshold 0.7\) but the server's metadata said parallel/);
    await policy.close();
  });

  const replyFaults: [string, RegExp][] = [
    ['missing-actions', /the reply has no "actions"/],
    ['actions-1d', /"actions" has shape \[70\]; it must be \[H, D\]/],
    ['actions-strings', /"actions" is not an array \(a list\)/],
    ['short-chunk', /"actions" has 1 actions; the profile executes 5 of each chunk/],
    ['narrow', /"actions" has 3 numbers per action; LIBERO needs 7/],
    ['nan', /"actions" has NaN at \[1, 2\]/],
  ];
  for (const [fault, message] of replyFaults) {
    it(`a reply with ${fault} is a PolicyReplyError; the next request is answered`, async () => {
      await server.configure({ faults: `1:${fault}` });
      const policy = await RemotePolicy.connect({ url: server.url });
      try {
        const failed = await policy.inferBatch([libero()]).catch((e: Error) => e);
        expect(failed).toBeInstanceOf(PolicyReplyError);
        expect((failed as Error).message).toMatch(message);
        expect((await policy.inferBatch([libero()]))[0]!.actions).toHaveLength(35);
      } finally {
        await policy.close();
      }
    });
  }

  it("the server's error (a text frame, then close 1011) is a PolicyServerError with its message; the next request reconnects", async () => {
    await server.configure({ faults: '1:error' });
    const policy = await RemotePolicy.connect({ url: server.url });
    try {
      const failed = await policy.inferBatch([libero()]).catch((e: Error) => e);
      expect(failed).toBeInstanceOf(PolicyServerError);
      expect((failed as Error).message).toMatch(/failed: RuntimeError: the stand-in's policy failed on purpose \(Traceback \(most recent call last\):, \d+ lines\)/);
      expect((await policy.inferBatch([libero()]))[0]!.actions).toHaveLength(35);
    } finally {
      await policy.close();
    }
  });

  it('a server that does not answer is a PolicyTimeoutError; the next request goes on a new connection', async () => {
    await server.configure({ faults: '1:hang' });
    const policy = await RemotePolicy.connect({ url: server.url, timeoutMs: 1_000 });
    try {
      await expect(policy.inferBatch([libero()])).rejects.toThrow(PolicyTimeoutError);
      expect((await policy.inferBatch([libero()]))[0]!.actions).toHaveLength(35);
    } finally {
      await policy.close();
    }
  });

  it('one failing item of a batch fails alone: the other items get their chunks (each on its own connection)', async () => {
    await server.configure({ faults: '2:nan' });
    const policy = await RemotePolicy.connect({ url: server.url });
    try {
      const failed = await policy.inferBatch([libero(), libero(), libero()]).catch((e: Error) => e);
      expect(failed).toBeInstanceOf(PartialBatchError);
      const outcomes = (failed as PartialBatchError).outcomes;
      expect(outcomes.filter((o) => o instanceof PolicyReplyError)).toHaveLength(1);
      expect(outcomes.filter((o) => !(o instanceof Error)).map((o) => (o as { actions: Float64Array }).actions.length)).toEqual([35, 35]);
    } finally {
      await policy.close();
    }
  });

  it('a missing camera or one of another size is a named error for that item', async () => {
    await server.configure();
    const policy = await RemotePolicy.connect({ url: server.url });
    try {
      await expect(policy.inferBatch([input({ agentview: pattern(256, 256) })])).rejects.toThrow(/ObservationEncodeError|no "robot0_eye_in_hand" image/);
      await expect(policy.inferBatch([input({ agentview: pattern(128, 128), robot0_eye_in_hand: pattern(256, 256) })])).rejects.toThrow(/"agentview" image is 128x128x3, the policy expects 256x256x3/);
    } finally {
      await policy.close();
    }
  });

  it('a bad profile file is one line naming the file and the field', async () => {
    const file = path.join(tmp, 'bad-profile.json');
    await writeFile(file, JSON.stringify({ name: 'bad', observation: { images: [{ key: 'img', camera: 'sideview', render: { width: 256, height: 256 }, orientation: 'upright' }] }, action: { dim: 7, execute: 5 } }));
    await server.configure();
    const error = await RemotePolicy.connect({ url: server.url, profile: file }).catch((e: Error) => e);
    expect((error as Error).name).toBe('ProfileError');
    expect((error as Error).message).toMatch(new RegExp(`^policy profile ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: observation\\.images\\[0\\]\\.camera: `));
    expect((error as Error).message).not.toContain('\n');
    await expect(RemotePolicy.connect({ url: server.url, profile: 'no-such-profile' })).rejects.toThrow(/no shipped policy profile "no-such-profile"; shipped: openpi-libero, rsd-server/);
  });
});
