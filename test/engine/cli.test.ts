import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { CHECK_IDS, CheckResult } from '../../engine/api/checks.js';
import { SystemInfo } from '../../engine/api/system.js';
import { writeSyntheticBundle } from '../../engine/bundle/synthetic.js';
import { main } from '../../engine/cli.js';

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

/**
 * `main` in this process, with what it writes to stdout and stderr captured: the bulk of the refusal
 * cases run here, because each spawned CLI costs a second of startup; the binary itself is run for
 * one case of each kind (its exit status is what `main` returns).
 */
async function rsdHere(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const capture = (into: string[]) => ((chunk: string | Uint8Array) => (into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()), true)) as typeof process.stdout.write;
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture(out));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture(err));
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
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
      expect(available).toContain('cpu');
      // WebGPU is listed; available only where a test model ran on it (the Checklist's probe).
      const webgpu = info.onnxruntime.executionProviders.find((ep) => ep.name === 'webgpu');
      expect(webgpu?.available || webgpu?.note?.startsWith('a test model could not run: ')).toBe(true);
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

  it('check escapes terminal controls in a bundle\'s name (ANSI and bidi), and --json keeps the name as JSON', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rsd-cli-check-'));
    try {
      const bundle = path.join(dataDir, 'evil-bundle');
      await writeSyntheticBundle(bundle, 'tiny-parallel', 1);
      const manifest = JSON.parse(readFileSync(path.join(bundle, 'bundle.json'), 'utf8')) as { name: string };
      await writeFile(path.join(bundle, 'bundle.json'), JSON.stringify({ ...manifest, name: '\u001b[31mred\u202e' }));
      await writeFile(path.join(dataDir, 'settings.json'), JSON.stringify({ bundleDir: bundle }));
      const { code, stdout } = await rsdWith({ RSD_DATA_DIR: dataDir }, 'check');
      expect(code).toBe(1);
      expect(stdout).toContain('"\\u{1b}[31mred\\u{202e}" has no draft model');
      expect(stdout).not.toMatch(/[\u001b\u202e]/);
      const json = await rsdWith({ RSD_DATA_DIR: dataDir }, 'check', '--json');
      expect(json.stdout).toContain('\\u001b[31mred\u202e');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

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
      expect(stdout).toMatch(/\n20 checks: \d+ pass, \d+ warn, 1 fail, \d+ unknown, \d+ not configured\n$/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it.each([
    [['check', '--all'], "rsd check: Unknown option '--all'"],
    [['frobnicate'], 'rsd: unknown command "frobnicate"; commands: info, check, eval'],
    [['info', '--jsn'], "rsd info: Unknown option '--jsn'"],
    [['serve', '--port', 'eighty'], 'rsd serve: --port: expected an integer in 0..65535, got "eighty"'],
    [['serve', '--port', '70000'], '--port: expected an integer in 0..65535'],
    [['bench'], 'rsd bench: which benchmark?'],
    [['bench', 'gpu'], 'unknown benchmark "gpu"; benchmarks: sim, engine, eval, bridge'],
    [['bench', 'sim', '--steps', '5'], 'rsd bench sim: --steps: expected an integer >= 20'],
    [['bench', 'engine', '--ep', 'tpu'], '--ep: expected one of cpu, webgpu, cuda, auto'],
    [['bench', 'engine', '--layers', '2,x'], '--layers: expected a comma-separated list of depths such as 2,3,4, got "2,x"'],
    [['bench', 'engine', '--layers', '3,3'], '--layers: "3,3" lists a depth twice'],
    [['eval', '--layers', 'two'], 'rsd eval: --layers: expected an integer >= 1, got "two"'],
    [['eval', '--policy', 'ws://127.0.0.1:9', '--layers', '3'], '--layers applies to a bundle; a policy server (--policy) decodes as its own settings say'],
    [['expert', '--tasks', '3-1'], '--tasks: range 3-1 runs backwards'],
    [['expert', '--init', 'random'], '--init: expected eval, demo or libero'],
    [['expert', '--cameras', 'agentview'], '--cameras stores images with the demonstrations: give --record DIR'],
    [['expert', '--cameras', 'frontview', '--record', '/tmp/x'], '--cameras: "frontview" is not a camera the simulator renders'],
    [['expert', '--order', 'random'], '--order: expected task or interleaved, got "random"'],
    [['expert', '--time-limit', '0'], '--time-limit: expected an integer >= 1'],
    [['help', 'nothing'], 'rsd help: unknown command "nothing"'],
  ])('refuses %j with a usage error: one line, exit 2', async (args, message) => {
    // The binary for the first case, main in this process for the rest (the same function).
    const { code, stdout, stderr } = args[0] === 'check' ? await rsd(...args) : await rsdHere(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr).toMatch(/ \(run "rsd help( \w+)?" for usage\)\n$/);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it.each([
    ['evl', 'eval'],
    ['chek', 'check'],
    ['run', 'runs'],
    ['Info', 'info'],
  ])('suggests the closest command for "%s"', async (typed, meant) => {
    const { code, stderr } = await rsdHere(typed);
    expect(code).toBe(2);
    expect(stderr).toBe(`rsd: unknown command "${typed}"; did you mean "${meant}"? (run "rsd help" for usage)\n`);
  });

  it('help COMMAND prints that command\'s usage; help alone prints all, with --verbose and the exit statuses', async () => {
    const one = await rsd('help', 'runs');
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^Usage:\n {2}rsd runs list/);
    expect(one.stdout).toContain('  rsd runs compare RUN_A RUN_B');
    expect(one.stdout).not.toContain('rsd eval');
    const all = await rsd('help');
    expect(all.stdout).toContain('Every command also takes --verbose');
    expect(all.stdout).toContain('2 when a flag, argument or input file cannot be used');
  });

  // Input that cannot be used: one line naming the flag (or file) and what is allowed, exit 2, no stack.
  const missing = path.join(os.tmpdir(), 'rsd-no-such-folder', 'bundle');
  it.each([
    [['eval', '--suite', 'nope'], "rsd eval: --suite: unknown suite 'nope'; suites: libero_spatial, libero_object, libero_goal, libero_10, libero_90\n"],
    [['eval', '--tasks', '42'], 'rsd eval: --tasks: libero_spatial has tasks 0-9; 42 is not one of them\n'],
    [['eval', '--bundle', missing], `rsd eval: --bundle: no bundle.json in ${missing}\n`],
    [['eval', '--resume', 'unknown-run'], `rsd eval: --resume: no run "unknown-run" in ${path.join(process.env.RSD_DATA_DIR!, 'runs')}\n`],
    [['eval', '--bundle', 'assets/bundles/default-parallel', '--decoding', 'speculative'], 'rsd eval: --decoding: bundle "default-parallel" cannot decode "speculative": it supports parallel\n'],
    [['expert', '--suite', 'libero_spatail'], "rsd expert: --suite: unknown suite 'libero_spatail'; did you mean libero_spatial?\n"],
    [['expert', '--init', 'libero', '--libero', missing], `rsd expert: --libero: the LIBERO folder ${missing} does not exist or is not a folder\n`],
    [['bench', 'engine', '--bundle', missing], `rsd bench engine: --bundle ${missing}: bundle.json: not found in ${missing}\n`],
    [['bench', 'engine', '--bundle', 'assets/bundles/default', '--layers', '2,8'], 'rsd bench engine: --layers 2,8: depth 8 is not in 1..7 (depths below bundle "default"\'s 8 RFSQ layers; the full depth is always an arm)\n'],
    [['eval', '--layers', '9', '--tasks', '0', '--trials', '1'], 'rsd eval: --layers: 9 is not a depth of bundle "default": expected an integer in 1..8 (its RFSQ layers)\n'],
    [['eval', '--bundle', 'assets/bundles/default-parallel', '--layers', '3'], 'rsd eval: --layers: 3 of 8: parallel decoding decodes every layer in one run; fewer layers apply to autoregressive and speculative decoding\n'],
    [['runs', 'show', 'unknown-run'], `rsd runs show: no run "unknown-run" in ${path.join(process.env.RSD_DATA_DIR!, 'runs')}\n`],
  ])('refuses %j with an input error: one line, exit 2, no stack', async (args, line) => {
    const { code, stdout, stderr } = args[1] === '--suite' && args[0] === 'eval' ? await rsd(...args) : await rsdHere(...args);
    expect(stderr).toBe(line);
    expect(code).toBe(2);
    expect(stdout).toBe('');
  }, 60_000);

  it('a bundle.json that is not JSON: one line naming --bundle, its folder and the file, exit 2; --verbose adds the stack', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rsd-bad-bundle-'));
    try {
      await writeFile(path.join(dir, 'bundle.json'), '{,\n  "format": "rsd-bundle"\n}\n');
      const { code, stderr } = await rsd('eval', '--bundle', dir);
      expect(code).toBe(2);
      expect(stderr).toMatch(new RegExp(`^rsd eval: --bundle ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: bundle\\.json: not valid JSON: .+\\n$`));
      expect(stderr).not.toMatch(/^ {4}at /m);

      const verbose = await rsd('eval', '--verbose', '--bundle', dir);
      expect(verbose.code).toBe(2);
      const lines = verbose.stderr.trimEnd().split('\n');
      expect(lines[0]).toBe(stderr.trimEnd());
      expect(lines[1]).toMatch(/^BundleError: bundle\.json: not valid JSON/);
      expect(lines.slice(2).every((l) => /^ {4}at /.test(l))).toBe(true);
      expect(lines.length).toBeGreaterThan(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--json adds the error as JSON on stdout, naming its kind and field', async () => {
    const { code, stdout } = await rsd('eval', '--suite', 'nope', '--json');
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual({ error: { kind: 'EvalError', field: 'suite', message: expect.stringContaining("unknown suite 'nope'") } });
  });

  it('any other error: one line, exit 1; --verbose adds the stack', async () => {
    // A port already taken: the machine's failure, not the input's.
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = String((taken.address() as net.AddressInfo).port);
    try {
      const { code, stderr } = await rsd('serve', '--port', port);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^rsd serve: .*EADDRINUSE.*\n$/);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      const verbose = await rsd('serve', '--port', port, '--verbose');
      expect(verbose.code).toBe(1);
      expect(verbose.stderr.startsWith(stderr)).toBe(true);
      expect(verbose.stderr).toMatch(/^ {4}at /m);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('bench sim --json measures env.step against bare mj_step in the same run', async () => {
    const { code, stdout } = await rsd('bench', 'sim', '--steps', '40', '--pruning-tasks', 'none', '--json');
    expect(code).toBe(0);
    type Pair = { wasmMs: number; nativeMs: number; ratio: number };
    const report = JSON.parse(stdout) as {
      ratio: number;
      envStepMedianMs: number;
      bareStepsMedianMs: number;
      mujoco: string;
      steps: number;
      native: { available: true; tasks: { task: string; bare: Pair; env: Pair }[] } | { available: false; reason: string };
    };
    expect(report.mujoco).toBe('MuJoCo 3.14.0 (wasm)');
    expect(report.steps).toBe(40);
    expect(report.envStepMedianMs).toBeGreaterThan(0);
    expect(report.ratio).toBeCloseTo(report.envStepMedianMs / report.bareStepsMedianMs, 10);
    // The native arm where the addon loads (gcc, Node's headers, the MuJoCo wheel), else the reason it is absent.
    if (report.native.available) {
      const [t] = report.native.tasks;
      expect(t!.task).toMatch(/^0: /);
      for (const p of [t!.bare, t!.env]) expect(p.ratio).toBeCloseTo(p.wasmMs / p.nativeMs, 10);
    } else {
      expect(report.native.reason).not.toBe('');
    }
  });

  it('bench engine --json compares speculative decoding with autoregressive decoding in the same run', async () => {
    const { code, stdout, stderr } = await rsd('bench', 'engine', '--chunks', '10', '--warmup', '2', '--threads', '1', '--json');
    // Exit 0 however fast this machine is: a timed check that misses (the bench preset's 20x step/draft
    // cost ratio) is a warning in the report and on stderr, not a refusal.
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { warnings: string[]; costCheck: { minRatio: number | null }; arms: { name: string; speedup: { measured: number; predicted: number } | null }[] };
    expect(report.costCheck.minRatio).toBe(20);
    for (const w of report.warnings) expect(stderr).toContain(`rsd bench engine: warning: ${w}`);
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
