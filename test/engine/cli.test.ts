import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CHECK_IDS, CheckResult } from '../../engine/api/checks.js';
import { SystemInfo } from '../../engine/api/system.js';
import { writeSyntheticBundle } from '../../engine/bundle/synthetic.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const RSD = ['bin/rsd.mjs'];

async function rsd(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return rsdWith({}, ...args);
}

/** With extra environment (the test setup already gives every CLI run its own RSD_DATA_DIR). */
async function rsdWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...RSD, ...args], { env: { ...process.env, ...env } });
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

  it('check --json prints every checklist row, valid against the contract, and exits 0 with nothing failing', async () => {
    const { code, stdout } = await rsd('check', '--json');
    const { results } = JSON.parse(stdout) as { results: unknown[] };
    const rows = results.map((r) => CheckResult.parse(r));
    expect(rows.map((r) => r.id)).toEqual([...CHECK_IDS]);
    expect(rows.some((r) => r.status === 'fail')).toBe(false);
    expect(code).toBe(0);
    const status = Object.fromEntries(rows.map((r) => [r.id, r.status]));
    expect(status).toMatchObject({ 'ep.cpu': 'pass', 'bundle.manifest': 'pass', 'bundle.draft': 'pass', 'sim.mujoco': 'pass', 'sim.scene': 'pass', 'libero.files': 'not-configured', 'remote.modal': 'not-configured', 'settings.file': 'pass' });
    expect(rows.find((r) => r.id === 'settings.file')?.detail).toContain(process.env.RSD_DATA_DIR!);
  });

  it('check exits 1 when a row fails, and prints the rows with their fixes and a summary', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rsd-cli-check-'));
    try {
      const bundle = path.join(dataDir, 'parallel-bundle');
      await writeSyntheticBundle(bundle, 'tiny-parallel', 1);
      // Speculative decoding (the default) on a bundle without a draft cannot run.
      await writeFile(path.join(dataDir, 'settings.json'), JSON.stringify({ bundleDir: bundle }));
      const { code, stdout } = await rsdWith({ RSD_DATA_DIR: dataDir }, 'check');
      expect(code).toBe(1);
      expect(stdout).toMatch(/^✓ CPU execution provider +pass\n {4}onnxruntime-node 1\.30\.0 ran a test model/);
      expect(stdout).toContain('✗ Draft model for speculative decoding   fail\n    Decoding is set to speculative, but "synthetic-tiny-parallel" has no draft model');
      expect(stdout).toContain('    fix: Use parallel decoding');
      expect(stdout).toMatch(/\n14 checks: \d+ pass, \d+ warn, 1 fail, \d+ unknown, \d+ not configured\n$/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it.each([
    [['check', '--all'], "Unknown option '--all'"],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['info', '--jsn'], "Unknown option '--jsn'"],
    [['serve', '--port', 'eighty'], '--port: expected an integer in 0..65535, got "eighty"'],
    [['serve', '--port', '70000'], '--port: expected an integer in 0..65535'],
    [['bench'], 'which benchmark?'],
    [['bench', 'gpu'], 'unknown benchmark "gpu"'],
    [['bench', 'sim', '--steps', '5'], '--steps: expected an integer >= 20'],
    [['bench', 'engine', '--ep', 'tpu'], '--ep: expected one of cpu, webgpu, cuda, auto'],
    [['expert', '--tasks', '3-1'], '--tasks: range 3-1 runs backwards'],
    [['expert', '--init', 'random'], '--init: expected eval, demo or libero'],
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

  it('bench engine --json compares speculative decoding with autoregressive decoding in the same run', async () => {
    const { code, stdout } = await rsd('bench', 'engine', '--chunks', '10', '--warmup', '2', '--threads', '1', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { arms: { name: string; speedup: { measured: number; predicted: number } | null }[] };
    const names = report.arms.map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(['autoregressive', 'speculative exact', 'speculative threshold 0.7', 'speculative stochastic']));
    const exact = report.arms.find((a) => a.name === 'speculative exact')!;
    expect(exact.speedup!.measured).toBeGreaterThan(0);
    expect(exact.speedup!.predicted).toBeGreaterThan(0);
  }, 60_000);

  it('expert runs the scripted expert across workers and records demonstrations', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rsd-expert-'));
    const { code, stdout } = await rsd('expert', '--tasks', '1', '--trials', '2', '--workers', '2', '--record', dir, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { perTask: { taskId: number; trials: number; successes: number }[]; initSource: string; recorded: string };
    expect(report.initSource).toBe("the project's demo initial states");
    expect(report.perTask).toEqual([expect.objectContaining({ taskId: 1, trials: 2 })]);
    const lines = readFileSync(report.recorded, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'rsd-demo/1', taskId: 1, instruction: 'pick up the black bowl next to the ramekin and place it on the plate' });
  }, 120_000);

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
