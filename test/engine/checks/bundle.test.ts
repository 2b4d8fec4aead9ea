// The model bundle rows on real bundles (seeded synthetic ones, good and broken), loaded for real.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckId } from '../../../engine/api/checks.js';
import { writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { DEFAULT_BUNDLE_ENV } from '../../../engine/bundle/default-bundle.js';
import { defaultBundleDir } from '../../../engine/checks/bundle-source.js';
import { suiteTasks } from '../../../engine/libero/suites.js';
import { runChecks } from './helpers.js';

const BUNDLE_ROWS: CheckId[] = ['bundle.manifest', 'bundle.models', 'bundle.rfsq', 'bundle.draft'];

let root: string;
let tiny: string;
let parallel: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'rsd-prereq-bundle-'));
  tiny = path.join(root, 'tiny');
  parallel = path.join(root, 'tiny-parallel');
  await writeSyntheticBundle(tiny, 'tiny', 1);
  await writeSyntheticBundle(parallel, 'tiny-parallel', 1);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function brokenCopy(name: string, edit: (dir: string) => Promise<void>): Promise<string> {
  const dir = path.join(root, name);
  await cp(tiny, dir, { recursive: true });
  await edit(dir);
  return dir;
}

async function editManifest(dir: string, edit: (m: Record<string, any>) => void): Promise<void> {
  const file = path.join(dir, 'bundle.json');
  const m = JSON.parse(await readFile(file, 'utf8')) as Record<string, any>;
  edit(m);
  await writeFile(file, JSON.stringify(m));
}

const statuses = async (settings: object) => {
  const { results } = await runChecks(BUNDLE_ROWS, { settings });
  return { results, status: Object.fromEntries(BUNDLE_ROWS.map((id) => [id, results.get(id)!.status])) };
};

describe('no bundle chosen', () => {
  it('uses the default bundle that ships: a trained, state-based policy with its draft', async () => {
    expect(defaultBundleDir()).toMatch(/assets\/bundles\/default$/);
    const { results, status } = await statuses({});

    expect(status).toEqual({ 'bundle.manifest': 'pass', 'bundle.models': 'pass', 'bundle.rfsq': 'pass', 'bundle.draft': 'pass' });
    expect(results.get('bundle.manifest')!.detail).toMatch(/^"default" in .*assets\/bundles\/default \(default bundle\): layerwise main model with a KV cache, a draft for the 3 coarsest layers; .*state-based observations\.$/);
  }, 30_000);

  it('warns when the default bundle is missing from the install, and offers the folder setting', async () => {
    const missing = path.join(root, 'no-default-bundle');
    process.env[DEFAULT_BUNDLE_ENV] = missing;
    try {
      const { results, status } = await statuses({});
      expect(status).toEqual({ 'bundle.manifest': 'warn', 'bundle.models': 'not-configured', 'bundle.rfsq': 'not-configured', 'bundle.draft': 'not-configured' });
      const row = results.get('bundle.manifest')!;
      expect(row.detail).toBe(`No model bundle: none is chosen and the default bundle is missing from this install (${missing}). Choose a bundle folder.`);
      expect(row.fix).toEqual({ kind: 'setting', setting: 'bundleDir', hint: expect.stringContaining('bundle.json') });
      expect(results.get('bundle.models')!.detail).toBe('Needs a model bundle: choose one in the "Model bundle" row.');
    } finally {
      delete process.env[DEFAULT_BUNDLE_ENV];
    }
  });
});

describe('a good layerwise bundle with a draft (synthetic tiny)', () => {
  it('loads, round-trips codes to finite actions of [chunk, 7], and has its draft; synthetic weights are a warning', async () => {
    const { results, status } = await statuses({ bundleDir: tiny });

    expect(status).toEqual({ 'bundle.manifest': 'warn', 'bundle.models': 'pass', 'bundle.rfsq': 'pass', 'bundle.draft': 'pass' });
    expect(results.get('bundle.manifest')!.detail).toMatch(/^"synthetic-tiny" in .*tiny \(settings\): layerwise main model with a KV cache, a draft for the 3 coarsest layers; RFSQ 8 layers × 7 levels, latent 4; actions in chunks of 8 × 7/);
    expect(results.get('bundle.manifest')!.detail).toContain('Its weights are synthetic');
    expect(results.get('bundle.models')!.detail).toMatch(/^4 models loaded on the CPU .*rfsq_decoder\.onnx \(decoder\), main_prefill\.onnx \(prefill\), main_step\.onnx \(step\), draft\.onnx \(draft\)\. Content hash [0-9a-f]{12}…\.$/);
    expect(results.get('bundle.rfsq')!.detail).toMatch(/→ actions \[3, 8, 7\], \[chunk 8, 7\] each, all finite \(-?[\d.]+ to -?[\d.]+\)\.$/);
    expect(results.get('bundle.draft')!.detail).toMatch(/^draft\.onnx proposes the 3 coarsest of 8 layers .* Speculative decoding can run\.$/);
  });

  it('passes a bundle whose provenance is not synthetic', async () => {
    // Made for every libero_spatial instruction, so the row has nothing to warn of.
    const trained = await brokenCopy('not-synthetic', (dir) =>
      editManifest(dir, (m) => {
        m.provenance = { recipe: 'test' };
        m.observation.instruction.instructions = suiteTasks('libero_spatial').map((t) => t.instruction);
      }),
    );
    expect((await statuses({ bundleDir: trained })).status['bundle.manifest']).toBe('pass');
  });
});

describe('the draft row follows the decoding strategy', () => {
  it('fails speculative decoding on a bundle without a draft, with a button that switches to one it can run', async () => {
    const { results, status } = await statuses({ bundleDir: parallel, decoding: 'speculative' });

    expect(status).toEqual({ 'bundle.manifest': 'warn', 'bundle.models': 'pass', 'bundle.rfsq': 'pass', 'bundle.draft': 'fail' });
    const row = results.get('bundle.draft')!;
    expect(row.detail).toBe('Decoding is set to speculative, but "synthetic-tiny-parallel" has no draft model (bundle.json draft is null).');
    expect(row.fix).toEqual({ kind: 'action', action: { type: 'settings.set', params: { decoding: 'parallel' } }, label: 'Use parallel decoding' });
  });

  it.each(['parallel', 'autoregressive'] as const)('needs no draft for %s decoding', async (decoding) => {
    const { results } = await statuses({ bundleDir: parallel, decoding });
    expect(results.get('bundle.draft')).toMatchObject({ status: 'pass', detail: `Not needed: decoding is set to ${decoding}, and only speculative decoding uses a draft.` });
  });
});

describe('broken bundles: the first row at fault fails, the rows after it are unknown', () => {
  it('a folder that does not exist', async () => {
    const { results, status } = await statuses({ bundleDir: path.join(root, 'absent') });
    expect(status).toEqual({ 'bundle.manifest': 'fail', 'bundle.models': 'unknown', 'bundle.rfsq': 'unknown', 'bundle.draft': 'unknown' });
    expect(results.get('bundle.manifest')!.detail).toMatch(/^The bundle folder .*absent \(settings\) does not exist or is not a folder\.$/);
    expect(results.get('bundle.manifest')!.fix).toMatchObject({ kind: 'setting', setting: 'bundleDir' });
  });

  it('a manifest missing a field, named by its path', async () => {
    const dir = await brokenCopy('no-layers', (d) => editManifest(d, (m) => delete m.rfsq.layers));
    const { results, status } = await statuses({ bundleDir: dir });
    expect(status).toEqual({ 'bundle.manifest': 'fail', 'bundle.models': 'unknown', 'bundle.rfsq': 'unknown', 'bundle.draft': 'unknown' });
    expect(results.get('bundle.manifest')!.detail).toBe(`bundle.json: rfsq.layers: missing (expected number) (bundle folder ${dir}).`);
    expect(results.get('bundle.rfsq')!.detail).toBe('Not checked: the bundle folder or its bundle.json is not valid (see the "Model bundle" row).');
  });

  it("a model whose tensors differ from the manifest: the loader's first mismatch", async () => {
    const dir = await brokenCopy('wrong-latent', (d) => editManifest(d, (m) => (m.rfsq.latentSize = 5)));
    const { results, status } = await statuses({ bundleDir: dir });
    expect(status).toEqual({ 'bundle.manifest': 'warn', 'bundle.models': 'fail', 'bundle.rfsq': 'unknown', 'bundle.draft': 'unknown' });
    expect(results.get('bundle.models')!.detail).toBe('rfsq_decoder.onnx: input "latent": expected float32 [B, 5], found float32 [B, 4]');
    expect(results.get('bundle.rfsq')!.detail).toBe('Not checked: the bundle\'s models did not load (see the "Bundle models" row).');
  });

  it('a corrupt model file', async () => {
    const dir = await brokenCopy('truncated', async (d) => {
      const file = path.join(d, 'main_step.onnx');
      const bytes = await readFile(file);
      await writeFile(file, bytes.subarray(0, bytes.length - 100));
    });
    const { results } = await statuses({ bundleDir: dir });
    expect(results.get('bundle.models')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^main_step\.onnx: not a valid ONNX model: /) });
  });
});
