import os from 'node:os';
import { onnxRuntimeVersion } from '../bundle/onnxruntime.js';
import { runProbe } from './probe-model.js';
import { message, type Check } from './types.js';

export const cpuCheck: Check = {
  id: 'ep.cpu',
  title: 'CPU execution provider',
  group: 'execution',
  purpose: 'Runs the policy on the CPU with onnxruntime-node: always there, and the fallback for every other provider.',
  reads: [],
  async run() {
    try {
      const { ms } = await runProbe('cpu');
      return { status: 'pass', detail: `onnxruntime-node ${onnxRuntimeVersion()} ran a test model on the CPU (${os.availableParallelism()} cores) in ${ms} ms, with the expected output.` };
    } catch (thrown) {
      return {
        status: 'fail',
        detail: `onnxruntime-node could not run a test model on the CPU: ${message(thrown)}. Nothing can be evaluated until it does.`,
        fix: { kind: 'command', command: 'npm ci', hint: "Reinstall the app's packages in its folder (onnxruntime-node's native binding is missing or broken)." },
      };
    }
  },
};
