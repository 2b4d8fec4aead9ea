import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngineHost } from '../../../engine/host/handlers.js';
import { defaultRunsRoot, RunStore } from '../../../engine/runs/store.js';
import { config, episode } from './fixtures.js';

// Issue 15: paths that arrive from the page (runs.export's and runs.import's `path`) are confined to
// <data dir>/exports/, unless the user chose them in Electron's native dialog (a grant that only
// Electron's main process can give; see engine/util/confined-path.ts). Through the in-process host,
// which takes the same text path as `rsd serve`'s WebSocket.

const RUN = '20261125-100000-aaaaaa';
let data: string;
let outside: string;
let exportsDir: string;

beforeEach(async () => {
  data = await mkdtemp(path.join(os.tmpdir(), 'rsd-confined-data-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'rsd-confined-outside-'));
  exportsDir = path.join(data, 'exports');
  const run = await new RunStore(defaultRunsRoot(data)).createRun(config(), { id: RUN, now: new Date('2026-11-25T10:00:00Z') });
  for (const e of [episode(0, 0, 'success'), episode(0, 1, 'failure')]) await run.appendEpisode(e);
  await run.finish();
});
afterEach(async () => {
  await rm(data, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

type Reply = { ok: true; result: Record<string, unknown> } | { ok: false; error: { kind: string; message: string; field?: string } };

function host() {
  const engine = createEngineHost('in-process', { dataDir: data, env: {} });
  let id = 0;
  return async (type: string, params: unknown): Promise<Reply> => (await engine.handle(JSON.stringify({ id: ++id, type, params }))) as unknown as Reply;
}

const exists = (file: string) => lstat(file).then(() => true, () => false);

function expectPathRefused(reply: Reply): string {
  expect(reply.ok).toBe(false);
  if (reply.ok) return '';
  expect(reply.error).toMatchObject({ kind: 'invalid-params', field: 'params.path' });
  return reply.error.message;
}

describe('runs.export from the page', () => {
  it('refuses a path outside the exports folder, and writes nothing there', async () => {
    const call = host();
    const target = path.join(outside, 'elsewhere.json');
    expectPathRefused(await call('runs.export', { id: RUN, path: target }));
    expect(await exists(target)).toBe(false);
  });

  it('refuses ../ out of the exports folder', async () => {
    const call = host();
    expectPathRefused(await call('runs.export', { id: RUN, path: '../../x.json' }));
    expectPathRefused(await call('runs.export', { id: RUN, path: '../runs/x.json' }));
    expectPathRefused(await call('runs.export', { id: RUN, path: path.join(exportsDir, '..', 'x.json') }));
    expect(await exists(path.join(data, 'x.json'))).toBe(false);
    expect(await exists(path.join(path.dirname(data), 'x.json'))).toBe(false);
    expect(await exists(path.join(data, 'runs', 'x.json'))).toBe(false);
  });

  it('refuses a symlink inside the exports folder that points outside it', async () => {
    const call = host();
    await mkdir(exportsDir, { recursive: true });
    await symlink(outside, path.join(exportsDir, 'away'));
    expectPathRefused(await call('runs.export', { id: RUN, path: 'away/x.json' }));
    expectPathRefused(await call('runs.export', { id: RUN, path: path.join(exportsDir, 'away', 'x.json') }));
    await writeFile(path.join(outside, 'victim.json'), 'keep me');
    await symlink(path.join(outside, 'victim.json'), path.join(exportsDir, 'victim.json'));
    expectPathRefused(await call('runs.export', { id: RUN, path: 'victim.json' }));
    expect(await readdir(outside)).toEqual(['victim.json']);
    expect(await readFile(path.join(outside, 'victim.json'), 'utf8')).toBe('keep me');
    expect((await lstat(path.join(exportsDir, 'victim.json'))).isSymbolicLink()).toBe(true);
  });

  it("refuses the run store's own run files", async () => {
    const call = host();
    const runDir = path.join(data, 'runs', RUN);
    const before = await readFile(path.join(runDir, 'results.json'), 'utf8');
    for (const file of ['results.json', 'run.json', 'episodes.jsonl']) {
      expectPathRefused(await call('runs.export', { id: RUN, path: path.join(runDir, file) }));
    }
    expect(await readFile(path.join(runDir, 'results.json'), 'utf8')).toBe(before);
  });

  it('writes a file name into <data dir>/exports/, creating the folder', async () => {
    const call = host();
    expect(await exists(exportsDir)).toBe(false);
    const reply = await call('runs.export', { id: RUN, path: `${RUN}.results.json` });
    const written = path.join(exportsDir, `${RUN}.results.json`);
    expect(reply).toMatchObject({ ok: true, result: { path: written } });
    expect(JSON.parse(await readFile(written, 'utf8'))).toMatchObject({ run: { id: RUN } });
    // An absolute path inside the exports folder is the same file.
    expect(await call('runs.export', { id: RUN, path: written })).toMatchObject({ ok: true, result: { path: written } });
  });
});

describe('runs.import from the page', () => {
  it('refuses /etc/passwd without echoing any of its bytes', async () => {
    const call = host();
    const message = expectPathRefused(await call('runs.import', { path: '/etc/passwd' }));
    const passwd = await readFile('/etc/passwd', 'utf8').catch(() => 'root:x:0:0');
    expect(message).not.toContain(passwd.split('\n')[0]!.slice(0, 6));
    expect(message).not.toMatch(/root:|not valid JSON/);
  });

  it('refuses a path out of the exports folder by ../ or a symlink', async () => {
    const call = host();
    await mkdir(exportsDir, { recursive: true });
    const secret = path.join(outside, 'secret.json');
    await writeFile(secret, 'SECRET-CONTENT-42');
    await symlink(secret, path.join(exportsDir, 'link.json'));
    for (const given of ['../../secret.json', 'link.json', secret]) {
      expect(expectPathRefused(await call('runs.import', { path: given }))).not.toContain('SECRET');
    }
  });

  it('imports a file from the exports folder; a malformed one is named by line and column only', async () => {
    const call = host();
    const exported = await call('runs.export', { id: RUN, path: 'a.json' });
    expect(exported.ok).toBe(true);
    const text = await readFile(path.join(exportsDir, 'a.json'), 'utf8');
    await writeFile(path.join(exportsDir, 'b.json'), text.replace(`"id": "${RUN}"`, '"id": "imported-b"'));
    expect(await call('runs.import', { path: 'b.json' })).toMatchObject({ ok: true, result: { id: 'imported-b' } });

    await writeFile(path.join(exportsDir, 'bad.json'), '{\n  "formatVersion": 1,\n  SECRET-CONTENT-42\n}');
    const bad = await call('runs.import', { path: 'bad.json' });
    expect(bad).toMatchObject({ ok: false, error: { kind: 'invalid-params' } });
    if (!bad.ok) {
      expect(bad.error.message).toMatch(/bad\.json: not valid JSON at line 3 column 3$/);
      expect(bad.error.message).not.toContain('SECRET');
    }
    // The same for text the browser's file picker sends.
    const text2 = await call('runs.import', { text: 'root:x:0:0:root:/root:/bin/bash', name: 'passwd' });
    expect(text2).toMatchObject({ ok: false, error: { kind: 'invalid-params', message: 'passwd: not valid JSON at line 1 column 1' } });
  });
});
