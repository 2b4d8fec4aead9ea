import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../engine/util/atomic-write.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rsd-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A document of about 2 MB whose every byte depends on `n`, so a torn read cannot parse as valid. */
const doc = (n: number) => JSON.stringify({ n, filler: String(n % 10).repeat(2_000_000) });

/**
 * Writes 30 versions with `write` while a worker thread reads the file in a tight loop, and returns
 * how many of its reads were not a complete document.
 */
async function tornReads(file: string, write: (file: string, text: string) => Promise<void>): Promise<{ reads: number; torn: number }> {
  await write(file, doc(0));
  const reader = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const fs = require('node:fs');
     let reads = 0, torn = 0, stop = false;
     parentPort.on('message', () => { stop = true; });
     (function loop() {
       for (let i = 0; i < 20; i++) {
         reads++;
         try { const d = JSON.parse(fs.readFileSync(workerData, 'utf8')); if (d.filler.length !== 2000000) torn++; } catch { torn++; }
       }
       if (stop) parentPort.postMessage({ reads, torn }); else setImmediate(loop);
     })();`,
    { eval: true, workerData: file },
  );
  for (let n = 1; n <= 30; n++) await write(file, doc(n));
  const done = new Promise<{ reads: number; torn: number }>((resolve) => reader.once('message', resolve));
  reader.postMessage('stop');
  const result = await done;
  await reader.terminate();
  return result;
}

describe('writeFileAtomic', () => {
  it('never lets a concurrent reader see a partly written file', async () => {
    const { reads, torn } = await tornReads(path.join(dir, 'a.json'), writeFileAtomic);
    expect(reads).toBeGreaterThan(0);
    expect(torn).toBe(0);
  });

  it('(the test above can tell: a plain writeFile is seen half written)', async () => {
    const { torn } = await tornReads(path.join(dir, 'b.json'), (file, text) => writeFile(file, text));
    expect(torn).toBeGreaterThan(0);
  });

  it('creates missing folders and leaves only the file behind', async () => {
    const file = path.join(dir, 'x', 'y', 'settings.json');
    await writeFileAtomic(file, '{}\n');
    expect(await readdir(path.dirname(file))).toEqual(['settings.json']);
  });

  it('fails without leaving a temporary file when the rename cannot happen', async () => {
    const target = path.join(dir, 'taken');
    await mkdir(path.join(target, 'inside'), { recursive: true });

    await expect(writeFileAtomic(target, 'text')).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST|EPERM/);
    expect((await readdir(dir)).sort()).toEqual(['taken']);
    expect(await readdir(target)).toEqual(['inside']);
  });
});
