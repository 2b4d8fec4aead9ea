// The bundle loader against generated synthetic bundles, good and broken.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../engine/onnx/index.js';
import { BundleError, contentHash, loadBundle, onnxProblem, type LoadedBundle } from '../../../engine/bundle/bundle.js';
import { Manifest } from '../../../engine/bundle/manifest.js';
import { loadOnnxRuntime } from '../../../engine/bundle/onnxruntime.js';
import { FILES, SYNTHETIC_PRESETS, buildSyntheticBundle, writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { expectedModels, formatSpec, signatureMismatch, type FoundValue } from '../../../engine/bundle/tensor-specs.js';

let root: string;
let good: string;
let copies = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'rsd-bundle-'));
  good = path.join(root, 'tiny');
  await writeSyntheticBundle(good, 'tiny', 1);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh copy of the good bundle to break. */
async function copy(): Promise<string> {
  const dir = path.join(root, `copy-${copies++}`);
  await cp(good, dir, { recursive: true });
  return dir;
}

async function editManifest(dir: string, edit: (m: Record<string, any>) => void): Promise<void> {
  const file = path.join(dir, 'bundle.json');
  const m = JSON.parse(await readFile(file, 'utf8')) as Record<string, any>;
  edit(m);
  await writeFile(file, JSON.stringify(m));
}

async function loadError(dir: string, ep: 'cpu' | 'cuda' | 'webgpu' | 'auto' = 'cpu'): Promise<BundleError> {
  const error = await loadBundle(dir, { ep }).then(
    async (b) => {
      await b.release();
      return new Error('loaded');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BundleError);
  return error as BundleError;
}

describe('loadBundle: a good bundle', () => {
  let bundle: LoadedBundle;
  beforeAll(async () => {
    bundle = await loadBundle(good, { ep: 'cpu' });
  });
  afterAll(async () => {
    await bundle.release();
  });

  it('loads a tiny synthetic bundle on cpu with every session by role', async () => {
    expect(bundle.manifest.name).toBe('synthetic-tiny');
    expect(bundle.ep).toBe('cpu');
    expect(bundle.epChoice).toEqual({ requested: 'cpu', chosen: 'cpu', attempts: [{ ep: 'cpu', ok: true, reason: 'requested' }] });
    expect(bundle.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(bundle.models.map((m) => m.role)).toEqual(['decoder', 'prefill', 'step', 'draft']);
    const { main, draft, decoder } = bundle.sessions;
    expect(main.decoding === 'layerwise' && main.kvCache).toBe(true);
    expect(draft).not.toBeNull();
    const ort = loadOnnxRuntime();
    const { actions } = await decoder.run({ latent: new ort.Tensor('float32', new Float32Array(4), [1, 4]) });
    expect(actions!.dims).toEqual([1, 8, 7]);
  });

  it('hashes the manifest and model bytes as documented', async () => {
    const built = buildSyntheticBundle('tiny', 1);
    const parts = bundle.models.map((m) => ({ name: m.file, bytes: built.files.get(m.file)! }));
    expect(contentHash(new TextEncoder().encode(built.manifestJson), parts)).toBe(bundle.hash);
  });

  it('gives the same hash for the same seed and a different one for another seed', async () => {
    const again = path.join(root, 'tiny-again');
    const other = path.join(root, 'tiny-seed2');
    await writeSyntheticBundle(again, 'tiny', 1);
    await writeSyntheticBundle(other, 'tiny', 2);
    const [a, b] = [await loadBundle(again, { ep: 'cpu' }), await loadBundle(other, { ep: 'cpu' })];
    expect(a.hash).toBe(bundle.hash);
    expect(b.hash).not.toBe(bundle.hash);
    await Promise.all([a.release(), b.release()]);
  });

  it('loads the parallel bundle with its one main session and no draft', async () => {
    const dir = path.join(root, 'tiny-parallel');
    await writeSyntheticBundle(dir, 'tiny-parallel', 1);
    const b = await loadBundle(dir, { ep: 'cpu' });
    expect(b.sessions.main.decoding).toBe('parallel');
    expect(b.sessions.draft).toBeNull();
    expect(b.models.map((m) => [m.role, m.file])).toEqual([
      ['decoder', FILES.decoder],
      ['parallel', FILES.parallel],
    ]);
    await b.release();
    await b.release(); // idempotent
  });
});

describe('loadBundle: bad input names the thing', () => {
  it('missing bundle.json', async () => {
    const dir = await copy();
    await rm(path.join(dir, 'bundle.json'));
    expect((await loadError(dir)).message).toBe(`bundle.json: not found in ${dir}`);
  });

  it('bad JSON', async () => {
    const dir = await copy();
    await writeFile(path.join(dir, 'bundle.json'), '{ "format": "rsd-bundle", ');
    expect((await loadError(dir)).message).toMatch(/^bundle\.json: not valid JSON: /);
  });

  it('a missing field', async () => {
    const dir = await copy();
    await editManifest(dir, (m) => delete m.rfsq.layers);
    expect((await loadError(dir)).message).toBe('bundle.json: rfsq.layers: missing (expected number)');
  });

  it('a field of the wrong type', async () => {
    const dir = await copy();
    await editManifest(dir, (m) => (m.rfsq.levels = '7'));
    expect((await loadError(dir)).message).toBe('bundle.json: rfsq.levels: expected number, received string');
  });

  it('an array entry, by index', async () => {
    const dir = await copy();
    await editManifest(dir, (m) => (m.action.normalization.q01[3] = 'low'));
    expect((await loadError(dir)).message).toBe('bundle.json: action.normalization.q01[3]: expected number, received string');
  });

  it('a missing ONNX file', async () => {
    const dir = await copy();
    await rm(path.join(dir, FILES.draft));
    expect((await loadError(dir)).message).toBe(`draft.onnx: not found in ${dir} (named by bundle.json draft.model)`);
  });

  it('a corrupt ONNX file (random bytes)', async () => {
    const dir = await copy();
    const bytes = Uint8Array.from(new SeededRandom(9).uniforms(4096, 0, 256), (x) => Math.floor(x));
    await writeFile(path.join(dir, FILES.step), bytes);
    const error = await loadError(dir, 'auto'); // a bad file is never mistaken for a bad provider
    expect(error.message).toMatch(/^main_step\.onnx: not a valid ONNX model: protobuf parsing failed/);
  });

  it('a truncated ONNX file', async () => {
    const dir = await copy();
    const whole = await readFile(path.join(dir, FILES.prefill));
    await writeFile(path.join(dir, FILES.prefill), whole.subarray(0, whole.length >> 1));
    expect((await loadError(dir)).message).toMatch(/^main_prefill\.onnx: not a valid ONNX model: /);
  });

  it('a model whose tensor shape differs from the manifest (P = 5 where the manifest says 4)', async () => {
    const dir = await copy();
    const variant = buildSyntheticBundle({ ...SYNTHETIC_PRESETS.tiny, latentSize: 5 }, 1);
    await writeFile(path.join(dir, FILES.step), variant.files.get(FILES.step)!);
    expect((await loadError(dir)).message).toBe('main_step.onnx: input "codes": expected int64 [B, n, 4], found int64 [B, n, 5]');
  });

  it('a model given for the wrong role', async () => {
    const dir = await copy();
    await cp(path.join(dir, FILES.prefill), path.join(dir, FILES.draft));
    expect((await loadError(dir)).message).toBe('draft.onnx: output "logits" is missing (expected float32 [B, 3, 4, 7]); the model\'s outputs are hidden, past_key, past_value');
  });

  it('an execution provider that is not available (cuda here)', async () => {
    const ort = await import('../../../engine/bundle/onnxruntime.js');
    const cuda = ort.executionProviders().find((p) => p.name === 'cuda');
    if (cuda?.available) return console.log('cuda is available on this machine: nothing to refuse');
    expect((await loadError(good, 'cuda')).message).toMatch(/^execution provider "cuda": not available: /);
  });

  it('an unavailable provider for the small models, named as such', async () => {
    const ort = await import('../../../engine/bundle/onnxruntime.js');
    if (ort.executionProviders().find((p) => p.name === 'cuda')?.available) return console.log('cuda is available on this machine: nothing to refuse');
    const error = await loadBundle(good, { ep: 'auto', smallModelsEp: 'cuda' }).then(
      () => new Error('loaded'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toMatch(/^execution provider "cuda" \(small models\): not available: /);
  });

  it('an unknown execution provider', async () => {
    const error = await loadBundle(good, { ep: 'tpu' as never }).then(
      () => new Error('loaded'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toBe('execution provider "tpu": unknown; choose one of cpu, webgpu, cuda, auto');
  });
});

describe('loadBundle: the small models on their own provider', () => {
  it('records the choice and still checks every model', async () => {
    const bundle = await loadBundle(good, { ep: 'cpu', smallModelsEp: 'cpu' });
    try {
      expect(bundle.epChoice.smallModels).toBe('cpu');
      expect(bundle.sessions.draft).not.toBeNull();
    } finally {
      await bundle.release();
    }
  });
});

describe('loadBundle: auto', () => {
  it('records its choice and why the better providers were passed over', async () => {
    const bundle = await loadBundle(good, { ep: 'auto' });
    const { epChoice } = bundle;
    console.log('auto chose', epChoice.chosen, JSON.stringify(epChoice.attempts.map((a) => `${a.ep}: ${a.ok ? 'ok' : a.reason.slice(0, 120)}`)));
    expect(epChoice.requested).toBe('auto');
    expect(epChoice.attempts.at(-1)).toMatchObject({ ep: epChoice.chosen, ok: true });
    expect(epChoice.attempts.slice(0, -1).every((a) => !a.ok && a.reason.length > 0)).toBe(true);
    // Best first: cuda, webgpu, cpu, stopping at the first that works.
    expect(epChoice.attempts.map((a) => a.ep)).toEqual(['cuda', 'webgpu', 'cpu'].slice(0, epChoice.attempts.length));
    expect(bundle.ep).toBe(epChoice.chosen);
    await bundle.release();
  });
});

describe('tensor specs', () => {
  const manifest = () => Manifest.parse(JSON.parse(buildSyntheticBundle('tiny', 1).manifestJson));
  const found = (name: string, type: string, shape: (number | string)[]): FoundValue => ({ name, isTensor: true, type, shape });

  it('derives the step contract from the manifest', () => {
    const step = expectedModels(manifest()).find((m) => m.role === 'step')!;
    expect(step.inputs.map(formatSpec)).toEqual(['int64 [B, n, 4]', 'int64 [B, n]', 'float32 [B, 2, T, 32]', 'float32 [B, 2, T, 32]']);
    expect(step.outputs.map(formatSpec)).toEqual(['float32 [B, n, 4, 7]', 'float32 [B, 2, T+n, 32]', 'float32 [B, 2, T+n, 32]']);
  });

  it('names a fixed batch, a missing input, an extra input, a wrong dtype', () => {
    const decoder = expectedModels(manifest())[0]!;
    const outputs = [found('actions', 'float32', ['batch', 8, 7])];
    const check = (inputs: FoundValue[]) => signatureMismatch(decoder, { inputMetadata: inputs, outputMetadata: outputs });
    expect(check([found('latent', 'float32', ['', 4])])).toBeNull(); // any symbolic name, even unnamed
    expect(check([found('latent', 'float32', [1, 4])])).toBe('input "latent": expected float32 [B, 4], found float32 [1, 4]');
    expect(check([found('latent', 'float64', ['B', 4])])).toBe('input "latent": expected float32 [B, 4], found float64 [B, 4]');
    expect(check([])).toBe('input "latent" is missing (expected float32 [B, 4]); the model\'s inputs are (none)');
    expect(check([found('latent', 'float32', ['B', 4]), found('mask', 'bool', ['B'])])).toBe('unexpected input "mask"; the format\'s inputs here are latent');
  });

  it('lets the prefill choose its context length T0', () => {
    const prefill = expectedModels(manifest()).find((m) => m.role === 'prefill')!;
    const inputs = [found('proprio', 'float32', ['B', 8]), found('object_poses', 'float32', ['B', 14]), found('instruction', 'int64', ['B'])];
    for (const t0 of [1, 'T0', 5]) {
      const outputs = [found('hidden', 'float32', ['B', 32]), found('past_key', 'float32', ['B', 2, t0, 32]), found('past_value', 'float32', ['B', 2, t0, 32])];
      expect(signatureMismatch(prefill, { inputMetadata: inputs, outputMetadata: outputs })).toBeNull();
    }
  });

  it('refuses manifests the contract cannot serve', () => {
    const m = JSON.parse(buildSyntheticBundle('tiny', 1).manifestJson) as Record<string, any>;
    const issue = (edit: (m: Record<string, any>) => void) => {
      const copy = structuredClone(m);
      edit(copy);
      const r = Manifest.safeParse(copy);
      return r.success ? null : `${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`;
    };
    expect(issue(() => {})).toBeNull();
    expect(issue((c) => (c.main.kvCache = false))).toMatch(/^main\.prefill: only a model with a KV cache/);
    expect(issue((c) => (c.draft.reads = 'main-hidden'))).toBeNull();
    expect(issue((c) => ((c.draft.reads = 'main-hidden'), (c.main.kvCache = false), delete c.main.prefill))).toMatch(/^draft\.reads: /);
    const shorten = (c: Record<string, any>) => ['q01', 'q99', 'mask'].forEach((k) => c.observation.proprio.normalization[k].pop());
    expect(issue(shorten)).toBe('observation.proprio.normalization.q01: needs 8 entries');
  });
});

describe('onnxProblem', () => {
  it('accepts a generated model and names what is wrong with others', () => {
    expect(onnxProblem(buildSyntheticBundle('tiny', 1).files.get(FILES.decoder)!)).toBeNull();
    expect(onnxProblem(new Uint8Array())).toBe('the file is empty');
    expect(onnxProblem(new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:abc\n'))).toMatch(/Git LFS pointer/);
    expect(onnxProblem(Uint8Array.of(0x08, 0x08))).toBe('no graph'); // ir_version only
  });
});
