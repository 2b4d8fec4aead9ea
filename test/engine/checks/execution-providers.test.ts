// The provider rows against real probes: what they report must agree with what the machine does.
import { describe, expect, it, onTestFinished } from 'vitest';
import { executionProviders } from '../../../engine/bundle/onnxruntime.js';
import { runProbe } from '../../../engine/checks/probe-model.js';
import { findSharedLibrary, nvidiaDriverVersion } from '../../../engine/checks/system-libraries.js';
import { runCheck } from './helpers.js';

/** What the probe itself says about a provider here: null when it ran, else its error. */
async function probe(ep: 'cpu' | 'webgpu' | 'cuda'): Promise<string | null> {
  return runProbe(ep).then(
    () => null,
    (e: unknown) => (e as Error).message,
  );
}

describe('the probe model', () => {
  it('runs on the CPU with the expected answer, in a measured time', async () => {
    const { ms } = await runProbe('cpu');
    expect(ms).toBeGreaterThan(0);
  });
});

describe('ep.cpu', () => {
  it('passes: a test model ran on the CPU', async () => {
    const row = await runCheck('ep.cpu');
    expect(row).toMatchObject({ id: 'ep.cpu', title: 'CPU execution provider', status: 'pass' });
    expect(row.detail).toMatch(/^onnxruntime-node 1\.30\.0 ran a test model on the CPU \(\d+ cores\) in [\d.]+ ms, with the expected output\.$/);
    expect(row.fix).toBeUndefined();
  });
});

describe('ep.webgpu', () => {
  it("agrees with a WebGPU session of this machine: pass when it runs, a warning with the probe's error and a fix otherwise", async () => {
    const [row, error] = [await runCheck('ep.webgpu'), await probe('webgpu')];
    if (!executionProviders().some((ep) => ep.name === 'webgpu')) {
      expect(row.status).toBe('not-configured');
      return;
    }
    if (error === null) {
      expect(row.status).toBe('pass');
      expect(row.detail).toMatch(/^A test model ran on a WebGPU adapter in [\d.]+ ms/);
      return;
    }
    console.log(`WebGPU here: ${error}`);
    expect(row.status).toBe('warn');
    expect(row.detail).toContain(`WebGPU could not run a test model: ${error}.`);
    expect(row.detail).toContain('Inference uses the CPU until it works.');
    if (process.platform === 'linux') {
      const loader = findSharedLibrary('libvulkan.so.1');
      expect(row.fix?.kind).toBe('command');
      if (!loader) {
        expect(row.detail).toContain('the Vulkan loader (libvulkan.so.1) is not installed');
        expect(row.fix).toMatchObject({ kind: 'command', command: 'sudo apt-get install libvulkan1' });
      } else {
        expect(row.detail).toContain(`The Vulkan loader is installed (${loader}) but found no GPU driver`);
      }
    }
  });
});

describe('ep.cuda', () => {
  it('agrees with the provider libraries, the NVIDIA driver and a CUDA session of this machine', async () => {
    const row = await runCheck('ep.cuda');
    const info = executionProviders().find((ep) => ep.name === 'cuda');
    if (!info || process.platform !== 'linux' || process.arch !== 'x64') {
      expect(row.status).toBe('not-configured');
      return;
    }
    if (!info.available) {
      // Never a pass without its libraries; the exact install command is always given.
      expect(row.status).toBe(nvidiaDriverVersion() ? 'warn' : 'not-configured');
      expect(row.detail).toMatch(/^Not available: /);
      expect(row.fix).toMatchObject({ kind: 'command', command: expect.stringMatching(/^ONNXRUNTIME_NODE_INSTALL=cuda12 node ".*onnxruntime-node\/script\/install\.js"$/) });
      return;
    }
    const error = await probe('cuda');
    expect(row.status).toBe(error === null ? 'pass' : 'warn');
    if (error) expect(row.detail).toContain(error);
  });
});

describe('system libraries', () => {
  it('finds a library the way the loader would (libc is always there on Linux)', () => {
    if (process.platform !== 'linux') return;
    expect(findSharedLibrary('libc.so.6')).toMatch(/\/libc\.so\.6$/);
    expect(findSharedLibrary('libnot-a-real-library.so.9')).toBeNull();
  });

  it("reads the NVIDIA driver's version from /proc, or null without one", async () => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const dir = await mkdtemp(`${(await import('node:os')).tmpdir()}/rsd-nv-`);
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(`${dir}/version`, 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.129.03  Thu Oct 19 18:56:32 UTC 2023\nGCC version:  gcc\n');
    expect(nvidiaDriverVersion(`${dir}/version`)).toBe('535.129.03');
    // As an H100 machine here writes it (the open kernel module).
    await writeFile(`${dir}/open`, 'NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  (nixbld@)\n');
    expect(nvidiaDriverVersion(`${dir}/open`)).toBe('580.159.04');
    expect(nvidiaDriverVersion(`${dir}/absent`)).toBeNull();
  });
});

describe('one probe for the Checklist and the System page', () => {
  it('system.info calls a provider available exactly when its check passes (WebGPU, CPU)', async () => {
    const { collectSystemInfo } = await import('../../../engine/system/info.js');
    for (const [id, name] of [
      ['ep.webgpu', 'webgpu'],
      ['ep.cpu', 'cpu'],
    ] as const) {
      const row = await runCheck(id);
      const info = await collectSystemInfo('in-process');
      if (info.onnxruntime.status !== 'loaded') throw new Error(info.onnxruntime.error);
      const ep = info.onnxruntime.executionProviders.find((e) => e.name === name);
      if (!ep) {
        expect(row.status).toBe('not-configured');
        continue;
      }
      expect({ name, available: ep.available }).toEqual({ name, available: row.status === 'pass' });
      if (!ep.available && row.status === 'warn') expect(ep.note).toContain('a test model could not run');
    }
  });
});
