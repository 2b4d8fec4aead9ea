import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { appRoot } from '../util/app-root.js';

/**
 * Worker threads of the engine (expert pool, evaluation runner) from source or from a bundle.
 * Bundled (the packaged app, the device CLI), each worker is a file beside the bundle: `.cjs`
 * beside the Electron engine host (scripts/build.mjs), `.mjs` beside the CLI bundle for the GPU
 * machine (scripts/device-bundle.sh). From source (`npx rsd`, the tests), a worker's TypeScript
 * module is bundled with esbuild on first use into dist/worker-cache/, keyed by the hash of the
 * sources it was built from (`resolveWorkerStart`), and the worker starts from that bundle: through
 * tsx (worker-bootstrap.mjs, which registers tsx and compiles the engine's TypeScript in each
 * worker) a worker took about 1 CPU-second more to start. When no bundle can be made (esbuild
 * missing, the folder read-only) or $RSD_WORKER_START=tsx asks for it, the worker starts through
 * tsx, and `WorkerStart.note` says so for the caller's log.
 * A worker module starts itself when workerData.module is its own URL (the bundle's, when bundled).
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

/**
 * Starts `module` in a worker thread; it finds `data` in workerData, beside `module`. Given a
 * `WorkerStart`, it runs the start's module (a bundle) and names the source in workerData.module.
 */
export function spawnWorker(module: string | WorkerStart, data: object = {}): Worker {
  const run = typeof module === 'string' ? module : module.module;
  const name = typeof module === 'string' ? module : module.source;
  return new Worker(run.endsWith('.ts') ? new URL(BOOTSTRAP, here) : new URL(run), { workerData: { ...data, module: name } });
}

/** How a pool's workers start: the module given to `spawnWorker`, and what the log should say about it. */
export interface WorkerStart {
  /** What the worker runs. */
  module: string;
  /** What workerData.module names (the source module, also when it runs from its bundle: see `bundleWorkerModule`). */
  source: string;
  /** `packaged`: a bundle the build made; `bundle`: the cached esbuild bundle of the source; `tsx`: the source through tsx. */
  how: 'packaged' | 'bundle' | 'tsx';
  /** What to log: why the workers start through tsx, or that a bundle was built (null when a cached bundle was found). */
  note: string | null;
  /** Time spent finding (and maybe building) the bundle, ms. */
  resolveMs: number;
}

/** Where the bundles of worker modules run from source are cached ($RSD_WORKER_CACHE overrides it; two levels below the project, as the engine's relative paths expect). */
export function workerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.RSD_WORKER_CACHE || path.join(appRoot(), 'dist', 'worker-cache');
}

const starts = new Map<string, Promise<WorkerStart>>();

/**
 * The module to start for `module`: itself when it is a bundle already; for TypeScript source, its
 * esbuild bundle from the cache (built when missing or when a source it was built from changed),
 * else the source through tsx with a note saying why. Once per module per process.
 */
export function resolveWorkerStart(module: string, env: NodeJS.ProcessEnv = process.env): Promise<WorkerStart> {
  if (!module.endsWith('.ts')) return Promise.resolve({ module, source: module, how: 'packaged', note: null, resolveMs: 0 });
  if (env.RSD_WORKER_START === 'tsx') return Promise.resolve({ module, source: module, how: 'tsx', note: 'workers start through tsx ($RSD_WORKER_START=tsx)', resolveMs: 0 });
  const key = `${module}\0${workerCacheDir(env)}`;
  let start = starts.get(key);
  if (!start) {
    const started = performance.now();
    start = bundleWorkerModule(module, workerCacheDir(env)).then(
      ({ url, built }) => ({ module: url, source: module, how: 'bundle' as const, note: built ? `built the worker bundle ${path.basename(fileURLToPath(url))} in ${(performance.now() - started).toFixed(0)} ms` : null, resolveMs: performance.now() - started }),
      (error: unknown) => ({ module, source: module, how: 'tsx' as const, note: `no worker bundle (${error instanceof Error ? error.message : String(error)}): workers start through tsx, about 1 CPU-second more each`, resolveMs: performance.now() - started }),
    );
    starts.set(key, start);
  }
  return start;
}

interface BundleIndex {
  /** The files the last bundle was built from, relative to the project. */
  inputs: string[];
}

/** Changes when the way bundles are made changes (part of every bundle's hash). */
const BUNDLE_FORMAT = 'rsd-worker-bundle 1';

/**
 * The cached bundle of `module` (a file: URL of a .ts), built when the hash of its inputs has none.
 * Each source file keeps its own `import.meta.url` (esbuild would give every module the bundle's):
 * the engine finds packages and files relative to its sources, and a worker module starts itself
 * when workerData.module is its own URL, which must stay false for the worker modules a test's
 * worker imports (engine/eval/sim-worker.ts inside test/engine/eval/dying-sim-worker.ts).
 */
export async function bundleWorkerModule(module: string, cacheDir: string): Promise<{ url: string; built: boolean }> {
  const root = appRoot();
  const entry = fileURLToPath(module);
  const name = `${path.basename(entry, '.ts')}-${sha(path.relative(root, entry)).slice(0, 8)}`;
  const indexFile = path.join(cacheDir, `${name}.json`);
  const bundleFile = (hash: string): string => path.join(cacheDir, `${name}-${hash.slice(0, 16)}.mjs`);
  if (existsSync(indexFile)) {
    const index = JSON.parse(readFileSync(indexFile, 'utf8')) as BundleIndex;
    const hash = inputsHash(root, index.inputs);
    if (hash && existsSync(bundleFile(hash))) return { url: pathToFileURL(bundleFile(hash)).href, built: false };
  }
  let esbuild: typeof import('esbuild');
  try {
    // Not a literal: the app's and the device CLI's bundles must not take esbuild in (they never build workers).
    const name = 'esbuild';
    esbuild = (await import(name)) as typeof import('esbuild');
  } catch {
    throw new Error('esbuild is not installed');
  }
  const result = await esbuild.build({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // npm packages load from node_modules as they do from source (the bundle sits inside the project).
    packages: 'external',
    plugins: [ownImportMetaUrl],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs).sort();
  const hash = inputsHash(root, inputs);
  if (!hash) throw new Error('a source changed while its worker bundle was built');
  mkdirSync(cacheDir, { recursive: true });
  const file = bundleFile(hash);
  writeAtomic(file, result.outputFiles[0]!.contents);
  writeAtomic(indexFile, JSON.stringify({ inputs } satisfies BundleIndex));
  pruneStale(cacheDir, name, path.basename(file));
  return { url: pathToFileURL(file).href, built: true };
}

/** Bundles of older sources, kept a day: a process that resolved one before may still start workers from it. */
const STALE_MS = 24 * 3600 * 1000;

function pruneStale(cacheDir: string, name: string, keep: string): void {
  const pattern = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{16}\\.mjs$`);
  try {
    for (const entry of readdirSync(cacheDir)) {
      const file = path.join(cacheDir, entry);
      if (entry !== keep && pattern.test(entry) && Date.now() - statSync(file).mtimeMs > STALE_MS) rmSync(file, { force: true });
    }
  } catch {
    // a cache left untidy costs only disk
  }
}

/** The hash of the named files' paths and contents; null when one is missing. */
function inputsHash(root: string, inputs: readonly string[]): string | null {
  const h = createHash('sha256').update(BUNDLE_FORMAT).update('\0');
  for (const input of inputs) {
    const file = path.resolve(root, input);
    if (!existsSync(file)) return null;
    h.update(input).update('\0').update(readFileSync(file)).update('\0');
  }
  return h.digest('hex');
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Another process may build the same bundle at the same time: each writes its own file and renames it. */
function writeAtomic(file: string, contents: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

/** An esbuild plugin: `import.meta.url` in each TypeScript source becomes that file's URL. */
const ownImportMetaUrl: import('esbuild').Plugin = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href)),
      loader: 'ts',
    }));
  },
};
