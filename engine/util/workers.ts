import { Worker } from 'node:worker_threads';

/**
 * Worker threads of the engine (expert pool, evaluation runner) from source or from the Electron
 * bundle. From source, a worker runs its TypeScript module through worker-bootstrap.mjs (which
 * registers tsx); in the packaged app scripts/build.mjs bundles each worker to a .cjs file beside
 * engine-host.cjs, started directly. A worker module starts itself when workerData.module is its
 * own URL.
 */

// Bundles: .cjs beside the Electron engine host, .mjs beside the CLI bundle for the GPU machine.
const BUNDLE_EXT = /\.(cjs|mjs)$/.exec(import.meta.url)?.[1];
const BOOTSTRAP = new URL('./worker-bootstrap.mjs', import.meta.url);

/** The module a worker runs: `source` (a .ts URL) from source, `<bundled>.cjs|mjs` beside the bundle when bundled. */
export function workerModule(source: URL, bundled: string): string {
  return BUNDLE_EXT ? new URL(`./${bundled}.${BUNDLE_EXT}`, import.meta.url).href : source.href;
}

export function spawnWorker(module: string): Worker {
  return new Worker(module.endsWith('.ts') ? BOOTSTRAP : new URL(module), { workerData: { module } });
}
