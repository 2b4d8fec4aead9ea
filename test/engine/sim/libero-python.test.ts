import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liberoDir } from '../../../engine/libero/libero-dir.js';
import { describePython, LiberoPythonError, liberoPython, liberoPythonChoice, liberoRoot, liberoWorkerScript } from '../../../engine/sim/libero/python.js';
import { appRoot } from '../../../engine/util/app-root.js';
import { NO_REAL_LIBERO, realLiberoPython } from '../real-libero.js';

// engine/sim/libero/python.ts: the interpreter of the libero backend, its worker script, and its
// LIBERO's folder. The "interpreters" here are stand-in shell scripts (no Python needed), except the
// last test, which asks the real LIBERO set up by ../shared/libero-stack/setup.sh when it is there.

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-libero-python-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A stand-in interpreter: a shell script that ignores its arguments and runs `body`. */
async function standIn(name: string, body: string): Promise<string> {
  const file = path.join(tmp, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

describe('liberoPythonChoice', () => {
  it('is the request, else the settings, else $RSD_LIBERO_PYTHON, else python3', () => {
    const env = { RSD_LIBERO_PYTHON: '/env/python' };
    expect(liberoPythonChoice({ liberoPython: '/s/python' }, env, '/r/python')).toEqual({ python: '/r/python', origin: 'request' });
    expect(liberoPythonChoice({ liberoPython: '/s/python' }, env)).toEqual({ python: '/s/python', origin: 'settings' });
    expect(liberoPythonChoice({ liberoPython: null }, env)).toEqual({ python: '/env/python', origin: 'env' });
    expect(liberoPythonChoice(null, {})).toEqual({ python: 'python3', origin: 'default' });
    expect(liberoPython(null, env)).toBe('/env/python');
  });

  it('says where the interpreter came from', () => {
    expect(describePython({ python: 'python3', origin: 'default' })).toBe('the default interpreter python3 (no LIBERO Python in settings, no RSD_LIBERO_PYTHON)');
    expect(describePython({ python: '/e', origin: 'env' })).toBe('the interpreter /e (from RSD_LIBERO_PYTHON)');
  });
});

describe('liberoWorkerScript', () => {
  it("is python/libero_bridge/worker.py in the app's folder, or $RSD_LIBERO_WORKER", () => {
    expect(liberoWorkerScript({})).toBe(path.join(appRoot(), 'python', 'libero_bridge', 'worker.py'));
    expect(liberoWorkerScript({ RSD_LIBERO_WORKER: 'test/x.py' })).toBe(path.resolve('test/x.py'));
  });

  it('points into app.asar.unpacked in a packaged app (Python cannot read inside the asar)', () => {
    const root = path.join('/opt/RSD Workbench/resources', 'app.asar');
    expect(liberoWorkerScript({}, root)).toBe(path.join('/opt/RSD Workbench/resources', 'app.asar.unpacked', 'python', 'libero_bridge', 'worker.py'));
  });
});

describe('liberoRoot', () => {
  it("is the folder the interpreter's libero.libero package is in (the last JSON line, after any noise)", async () => {
    const python = await standIn('python-ok', `echo 'a .pth file says hello'\necho '{"root": "/site/libero/libero", "python": "3.11.7"}'`);
    expect(await liberoRoot(python)).toBe('/site/libero/libero');
  });

  it('names the interpreter and where it came from when it has no LIBERO', async () => {
    const python = await standIn('python-bare', `echo '{"error": "No module named libero.libero"}'\nexit 3`);
    const error = await liberoRoot({ python, origin: 'settings' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LiberoPythonError);
    expect(error).toMatchObject({ field: 'sim', message: `LIBERO cannot be imported by the interpreter ${python} (the LIBERO Python in settings): No module named libero.libero (see docs/libero-bridge.md "Connecting LIBERO")` });
  });

  it('names an interpreter that is missing, not executable, or does not answer in time', async () => {
    await expect(liberoRoot({ python: 'no-such-python-rsd', origin: 'default' }, { env: { PATH: tmp } })).rejects.toThrow(
      'the default interpreter no-such-python-rsd (no LIBERO Python in settings, no RSD_LIBERO_PYTHON) was not found; the libero simulator needs a Python with LIBERO installed',
    );
    const plain = path.join(tmp, 'python-plain');
    await writeFile(plain, '#!/bin/sh\n', { mode: 0o644 });
    await expect(liberoRoot(plain)).rejects.toThrow(`the interpreter ${plain} is not executable;`);
    const slow = await standIn('python-slow', 'sleep 10');
    const started = Date.now();
    await expect(liberoRoot(slow, { timeoutMs: 300 })).rejects.toThrow(`the interpreter ${slow} did not answer within 300 ms;`);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  const venv = realLiberoPython();
  it.skipIf(venv === null)(`finds the real LIBERO's folder, which engine/libero accepts as a LIBERO folder (${venv})`, async () => {
    const root = await liberoRoot(venv!, { env: { ...process.env, PATH: process.env.PATH ?? '' } });
    expect(root).toMatch(/libero[/\\]libero$/);
    expect(liberoDir(root, {})).toBe(root);
  });
  if (venv === null) console.log(`skipped the real LIBERO test: ${NO_REAL_LIBERO}`);
});
