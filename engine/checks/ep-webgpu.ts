import type { CheckFix } from '../api/checks.js';
import { executionProviders } from '../bundle/onnxruntime.js';
import { probeProvider } from './probe-model.js';
import { findSharedLibrary, nvidiaDriverVersion } from './system-libraries.js';
import type { Check, Outcome } from './types.js';

export const webgpuCheck: Check = {
  id: 'ep.webgpu',
  title: 'WebGPU execution provider',
  group: 'execution',
  purpose: 'Runs the policy on the GPU through WebGPU (Vulkan on Linux, Metal on macOS, Direct3D 12 on Windows): much faster than the CPU for large models.',
  reads: [],
  async run() {
    if (!executionProviders().some((ep) => ep.name === 'webgpu')) {
      return { status: 'not-configured', detail: `This onnxruntime-node build has no WebGPU provider on ${process.platform}-${process.arch}; the CPU is used.` };
    }
    // The same probe outcome the System page shows (system.info), refreshed by running the check.
    const probe = await probeProvider('webgpu', { fresh: true });
    if (probe.ok) return { status: 'pass', detail: `A test model ran on a WebGPU adapter in ${probe.ms} ms (session creation included), with the expected output.` };
    return { status: 'warn', ...diagnose(probe.error) };
  },
};

/** Why WebGPU found no adapter, as far as this machine tells, and what to install. */
function diagnose(error: string): Pick<Outcome, 'detail' | 'fix'> {
  const fallback = 'Inference uses the CPU until it works.';
  if (process.platform !== 'linux') {
    return { detail: `WebGPU could not run a test model: ${error}. Updating the GPU driver usually helps. ${fallback}` };
  }
  const loader = findSharedLibrary('libvulkan.so.1');
  const nvidia = nvidiaDriverVersion();
  if (!loader) {
    return {
      detail: `WebGPU could not run a test model: ${error}. On Linux WebGPU runs on Vulkan, and the Vulkan loader (libvulkan.so.1) is not installed. ${fallback}`,
      fix: { kind: 'command', command: 'sudo apt-get install libvulkan1', hint: "Debian and Ubuntu. A Vulkan driver for the GPU is needed too: NVIDIA's driver includes one; AMD and Intel GPUs use mesa-vulkan-drivers. Without a GPU, the CPU provider is the one to use." },
    };
  }
  const fix: CheckFix = nvidia
    ? { kind: 'command', command: `sudo apt-get install libnvidia-gl-${nvidia.split('.')[0]}`, hint: `The NVIDIA driver ${nvidia} is loaded, but Vulkan found no driver for it: this package holds its Vulkan part (Ubuntu's name; match your driver's version). If it is installed, point VK_DRIVER_FILES at its nvidia_icd.json.` }
    : { kind: 'command', command: 'sudo apt-get install mesa-vulkan-drivers', hint: "Vulkan drivers for AMD and Intel GPUs (Debian, Ubuntu). NVIDIA GPUs need NVIDIA's driver instead." };
  return { detail: `WebGPU could not run a test model: ${error}. The Vulkan loader is installed (${loader}) but found no GPU driver. ${fallback}`, fix };
}
