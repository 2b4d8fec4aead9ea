import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckId, CheckResult } from '../../../engine/api/checks.js';
import { parseCheckLines, probe, shellArg, writeConfigCommand } from '../../../engine/checks/libero-bridge.js';
import { appRoot } from '../../../engine/util/app-root.js';
import { runChecks } from './helpers.js';
import { NO_REAL_LIBERO, realLiberoPython } from '../real-libero.js';

// The checklist's Python bridge rows. The worker is a stand-in (libero-worker-stand-in.mjs, run by
// Node as the "interpreter") printing the real worker's `--check` lines; the last test runs the real
// worker on the real LIBERO when both are there.

const BRIDGE: CheckId[] = ['bridge.python', 'bridge.libero', 'bridge.config', 'bridge.assets', 'bridge.init', 'bridge.render'];
const STAND_IN = path.join(import.meta.dirname, 'libero-worker-stand-in.mjs');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-bridge-checks-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The bridge rows, run with the stand-in worker in `mode` and Node as the configured interpreter. */
async function bridgeRows(mode: string, options: { settings?: object; env?: NodeJS.ProcessEnv } = {}): Promise<Map<CheckId, CheckResult>> {
  const env = { RSD_LIBERO_PYTHON: process.execPath, RSD_LIBERO_WORKER: STAND_IN, STAND_IN_MODE: mode, ...options.env };
  return (await runChecks(BRIDGE, { env, ...(options.settings ? { settings: options.settings } : {}) })).results;
}

const statuses = (rows: Map<CheckId, CheckResult>) => BRIDGE.map((id) => rows.get(id)!.status);

describe('the bridge rows', () => {
  it('pass when every prerequisite does, each from its line of the one worker run', async () => {
    const rows = await bridgeRows('ok');
    expect(statuses(rows)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'pass']);
    const detail = rows.get('bridge.python')!.detail.split('\n');
    expect(detail[0]).toBe('Python 3.11.7 (stand-in)');
    expect(detail[1]).toMatch(/^.+ \(from RSD_LIBERO_PYTHON\); the bridge's check took \d+\.\d s\.$/);
    expect(detail[1]!.startsWith(`${process.execPath} (`)).toBe(true);
    expect(rows.get('bridge.render')!.detail).toBe('agentview and wrist at 128x128, not blank (MUJOCO_GL=egl)');
    expect([...rows.values()].every((r) => r.fix === undefined)).toBe(true);
    expect(rows.get('bridge.render')!.title).toBe('Off-screen rendering');
  });

  it("take the interpreter from the settings before $RSD_LIBERO_PYTHON", async () => {
    const rows = await bridgeRows('ok', { settings: { liberoPython: process.execPath }, env: { RSD_LIBERO_PYTHON: '/no/such/python' } });
    expect(statuses(rows)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'pass']);
    expect(rows.get('bridge.python')!.detail).toContain(`\n${process.execPath} (the LIBERO Python in settings); `);
  });

  it('fail where the worker says so, with its detail, its advice and a fix to copy', async () => {
    const rows = await bridgeRows('no-render');
    expect(statuses(rows)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'fail']);
    const render = rows.get('bridge.render')!;
    expect(render.detail).toBe('agentview: blank image (MUJOCO_GL=egl)\nThe bridge suggests: try MUJOCO_GL=osmesa');
    expect(render.fix).toMatchObject({ kind: 'command', command: expect.stringMatching(/libegl1|MUJOCO_GL/) });
  });

  it('name the failing import and config, and leave the rows behind the import unknown rather than failing', async () => {
    const rows = await bridgeRows('no-import');
    expect(statuses(rows)).toEqual(['pass', 'fail', 'fail', 'unknown', 'unknown', 'unknown']);
    expect(rows.get('bridge.libero')).toMatchObject({ detail: "ModuleNotFoundError: No module named 'robosuite'", fix: { kind: 'command', command: expect.stringMatching(/^git clone https:\/\/github\.com\/Lifelong-Robot-Learning\/LIBERO\.git && .+ -m pip install -e LIBERO$/) } });
    expect(rows.get('bridge.config')!.fix).toMatchObject({ kind: 'command', command: writeConfigCommand(process.execPath) });
    expect(rows.get('bridge.assets')!.detail).toBe('Not checked: see the "LIBERO importable" row. not checked: LIBERO does not import');
  });

  it('report a worker that dies: the rows it answered, the others unknown with its last words', async () => {
    const rows = await bridgeRows('crash');
    expect(statuses(rows)).toEqual(['pass', 'unknown', 'unknown', 'unknown', 'unknown', 'unknown']);
    expect(rows.get('bridge.render')!.detail).toBe("Not checked: the worker's check exited with status 139: Segmentation fault in libGL.");
  });

  it('fail the interpreter row, naming it, when the configured interpreter is missing; the others are unknown', async () => {
    const rows = await bridgeRows('ok', { env: { RSD_LIBERO_PYTHON: path.join(tmp, 'no-python') } });
    expect(statuses(rows)).toEqual(['fail', 'unknown', 'unknown', 'unknown', 'unknown', 'unknown']);
    expect(rows.get('bridge.python')).toMatchObject({
      detail: `The interpreter ${path.join(tmp, 'no-python')} (from RSD_LIBERO_PYTHON) was not found.`,
      fix: { kind: 'setting', setting: 'liberoPython' },
    });
  });

  it('are not configured, with how to set it up, when nothing names an interpreter and there is no python3', async () => {
    // An empty PATH: no python3 at all.
    const rows = (await runChecks(BRIDGE, { env: { PATH: tmp } })).results;
    expect(statuses(rows)).toEqual(BRIDGE.map(() => 'not-configured'));
    expect(rows.get('bridge.python')).toMatchObject({
      detail:
        'No LIBERO Python set (setting, or RSD_LIBERO_PYTHON), and python3 was not found. The embedded simulator does not need one; to evaluate in real LIBERO (rsd eval --sim libero), install LIBERO in a Python and choose that interpreter here (docs/libero-bridge.md "Connecting LIBERO").',
      fix: { kind: 'setting', setting: 'liberoPython', hint: expect.stringContaining('docs/libero-bridge.md') },
    });
    expect(rows.get('bridge.render')!.detail).toBe('Needs a Python with LIBERO: set one in the "LIBERO Python interpreter" row.');
  });

  it('are not configured when python3 has no LIBERO', async () => {
    const bin = path.join(tmp, 'bare-bin');
    await mkdir(bin, { recursive: true });
    await writeFile(path.join(bin, 'python3'), `#!/bin/sh\necho '{"error": "No module named libero.libero"}'\nexit 3\n`, { mode: 0o755 });
    const rows = (await runChecks(BRIDGE, { env: { PATH: bin } })).results;
    expect(statuses(rows)).toEqual(BRIDGE.map(() => 'not-configured'));
    expect(rows.get('bridge.python')!.detail).toMatch(/^No LIBERO Python set \(setting, or RSD_LIBERO_PYTHON\), and python3 cannot import LIBERO \(No module named libero\.libero\)\. The embedded simulator/);
  });

  it("check python3 when it has LIBERO, though nothing names it", async () => {
    // A stand-in python3 on PATH: answers the LIBERO lookup, and runs the stand-in worker with Node.
    const bin = path.join(tmp, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(path.join(bin, 'python3'), `#!/bin/sh\nif [ "$1" = "-c" ]; then echo '{"root": "/libero/libero"}'; exit 0; fi\nexec ${shellArg(process.execPath)} "$@"\n`);
    await chmod(path.join(bin, 'python3'), 0o755);
    const rows = (await runChecks(BRIDGE, { env: { PATH: bin, RSD_LIBERO_WORKER: STAND_IN, STAND_IN_MODE: 'ok' } })).results;
    expect(statuses(rows)).toEqual(BRIDGE.map(() => 'pass'));
    expect(rows.get('bridge.python')!.detail).toContain('\npython3 (no LIBERO Python in settings, no RSD_LIBERO_PYTHON); ');
  });

  it('are unknown when the worker script is missing (a checkout without python/libero_bridge/)', async () => {
    const rows = await bridgeRows('ok', { env: { RSD_LIBERO_WORKER: path.join(tmp, 'worker.py') } });
    expect(statuses(rows)).toEqual(BRIDGE.map(() => 'unknown'));
    expect(rows.get('bridge.init')!.detail).toBe(`Not checked: the bridge's worker script is missing (${path.join(tmp, 'worker.py')}). A checkout or install without python/libero_bridge/ cannot run real LIBERO.`);
  });

  it('run the worker once for all six rows', async () => {
    const counter = path.join(tmp, 'count-python');
    const log = path.join(tmp, 'count.log');
    await writeFile(counter, `#!/bin/sh\necho run >> ${shellArg(log)}\nexec ${shellArg(process.execPath)} "$@"\n`);
    await chmod(counter, 0o755);
    await bridgeRows('ok', { env: { RSD_LIBERO_PYTHON: counter } });
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual(['run']);
  });
});

describe('the worker check, directly', () => {
  it('gives up on a worker that hangs, keeping the lines it printed', async () => {
    const result = await probe({ liberoPython: process.execPath }, { RSD_LIBERO_WORKER: STAND_IN, STAND_IN_MODE: 'hang' }, 800);
    expect(result).toMatchObject({ kind: 'ran', problem: "the worker's check did not finish within 800 ms" });
    expect(result.kind === 'ran' && [...result.lines.keys()]).toEqual(['interpreter']);
  });

  it('reads only well-formed lines of its checks', () => {
    const lines = parseCheckLines(['noise', '{"id": "render", "ok": true, "detail": "fine", "fix": null}', '{"id": "other", "ok": true}', '{"id": "config", "ok": "yes"}', '[1]', ''].join('\n'));
    expect([...lines.values()]).toEqual([{ id: 'render', ok: true, detail: 'fine', fix: null }]);
  });

  it('quotes paths for the shell only when they need it', () => {
    expect(shellArg('/venv/bin/python')).toBe('/venv/bin/python');
    expect(shellArg("/my venv/it's/python")).toBe("'/my venv/it'\\''s/python'");
  });
});

const venv = realLiberoPython();
const worker = path.join(appRoot(), 'python', 'libero_bridge', 'worker.py');
const real = venv !== null && existsSync(worker);
if (!real) console.log(`skipped the real bridge check: ${!existsSync(worker) ? `${worker} is not in this checkout yet` : NO_REAL_LIBERO}`);

describe.skipIf(!real)('the bridge rows on the real LIBERO', () => {
  it('pass with the real worker and the LIBERO stack', async () => {
    const rows = (await runChecks(BRIDGE, { env: { ...process.env, RSD_LIBERO_PYTHON: venv! } })).results;
    expect(Object.fromEntries([...rows].map(([id, r]) => [id, `${r.status}: ${r.detail}`]))).toEqual(Object.fromEntries(BRIDGE.map((id) => [id, expect.stringMatching(/^pass: /)])));
  }, 120_000);
});
