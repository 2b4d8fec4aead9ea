// Bundles the Electron side with esbuild: main and preload (CommonJS, as a sandboxed preload must be)
// and the engine host that runs in the utility process. The renderer is built by Vite.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  external: ['electron'],
};

await Promise.all([
  build({ ...common, entryPoints: ['electron/main.ts'], outfile: 'dist/electron/main.cjs' }),
  build({ ...common, entryPoints: ['electron/preload.ts'], outfile: 'dist/electron/preload.cjs' }),
  // The engine host and its worker threads (engine/workers/spawn.ts finds the workers beside it).
  ...[
    ['electron/engine-host.ts', 'engine-host.cjs'],
    ['engine/eval/sim-worker.ts', 'sim-worker.cjs'],
    ['engine/expert/worker.ts', 'expert-worker.cjs'],
  ].map(([entry, out]) =>
    build({
      ...common,
      entryPoints: [entry],
      outfile: `dist/electron/${out}`,
      // Native and wasm packages stay on disk (unpacked from the asar) and are loaded from there.
      external: ['electron', 'onnxruntime-node', '@mujoco/mujoco'],
      // engine/ is ESM and uses import.meta.url to find packages; CommonJS has __filename instead.
      define: { 'import.meta.url': 'importMetaUrl' },
      banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    }),
  ),
]);
console.log('bundled dist/electron/{main,preload,engine-host,sim-worker,expert-worker}.cjs');
