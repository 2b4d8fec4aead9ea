import { existsSync } from 'node:fs';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import type { ExecutionProviderInfo } from '../api/system.js';
import { packageDir, requirePackage } from '../util/packages.js';

let ort: typeof Ort | undefined;

/** onnxruntime-node, loaded once. Its native binding loads here, so failures surface here. */
export function loadOnnxRuntime(): typeof Ort {
  ort ??= requirePackage<typeof Ort>('onnxruntime-node');
  return ort;
}

// Provider libraries that the CUDA and TensorRT EPs need beside the binding; onnxruntime-node's
// install script downloads them, and installs here skip that (package.json's allowScripts denies it).
const PROVIDER_LIBRARIES: Record<string, string[]> = {
  cuda: ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'],
  tensorrt: ['libonnxruntime_providers_tensorrt.so', 'libonnxruntime_providers_shared.so'],
};

/** Execution providers this build knows, with whether their files are present. */
export function executionProviders(): ExecutionProviderInfo[] {
  const backends = loadOnnxRuntime().listSupportedBackends() as { name: string; bundled: boolean }[];
  const bindingDir = path.join(packageDir('onnxruntime-node'), 'bin', 'napi-v6', process.platform, process.arch);
  return backends.map(({ name, bundled }) => {
    if (bundled) return { name, bundled, available: true };
    const needed = PROVIDER_LIBRARIES[name] ?? [];
    const missing = needed.filter((lib) => !existsSync(path.join(bindingDir, lib)));
    const available = needed.length > 0 && missing.length === 0;
    return {
      name,
      bundled,
      available,
      note: available ? 'provider libraries found' : `provider libraries not installed (${missing.join(', ') || 'unknown files'})`,
    };
  });
}

export function onnxRuntimeVersion(): string {
  return loadOnnxRuntime().env.versions.node ?? loadOnnxRuntime().env.versions.common;
}
