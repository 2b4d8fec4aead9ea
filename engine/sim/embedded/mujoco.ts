import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MainModule } from '@mujoco/mujoco';
import { packageDir, packageVersion } from '../../util/packages.js';

export interface LoadedMujoco {
  module: MainModule;
  packageVersion: string;
  loadMs: number;
}

let loading: Promise<LoadedMujoco> | undefined;

/**
 * The official MuJoCo WebAssembly build (@mujoco/mujoco), loaded once per thread. The .wasm is read
 * from disk and handed over (wasmBinary) because Emscripten's own lookup through import.meta.url
 * breaks once the engine is bundled or packed into an asar.
 */
export function loadMujoco(): Promise<LoadedMujoco> {
  loading ??= (async () => {
    const started = performance.now();
    const dir = packageDir('@mujoco/mujoco');
    const factory = (await import(pathToFileURL(path.join(dir, 'mujoco.js')).href)) as {
      default: (options: { wasmBinary: Uint8Array }) => Promise<MainModule>;
    };
    const module = await factory.default({ wasmBinary: readFileSync(path.join(dir, 'mujoco.wasm')) });
    return { module, packageVersion: packageVersion('@mujoco/mujoco'), loadMs: performance.now() - started };
  })();
  loading.catch(() => {
    loading = undefined; // let a later call retry, e.g. after the user fixes the install
  });
  return loading;
}
