import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunMeta } from '../../../engine/api/schemas/runs.js';
import { defaultBundleDir } from '../../../engine/bundle/default-bundle.js';
import { EvalError } from '../../../engine/eval/errors.js';
import { resolveResume, resolveRun, type ResolveContext } from '../../../engine/eval/resolve.js';
import { RUN_FILE, RunStore } from '../../../engine/runs/store.js';
import type { LiberoPythonChoice } from '../../../engine/sim/libero/python.js';
import { config } from '../runs/fixtures.js';

// The resolver's libero simulator: which interpreter, and where its initial states come from.

let tmp: string;
/** Interpreters that exist (the resolver refuses a path that does not), one per place it may come from. */
const py = { request: '', settings: '', env: '' };
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-resolve-libero-'));
  for (const key of Object.keys(py) as (keyof typeof py)[]) {
    py[key] = path.join(tmp, `${key}-python`);
    await writeFile(py[key], '#!/bin/sh\n', { mode: 0o755 });
  }
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const settings = (over: object = {}) => ({ bundleDir: null, liberoDir: null, liberoPython: null, decoding: 'speculative' as const, ...over });

/** A context whose interpreter lookup is recorded (and answers `root`), never run. */
function context(over: Partial<ResolveContext> = {}, root = '/py/site-packages/libero/libero') {
  const asked: LiberoPythonChoice[] = [];
  const ctx: ResolveContext = {
    settings: null,
    runsRoot: tmp,
    env: {},
    liberoRoot: async (python) => {
      asked.push(python);
      return root;
    },
    ...over,
  };
  return { ctx, asked };
}

describe('resolveRun: the libero simulator', () => {
  it('leaves the embedded simulator and its initial states as they were', async () => {
    const { ctx, asked } = context();
    expect(await resolveRun({}, ctx)).toMatchObject({ simulator: { kind: 'embedded' }, initSource: { kind: 'project', split: 'eval' } });
    expect(await resolveRun({ simulator: { kind: 'embedded' } }, ctx)).toMatchObject({ simulator: { kind: 'embedded' } });
    expect(asked).toEqual([]);
  });

  it('fills the interpreter: the request, else the settings, else $RSD_LIBERO_PYTHON, else python3', async () => {
    const python = async (request: { python?: string }, over: Partial<ResolveContext>) => (await resolveRun({ simulator: { kind: 'libero', ...request } }, context(over).ctx)).simulator;
    const both = { settings: settings({ liberoPython: py.settings }), env: { RSD_LIBERO_PYTHON: py.env } };
    expect(await python({ python: py.request }, both)).toEqual({ kind: 'libero', python: py.request });
    expect(await python({}, both)).toEqual({ kind: 'libero', python: py.settings });
    expect(await python({}, { env: { RSD_LIBERO_PYTHON: py.env } })).toEqual({ kind: 'libero', python: py.env });
    expect(await python({}, { settings: settings(), env: { RSD_LIBERO_PYTHON: '  ' } })).toEqual({ kind: 'libero', python: 'python3' });
  });

  it("starts from LIBERO's init files of the interpreter's own LIBERO when no LIBERO folder is set", async () => {
    const { ctx, asked } = context({ settings: settings({ liberoPython: py.settings }) });
    const run = await resolveRun({ simulator: { kind: 'libero' } }, ctx);
    expect(run.initSource).toEqual({ kind: 'libero', dir: '/py/site-packages/libero/libero' });
    expect(asked).toEqual([{ python: py.settings, origin: 'settings' }]);
  });

  it("takes the request's LIBERO folder, else the settings', else $RSD_LIBERO_DIR, without running the interpreter", async () => {
    const { ctx, asked } = context({ settings: settings({ liberoDir: '/settings/libero' }), env: { RSD_LIBERO_DIR: '/env/libero' } });
    expect((await resolveRun({ simulator: { kind: 'libero' }, initStates: { source: 'libero', location: '/request/libero' } }, ctx)).initSource).toEqual({ kind: 'libero', dir: '/request/libero' });
    expect((await resolveRun({ simulator: { kind: 'libero' } }, ctx)).initSource).toEqual({ kind: 'libero', dir: '/settings/libero' });
    expect((await resolveRun({ simulator: { kind: 'libero' } }, { ...ctx, settings: settings() })).initSource).toEqual({ kind: 'libero', dir: '/env/libero' });
    expect(asked).toEqual([]);
  });

  it("runs the project's initial states when the request asks for them", async () => {
    const { ctx, asked } = context();
    expect((await resolveRun({ simulator: { kind: 'libero' }, initStates: { source: 'project' } }, ctx)).initSource).toEqual({ kind: 'project', split: 'eval' });
    expect(asked).toEqual([]);
  });

  it('refuses, naming sim, an interpreter path that does not exist, whatever gives the LIBERO folder', async () => {
    const missing = path.join(tmp, 'no-such-python');
    const { ctx } = context({ settings: settings({ liberoDir: '/libero' }) });
    const error = await resolveRun({ simulator: { kind: 'libero', python: missing } }, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvalError);
    expect(error).toMatchObject({ field: 'sim', message: `the interpreter ${missing} (from the run request) does not exist` });
  });

  it('refuses, naming sim, when the interpreter has no LIBERO (the real lookup)', async () => {
    const bare = path.join(tmp, 'bare-python');
    await writeFile(bare, `#!/bin/sh\necho '{"error": "No module named libero.libero"}'\nexit 3\n`, { mode: 0o755 });
    const error = await resolveRun({ simulator: { kind: 'libero' } }, { settings: settings({ liberoPython: bare }), runsRoot: tmp, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvalError);
    expect(error).toMatchObject({ field: 'sim', message: `LIBERO cannot be imported by the interpreter ${bare} (the LIBERO Python in settings): No module named libero.libero (see docs/libero-bridge.md "Connecting LIBERO")` });
  });
});

describe('resolveResume: the simulator from run.json', () => {
  async function storedRun(id: string, options: { simulator?: { kind: 'embedded' } | { kind: 'libero'; python?: string }; backend?: string }) {
    const bundleDir = await mkdtemp(path.join(tmp, 'bundle-'));
    await cp(path.join(defaultBundleDir(), 'bundle.json'), path.join(bundleDir, 'bundle.json'));
    const run = await new RunStore(tmp).createRun(config({ simulator: { backend: options.backend ?? 'embedded', version: 'v' }, initStates: { source: 'libero', location: '/libero' } }), {
      id,
      bundleDir,
      ...(options.simulator ? { simulator: options.simulator } : {}),
    });
    await run.release();
    return JSON.parse(await readFile(path.join(tmp, id, RUN_FILE), 'utf8')) as unknown;
  }

  it('records the simulator in run.json and makes the same one again, interpreter included', async () => {
    const meta = await storedRun('libero-run', { simulator: { kind: 'libero', python: '/venv/bin/python' }, backend: 'libero' });
    expect(RunMeta.parse(meta).simulator).toEqual({ kind: 'libero', python: '/venv/bin/python' });
    // Settings and environment changed since: the run keeps its interpreter.
    const run = await resolveResume('libero-run', { runsRoot: tmp, settings: settings({ liberoPython: '/other/python' }), env: { RSD_LIBERO_PYTHON: '/env/python' } });
    expect(run).toMatchObject({ simulator: { kind: 'libero', python: '/venv/bin/python' }, initSource: { kind: 'libero', dir: '/libero' }, resume: 'libero-run' });
  });

  it('reads older run.json files, which do not record it: embedded, or libero with the interpreter decided afresh', async () => {
    await storedRun('old-embedded', {});
    expect((await resolveResume('old-embedded', { runsRoot: tmp })).simulator).toEqual({ kind: 'embedded' });
    await storedRun('old-libero', { backend: 'libero' });
    expect((await resolveResume('old-libero', { runsRoot: tmp, settings: null, env: { RSD_LIBERO_PYTHON: '/env/python' } })).simulator).toEqual({ kind: 'libero', python: '/env/python' });
  });
});
