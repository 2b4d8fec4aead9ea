import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkerModule, resolveWorkerStart, spawnWorker, type WorkerStart } from '../../../engine/workers/spawn.js';

// How pool workers start from source (engine/workers/spawn.ts): a cached esbuild bundle of the
// worker module, rebuilt when a source changes; tsx only as the fallback, and then said.
let dir: string;
let cache: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rsd-spawn-'));
  cache = path.join(dir, 'cache');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const ECHO = new URL('./echo-worker.ts', import.meta.url).href;

/** A worker module that posts `ready` and its answer (a second file it imports gives the answer). */
async function writeWorker(answer: number): Promise<string> {
  await writeFile(path.join(dir, 'answer.ts'), `export const answer: number = ${answer};\nexport const url = import.meta.url;\n`);
  const file = path.join(dir, 'answer-worker.ts');
  await writeFile(file, `import { parentPort, workerData } from 'node:worker_threads';\nimport { answer, url } from './answer.js';\nparentPort!.postMessage({ type: 'ready', answer, own: url === import.meta.url, module: workerData.module === import.meta.url });\n`);
  return pathToFileURL(file).href;
}

function firstMessage(module: string | WorkerStart): Promise<{ type: string; answer?: number; own?: boolean; module?: boolean }> {
  const worker = spawnWorker(module);
  return new Promise((resolve, reject) => {
    worker.once('message', (m) => void worker.terminate().then(() => resolve(m)));
    worker.once('error', reject);
  });
}

describe('worker start path', () => {
  it('bundles a worker module once, finds the bundle again, and rebuilds it when a source it imports changes', async () => {
    const module = await writeWorker(1);
    const first = await bundleWorkerModule(module, cache);
    expect(first.built).toBe(true);
    expect(first.url).toMatch(/\/cache\/answer-worker-[0-9a-f]{8}-[0-9a-f]{16}\.mjs$/);
    // Each source keeps its own import.meta.url in the bundle; workerData.module names the source.
    expect(await firstMessage({ module: first.url, source: module, how: 'bundle', note: null, resolveMs: 0 })).toEqual({ type: 'ready', answer: 1, own: false, module: true });

    const again = await bundleWorkerModule(module, cache);
    expect(again).toEqual({ url: first.url, built: false });

    // Bundles of older sources go once a newer one is built and they are a day old.
    const name = path.basename(first.url).replace(/-[0-9a-f]{16}\.mjs$/, '');
    const stale = path.join(cache, `${name}-${'0'.repeat(16)}.mjs`);
    await writeFile(stale, '');
    const dayAgo = new Date(Date.now() - 25 * 3600 * 1000);
    await utimes(stale, dayAgo, dayAgo);

    await writeWorker(2); // the imported file changes, the entry does not
    const changed = await bundleWorkerModule(module, cache);
    expect(changed.built).toBe(true);
    expect(changed.url).not.toBe(first.url);
    const left = await readdir(cache);
    expect(left).not.toContain(path.basename(stale));
    expect(left).toContain(path.basename(fileURLToPath(first.url))); // recent: a running process may still use it
    expect(await firstMessage({ module: changed.url, source: module, how: 'bundle', note: null, resolveMs: 0 })).toEqual({ type: 'ready', answer: 2, own: false, module: true });
  });

  it('starts a pool worker from its bundle, and the bundled worker speaks the pool protocol', async () => {
    const start = await resolveWorkerStart(ECHO, { RSD_WORKER_CACHE: cache });
    expect(start.how).toBe('bundle');
    expect(start.module).toMatch(/\/echo-worker-[0-9a-f-]+\.mjs$/);
    expect(start.source).toBe(ECHO);
    expect(start.note).toMatch(/^built the worker bundle echo-worker-/);
    expect(await firstMessage(start)).toEqual({ type: 'ready' });
  });

  it('starts through tsx when asked, and says so', async () => {
    const start = await resolveWorkerStart(ECHO, { RSD_WORKER_START: 'tsx', RSD_WORKER_CACHE: cache });
    expect(start).toMatchObject({ module: ECHO, source: ECHO, how: 'tsx', note: 'workers start through tsx ($RSD_WORKER_START=tsx)' });
    expect(await firstMessage(start.module)).toEqual({ type: 'ready' });
  });

  it('falls back to tsx when no bundle can be made, and says why', async () => {
    const broken = path.join(dir, 'broken-worker.ts');
    await writeFile(broken, `import { missing } from './no-such-file.js';\nconsole.log(missing);\n`);
    const start = await resolveWorkerStart(pathToFileURL(broken).href, { RSD_WORKER_CACHE: cache });
    expect(start.how).toBe('tsx');
    expect(start.module).toBe(pathToFileURL(broken).href);
    expect(start.note).toMatch(/^no worker bundle \(.*no-such-file.*\): workers start through tsx/s);
  });

  it('leaves a bundle the build made as it is', async () => {
    const packaged = pathToFileURL(path.join(dir, 'sim-worker.cjs')).href;
    expect(await resolveWorkerStart(packaged, {})).toEqual({ module: packaged, source: packaged, how: 'packaged', note: null, resolveMs: 0 });
  });
});
