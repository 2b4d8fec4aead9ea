import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataDir, settingsFile } from '../../../engine/settings/paths.js';
import { DEFAULT_SETTINGS, SettingsFileError, SettingsStore } from '../../../engine/settings/store.js';

/** The policy server settings' defaults (issue 18), unset in these tests. */
const NO_POLICY_SERVER = { policyServer: null, policyProfile: null, policyApiKeyEnv: null };

let dir: string;
let store: SettingsStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rsd-settings-'));
  store = new SettingsStore(path.join(dir, 'nested', 'settings.json'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SettingsStore', () => {
  it('reads the defaults while no file exists', async () => {
    expect(await store.read()).toEqual({ file: store.file, exists: false, settings: DEFAULT_SETTINGS, problem: null });
    expect(DEFAULT_SETTINGS).toEqual({ version: 1, bundleDir: null, liberoDir: null, liberoPython: null, decoding: 'speculative', ...NO_POLICY_SERVER });
  });

  it('writes a change (creating its folder), reads it back, and leaves no temporary file', async () => {
    const state = await store.update({ bundleDir: '/bundles/a', decoding: 'autoregressive' });

    expect(state).toEqual({ file: store.file, exists: true, problem: null, settings: { version: 1, bundleDir: '/bundles/a', liberoDir: null, liberoPython: null, decoding: 'autoregressive', ...NO_POLICY_SERVER } });
    expect(await store.read()).toEqual(state);
    expect(JSON.parse(await readFile(store.file, 'utf8'))).toEqual(state.settings);
    expect(await readdir(path.dirname(store.file))).toEqual(['settings.json']);
  });

  it('changes only the keys given, and null clears a folder', async () => {
    await store.update({ bundleDir: '/bundles/a', liberoDir: '/libero' });
    await store.update({ decoding: 'parallel' });
    const state = await store.update({ bundleDir: null });

    expect(state.settings).toEqual({ version: 1, bundleDir: null, liberoDir: '/libero', liberoPython: null, decoding: 'parallel', ...NO_POLICY_SERVER });
  });

  it('keeps the LIBERO Python, and null clears it', async () => {
    expect((await store.update({ liberoPython: '/venv/bin/python' })).settings.liberoPython).toBe('/venv/bin/python');
    expect((await store.update({ liberoPython: null })).settings.liberoPython).toBeNull();
  });

  it('fills missing keys of a hand-written file with their defaults', async () => {
    await writeFile(path.join(dir, 'settings.json'), '{"decoding": "parallel"}');
    const hand = new SettingsStore(path.join(dir, 'settings.json'));

    expect((await hand.read()).settings).toEqual({ ...DEFAULT_SETTINGS, decoding: 'parallel' });
  });

  it('applies concurrent updates one after the other, losing none', async () => {
    await Promise.all([store.update({ bundleDir: '/b' }), store.update({ liberoDir: '/l' }), store.update({ decoding: 'parallel' })]);

    expect((await store.read()).settings).toEqual({ version: 1, bundleDir: '/b', liberoDir: '/l', liberoPython: null, decoding: 'parallel', ...NO_POLICY_SERVER });
  });

  describe.each([
    ['broken JSON', '{"decoding": "parallel"', /^not valid JSON: /],
    ['a bad value', '{"decoding": "fastest"}', /^decoding: Invalid option: expected one of "parallel"\|"autoregressive"\|"speculative"$/],
    ['a misspelt key', '{"bundledir": "/b"}', /^bundledir: Unrecognized key: "bundledir"$/],
    ['a newer version', '{"version": 2}', /^version: /],
    ['an empty folder path', '{"bundleDir": "  "}', /^bundleDir: a folder path, not an empty string$/],
    ['an empty interpreter path', '{"liberoPython": ""}', /^liberoPython: a file path, not an empty string$/],
  ])('a corrupt file (%s)', (_name, text, problem) => {
    let file: string;
    beforeEach(async () => {
      file = path.join(dir, 'settings.json');
      await writeFile(file, text);
      store = new SettingsStore(file);
    });

    it('is reported, with the defaults in use', async () => {
      const state = await store.read();
      expect(state.exists).toBe(true);
      expect(state.problem).toMatch(problem);
      expect(state.settings).toEqual(DEFAULT_SETTINGS);
    });

    it('is never overwritten by a change', async () => {
      const error = await store.update({ decoding: 'parallel' }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(SettingsFileError);
      expect((error as Error).message).toMatch(new RegExp(`^the settings file ${file} is not valid \\(.+\\); it was left as it is: fix it or delete it, then try again$`));
      expect(await readFile(file, 'utf8')).toBe(text);
    });
  });

  it('reports a settings path it cannot read as a file (a folder in its place)', async () => {
    const folder = new SettingsStore(dir);
    expect((await folder.read()).problem).toBe(`cannot be read: ${dir} is a folder, not a regular file`);
  });
});

describe('dataDir', () => {
  const home = '/home/ada';
  it('is RSD_DATA_DIR when set, resolved', () => {
    expect(dataDir({ RSD_DATA_DIR: '/tmp/x/../y' }, 'linux', home)).toBe('/tmp/y');
  });
  it.each([
    ['linux', {}, '/home/ada/.local/share/rsd-workbench'],
    ['linux', { XDG_DATA_HOME: '/data' }, '/data/rsd-workbench'],
    ['darwin', {}, '/home/ada/Library/Application Support/RSD Workbench'],
    ['win32', { APPDATA: '/roaming' }, '/roaming/RSD Workbench'],
  ] as const)('on %s with %j is under the home folder: %s', (platform, env, expected) => {
    expect(dataDir(env, platform, home)).toBe(expected);
  });
  it('holds settings.json', () => {
    expect(settingsFile('/d')).toBe('/d/settings.json');
  });
});
