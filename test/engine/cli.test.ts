import { execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SystemInfo } from '../../engine/api/system.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const RSD = ['bin/rsd.mjs'];

async function rsd(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...RSD, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('rsd CLI', () => {
  it('info --json prints the real versions and execution providers', async () => {
    const { code, stdout } = await rsd('info', '--json');
    expect(code).toBe(0);
    const info = SystemInfo.parse(JSON.parse(stdout));
    expect(info.engineHost).toBe('cli');
    expect(info.runtime.node).toBe(process.versions.node);
    expect(info.onnxruntime).toMatchObject({ status: 'loaded', version: (require('onnxruntime-node/package.json') as { version: string }).version });
    expect(info.mujoco).toMatchObject({ status: 'loaded', version: '3.14.0' });
    if (info.onnxruntime.status === 'loaded' && process.platform === 'linux' && process.arch === 'x64') {
      const available = info.onnxruntime.executionProviders.filter((ep) => ep.available).map((ep) => ep.name);
      expect(available).toEqual(expect.arrayContaining(['cpu', 'webgpu']));
    }
  });

  it('info prints a readable summary', async () => {
    const { code, stdout } = await rsd('info');
    expect(code).toBe(0);
    expect(stdout).toMatch(/onnxruntime \d+\.\d+\.\d+/);
    expect(stdout).toContain('mujoco      3.14.0');
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['info', '--jsn'], "Unknown option '--jsn'"],
    [['serve', '--port', 'eighty'], '--port: expected an integer in 0..65535, got "eighty"'],
    [['serve', '--port', '70000'], '--port: expected an integer in 0..65535'],
    [['bench'], 'which benchmark?'],
    [['bench', 'gpu'], 'unknown benchmark "gpu"'],
    [['bench', 'sim', '--steps', '5'], '--steps: expected an integer >= 20'],
  ])('refuses %j with a usage error (exit 2)', async (args, message) => {
    const { code, stderr } = await rsd(...args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain('Usage:');
  });

  it('bench sim --json measures env.step against bare mj_step in the same run', async () => {
    const { code, stdout } = await rsd('bench', 'sim', '--steps', '40', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { ratio: number; envStepMedianMs: number; bareStepsMedianMs: number; mujoco: string; steps: number };
    expect(report.mujoco).toBe('MuJoCo 3.14.0');
    expect(report.steps).toBe(40);
    expect(report.envStepMedianMs).toBeGreaterThan(0);
    expect(report.ratio).toBeCloseTo(report.envStepMedianMs / report.bareStepsMedianMs, 10);
  });

  it('serve --port 0 prints a URL that serves the app, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [...RSD, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const match = /https?:\/\/\S+/.exec(out);
        if (match) resolve(match[0]);
      });
      child.on('exit', (code) => reject(new Error(`rsd serve exited early (${code}): ${out}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('RSD Workbench');
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
