import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { createClient, type RsdClient } from '../../engine/api/client.js';
import type { CheckFix } from '../../engine/api/checks.js';
import { inProcessTransport } from '../../engine/api/transports/in-process.js';
import { createEngineHost } from '../../engine/host/handlers.js';
import { writeSyntheticBundle } from '../../engine/bundle/synthetic.js';
import { validateResults } from '../../engine/runs/results-schema.js';
import type { Results } from '../../engine/api/schemas/results.js';
import { defaultRunsRoot, RunStore } from '../../engine/runs/store.js';
import { App } from '../../renderer/src/App.js';
import { CheckFixView } from '../../renderer/src/components/CheckFixView.js';
import { nativeDialogs } from '../../renderer/src/dialogs.js';
import { StoreProvider } from '../../renderer/src/store/context.js';
import { createAppStore } from '../../renderer/src/store/index.js';
import { config, episode } from '../engine/runs/fixtures.js';

// Electron's native dialogs from the renderer's side. The Electron binary cannot run here, so
// `window.rsd` is a TEST DOUBLE of what the preload exposes: only its three dialog functions, each a
// mock that answers as the user would (a chosen path, or null for a cancelled dialog). The engine is
// the real one, in this process (the store is attached to it directly, not through window.rsd). The
// native dialogs themselves and the preload's IPC are tested in test/electron/.

type FakeDialogs = {
  chooseFolder: ReturnType<typeof vi.fn<(purpose: string) => Promise<string | null>>>;
  chooseSaveFile: ReturnType<typeof vi.fn<(defaultName: string) => Promise<string | null>>>;
  chooseOpenFile: ReturnType<typeof vi.fn<() => Promise<string | null>>>;
};

/** Installs the preload double as window.rsd. */
function fakePreload(): FakeDialogs {
  const dialogs: FakeDialogs = {
    chooseFolder: vi.fn(async (_purpose: string) => null),
    chooseSaveFile: vi.fn(async (_defaultName: string) => null),
    chooseOpenFile: vi.fn(async () => null),
  };
  (window as { rsd?: unknown }).rsd = dialogs;
  return dialogs;
}

const RUN = '20261125-100000-aaaaaa';

let bundles: string;
let tiny: string;
let dataDir: string;
let runStore: RunStore;
const teardowns: (() => void)[] = [];

beforeAll(async () => {
  bundles = await mkdtemp(path.join(os.tmpdir(), 'rsd-renderer-dialogs-bundles-'));
  tiny = path.join(bundles, 'tiny');
  await writeSyntheticBundle(tiny, 'tiny', 1);
});
afterAll(async () => {
  await rm(bundles, { recursive: true, force: true });
});
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rsd-renderer-dialogs-'));
  runStore = new RunStore(defaultRunsRoot(dataDir));
  const run = await runStore.createRun(config(), { id: RUN, now: new Date('2026-11-25T10:00:00Z') });
  for (const e of [episode(0, 0, 'success'), episode(0, 1, 'failure'), episode(1, 0, 'success')]) await run.appendEpisode(e);
  await run.finish();
});
afterEach(async () => {
  teardowns.splice(0).forEach((t) => t());
  vi.restoreAllMocks();
  delete (window as { rsd?: unknown }).rsd;
  await rm(dataDir, { recursive: true, force: true });
});

function renderApp(page: string) {
  window.history.replaceState(null, '', `/#/${page}`);
  const host = createEngineHost('in-process', { dataDir, env: {} });
  const client = createClient(inProcessTransport(host));
  const store = createAppStore();
  teardowns.push(store.getState().attach(client));
  render(
    <StoreProvider store={store}>
      <App />
    </StoreProvider>,
  );
  return { client, store, user: userEvent.setup() };
}

/** Records every request the page makes, with its params, and passes it on. */
function spyCalls(client: RsdClient): [string, unknown][] {
  const calls: [string, unknown][] = [];
  const call = client.call.bind(client);
  vi.spyOn(client, 'call').mockImplementation((type, params) => {
    calls.push([type, params]);
    return call(type, params);
  });
  return calls;
}

describe('nativeDialogs', () => {
  test('returns the three functions when window.rsd has them, and they call through', async () => {
    const fake = fakePreload();
    fake.chooseFolder.mockResolvedValueOnce('/b');
    const dialogs = nativeDialogs();
    expect(dialogs).not.toBeNull();
    await expect(dialogs!.chooseFolder('bundle')).resolves.toBe('/b');
    expect(fake.chooseFolder).toHaveBeenCalledExactlyOnceWith('bundle');
    await dialogs!.chooseSaveFile('x.results.json');
    expect(fake.chooseSaveFile).toHaveBeenCalledExactlyOnceWith('x.results.json');
    await dialogs!.chooseOpenFile();
    expect(fake.chooseOpenFile).toHaveBeenCalledOnce();
  });

  test('is null in the browser, and for a window.rsd without the dialogs', () => {
    expect(nativeDialogs()).toBeNull();
    (window as { rsd?: unknown }).rsd = {};
    expect(nativeDialogs()).toBeNull();
    (window as { rsd?: unknown }).rsd = { chooseFolder: async () => null, chooseSaveFile: 'no', chooseOpenFile: async () => null };
    expect(nativeDialogs()).toBeNull();
    expect(nativeDialogs(undefined)).toBeNull();
  });
});

describe('the Run page’s bundle folder', () => {
  const form = () => screen.getByRole('form', { name: 'Evaluation' });
  const field = () => within(form()).getByLabelText('Bundle folder');
  const choose = () => within(form()).getByRole('button', { name: 'Choose the bundle folder' });

  test('Choose… fills the field with the chosen folder; a cancelled dialog leaves it as it was', async () => {
    const dialogs = fakePreload();
    const { user, store } = renderApp('run');
    dialogs.chooseFolder.mockResolvedValueOnce(tiny);
    await user.click(choose());
    await waitFor(() => expect(field()).toHaveValue(tiny));
    expect(dialogs.chooseFolder).toHaveBeenCalledExactlyOnceWith('bundle');
    expect(store.getState().runForm.bundleDir).toBe(tiny);

    await user.click(choose()); // the double answers null: cancelled
    expect(dialogs.chooseFolder).toHaveBeenCalledTimes(2);
    await waitFor(() => expect(choose()).toBeEnabled());
    expect(field()).toHaveValue(tiny);
    expect(within(form()).queryByRole('alert')).not.toBeInTheDocument();
  });

  test('a dialog that fails says so; the field can still be typed in', async () => {
    const dialogs = fakePreload();
    const { user } = renderApp('run');
    dialogs.chooseFolder.mockRejectedValueOnce(new Error("Error invoking remote method 'rsd:dialog': no portal"));
    await user.click(choose());
    expect(await within(form()).findByRole('alert')).toHaveTextContent("The folder dialog failed: Error invoking remote method 'rsd:dialog': no portal");
    await user.type(field(), '/typed');
    expect(field()).toHaveValue('/typed');
  });
});

// The checklist runs the engine's checks for real, which may take a while on a loaded machine.
describe('the checklist’s folder settings', { timeout: 40_000 }, () => {
  test('on the page: Choose… fills the LIBERO folder, and Use this folder saves it', async () => {
    const dialogs = fakePreload();
    const { user, client } = renderApp('checklist');
    await user.click(await screen.findByRole('button', { name: 'Check: LIBERO task files' }));
    const fix = await screen.findByRole('form', { name: 'Fix for LIBERO task files' }, { timeout: 20_000 });
    dialogs.chooseFolder.mockResolvedValueOnce(bundles);
    await user.click(within(fix).getByRole('button', { name: 'Choose the LIBERO folder' }));
    await waitFor(() => expect(within(fix).getByLabelText('LIBERO folder')).toHaveValue(bundles));
    expect(dialogs.chooseFolder).toHaveBeenCalledExactlyOnceWith('libero');
    // Choosing only fills the field; saving stays the user's click.
    expect((await client.call('settings.get', {})).settings.liberoDir).toBeNull();

    await user.click(within(fix).getByRole('button', { name: 'Use this folder' }));
    await waitFor(async () => expect((await client.call('settings.get', {})).settings.liberoDir).toBe(bundles));
  });

  test('the bundle folder asks for a bundle folder and saves what was chosen; cancelled, the field keeps what was typed', async () => {
    const dialogs = fakePreload();
    const host = createEngineHost('in-process', { dataDir, env: {} });
    const client = createClient(inProcessTransport(host));
    const store = createAppStore();
    teardowns.push(store.getState().attach(client));
    const fix: CheckFix = { kind: 'setting', setting: 'bundleDir', hint: 'A model bundle folder.' };
    render(
      <StoreProvider store={store}>
        <CheckFixView fix={fix} title="Model bundle" />
      </StoreProvider>,
    );
    const user = userEvent.setup();
    const field = screen.getByLabelText('Bundle folder');
    const choose = () => screen.getByRole('button', { name: 'Choose the bundle folder' });
    await user.type(field, '/typed');
    await user.click(choose());
    expect(dialogs.chooseFolder).toHaveBeenCalledExactlyOnceWith('bundle');
    await waitFor(() => expect(choose()).toBeEnabled());
    expect(field).toHaveValue('/typed');

    dialogs.chooseFolder.mockResolvedValueOnce(tiny);
    await user.click(choose());
    await waitFor(() => expect(field).toHaveValue(tiny));
    await user.click(screen.getByRole('button', { name: 'Use this folder' }));
    await waitFor(async () => expect((await client.call('settings.get', {})).settings.bundleDir).toBe(tiny));
  });

  test('the decoding setting has no Choose button', () => {
    fakePreload();
    render(
      <StoreProvider store={createAppStore()}>
        <CheckFixView fix={{ kind: 'setting', setting: 'decoding', hint: 'h' }} title="Draft" />
      </StoreProvider>,
    );
    expect(screen.queryByRole('button', { name: /^Choose/ })).not.toBeInTheDocument();
  });
});

describe('export and import with the native dialogs', () => {
  const detail = () => screen.findByRole('article', { name: `Run ${RUN}` });

  async function showRun(user: ReturnType<typeof userEvent.setup>) {
    await user.click(within(await screen.findByRole('table', { name: 'Runs' })).getByRole('button', { name: `Show run ${RUN}` }));
    return detail();
  }

  test('Export opens the save dialog with <runId>.results.json and runs.export writes to the chosen path', async () => {
    const dialogs = fakePreload();
    const { user, client } = renderApp('results');
    const calls = spyCalls(client);
    const target = path.join(dataDir, 'exports', 'chosen.json');
    await mkdir(path.dirname(target), { recursive: true }); // export creates no folders
    dialogs.chooseSaveFile.mockResolvedValueOnce(target);
    const run = await showRun(user);

    await user.click(within(run).getByRole('button', { name: 'Export JSON' }));

    expect(await within(run).findByRole('status')).toHaveTextContent(`Saved to ${target}`);
    expect(dialogs.chooseSaveFile).toHaveBeenCalledExactlyOnceWith(`${RUN}.results.json`);
    expect(calls.filter(([type]) => type === 'runs.export')).toEqual([['runs.export', { id: RUN, path: target }]]);
    expect(validateResults(JSON.parse(await readFile(target, 'utf8'))).run?.id).toBe(RUN);
    // No typed path in Electron with dialogs.
    expect(within(run).queryByLabelText('Save results JSON in the exports folder as')).not.toBeInTheDocument();
  });

  test('a cancelled save dialog exports nothing; an engine error is shown', async () => {
    const dialogs = fakePreload();
    const { user, client } = renderApp('results');
    const calls = spyCalls(client);
    const run = await showRun(user);

    await user.click(within(run).getByRole('button', { name: 'Export JSON' }));
    await waitFor(() => expect(within(run).getByRole('button', { name: 'Export JSON' })).toBeEnabled());
    expect(dialogs.chooseSaveFile).toHaveBeenCalledOnce();
    expect(calls.map(([type]) => type)).not.toContain('runs.export');
    expect(within(run).queryByRole('status')).not.toBeInTheDocument();
    expect(within(run).queryByRole('alert')).not.toBeInTheDocument();

    // A folder where the file should go: the engine refuses, and the page says why.
    dialogs.chooseSaveFile.mockResolvedValueOnce(dataDir);
    await user.click(within(run).getByRole('button', { name: 'Export JSON' }));
    expect(await within(run).findByRole('alert')).toHaveTextContent(`Could not save to ${dataDir}:`);
  });

  test('Import opens the open dialog and runs.import reads the chosen path; the run is shown', async () => {
    const dialogs = fakePreload();
    const { user, client, store } = renderApp('results');
    await screen.findByRole('table', { name: 'Runs' });
    const calls = spyCalls(client);
    const exported = JSON.parse(JSON.stringify(await (await runStore.open(RUN)).results())) as Results;
    // Inside the engine's exports folder: this test has no Electron main to grant the dialog's choice.
    const file = path.join(dataDir, 'exports', 'chosen.results.json');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify({ ...exported, run: { ...exported.run!, id: 'imported-run' } }));
    dialogs.chooseOpenFile.mockResolvedValueOnce(file);

    // In Electron with dialogs, a button rather than the browser's file input.
    expect(screen.queryByLabelText('Import results JSON')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Import results JSON' }));

    expect(await screen.findByRole('article', { name: 'Run imported-run' })).toBeInTheDocument();
    expect(calls.filter(([type]) => type === 'runs.import')).toEqual([['runs.import', { path: file }]]);
    expect(store.getState().resultsRunId).toBe('imported-run');
    expect(within(screen.getByRole('table', { name: 'Runs' })).getByTestId('run-imported-run')).toBeInTheDocument();
  });

  test('a cancelled open dialog imports nothing; a bad file names its first problem', async () => {
    const dialogs = fakePreload();
    const { user, client } = renderApp('results');
    await screen.findByRole('table', { name: 'Runs' });
    const calls = spyCalls(client);

    await user.click(screen.getByRole('button', { name: 'Import results JSON' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Import results JSON' })).toBeEnabled());
    expect(dialogs.chooseOpenFile).toHaveBeenCalledOnce();
    expect(calls.map(([type]) => type)).not.toContain('runs.import');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();

    const broken = path.join(dataDir, 'exports', 'broken.json');
    await mkdir(path.dirname(broken), { recursive: true });
    await writeFile(broken, '{"formatVersion": 1,');
    dialogs.chooseOpenFile.mockResolvedValueOnce(broken);
    await user.click(screen.getByRole('button', { name: 'Import results JSON' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(/^Could not import broken\.json: .*not valid JSON at line 1 column 21$/);
    expect(calls.filter(([type]) => type === 'runs.import')).toEqual([['runs.import', { path: broken }]]);

    // A path the page names that no dialog of Electron's main granted, outside the exports folder: refused unread.
    const elsewhere = path.join(dataDir, 'elsewhere.json');
    await writeFile(elsewhere, 'SECRET');
    dialogs.chooseOpenFile.mockResolvedValueOnce(elsewhere);
    await user.click(screen.getByRole('button', { name: 'Import results JSON' }));
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent(/^Could not import elsewhere\.json: .*outside the exports folder/));
    expect(screen.getByRole('alert')).not.toHaveTextContent('SECRET');
  });
});

describe('in the browser (no window.rsd)', { timeout: 40_000 }, () => {
  test('no Choose button on the Run page', async () => {
    renderApp('run');
    const form = await screen.findByRole('form', { name: 'Evaluation' });
    expect(within(form).getByLabelText('Bundle folder')).toBeInTheDocument();
    expect(within(form).queryByRole('button', { name: /^Choose/ })).not.toBeInTheDocument();
  });

  test('no Choose button in the checklist’s folder fix', async () => {
    const { user } = renderApp('checklist');
    await user.click(await screen.findByRole('button', { name: 'Check: LIBERO task files' }));
    const fix = await screen.findByRole('form', { name: 'Fix for LIBERO task files' }, { timeout: 20_000 });
    expect(within(fix).getByLabelText('LIBERO folder')).toBeInTheDocument();
    expect(within(fix).queryByRole('button', { name: /^Choose/ })).not.toBeInTheDocument();
  });

  test('Import keeps the file input', async () => {
    renderApp('results');
    await screen.findByRole('table', { name: 'Runs' });
    expect(screen.getByLabelText('Import results JSON')).toHaveAttribute('type', 'file');
  });
});
