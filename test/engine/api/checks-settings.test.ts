// The checks and settings domains through the real host and client (the same text path as the WebSocket).
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECK_IDS, type ChecksProgress } from '../../../engine/api/checks.js';
import { createClient, type RsdClient } from '../../../engine/api/client.js';
import { RsdCallError, type RsdError } from '../../../engine/api/errors.js';
import { inProcessTransport } from '../../../engine/api/transports/in-process.js';
import { createEngineHost } from '../../../engine/host/handlers.js';

let dataDir: string;
let client: RsdClient;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rsd-api-'));
  client = createClient(inProcessTransport(createEngineHost('in-process', { dataDir, env: {} })));
});
afterEach(async () => {
  client.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function refusal(call: Promise<unknown>): Promise<RsdError> {
  const thrown = await call.then(
    () => expect.fail('the engine accepted it'),
    (e: unknown) => e,
  );
  expect(thrown).toBeInstanceOf(RsdCallError);
  return (thrown as RsdCallError).error;
}

describe('checks.list and checks.run', () => {
  it('lists every check in order, unchecked, with its group, purpose and the settings it reads', async () => {
    const { checks } = await client.call('checks.list', {});
    expect(checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    expect(checks.every((c) => c.result === null && !c.running && c.purpose.length > 20)).toBe(true);
    expect(checks.find((c) => c.id === 'bundle.draft')?.reads).toEqual(['bundleDir', 'decoding']);
  });

  it('runs the chosen checks, pushes checks.progress events the client validates, and keeps the results', async () => {
    const events: ChecksProgress[] = [];
    client.listen('checks.progress', (p) => events.push(p));

    const { results } = await client.call('checks.run', { ids: ['remote.modal', 'ep.cpu'] });

    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['ep.cpu', 'pass'],
      ['remote.modal', 'not-configured'],
    ]);
    expect(events.map((e) => `${e.phase} ${e.id} ${e.done}/${e.total}`)).toEqual(['started ep.cpu 0/2', 'finished ep.cpu 1/2', 'started remote.modal 1/2', 'finished remote.modal 2/2']);
    const { checks } = await client.call('checks.list', {});
    expect(checks.filter((c) => c.result).map((c) => c.id)).toEqual(['ep.cpu', 'remote.modal']);
  });

  it.each([
    [{ ids: ['ep.tpu'] }, 'params.ids.0'],
    [{ ids: [] }, 'params.ids'],
    [{ ids: 'ep.cpu' }, 'params.ids'],
    [{ all: true }, 'params.all'],
  ])('refuses checks.run %j, naming %s', async (params, field) => {
    const error = await refusal(client.call('checks.run', params as never));
    expect(error).toMatchObject({ kind: 'invalid-params', field });
  });
});

describe('settings.get and settings.set', () => {
  it('reads the defaults from the data folder, then saves a change there', async () => {
    const file = path.join(dataDir, 'settings.json');
    expect(await client.call('settings.get', {})).toEqual({ file, exists: false, problem: null, settings: { version: 1, bundleDir: null, liberoDir: null, liberoPython: null, decoding: 'speculative', policyServer: null, policyProfile: null, policyApiKeyEnv: null } });

    const bundle = path.join(dataDir, 'bundle');
    await mkdir(bundle);
    const state = await client.call('settings.set', { bundleDir: `${bundle}/`, decoding: 'autoregressive' });

    expect(state.settings).toMatchObject({ bundleDir: bundle, decoding: 'autoregressive' }); // resolved, no trailing slash
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(state.settings);
    expect(await client.call('settings.get', {})).toEqual(state);
  });

  it('expands ~ in a folder', async () => {
    const state = await client.call('settings.set', { liberoDir: '~' });
    expect(state.settings.liberoDir).toBe(os.homedir());
  });

  it.each([
    [{ decoding: 'fastest' }, 'params.decoding', /^params\.decoding: Invalid option/],
    [{ bundleDir: 42 }, 'params.bundleDir', /^params\.bundleDir: /],
    [{ bundleDir: '' }, 'params.bundleDir', /^params\.bundleDir: a folder path, not an empty string$/],
    [{ bundledir: '/b' }, 'params.bundledir', /^params\.bundledir: Unrecognized key/],
    [{ bundleDir: 'relative/dir' }, 'params.bundleDir', /^params\.bundleDir: "relative\/dir" is not an absolute path$/],
    [{ liberoDir: '/no/such/folder' }, 'params.liberoDir', /^params\.liberoDir: there is no folder at \/no\/such\/folder$/],
    [{ liberoPython: '' }, 'params.liberoPython', /^params\.liberoPython: a file path, not an empty string$/],
    [{ liberoPython: 'python3' }, 'params.liberoPython', /^params\.liberoPython: "python3" is not an absolute path$/],
    [{ liberoPython: '/no/such/python' }, 'params.liberoPython', /^params\.liberoPython: there is no file at \/no\/such\/python$/],
    [{ liberoPython: '/' }, 'params.liberoPython', /^params\.liberoPython: \/ is a folder, not an interpreter$/],
    [{ policyServer: 'http://127.0.0.1:8000' }, 'params.policyServer', /^params\.policyServer: a ws:\/\/ or wss:\/\/ address such as ws:\/\/127\.0\.0\.1:8000$/],
    [{ policyServer: '127.0.0.1:8000' }, 'params.policyServer', /^params\.policyServer: a ws:\/\/ or wss:\/\/ address/],
    [{ policyServer: 'ws://127.0.0.1:99999' }, 'params.policyServer', /^params\.policyServer: not a valid address/],
    [{ policyProfile: '' }, 'params.policyProfile', /^params\.policyProfile: a profile name or a profile JSON file, not an empty string$/],
    [{ policyProfile: 'My Profile' }, 'params.policyProfile', /^params\.policyProfile: "My Profile" is neither a profile name \(lower-case letters, digits, -\) nor a profile JSON file$/],
    [{ policyProfile: 'profiles/mine.json' }, 'params.policyProfile', /^params\.policyProfile: "profiles\/mine\.json" is not an absolute path$/],
    [{ policyProfile: '/no/such/profile.json' }, 'params.policyProfile', /^params\.policyProfile: there is no file at \/no\/such\/profile\.json$/],
    [{ policyApiKeyEnv: 'sk-live-123' }, 'params.policyApiKeyEnv', /^params\.policyApiKeyEnv: the name of an environment variable \(letters, digits, _\), not the key itself$/],
  ])('refuses settings.set %j, naming %s', async (params, field, message) => {
    const error = await refusal(client.call('settings.set', params as never));
    expect(error).toMatchObject({ kind: 'invalid-params', field, message: expect.stringMatching(message) });
    expect((await client.call('settings.get', {})).exists).toBe(false); // nothing was written
  });

  it('refuses a file as a folder', async () => {
    const file = path.join(dataDir, 'plain.txt');
    await writeFile(file, 'x');
    const error = await refusal(client.call('settings.set', { bundleDir: file }));
    expect(error).toMatchObject({ kind: 'invalid-params', field: 'params.bundleDir', message: `params.bundleDir: ${file} is a file, not a folder` });
  });

  it('keeps the LIBERO Python as given (a symlink, as a venv\'s bin/python is, is not followed), and null clears it', async () => {
    const python = path.join(dataDir, 'python');
    await symlink(process.execPath, python);
    expect((await client.call('settings.set', { liberoPython: python })).settings.liberoPython).toBe(python);
    expect((await client.call('settings.set', { liberoPython: null })).settings.liberoPython).toBeNull();
  });

  it('keeps a policy server, a profile (a name, or a JSON file as an absolute path) and a key variable; null clears them', async () => {
    const profile = path.join(dataDir, 'mine.json');
    await writeFile(profile, '{}');
    const named = await client.call('settings.set', { policyServer: ' ws://10.0.0.2:8000 ', policyProfile: 'openpi-libero', policyApiKeyEnv: 'POLICY_KEY' });
    expect(named.settings).toMatchObject({ policyServer: 'ws://10.0.0.2:8000', policyProfile: 'openpi-libero', policyApiKeyEnv: 'POLICY_KEY' });
    expect((await client.call('settings.set', { policyProfile: profile })).settings.policyProfile).toBe(profile);
    const cleared = await client.call('settings.set', { policyServer: null, policyProfile: null, policyApiKeyEnv: null });
    expect(cleared.settings).toMatchObject({ policyServer: null, policyProfile: null, policyApiKeyEnv: null });
  });

  it('loads a version 1 file written before the policy server settings', async () => {
    await writeFile(path.join(dataDir, 'settings.json'), JSON.stringify({ version: 1, bundleDir: null, liberoDir: null, liberoPython: null, decoding: 'parallel' }));
    const state = await client.call('settings.get', {});
    expect(state).toMatchObject({ exists: true, problem: null, settings: { decoding: 'parallel', policyServer: null, policyProfile: null, policyApiKeyEnv: null } });
  });

  it.skipIf(process.platform === 'win32')('refuses a LIBERO Python that is not executable', async () => {
    const file = path.join(dataDir, 'python');
    await writeFile(file, '#!/bin/sh\n', { mode: 0o644 });
    const error = await refusal(client.call('settings.set', { liberoPython: file }));
    expect(error).toMatchObject({ kind: 'invalid-params', field: 'params.liberoPython', message: `params.liberoPython: ${file} is not executable` });
  });

  it('reports a corrupt file through settings.get and refuses to overwrite it', async () => {
    const file = path.join(dataDir, 'settings.json');
    await writeFile(file, '{"decoding": "speculative",}');

    const state = await client.call('settings.get', {});
    expect(state).toMatchObject({ exists: true, problem: expect.stringMatching(/^not valid JSON: /), settings: { decoding: 'speculative' } });
    const error = await refusal(client.call('settings.set', { decoding: 'parallel' }));
    expect(error.message).toMatch(/^the settings file .*settings\.json is not valid \(not valid JSON: .*\); it was left as it is/);
    expect(await readFile(file, 'utf8')).toBe('{"decoding": "speculative",}');
  });

  it('makes the next checks.run see the change', async () => {
    await client.call('settings.set', { decoding: 'parallel' });
    const { results } = await client.call('checks.run', { ids: ['bundle.draft'] });
    expect(results[0]?.detail).toBe('Not needed: decoding is set to parallel, and only speculative decoding uses a draft.');
  });
});
