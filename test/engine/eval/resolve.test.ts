import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultBundleDir } from '../../../engine/bundle/default-bundle.js';
import { maxWorkers } from '../../../engine/eval/bounds.js';
import { defaultWorkers, RUN_DEFAULTS } from '../../../engine/eval/defaults.js';
import { EvalError } from '../../../engine/eval/errors.js';
import { resolveRun } from '../../../engine/eval/resolve.js';

let tmp: string;
let bundle: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-resolve-'));
  bundle = path.join(tmp, 'bundle');
  await cp(path.join(defaultBundleDir(), 'bundle.json'), path.join(bundle, 'bundle.json'), { recursive: true });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const settings = (over: object = {}) => ({ bundleDir: null, liberoDir: null, decoding: 'speculative' as const, ...over });

describe('resolveRun (request + settings + defaults)', () => {
  it('fills every field from the defaults, each defined once', async () => {
    const run = await resolveRun({}, { settings: null, runsRoot: tmp });
    expect(run).toMatchObject({
      suite: RUN_DEFAULTS.suite,
      tasks: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      trials: RUN_DEFAULTS.trials,
      seed: RUN_DEFAULTS.seed,
      maxSteps: 220,
      waitSteps: 10,
      workers: Math.min(defaultWorkers(), maxWorkers().max),
      simulator: { kind: 'embedded' },
      target: { kind: 'local' },
      initSource: { kind: 'project', split: 'eval' },
      policy: { kind: 'bundle', dir: defaultBundleDir(), ep: 'cpu' },
      resume: null,
    });
    expect(run.policy).not.toHaveProperty('decoding'); // the bundle picks its own
  });

  it("takes the settings' bundle and decoding together, and the request over both", async () => {
    const fromSettings = await resolveRun({}, { settings: settings({ bundleDir: bundle, decoding: 'autoregressive' }), runsRoot: tmp });
    expect(fromSettings.policy).toMatchObject({ dir: bundle, decoding: 'autoregressive' });
    // A bundle named in the request picks its own decoding: the settings' goes with the settings' bundle.
    const named = await resolveRun({ policy: { kind: 'bundle', dir: defaultBundleDir() } }, { settings: settings({ bundleDir: bundle, decoding: 'autoregressive' }), runsRoot: tmp });
    expect(named.policy).toMatchObject({ dir: defaultBundleDir() });
    expect(named.policy).not.toHaveProperty('decoding');
    const chosen = await resolveRun({ policy: { kind: 'bundle', decoding: 'speculative', threshold: 0.5 } }, { settings: settings({ bundleDir: bundle, decoding: 'autoregressive' }), runsRoot: tmp });
    expect(chosen.policy).toMatchObject({ dir: bundle, decoding: 'speculative', accept: 'threshold', threshold: 0.5 });
    const libero = await resolveRun({ initStates: { source: 'libero' } }, { settings: settings({ liberoDir: '/data/libero' }), runsRoot: tmp });
    expect(libero.initSource).toEqual({ kind: 'libero', dir: '/data/libero' });
  });

  it('debug runs one task, one trial, one worker', async () => {
    expect(await resolveRun({ tasks: [3, 4], debug: true }, { settings: null, runsRoot: tmp })).toMatchObject({ tasks: [3], trials: 1, workers: 1, debug: true });
  });

  it('refuses, naming the field', async () => {
    const refusal = async (request: Parameters<typeof resolveRun>[0], over: object = {}) => {
      const error = await resolveRun(request, { settings: null, runsRoot: tmp, ...over }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EvalError);
      return { field: (error as EvalError).field, message: (error as EvalError).message };
    };
    expect(await refusal({ suite: 'libero_spatail' })).toMatchObject({ field: 'suite', message: expect.stringMatching(/unknown suite 'libero_spatail'.*libero_spatial/) });
    expect(await refusal({ tasks: [42] })).toEqual({ field: 'tasks', message: 'libero_spatial has tasks 0-9; 42 is not one of them' });
    expect(await refusal({ tasks: [0, 3, 0] })).toEqual({ field: 'tasks', message: 'task 0 is listed twice' }); // a run's configuration lists each task once
    expect(await refusal({ policy: { kind: 'bundle', dir: path.join(tmp, 'nowhere') } })).toMatchObject({ field: 'bundle', message: expect.stringMatching(/^no bundle.json in .*nowhere$/) });
    expect(await refusal({ policy: { kind: 'bundle', accept: 'exact', threshold: 0.5 } })).toMatchObject({ field: 'threshold' });
    expect(await refusal({ policy: { kind: 'bundle', decoding: 'parallel', accept: 'exact' } })).toMatchObject({ field: 'accept' });
  });

  it("refuses runs past the bounds (engine/eval/bounds.ts), naming the field and the bound", async () => {
    const refusal = async (request: Parameters<typeof resolveRun>[0]) => {
      const error = await resolveRun(request, { settings: null, runsRoot: tmp }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EvalError);
      return { field: (error as EvalError).field, message: (error as EvalError).message };
    };
    const bound = maxWorkers().max;
    expect(await refusal({ workers: bound + 1 })).toEqual({ field: 'workers', message: expect.stringMatching(new RegExp(`^at most ${bound} on this machine \\(.+\\), got ${bound + 1}$`)) });
    expect(await refusal({ workers: 256 })).toMatchObject({ field: 'workers' });
    expect(await refusal({ maxSteps: 1e9 })).toEqual({ field: 'maxSteps', message: 'at most 2200 for libero_spatial (10 x its 220-step limit), got 1000000000' });
    expect(await refusal({ suite: 'libero_10', maxSteps: 5201 })).toMatchObject({ field: 'maxSteps', message: expect.stringContaining('at most 5200') });
    expect(await refusal({ trials: 501 })).toEqual({ field: 'trials', message: 'at most 500 per task, got 501' });
    expect(await refusal({ tasks: [0, 0] })).toEqual({ field: 'tasks', message: 'task 0 is listed twice' });
    expect(await refusal({ tasks: [] })).toMatchObject({ field: 'tasks' });
    // At the bounds: accepted.
    expect(await resolveRun({ workers: bound, maxSteps: 2200, trials: 500 }, { settings: null, runsRoot: tmp })).toMatchObject({ workers: bound, maxSteps: 2200, trials: 500 });
  });
});

describe('resolveRun: the physics build of the embedded simulator', () => {
  it('keeps wasm implicit, resolves auto now with a note when it falls back, and refuses native that cannot load', async () => {
    const off = { ...process.env, RSD_NATIVE_MUJOCO: '0' };
    expect((await resolveRun({}, { settings: null, runsRoot: tmp, env: off })).simulator).toEqual({ kind: 'embedded' });
    const auto = await resolveRun({ simulator: { kind: 'embedded', physics: 'auto' } }, { settings: null, runsRoot: tmp, env: off });
    expect(auto.simulator).toEqual({ kind: 'embedded' });
    expect(auto.notes).toEqual([expect.stringMatching(/^physics auto: running MuJoCo's WebAssembly build, because native MuJoCo cannot run here: /)]);
    await expect(resolveRun({}, { settings: null, runsRoot: tmp, env: { ...off, RSD_PHYSICS: 'native' } })).rejects.toThrow(/^RSD_PHYSICS=native: native MuJoCo cannot run here: /);
    await expect(resolveRun({}, { settings: null, runsRoot: tmp, env: { ...process.env, RSD_PHYSICS: 'fast' } })).rejects.toThrow(/^RSD_PHYSICS: "fast" is not a physics build/);
  });
});
