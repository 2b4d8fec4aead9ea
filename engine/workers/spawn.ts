import { URL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Worker threads of the engine (expert pool, evaluation runner) from source or from a bundle. From
 * source, a worker runs its TypeScript module through worker-bootstrap.mjs (which registers tsx);
 * bundled, each worker is a file beside the bundle: `.cjs` beside the Electron engine host
 * (scripts/build.mjs), `.mjs` beside the CLI bundle for the GPU machine (scripts/device-bundle.sh).
 * A worker module starts itself when workerData.module is its own URL.
 *
 * URLs are built from variables, never `new URL('literal', import.meta.url)`: Vite rewrites that
 * pattern to an http URL when the engine runs inside the renderer's jsdom tests. And Node's URL is
 * imported explicitly, because jsdom replaces the global one and Worker accepts only Node's.
 */

const here = import.meta.url;
const BUNDLE_EXT = /\.(cjs|mjs)$/.exec(here)?.[1];
const BOOTSTRAP = './worker-bootstrap.mjs';

/** The module a worker runs: `source` relative to `base` from source, `<bundled>.cjs|mjs` beside the bundle. */
export function workerModule(base: string, source: string, bundled: string): string {
  return BUNDLE_EXT ? new URL(`./${bundled}.${BUNDLE_EXT}`, here).href : new URL(source, base).href;
}

/** Starts `module` in a worker thread; it finds `data` in workerData, beside `module`. */
export function spawnWorker(module: string, data: object = {}): Worker {
  return new Worker(module.endsWith('.ts') ? new URL(BOOTSTRAP, here) : new URL(module), { workerData: { ...data, module } });
}
