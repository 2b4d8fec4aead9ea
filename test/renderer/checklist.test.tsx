import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { CHECK_IDS } from '../../engine/api/checks.js';
import { createClient } from '../../engine/api/client.js';
import { inProcessTransport } from '../../engine/api/transports/in-process.js';
import { createEngineHost } from '../../engine/host/handlers.js';
import type { EngineHost } from '../../engine/host/host.js';
import { writeSyntheticBundle } from '../../engine/bundle/synthetic.js';
import { App } from '../../renderer/src/App.js';
import { startStandInPolicyServer } from '../engine/checks/policy-server-stand-in.js';
import { StoreProvider } from '../../renderer/src/store/context.js';
import { createAppStore } from '../../renderer/src/store/index.js';

const FINAL = ['pass', 'warn', 'fail', 'unknown', 'not-configured'];

let bundles: string;
let dataDir: string;
const teardowns: (() => void)[] = [];

// These tests walk the "no bundle yet" path, as in an install without assets/bundles/default (the
// shipped default bundle's own rows are checked in test/engine/checks/bundle.test.ts).
beforeAll(async () => {
  process.env.RSD_DEFAULT_BUNDLE = path.join(os.tmpdir(), 'rsd-no-default-bundle');
  bundles = await mkdtemp(path.join(os.tmpdir(), 'rsd-renderer-bundles-'));
  await writeSyntheticBundle(path.join(bundles, 'tiny'), 'tiny', 1);
  await writeSyntheticBundle(path.join(bundles, 'parallel'), 'tiny-parallel', 1);
});
afterAll(async () => {
  delete process.env.RSD_DEFAULT_BUNDLE;
  await rm(bundles, { recursive: true, force: true });
});
beforeEach(async () => {
  window.history.replaceState(null, '', '/#/checklist');
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rsd-renderer-data-'));
});
afterEach(async () => {
  teardowns.splice(0).forEach((t) => t());
  await rm(dataDir, { recursive: true, force: true });
});

/** The app on the real engine in this process, with its own data folder and no LIBERO folder. */
function renderApp(host: EngineHost = createEngineHost('in-process', { dataDir, env: {} })) {
  const client = createClient(inProcessTransport(host));
  const store = createAppStore();
  teardowns.push(store.getState().attach(client));
  const view = render(
    <StoreProvider store={store}>
      <App />
    </StoreProvider>,
  );
  return { host, client, store, view, user: userEvent.setup() };
}

const row = (id: string) => screen.getByTestId(`check-${id}`);
const badge = (id: string) => within(row(id)).getByTestId('check-status');
const settled = (id: string) => waitFor(() => expect(FINAL).toContain(row(id).dataset.status), { timeout: 20_000 });

describe('Checklist page', { timeout: 40_000 }, () => {
  test('lists every check in its group, unchecked, with what it is for', async () => {
    renderApp();

    expect(await screen.findByRole('heading', { level: 1, name: 'Checklist' })).toBeInTheDocument();
    await screen.findByTestId('check-ep.cpu');
    expect(screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent)).toEqual(['Execution providers', 'Model bundle', 'Simulator', 'Integrations', 'App']);
    const items = within(screen.getByRole('main')).getAllByRole('listitem');
    expect(items.map((li) => li.dataset.testid)).toEqual(CHECK_IDS.map((id) => `check-${id}`));
    expect(within(row('ep.webgpu')).getByRole('heading', { level: 3 })).toHaveTextContent('WebGPU execution provider');
    expect(row('ep.webgpu')).toHaveAccessibleName('WebGPU execution provider');
    expect(badge('ep.webgpu')).toHaveTextContent('Not checked');
    expect(within(row('remote.modal')).getByText(/Runs evaluations on Modal's cloud GPUs/)).toBeInTheDocument();
    expect(screen.getByText('Not checked yet: press Run all checks.')).toBeInTheDocument();
  });

  test('Run all checks shows progress from the engine, then every row reaches a final status', async () => {
    const { user, client } = renderApp();
    const progressTexts = new Set<string>();
    client.listen('checks.progress', () => progressTexts.add(screen.getByTestId('checks-progress').textContent ?? ''));
    const runAll = await screen.findByRole('button', { name: 'Run all checks' });
    await waitFor(() => expect(runAll).toBeEnabled());

    await user.click(runAll);

    expect(screen.getByRole('button', { name: 'Checking…' })).toBeDisabled();
    await waitFor(() => expect(screen.getByRole('progressbar', { name: 'Checks done' })).toBeInTheDocument());
    for (const id of CHECK_IDS) await settled(id);
    await waitFor(() => expect(screen.getByRole('button', { name: 'Run all checks' })).toBeEnabled());
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    expect([...progressTexts].some((t) => /^\d+ of 20 done/.test(t))).toBe(true);
    expect(screen.getByTestId('checks-summary')).toHaveTextContent(/^20 of 20 checked: \d+ pass/);
    // Counts agree with their nouns: "1 warning", never "1 warnings".
    const warned = CHECK_IDS.filter((id) => row(id).dataset.status === 'warn').length;
    expect(screen.getByTestId('checks-summary')).toHaveTextContent(new RegExp(`\\b${warned} ${warned === 1 ? 'warning(?!s)' : 'warnings'}`));
    expect(screen.getByTestId('checks-summary')).not.toHaveTextContent(/\b1 warnings/);
    expect(badge('ep.cpu')).toHaveTextContent('Pass');
    expect(badge('sim.mujoco')).toHaveTextContent('Pass');
    expect(badge('bundle.manifest')).toHaveTextContent('Warning');
    expect(within(row('bundle.manifest')).getByText(/^No model bundle: none is chosen and the default bundle is missing/)).toBeInTheDocument();
    expect(badge('remote.tracker')).toHaveTextContent('Not configured');
    expect(badge('policy.server')).toHaveTextContent('Not configured');
    expect(within(row('policy.server')).getByText(/^No policy server set: runs use a model bundle in this process\./)).toBeInTheDocument();
  });

  test('the bundle fix: a folder field that names a bad path inline, then takes a real bundle and checks its rows again', async () => {
    const { user } = renderApp();
    await user.click(await screen.findByRole('button', { name: 'Check: Model bundle' }));
    await settled('bundle.manifest');
    const fix = within(row('bundle.manifest')).getByRole('form', { name: 'Fix for Model bundle' });
    const field = within(fix).getByLabelText('Bundle folder');

    await user.type(field, '/no/such/bundle');
    await user.click(within(fix).getByRole('button', { name: 'Use this folder' }));

    expect(await within(fix).findByRole('alert')).toHaveTextContent('params.bundleDir: there is no folder at /no/such/bundle');
    expect(field).toHaveAttribute('aria-invalid', 'true');

    await user.clear(field);
    await user.type(field, path.join(bundles, 'tiny'));
    await user.click(within(fix).getByRole('button', { name: 'Use this folder' }));

    // Saving a setting checks again every row that reads it.
    await waitFor(() => expect(badge('bundle.rfsq')).toHaveTextContent('Pass'), { timeout: 20_000 });
    await waitFor(() => expect(badge('bundle.draft')).toHaveTextContent('Pass'), { timeout: 20_000 });
    expect(badge('bundle.models')).toHaveTextContent('Pass');
    expect(within(row('bundle.manifest')).getByText(/^"synthetic-tiny" in .*\(settings\)/)).toBeInTheDocument();
    expect(within(row('bundle.rfsq')).getByText(/actions \[3, 8, 7\]/)).toBeInTheDocument();
  });

  test('the LIBERO Python fix: a file field that names a bad path inline, then takes an interpreter and checks the bridge rows again', async () => {
    // No python3 on this engine's PATH, and the stand-in worker (test/engine/checks) for the bridge.
    const env = { PATH: dataDir, RSD_LIBERO_WORKER: path.resolve('test/engine/checks/libero-worker-stand-in.mjs'), STAND_IN_MODE: 'ok' };
    const { user } = renderApp(createEngineHost('in-process', { dataDir, env }));
    await user.click(await screen.findByRole('button', { name: 'Check: LIBERO Python interpreter' }));
    await settled('bridge.python');
    expect(badge('bridge.python')).toHaveTextContent('Not configured');
    expect(within(row('bridge.python')).getByText(/^No LIBERO Python set \(setting, or RSD_LIBERO_PYTHON\), and python3 was not found\./)).toBeInTheDocument();
    const fix = within(row('bridge.python')).getByRole('form', { name: 'Fix for LIBERO Python interpreter' });
    const field = within(fix).getByLabelText('LIBERO Python interpreter');
    expect(field).toHaveAttribute('placeholder', '/absolute/path/to/bin/python');

    await user.type(field, '/no/such/python');
    await user.click(within(fix).getByRole('button', { name: 'Use this interpreter' }));
    expect(await within(fix).findByRole('alert')).toHaveTextContent('params.liberoPython: there is no file at /no/such/python');

    // Node stands in for Python: the stand-in worker is a Node script.
    await user.clear(field);
    await user.type(field, process.execPath);
    await user.click(within(fix).getByRole('button', { name: 'Use this interpreter' }));

    // Every bridge row reads the setting: all are checked again.
    for (const id of ['bridge.python', 'bridge.libero', 'bridge.config', 'bridge.assets', 'bridge.init', 'bridge.render']) {
      await waitFor(() => expect(badge(id)).toHaveTextContent('Pass'), { timeout: 20_000 });
    }
    expect(within(row('bridge.render')).getByText('agentview and wrist at 128x128, not blank (MUJOCO_GL=egl)')).toBeInTheDocument();
  });

  test('the policy server fix: an address field that names a bad address inline, then reaches a server and shows its metadata', async () => {
    // A Node stand-in for a policy server speaking openpi's protocol (test/engine/checks).
    const server = await startStandInPolicyServer();
    teardowns.push(() => void server.close());
    const { user, client } = renderApp();
    await user.click(await screen.findByRole('button', { name: 'Check: Policy server' }));
    await settled('policy.server');
    expect(badge('policy.server')).toHaveTextContent('Not configured');
    const fix = within(row('policy.server')).getByRole('form', { name: 'Fix for Policy server' });
    const field = within(fix).getByLabelText('Policy server address');
    expect(field).toHaveAttribute('placeholder', 'ws://127.0.0.1:8000');

    await user.type(field, 'http://127.0.0.1:8000');
    await user.click(within(fix).getByRole('button', { name: 'Use this server' }));
    expect(await within(fix).findByRole('alert')).toHaveTextContent('params.policyServer: a ws:// or wss:// address such as ws://127.0.0.1:8000');

    await user.clear(field);
    await user.type(field, server.url);
    await user.click(within(fix).getByRole('button', { name: 'Use this server' }));

    // Saving the setting checks the row again.
    await waitFor(() => expect(badge('policy.server')).toHaveTextContent('Pass'), { timeout: 20_000 });
    expect(within(row('policy.server')).getByText(/^ws:\/\/127\.0\.0\.1:\d+ answered \(profile the run's default, no key\)/)).toBeInTheDocument();
    expect(within(row('policy.server')).getByText(/Model: stand-in-policy, sha256:0123456789abcdef/)).toBeInTheDocument();
    expect(within(row('policy.server')).getByText(/Action: dim 7, chunk 8/)).toBeInTheDocument();
    expect(within(row('policy.server')).queryByRole('form')).not.toBeInTheDocument();
    expect((await client.call('settings.get', {})).settings.policyServer).toBe(server.url);
  });

  test('an action fix: speculative decoding on a bundle without a draft, fixed by its button', async () => {
    const { user, client } = renderApp();
    await client.call('settings.set', { bundleDir: path.join(bundles, 'parallel') });
    await user.click(await screen.findByRole('button', { name: 'Check: Draft model for speculative decoding' }));
    await settled('bundle.draft');
    expect(badge('bundle.draft')).toHaveTextContent('Fail');

    await user.click(within(row('bundle.draft')).getByRole('button', { name: 'Use parallel decoding' }));

    await waitFor(() => expect(badge('bundle.draft')).toHaveTextContent('Pass'), { timeout: 20_000 });
    expect(within(row('bundle.draft')).getByText('Not needed: decoding is set to parallel, and only speculative decoding uses a draft.')).toBeInTheDocument();
    expect((await client.call('settings.get', {})).settings.decoding).toBe('parallel');
  });

  test('a command fix shows the exact command with a copy button', async () => {
    await writeFile(path.join(dataDir, 'settings.json'), '{"decoding": ');
    const { user } = renderApp();
    await user.click(await screen.findByRole('button', { name: 'Check: Settings file' }));
    await settled('settings.file');
    const command = `mv "${path.join(dataDir, 'settings.json')}" "${path.join(dataDir, 'settings.json')}.invalid"`;
    expect(within(row('settings.file')).getByText(command)).toBeInTheDocument();

    await user.click(within(row('settings.file')).getByRole('button', { name: `Copy command: ${command}` }));

    expect(within(row('settings.file')).getByRole('button', { name: `Copy command: ${command}` })).toHaveTextContent('Copied');
    expect(await navigator.clipboard.readText()).toBe(command);
  });

  test('results stay in the engine: another window shows them, and one row can be checked again alone', async () => {
    const first = renderApp();
    await first.user.click(await screen.findByRole('button', { name: 'Check: Embedded MuJoCo' }));
    await settled('sim.mujoco');
    const checkedAt = (await first.client.call('checks.list', {})).checks.find((c) => c.id === 'sim.mujoco')?.result?.checkedAt;
    first.view.unmount();

    const second = renderApp(first.host);
    await waitFor(() => expect(badge('sim.mujoco')).toHaveTextContent('Pass'));
    expect(badge('ep.cpu')).toHaveTextContent('Not checked');

    await second.user.click(screen.getByRole('button', { name: 'Check again: Embedded MuJoCo' }));
    await waitFor(async () => {
      const again = (await second.client.call('checks.list', {})).checks.find((c) => c.id === 'sim.mujoco')?.result?.checkedAt;
      expect(again).not.toBe(checkedAt);
    });
    await settled('sim.mujoco');
    expect(badge('ep.cpu')).toHaveTextContent('Not checked');
    act(() => {});
  });
});
