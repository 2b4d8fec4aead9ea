import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxWorkers } from '../../../engine/eval/bounds.js';
import { appRoot } from '../../../engine/util/app-root.js';
import { writeNanDecoderBundle } from './nan-bundle.js';
import { callCli } from '../cli-call.js';

const run = promisify(execFile);
let data: string;
beforeAll(async () => {
  data = await mkdtemp(path.join(os.tmpdir(), 'rsd-eval-cli-'));
});
afterAll(async () => {
  await rm(data, { recursive: true, force: true });
});

const call = callCli;

/** `rsd COMMAND ...` refused before anything runs: exit 2, one line on stderr naming `flag`. */
async function refused(flag: string, ...args: string[]): Promise<string> {
  const { code, stderr } = await call(...args);
  expect(code, `${args.join(' ')}: ${stderr}`).toBe(2);
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^rsd ${args[0]}: ${flag.replace(/[-+]/g, '\\$&')}\\b`));
  return lines[0]!;
}

// More workers than the machine's bound: 100 on any machine with fewer than 50 CPUs.
const tooManyWorkers = String(Math.max(100, maxWorkers().max + 1));

describe('rsd eval and rsd expert: bounds and strict integer flags (issue 15)', () => {
  it('refuses integer flags that are not plain decimal digits, naming the flag', async () => {
    for (const value of ['0x10', '1e9', '16.0', ' 16', '+16', '-1', '']) {
      expect(await refused('--max-steps', 'eval', `--max-steps=${value}`)).toContain(`got "${value}"`);
    }
    for (const value of ['0x10', '1e3', '2.0', ' 2', '+2']) await refused('--workers', 'eval', '--workers', value);
    for (const value of ['0x10', '1e3', '2.0', ' 2', '+2']) await refused('--trials', 'expert', '--trials', value);
  });

  it('refuses values past the bounds, naming the flag and the bound', async () => {
    expect(await refused('--workers', 'eval', '--workers', tooManyWorkers)).toMatch(/at most \d+ on this machine \(.*\), got \d+/);
    expect(await refused('--max-steps', 'eval', '--max-steps', '1000000000')).toContain('at most 2200 for libero_spatial');
    expect(await refused('--max-steps', 'eval', '--max-steps', '99999999999999999999')).toContain('expected an integer');
    expect(await refused('--trials', 'eval', '--trials', '501')).toContain('at most 500');
    expect(await refused('--tasks', 'eval', '--tasks', '0-99999999')).toBe('rsd eval: --tasks: libero_spatial has tasks 0-9; the range 0-99999999 leaves them');
    expect(await refused('--tasks', 'eval', '--tasks', '10')).toContain('0-9');
    expect(await refused('--tasks', 'eval', '--suite', 'libero_90', '--tasks', '0-90')).toContain('libero_90 has tasks 0-89');
    expect(await refused('--workers', 'expert', '--workers', tooManyWorkers)).toMatch(/at most \d+ on this machine/);
    expect(await refused('--tasks', 'expert', '--tasks', '0-99999999')).toContain('the range 0-99999999 leaves them');
    expect(await refused('--trials', 'expert', '--trials', '501')).toContain('at most 500');
  });

  it('exits 1 when every episode ended in an error (an RFSQ decoder that outputs NaN), naming the count', async () => {
    const bundle = path.join(data, 'nan-bundle');
    await writeNanDecoderBundle(bundle);
    const args = ['bin/rsd.mjs', 'eval', '--bundle', bundle, '--tasks', '0', '--trials', '2', '--max-steps', '8', '--workers', '1'];
    const text = await run(process.execPath, args, { env: { ...process.env, RSD_DATA_DIR: data } }).then(() => ({ code: 0, stdout: '', stderr: '' }), (e: { code: number; stdout: string; stderr: string }) => e);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('2 of 2 episodes ended in an error');
    expect(text.stderr).toMatch(/rsd eval: no episode could be evaluated: all 2 ended in an error \(DecodingError: rfsq_decoder.onnx: output "actions" has NaN/);
    const json = await run(process.execPath, [...args, '--json'], { env: { ...process.env, RSD_DATA_DIR: data } }).then(() => ({ code: 0, stdout: '' }), (e: { code: number; stdout: string }) => e);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'completed', erroredEpisodes: 2, episodes: 2 });
  }, 120_000);
});

describe('rsd eval --sim and --python', () => {
  it('refuses an unknown simulator, naming the flag and the kinds', async () => {
    expect(await refused('--sim', 'eval', '--sim', 'mujoco')).toBe('rsd eval: --sim: expected one of embedded, libero, got "mujoco" (run "rsd help eval" for usage)');
  });

  it('refuses --python without --sim libero, and an empty one', async () => {
    expect(await refused('--python', 'eval', '--python', '/usr/bin/python3')).toMatch(/^rsd eval: --python applies to --sim libero \(the Python that runs real LIBERO\) \(run/);
    expect(await refused('--python', 'eval', '--sim', 'embedded', '--python', '/usr/bin/python3')).toContain('not --sim embedded');
    expect(await refused('--python', 'eval', '--sim', 'libero', '--python', '')).toContain('expected the path of a Python interpreter');
  });

  it('refuses to change the simulator of a resumed run', async () => {
    expect(await refused('--sim', 'eval', '--resume', 'some-run', '--sim', 'libero')).toContain('a resumed run keeps the simulator its run.json records');
  });

  it('refuses, naming --sim, when the interpreter is missing (before any bundle loads)', async () => {
    // A relative path is taken from the working folder (and recorded absolute).
    expect(await refused('--sim', 'eval', '--sim', 'libero', '--python', 'no/such/python')).toBe(`rsd eval: --sim libero: the interpreter ${path.resolve('no/such/python')} (from the run request) does not exist`);
    const missing = path.join(data, 'no-such-python');
    const line = await refused('--sim', 'eval', '--sim', 'libero', '--python', missing, '--tasks', '0', '--trials', '1');
    expect(line).toBe(`rsd eval: --sim libero: the interpreter ${missing} (from the run request) does not exist`);
  });

  it('lists them in its usage', async () => {
    const { code, stdout } = await call('help', 'eval');
    expect(code).toBe(0);
    expect(stdout).toContain('[--sim embedded|libero] [--python PATH]');
  });
});

describe('rsd eval', () => {
  it('takes the bundle and decoding saved in settings.json, as the app does', async () => {
    const parallel = path.join(appRoot(), 'assets', 'bundles', 'default-parallel');
    await mkdir(data, { recursive: true });
    await writeFile(path.join(data, 'settings.json'), JSON.stringify({ version: 1, bundleDir: parallel, liberoDir: null, decoding: 'parallel' }));
    const { stdout } = await run(process.execPath, ['bin/rsd.mjs', 'eval', '--tasks', '0', '--trials', '1', '--max-steps', '8', '--workers', '1', '--json'], { env: { ...process.env, RSD_DATA_DIR: data } });
    const report = JSON.parse(stdout) as { erroredEpisodes: number; episodes: number; results: { config: { decoding: string; bundle: { name: string } } } };
    expect(report).toMatchObject({ erroredEpisodes: 0, episodes: 1 });
    expect(report.results.config.decoding).toBe('parallel');
    expect(report.results.config.bundle.name).toBe('default-parallel');
  }, 120_000);
});

describe('rsd eval --record-cameras', () => {
  it('reads NAME[:SIZE] items, 128x128 by default', async () => {
    const { parseRecordCameras } = await import('../../../engine/commands/record-cameras.js');
    expect(parseRecordCameras('agentview,robot0_eye_in_hand')).toEqual([
      { name: 'agentview', width: 128, height: 128 },
      { name: 'robot0_eye_in_hand', width: 128, height: 128 },
    ]);
    expect(parseRecordCameras('robot0_eye_in_hand:256,agentview:224x160')).toEqual([
      { name: 'robot0_eye_in_hand', width: 256, height: 256 },
      { name: 'agentview', width: 224, height: 160 },
    ]);
  });

  it('refuses an unknown camera, a bad size, a camera twice, and a resume, naming the flag', async () => {
    expect(await refused('--record-cameras', 'eval', '--record-cameras', 'agentveiw')).toBe(`rsd eval: --record-cameras: "agentveiw" is not one of LIBERO's cameras (agentview, robot0_eye_in_hand); did you mean agentview? (run "rsd help eval" for usage)`);
    expect(await refused('--record-cameras', 'eval', '--record-cameras', 'agentview:4096')).toContain('each side is 32 to 512 pixels');
    expect(await refused('--record-cameras', 'eval', '--record-cameras', 'agentview:big')).toContain('expected NAME or NAME:SIZE or NAME:WxH');
    expect(await refused('--record-cameras', 'eval', '--record-cameras', 'agentview,agentview:256')).toContain('agentview is named twice');
    expect(await refused('--record-cameras', 'eval', '--resume', 'x', '--record-cameras', 'agentview')).toContain('a resumed run records the cameras its run.json records');
  });
});
