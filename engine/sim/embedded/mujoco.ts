import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MainModule } from '@mujoco/mujoco';
import { packageDir, packageVersion } from '../../util/packages.js';

export interface LoadedMujoco {
  module: MainModule;
  packageVersion: string;
  loadMs: number;
  /** Whether the WebAssembly was compiled in this thread or handed over compiled (`useCompiledMujoco`). */
  compiled: 'here' | 'given';
}

/** V8's WebAssembly API, typed here: tsconfig.node.json has no DOM lib, which declares it. */
interface WasmApi {
  Module: abstract new (...args: never[]) => WebAssembly.Module;
  compile(bytes: Uint8Array): Promise<WebAssembly.Module>;
  instantiate(module: WebAssembly.Module, imports: object): Promise<object>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Whether `value` is a compiled WebAssembly module (as posted to a worker). */
export function isWasmModule(value: unknown): value is WebAssembly.Module {
  return value instanceof wasmApi.Module;
}

let loading: Promise<LoadedMujoco> | undefined;
let compiling: Promise<WebAssembly.Module> | undefined;
let given: WebAssembly.Module | undefined;

/**
 * The compiled WebAssembly of MuJoCo (about 10 MB), compiled once per thread. A
 * `WebAssembly.Module` can be posted to worker threads: the runner compiles it once in its
 * thread and hands it to every simulator worker (engine/eval/sim-pool.ts), whose instances then
 * share V8's compiled code (and its optimised tiers) instead of each compiling the module.
 */
export function compileMujoco(): Promise<WebAssembly.Module> {
  if (given) return Promise.resolve(given);
  if (!compiling) {
    compiling = wasmApi.compile(readFileSync(path.join(packageDir('@mujoco/mujoco'), 'mujoco.wasm')));
    compiling.catch(() => {
      compiling = undefined;
    });
  }
  return compiling;
}

/** Makes this thread instantiate MuJoCo from `module` (compiled by another thread) rather than compile its own. */
export function useCompiledMujoco(module: WebAssembly.Module): void {
  given = module;
}

/**
 * The official MuJoCo WebAssembly build (@mujoco/mujoco), loaded once per thread. The module is
 * instantiated from `compileMujoco` (Emscripten's `instantiateWasm` hook): Emscripten's own lookup
 * of the .wasm through import.meta.url breaks once the engine is bundled or packed into an asar.
 */
export function loadMujoco(): Promise<LoadedMujoco> {
  loading ??= (async () => {
    const started = performance.now();
    const dir = packageDir('@mujoco/mujoco');
    const compiled = given ? 'given' : 'here';
    const [factory, wasm] = await Promise.all([
      import(pathToFileURL(path.join(dir, 'mujoco.js')).href) as Promise<{ default: (options: object) => Promise<MainModule> }>,
      compileMujoco(),
    ]);
    let failed!: (error: unknown) => void;
    const failure = new Promise<never>((_, reject) => (failed = reject));
    const module = await Promise.race([
      factory.default({
        instantiateWasm(imports: object, done: (instance: object, module: WebAssembly.Module) => void) {
          wasmApi.instantiate(wasm, imports).then((instance) => done(instance, wasm), failed);
          return {};
        },
      }),
      failure,
    ]);
    return { module, packageVersion: packageVersion('@mujoco/mujoco'), loadMs: performance.now() - started, compiled };
  })();
  loading.catch(() => {
    loading = undefined; // let a later call retry, e.g. after the user fixes the install
  });
  return loading;
}
