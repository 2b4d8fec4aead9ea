// Vision bundles (issue 17): the manifest's camera render sizes and instruction tokens, their
// tensors checked on load, and the first mismatch named.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleError, loadBundle } from '../../../engine/bundle/bundle.js';
import { Manifest } from '../../../engine/bundle/manifest.js';
import { FILES, SYNTHETIC_PRESETS, buildSyntheticBundle, syntheticObservation, writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { formatSpec, observationInputs } from '../../../engine/bundle/tensor-specs.js';

const VISION = SYNTHETIC_PRESETS['tiny-vision'];
let root: string;
let good: string;
let copies = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'rsd-vision-bundle-'));
  good = path.join(root, 'tiny-vision');
  await writeSyntheticBundle(good, 'tiny-vision', 1);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The good bundle with one model file replaced by the same role's model of another synthetic variant. */
async function withModel(file: string, bytes: Uint8Array): Promise<string> {
  const dir = path.join(root, `copy-${copies++}`);
  await cp(good, dir, { recursive: true });
  await writeFile(path.join(dir, file), bytes);
  return dir;
}

async function loadError(dir: string): Promise<string> {
  const error = await loadBundle(dir, { ep: 'cpu' }).then(
    async (b) => {
      await b.release();
      return new Error('loaded');
    },
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(BundleError);
  return error.message;
}

/** The first schema problem of a manifest edited from tiny-vision's, as `path: message`, or null. */
function issue(edit: (m: Record<string, any>) => void): string | null {
  const m = JSON.parse(buildSyntheticBundle('tiny-vision', 1).manifestJson) as Record<string, any>;
  edit(m);
  const r = Manifest.safeParse(m);
  return r.success ? null : `${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`;
}

describe('the vision manifest', () => {
  it('declares cameras with render sizes and the instruction as tokens, and implies their tensors', () => {
    const { manifest } = buildSyntheticBundle('tiny-vision', 1);
    expect(manifest.observation.kind).toBe('vision');
    expect(manifest.observation.cameras[0]).toEqual({ name: 'agentview', height: 8, width: 8, render: { height: 16, width: 12 }, orientation: 'rot180', centerCrop: 0.9 });
    expect(manifest.observation.instruction).toMatchObject({ kind: 'tokens', maxLength: 12 });
    if (manifest.observation.instruction.kind !== 'tokens') throw new Error('tokens');
    expect(manifest.observation.instruction.vocabulary.slice(0, 4)).toEqual(['<pad>', '<unk>', 'pick', 'up']);
    expect(observationInputs(manifest).map((t) => `${t.name} ${formatSpec(t)}`)).toEqual([
      'proprio float32 [B, 8]',
      'instruction_tokens int64 [B, 12]',
      'image_agentview float32 [B, 3, 8, 8]',
      'image_robot0_eye_in_hand float32 [B, 3, 6, 6]',
    ]);
  });

  it('refuses a bad vocabulary, sizes out of range, and cameras on a state bundle, naming the field', () => {
    expect(issue(() => {})).toBeNull();
    expect(issue((m) => (m.observation.instruction.vocabulary[0] = 'pad'))).toBe('observation.instruction.vocabulary.0: must be "<pad>" (index 0 pads)');
    expect(issue((m) => m.observation.instruction.vocabulary.splice(1, 1))).toBe('observation.instruction.vocabulary.1: must be "<unk>" (index 1 stands for unknown words)');
    expect(issue((m) => (m.observation.instruction.vocabulary[3] = 'Up'))).toBe('observation.instruction.vocabulary.3: "Up" is not a word the tokenizer produces (lowercase a-z and 0-9 only)');
    expect(issue((m) => m.observation.instruction.vocabulary.push('pick'))).toMatch(/^observation\.instruction\.vocabulary\.\d+: "pick" is listed twice$/);
    expect(issue((m) => (m.observation.instruction.maxLength = 0))).toMatch(/^observation\.instruction\.maxLength: /);
    expect(issue((m) => (m.observation.instruction.maxLength = 513))).toMatch(/^observation\.instruction\.maxLength: /);
    expect(issue((m) => (m.observation.cameras[0].render = { height: 16 }))).toMatch(/^observation\.cameras\.0\.render\.width: /);
    expect(issue((m) => (m.observation.cameras[0].render.width = 4096))).toMatch(/^observation\.cameras\.0\.render\.width: /);
    expect(issue((m) => (m.observation.cameras[0].render.depth = 3))).toMatch(/^observation\.cameras\.0\.render: /);
    expect(issue((m) => (m.observation.kind = 'state'))).toBe("observation.cameras: a state bundle reads no camera images (kind 'vision' does)");
  });
});

describe('loadBundle: a vision bundle', () => {
  it('loads, and its models run on image and token feeds', async () => {
    const bundle = await loadBundle(good, { ep: 'cpu' });
    try {
      expect(bundle.models.map((m) => m.role)).toEqual(['decoder', 'prefill', 'step', 'draft']);
      const { main, draft } = bundle.sessions;
      if (main.decoding !== 'layerwise' || !main.kvCache) throw new Error('tiny-vision is layerwise with a KV cache');
      const obs = syntheticObservation(bundle.manifest, 3, 2);
      expect(obs.instruction_tokens!.dims).toEqual([2, 12]);
      expect((await main.prefill.run(obs)).hidden!.dims).toEqual([2, 32]);
      expect((await draft!.run(obs)).logits!.dims).toEqual([2, 3, 4, 7]);
    } finally {
      await bundle.release();
    }
  });

  it('names an image of the wrong size in a model', async () => {
    const cameras = VISION.cameras!.map((c) => (c.name === 'agentview' ? { ...c, height: 6 } : c));
    const variant = buildSyntheticBundle({ ...VISION, cameras }, 1);
    expect(await loadError(await withModel(FILES.prefill, variant.files.get(FILES.prefill)!))).toBe('main_prefill.onnx: input "image_agentview": expected float32 [B, 3, 8, 8], found float32 [B, 3, 6, 8]');
  });

  it('names a missing instruction_tokens input (a model that reads a task index)', async () => {
    const variant = buildSyntheticBundle({ ...VISION, instructionTokens: undefined }, 1);
    expect(await loadError(await withModel(FILES.draft, variant.files.get(FILES.draft)!))).toBe(
      'draft.onnx: input "instruction_tokens" is missing (expected int64 [B, 12]); the model\'s inputs are proprio, image_agentview, image_robot0_eye_in_hand, instruction',
    );
  });

  it('names a model that lacks a camera input, and one of another token length', async () => {
    const oneCamera = buildSyntheticBundle({ ...VISION, cameras: VISION.cameras!.slice(0, 1) }, 1);
    expect(await loadError(await withModel(FILES.prefill, oneCamera.files.get(FILES.prefill)!))).toBe(
      'main_prefill.onnx: input "image_robot0_eye_in_hand" is missing (expected float32 [B, 3, 6, 6]); the model\'s inputs are proprio, image_agentview, instruction_tokens',
    );
    const longer = buildSyntheticBundle({ ...VISION, instructionTokens: 16 }, 1);
    expect(await loadError(await withModel(FILES.prefill, longer.files.get(FILES.prefill)!))).toBe('main_prefill.onnx: input "instruction_tokens": expected int64 [B, 12], found int64 [B, 16]');
  });
});
