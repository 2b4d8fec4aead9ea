// Issue 15: model files that are not regular files, bundles whose weights changed after they were made.
// The refusals happen before any open or read of a special file, so no test here waits on a FIFO.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleError, loadBundle, readManifest } from '../../../engine/bundle/bundle.js';
import { writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { defaultBundleDir } from '../../../engine/bundle/default-bundle.js';

let root: string;
let good: string;
let copies = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'rsd-special-'));
  good = path.join(root, 'tiny');
  await writeSyntheticBundle(good, 'tiny', 1);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function copy(from = good): Promise<string> {
  const dir = path.join(root, `copy-${copies++}`);
  await cp(from, dir, { recursive: true });
  return dir;
}

async function loadError(dir: string): Promise<BundleError> {
  const error = await loadBundle(dir, { ep: 'cpu' }).then(
    async (b) => {
      await b.release();
      return new Error('loaded');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BundleError);
  return error as BundleError;
}

/** Flips one bit in the middle of the file (in the weights, past the header). */
async function flipBit(file: string): Promise<void> {
  const bytes = await readFile(file);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x10;
  await writeFile(file, bytes);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('special files in a bundle are refused before they are opened', () => {
  it('a model file that is a FIFO', async () => {
    const dir = await copy();
    await unlink(path.join(dir, 'main_step.onnx'));
    execFileSync('mkfifo', [path.join(dir, 'main_step.onnx')]);
    const error = await loadError(dir);
    expect(error.message).toBe('main_step.onnx: is a FIFO (named pipe), not a regular file');
    expect(error.field).toBe(path.join(dir, 'main_step.onnx'));
  });

  it('a model file that is a symbolic link to /dev/zero', async () => {
    const dir = await copy();
    await unlink(path.join(dir, 'draft.onnx'));
    await symlink('/dev/zero', path.join(dir, 'draft.onnx'));
    expect((await loadError(dir)).message).toBe('draft.onnx: is a character device, not a regular file');
  });

  it('a model file that is a folder', async () => {
    const dir = await copy();
    await unlink(path.join(dir, 'rfsq_decoder.onnx'));
    execFileSync('mkdir', [path.join(dir, 'rfsq_decoder.onnx')]);
    expect((await loadError(dir)).message).toBe('rfsq_decoder.onnx: is a folder, not a regular file');
  });

  it('a bundle.json that is a FIFO, or larger than 1 MiB', async () => {
    const fifo = await copy();
    await unlink(path.join(fifo, 'bundle.json'));
    execFileSync('mkfifo', [path.join(fifo, 'bundle.json')]);
    await expect(readManifest(fifo)).rejects.toThrow('bundle.json: is a FIFO (named pipe), not a regular file');

    const big = await copy();
    await writeFile(path.join(big, 'bundle.json'), ' '.repeat(1024 * 1024 + 1));
    await expect(readManifest(big)).rejects.toThrow('bundle.json: is 1048577 bytes, larger than 1 MiB, the most allowed for it');
  });
});

describe("the SHA-256 of each file that bundle.json's provenance records is checked at load", () => {
  it('refuses a bit-flipped model of the shipped bundle, naming the file and both hashes', async () => {
    const dir = await copy(defaultBundleDir());
    const file = path.join(dir, 'main_step.onnx');
    const recorded = (JSON.parse(await readFile(path.join(dir, 'bundle.json'), 'utf8')) as { provenance: { files: Record<string, string> } }).provenance.files['main_step.onnx']!;
    await flipBit(file);
    const actual = sha256(await readFile(file));
    const error = await loadError(dir);
    expect(error.message).toBe(`main_step.onnx: its SHA-256 is ${actual}, but bundle.json provenance.files records ${recorded}: the file was changed or damaged after the bundle was made`);
    expect(error.field).toBe(file);
  }, 30_000);

  it('loads a bundle whose recorded hashes match, and one that records none', async () => {
    const dir = await copy();
    const m = JSON.parse(await readFile(path.join(dir, 'bundle.json'), 'utf8')) as { provenance: Record<string, unknown> };
    const files: Record<string, string> = {};
    for (const name of ['rfsq_decoder.onnx', 'main_prefill.onnx', 'main_step.onnx', 'draft.onnx']) files[name] = sha256(await readFile(path.join(dir, name)));
    m.provenance.files = files;
    await writeFile(path.join(dir, 'bundle.json'), JSON.stringify(m));
    await (await loadBundle(dir, { ep: 'cpu' })).release();
    await (await loadBundle(good, { ep: 'cpu' })).release();

    await flipBit(path.join(dir, 'draft.onnx'));
    expect((await loadError(dir)).message).toMatch(/^draft\.onnx: its SHA-256 is [0-9a-f]{64}, but bundle\.json provenance\.files records [0-9a-f]{64}: /);
  });

  it('refuses a recorded value that is not a SHA-256', async () => {
    const dir = await copy();
    const m = JSON.parse(await readFile(path.join(dir, 'bundle.json'), 'utf8')) as { provenance: Record<string, unknown> };
    m.provenance.files = { 'draft.onnx': 'abc' };
    await writeFile(path.join(dir, 'bundle.json'), JSON.stringify(m));
    expect((await loadError(dir)).message).toBe('bundle.json: provenance.files["draft.onnx"]: expected a SHA-256 in 64 hex digits, got "abc"');
  });
});
