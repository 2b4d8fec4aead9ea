import os from 'node:os';
import type { ExecutionProviderInfo, SystemInfo } from '../api/system.js';
import type { ExecutionProvider } from '../bundle/bundle.js';
import { executionProviders, onnxRuntimeVersion } from '../bundle/onnxruntime.js';
import { probeProvider } from '../checks/probe-model.js';
import { loadMujoco } from '../sim/embedded/mujoco.js';
import { APP } from './app.js';

export type EngineHostKind = SystemInfo['engineHost'];

function message(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}

const PROBED = new Set<string>(['cpu', 'cuda', 'webgpu'] satisfies ExecutionProvider[]);

/**
 * A provider whose files are there is available only if the Checklist's probe ran a test model on
 * it: one outcome (kept by probeProvider) for both pages, so System never says available where the
 * Checklist warns.
 */
async function withProbe(ep: ExecutionProviderInfo, fresh: boolean): Promise<ExecutionProviderInfo> {
  if (!ep.available || !PROBED.has(ep.name)) return ep;
  const probe = await probeProvider(ep.name as ExecutionProvider, { fresh });
  return probe.ok ? { ...ep, note: `a test model ran in ${probe.ms} ms` } : { ...ep, available: false, note: `a test model could not run: ${probe.error}` };
}

/** onnxruntime and its providers; `fresh` probes the providers again, else the last probe (the Checklist's too) answers. */
export async function probeOnnxRuntime(fresh = false): Promise<SystemInfo['onnxruntime']> {
  try {
    return { status: 'loaded', version: onnxRuntimeVersion(), executionProviders: await Promise.all(executionProviders().map((ep) => withProbe(ep, fresh))) };
  } catch (thrown) {
    return { status: 'failed', error: `onnxruntime-node failed to load: ${message(thrown)}` };
  }
}

async function probeMujoco(): Promise<SystemInfo['mujoco']> {
  try {
    const mj = await loadMujoco();
    return { status: 'loaded', packageVersion: mj.packageVersion, version: mj.module.mj_versionString(), loadMs: mj.loadMs };
  } catch (thrown) {
    return { status: 'failed', error: `@mujoco/mujoco failed to load: ${message(thrown)}` };
  }
}

/**
 * What the engine runs on, probed for real: onnxruntime-node's native binding is loaded and asked
 * for its execution providers; MuJoCo's WebAssembly module is instantiated and asked its version.
 * A probe that fails is reported as failed, with its reason, and the rest still answers.
 */
export async function collectSystemInfo(engineHost: EngineHostKind, options: { fresh?: boolean } = {}): Promise<SystemInfo> {
  const cpus = os.cpus();
  return {
    app: { ...APP },
    engineHost,
    runtime: {
      node: process.versions.node,
      electron: process.versions.electron ?? null,
      v8: process.versions.v8,
      platform: process.platform,
      arch: process.arch,
    },
    machine: {
      cpuCount: Math.max(1, os.availableParallelism?.() ?? cpus.length),
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      totalMemoryBytes: os.totalmem(),
      freeMemoryBytes: os.freemem(),
    },
    onnxruntime: await probeOnnxRuntime(options.fresh ?? false),
    mujoco: await probeMujoco(),
    collectedAt: new Date().toISOString(),
  };
}
