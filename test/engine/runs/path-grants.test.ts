import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngineHost } from '../../../engine/host/handlers.js';
import { defaultRunsRoot, RunStore } from '../../../engine/runs/store.js';
import { PathGrants } from '../../../engine/util/confined-path.js';
import { config, episode } from './fixtures.js';

// Paths the user chose in Electron's native dialogs: main grants them to the engine host
// (electron/engine-host.ts fills a PathGrants), and runs.export/runs.import may then use exactly
// those, with the access the dialog gave; the store's own checks still apply.

const RUN = '20261125-100000-aaaaaa';
let data: string;
let outside: string;

beforeEach(async () => {
  data = await mkdtemp(path.join(os.tmpdir(), 'rsd-grants-data-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'rsd-grants-outside-'));
  const run = await new RunStore(defaultRunsRoot(data)).createRun(config(), { id: RUN, now: new Date('2026-11-25T10:00:00Z') });
  await run.appendEpisode(episode(0, 0, 'success'));
  await run.finish();
});
afterEach(async () => {
  await rm(data, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

function host(grants: PathGrants) {
  const engine = createEngineHost('in-process', { dataDir: data, env: {}, grants });
  let id = 0;
  return async (type: string, params: unknown) => engine.handle(JSON.stringify({ id: ++id, type, params }));
}

describe('granted paths', () => {
  it('export writes to a path granted for writing, and only that one', async () => {
    const grants = new PathGrants();
    const call = host(grants);
    const chosen = path.join(outside, 'chosen.json');
    grants.grant('read', chosen);
    expect(await call('runs.export', { id: RUN, path: chosen })).toMatchObject({ ok: false, error: { field: 'params.path' } });
    grants.grant('write', chosen);
    expect(await call('runs.export', { id: RUN, path: chosen })).toMatchObject({ ok: true, result: { path: chosen } });
    expect(JSON.parse(await readFile(chosen, 'utf8'))).toMatchObject({ run: { id: RUN } });
    expect(await call('runs.export', { id: RUN, path: path.join(outside, 'other.json') })).toMatchObject({ ok: false, error: { field: 'params.path' } });
  });

  it("a granted run file of the store is still refused by the store, naming params.path", async () => {
    const grants = new PathGrants();
    const call = host(grants);
    const own = path.join(data, 'runs', RUN, 'results.json');
    const before = await readFile(own, 'utf8');
    grants.grant('write', own);
    const reply = await call('runs.export', { id: RUN, path: own });
    expect(reply).toMatchObject({ ok: false, error: { kind: 'invalid-params', field: 'params.path' } });
    expect(await readFile(own, 'utf8')).toBe(before);
  });

  it('import reads a path granted for reading; a bad one is named by place, never quoted', async () => {
    const grants = new PathGrants();
    const call = host(grants);
    const file = path.join(outside, 'secret.txt');
    await writeFile(file, 'SECRET-CONTENT-42');
    expect(await call('runs.import', { path: file })).toMatchObject({ ok: false, error: { field: 'params.path' } });
    grants.grant('read', file);
    const reply = await call('runs.import', { path: file });
    expect(reply).toMatchObject({ ok: false, error: { kind: 'invalid-params', message: `${file}: not valid JSON at line 1 column 1` } });
  });

  it('grants only absolute paths', () => {
    const grants = new PathGrants();
    grants.grant('write', 'relative.json');
    expect(grants.allows('write', 'relative.json')).toBe(false);
    grants.grant('write', '/a/b/../c.json');
    expect(grants.allows('write', '/a/c.json')).toBe(true);
    expect(grants.allows('read', '/a/c.json')).toBe(false);
  });
});
