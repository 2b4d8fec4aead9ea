import path from 'node:path';
import type { CheckFix } from '../api/checks.js';
import { executionProviders } from '../bundle/onnxruntime.js';
import { packageDir } from '../util/packages.js';
import { probeProvider } from './probe-model.js';
import { nvidiaDriverVersion } from './system-libraries.js';
import type { Check } from './types.js';

/** onnxruntime-node's own installer fetches the CUDA provider libraries (installs here skip it). */
function installFix(): CheckFix {
  const script = path.join(packageDir('onnxruntime-node'), 'script', 'install.js');
  return {
    kind: 'command',
    command: `ONNXRUNTIME_NODE_INSTALL=cuda12 node "${script}"`,
    hint: "Downloads onnxruntime's CUDA 12 provider libraries (from NuGet) beside the binding. They need an NVIDIA GPU with its driver, CUDA 12 and cuDNN 9 installed.",
  };
}

export const cudaCheck: Check = {
  id: 'ep.cuda',
  title: 'CUDA execution provider',
  group: 'execution',
  purpose: "Runs the policy on an NVIDIA GPU with onnxruntime's CUDA provider: the fastest option where it is installed.",
  reads: [],
  async run() {
    const info = executionProviders().find((ep) => ep.name === 'cuda');
    if (!info || process.platform !== 'linux' || process.arch !== 'x64') {
      return { status: 'not-configured', detail: `onnxruntime-node publishes its CUDA provider for Linux x64 only; on ${process.platform}-${process.arch} use WebGPU or the CPU.` };
    }
    const driver = nvidiaDriverVersion();
    if (!info.available) {
      if (!driver) {
        return { status: 'not-configured', detail: `Not available: no NVIDIA driver is loaded (no /proc/driver/nvidia/version), and the provider libraries are not installed. WebGPU or the CPU is used.`, fix: installFix() };
      }
      return { status: 'warn', detail: `Not available: the NVIDIA driver ${driver} is loaded, but ${info.note ?? "the CUDA provider's libraries are not installed"}.`, fix: installFix() };
    }
    const probe = await probeProvider('cuda', { fresh: true });
    if (probe.ok) return { status: 'pass', detail: `A test model ran on CUDA in ${probe.ms} ms (session creation included), with the expected output.` };
    const library = path.join(packageDir('onnxruntime-node'), 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so');
    return {
      status: 'warn',
      detail: `The CUDA provider libraries are installed, but a test model could not run: ${probe.error}.${driver ? '' : ' No NVIDIA driver is loaded.'}`,
      fix: { kind: 'command', command: `ldd "${library}" | grep "not found"`, hint: 'Lists the CUDA 12 and cuDNN 9 libraries the provider needs and cannot find; install those (and the NVIDIA driver).' },
    };
  },
};
