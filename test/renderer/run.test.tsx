import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { createClient, type RsdClient } from '../../engine/api/client.js';
import type { EvalProgress } from '../../engine/api/schemas/eval-events.js';
import { inProcessTransport } from '../../engine/api/transports/in-process.js';
import { createEngineHost } from '../../engine/host/handlers.js';
import type { EngineHost } from '../../engine/host/host.js';
import { suiteTasks } from '../../engine/libero/suites.js';
import { writeSyntheticBundle } from '../../engine/bundle/synthetic.js';
import { App } from '../../renderer/src/App.js';
import { StoreProvider } from '../../renderer/src/store/context.js';
import { createAppStore } from '../../renderer/src/store/index.js';
import { applyEvalEvent, checkRunForm, LOG_LIMIT, type RunForm, type SuiteInfo } from '../../renderer/src/store/run.js';
import { answeringMetadata, startStandInPolicyServer, STAND_IN_RSD_RECORD } from '../engine/checks/policy-server-stand-in.js';

// The Run page on the real engine in this process: the engine's test bundle (synthetic-tiny, which
// knows tasks 0, 1, 7 and 9 and runs out of steps) through real MuJoCo and onnxruntime.


let bundles: string;
let tiny: string;
let dataDir: string;
const teardowns: (() => void)[] = [];

beforeAll(async () => {
  bundles = await mkdtemp(path.join(os.tmpdir(), 'rsd-renderer-run-bundles-'));
  tiny = path.join(bundles, 'tiny');
  await writeSyntheticBundle(tiny, 'tiny', 1);
});
afterAll(async () => {
  await rm(bundles, { recursive: true, force: true });
});
beforeEach(async () => {
  window.history.replaceState(null, '', '/#/run');
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rsd-renderer-run-data-'));
});
afterEach(async () => {
  teardowns.splice(0).forEach((t) => t());
  await rm(dataDir, { recursive: true, force: true });
});

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

/** Every request the page makes, by type. */
function spyCalls(client: RsdClient): string[] {
  const calls: string[] = [];
  const call = client.call.bind(client);
  vi.spyOn(client, 'call').mockImplementation((type, params) => {
    calls.push(type);
    return call(type, params);
  });
  return calls;
}

const form = () => screen.getByRole('form', { name: 'Evaluation' });
const field = (label: string) => within(form()).getByLabelText(label);
const task = (id: number) => within(form()).getByRole('checkbox', { name: new RegExp(`^Task ${id}:`) });
const status = () => screen.getByTestId('run-status');
const ready = () => waitFor(() => expect(task(0)).toBeInTheDocument(), { timeout: 10_000 }); // a loaded machine can take seconds to load the suites

async function fill(user: ReturnType<typeof userEvent.setup>, label: string, value: string) {
  await user.clear(field(label));
  if (value) await user.type(field(label), value);
}

/** Chooses task 0, `trials` trials, a few steps, and the tiny bundle. */
async function quickRun(user: ReturnType<typeof userEvent.setup>, trials: number, maxSteps: number) {
  await ready();
  await user.click(task(0));
  await fill(user, 'Trials per task', String(trials));
  await fill(user, 'Max steps per episode', String(maxSteps));
  await fill(user, 'Workers', '1');
  await user.type(field('Bundle folder'), tiny);
}

describe('the Run page form', { timeout: 30_000 }, () => {
  test("lists the suite's tasks with their instructions and the defaults; shows the acceptance rule and threshold only where they apply", async () => {
    const { user } = renderApp();
    await ready();

    const instructions = suiteTasks('libero_spatial').map((t) => t.instruction);
    expect(within(form()).getAllByRole('checkbox', { name: /^Task \d+:/ })).toHaveLength(10);
    expect(task(3)).toHaveAccessibleName(`Task 3: ${instructions[3]}`);
    expect(screen.getByText('0 of 10 chosen')).toBeInTheDocument();
    expect(field('Suite')).toHaveValue('libero_spatial');
    expect(field('Trials per task')).toHaveValue(50);
    expect(field('Seed')).toHaveValue(7);
    expect(field('Execution provider')).toHaveValue('cpu');
    expect(field('Max steps per episode')).toHaveAttribute('placeholder', '220');
    // The settings' strategy (speculative by default), with its rule; no threshold for exact.
    expect(field('Decoding strategy')).toHaveValue('speculative');
    expect(field('Acceptance rule')).toHaveValue('exact');
    expect(within(form()).queryByLabelText('Threshold')).not.toBeInTheDocument();
    expect(field('Bundle folder')).toHaveAccessibleDescription('Empty: the bundle that ships with the app.');

    await user.selectOptions(field('Acceptance rule'), 'threshold');
    expect(field('Threshold')).toHaveValue(0.7);
    await user.selectOptions(field('Decoding strategy'), 'autoregressive');
    expect(within(form()).queryByLabelText('Acceptance rule')).not.toBeInTheDocument();
    expect(within(form()).queryByLabelText('Threshold')).not.toBeInTheDocument();

    await user.click(within(form()).getByRole('button', { name: 'All' }));
    expect(screen.getByText('10 of 10 chosen')).toBeInTheDocument();
    await user.click(within(form()).getByRole('button', { name: 'None' }));
    expect(screen.getByText('0 of 10 chosen')).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 2, name: 'No run in progress' })).toBeInTheDocument();
  });

  test('the bundle field says which bundle an empty field means when the settings name one', async () => {
    const host = createEngineHost('in-process', { dataDir, env: {} });
    await createClient(inProcessTransport(host)).call('settings.set', { bundleDir: tiny });
    renderApp(host);
    await ready();
    await waitFor(() => expect(field('Bundle folder')).toHaveAccessibleDescription(`Empty: the bundle in the settings, ${tiny}.`));
    expect(field('Bundle folder')).toHaveAttribute('placeholder', tiny);
  });

  test('invalid values are named beside their fields and nothing is sent', async () => {
    const { user, client } = renderApp();
    const calls = spyCalls(client);
    await ready();
    await user.selectOptions(field('Acceptance rule'), 'threshold');
    await fill(user, 'Trials per task', '0');
    await fill(user, 'Threshold', '1.5');
    await fill(user, 'Workers', '0');
    await fill(user, 'Seed', '-3');
    await fill(user, 'Max steps per episode', '0');

    await user.click(screen.getByRole('button', { name: 'Start' }));

    expect(within(form()).getByRole('group', { name: 'Tasks' })).toHaveAccessibleDescription('Choose at least one task.');
    expect(field('Trials per task')).toHaveAccessibleDescription(/^Trials per task must be a whole number from 1 to 500\./);
    expect(field('Trials per task')).toHaveAttribute('aria-invalid', 'true');
    expect(field('Threshold')).toHaveAccessibleDescription(/^The threshold must be a number from 0 to 1\./);
    expect(field('Workers')).toHaveAccessibleDescription(/^Workers must be a whole number from 1 to 256, or empty for the default\./);
    expect(field('Seed')).toHaveAccessibleDescription(/^The seed must be a whole number from 0 to 2147483647\./);
    expect(field('Max steps per episode')).toHaveAccessibleDescription(/^Max steps must be a whole number of at least 1/);
    expect(screen.getByText('Fix the marked fields to start.')).toBeInTheDocument();
    expect(calls).not.toContain('eval.start');

    // Editing a field clears its message; the others stay until they are fixed.
    await user.click(task(0));
    expect(within(form()).getByRole('group', { name: 'Tasks' })).not.toHaveAccessibleDescription();
    await fill(user, 'Threshold', '0.8');
    expect(field('Threshold')).not.toHaveAttribute('aria-invalid');
    expect(field('Trials per task')).toHaveAttribute('aria-invalid', 'true');
    // Leaving threshold acceptance drops the threshold's field with its message.
    await fill(user, 'Threshold', '7');
    await user.click(screen.getByRole('button', { name: 'Start' }));
    expect(field('Threshold')).toHaveAttribute('aria-invalid', 'true');
    await user.selectOptions(field('Acceptance rule'), 'exact');
    expect(within(form()).queryByLabelText('Threshold')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Start' }));
    expect(screen.queryByText(/threshold must be/)).not.toBeInTheDocument();
    expect(calls).not.toContain('eval.start');
  });

  test('debug mode runs one task and one trial: a second task is named as the problem', async () => {
    const { user, client } = renderApp();
    const calls = spyCalls(client);
    await ready();
    await user.click(within(form()).getByRole('checkbox', { name: 'Debug mode' }));
    expect(field('Trials per task')).toBeDisabled();
    expect(field('Trials per task')).toHaveValue(1);
    await user.click(task(0));
    await user.click(task(1));
    await user.click(screen.getByRole('button', { name: 'Start' }));
    expect(within(form()).getByRole('group', { name: 'Tasks' })).toHaveAccessibleDescription('Debug mode runs one task: choose exactly one.');
    expect(calls).not.toContain('eval.start');
  });

  test('an engine refusal is shown plainly: a bundle folder without a bundle, then no bundle at all', async () => {
    const { user } = renderApp();
    await ready();
    await user.click(task(0));
    await user.type(field('Bundle folder'), '/no/such/bundle');
    await user.click(screen.getByRole('button', { name: 'Start' }));

    const alert = await screen.findByTestId('run-error');
    expect(alert).toHaveTextContent('The engine did not start the run. no bundle.json in /no/such/bundle (params.bundle)');
    expect(alert).toHaveAttribute('role', 'alert');
    expect(screen.getByRole('button', { name: 'Start' })).toBeEnabled();
    expect(screen.getByRole('heading', { level: 2, name: 'No run in progress' })).toBeInTheDocument();

    // Empty, the settings have none, and (as in an install without assets/bundles/default) no default bundle.
    process.env.RSD_DEFAULT_BUNDLE = '/no/default/bundle';
    try {
      await user.clear(field('Bundle folder'));
      await user.click(screen.getByRole('button', { name: 'Start' }));
      await waitFor(() => expect(screen.getByTestId('run-error')).toHaveTextContent(/no bundle given and the default bundle is missing \(\/no\/default\/bundle\)/));
    } finally {
      delete process.env.RSD_DEFAULT_BUNDLE;
    }
  });
});

describe('the simulator choice', { timeout: 30_000 }, () => {
  const STAND_IN = path.resolve('test/engine/checks/libero-worker-stand-in.mjs');

  /** An engine whose LIBERO Python (in the settings) is `python`, and whose bridge worker is the stand-in in `mode`. */
  async function liberoHost(python: string, mode = 'ok') {
    const host = createEngineHost('in-process', { dataDir, env: { RSD_LIBERO_WORKER: STAND_IN, STAND_IN_MODE: mode } });
    await createClient(inProcessTransport(host)).call('settings.set', { liberoPython: python });
    return host;
  }

  test('is the embedded simulator by default; Real LIBERO names the interpreter in use and asks for the bridge check', async () => {
    const { user } = renderApp();
    await ready();
    expect(field('Simulator')).toHaveValue('embedded');
    expect(within(field('Simulator')).getAllByRole('option').map((o) => o.textContent)).toEqual(['Embedded MuJoCo', 'Real LIBERO (Python)']);
    expect(screen.queryByTestId('libero-python')).not.toBeInTheDocument();

    await user.selectOptions(field('Simulator'), 'libero');
    expect(field('Simulator')).toHaveValue('libero');
    // No setting and no RSD_LIBERO_PYTHON in this engine's environment: python3.
    await waitFor(() => expect(screen.getByTestId('libero-python')).toHaveTextContent('with python3 (the default: no LIBERO Python in the settings)'));
    expect(screen.getByTestId('bridge-hint')).toHaveTextContent('The Python bridge has not been checked: run its rows on the Checklist page first.');
  });

  test("shows the settings' interpreter, and the bridge rows that are not ready until they pass", async () => {
    const { user, client } = renderApp(await liberoHost(process.execPath, 'no-render'));
    await ready();
    await user.selectOptions(field('Simulator'), 'libero');
    await waitFor(() => expect(screen.getByTestId('libero-python')).toHaveTextContent(`with ${process.execPath} (from the settings)`));
    await client.call('checks.run', { ids: ['bridge.python', 'bridge.libero', 'bridge.config', 'bridge.assets', 'bridge.init', 'bridge.render'] });
    // The page follows checks.progress: the hint names the row that failed.
    await waitFor(() => expect(screen.getByTestId('bridge-hint')).toHaveTextContent('The Python bridge is not ready: Off-screen rendering (fail). See the Checklist page.'));
    await user.click(within(screen.getByTestId('bridge-hint')).getByRole('link', { name: 'Checklist' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Checklist' })).toBeInTheDocument();
  });

  test('says nothing more once the bridge rows pass', async () => {
    const host = await liberoHost(process.execPath, 'ok');
    await createClient(inProcessTransport(host)).call('checks.run', {});
    const { user } = renderApp(host);
    await ready();
    await user.selectOptions(field('Simulator'), 'libero');
    await waitFor(() => expect(screen.getByTestId('libero-python')).toBeInTheDocument());
    expect(screen.queryByTestId('bridge-hint')).not.toBeInTheDocument();
  }, 60_000);

  test("sends the libero simulator in the run request; the engine's refusal names the interpreter", async () => {
    const python = path.join(dataDir, 'python-without-libero');
    await writeFile(python, `#!/bin/sh\necho '{"error": "No module named libero.libero"}'\nexit 3\n`, { mode: 0o755 });
    const { user, client } = renderApp(await liberoHost(python));
    const sent: unknown[] = [];
    const call = client.call.bind(client);
    vi.spyOn(client, 'call').mockImplementation((type, params) => {
      if (type === 'eval.start') sent.push(params);
      return call(type, params);
    });
    await ready();
    await user.click(task(0));
    await user.selectOptions(field('Simulator'), 'libero');
    await user.click(screen.getByRole('button', { name: 'Start' }));

    const alert = await screen.findByTestId('run-error');
    expect(alert).toHaveTextContent(`The engine did not start the run. LIBERO cannot be imported by the interpreter ${python} (the LIBERO Python in settings): No module named libero.libero`);
    expect(alert).toHaveTextContent('(params.sim)');
    expect(sent).toEqual([expect.objectContaining({ simulator: { kind: 'libero' }, tasks: [0] })]);
  });
});

describe('a run from the Run page', { timeout: 60_000 }, () => {
  test('starts, shows live progress per task and overall, latency and a log, completes, and opens its results', async () => {
    const { user, store } = renderApp();
    await quickRun(user, 2, 16);
    const seen = new Set<string>();
    const off = store.subscribe((s) => {
      if (s.liveRun?.status) seen.add(s.liveRun.status);
    });

    await user.click(screen.getByRole('button', { name: 'Start' }));

    await waitFor(() => expect(status()).toHaveTextContent('Completed'), { timeout: 40_000 });
    off();
    expect([...seen]).toEqual(['starting', 'running', 'completed']);
    const runId = store.getState().liveRun!.runId!;
    expect(screen.getByRole('heading', { level: 2, name: `Run ${runId}` })).toBeInTheDocument();
    expect(screen.getByTestId('overall-progress')).toHaveTextContent('2/2 episodes (100%)');
    expect(screen.getByRole('progressbar', { name: 'Episodes done' })).toHaveAttribute('value', '2');
    expect(screen.getByRole('img', { name: 'Task 0: 0 successes, 2 failures, 0 errors, 0 of 2 to run' })).toBeInTheDocument();
    expect(screen.getByTestId('task-progress-0')).toHaveTextContent('2/2 · 0 ✓ · 2 ✗');
    expect(screen.getByTestId('running-success')).toHaveTextContent('0 of 2 (0.0%)');
    expect(screen.getByTestId('chunk-median')).toHaveTextContent(/^\d+(\.\d+)? ms$/);
    expect(screen.getByTestId('episodes-per-minute')).toHaveTextContent(/^\d+\.\d$/);
    expect(screen.getByText(/synthetic-tiny · cpu · max 16 steps/)).toBeInTheDocument();
    const log = screen.getByRole('log', { name: 'Run log' });
    expect(log).toHaveTextContent(`started run ${runId}: 2 episodes`);
    expect(log).toHaveTextContent('task 0 trial 0: failure after 16 steps');
    expect(log).toHaveTextContent('task 0 trial 1: failure after 16 steps');
    expect(log).toHaveTextContent('run completed');
    expect(screen.getByRole('button', { name: 'Start' })).toBeEnabled();

    await user.click(screen.getByRole('button', { name: 'Open results' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Results' })).toBeInTheDocument();
    expect(await screen.findByRole('heading', { level: 2, name: `Run ${runId}` })).toBeInTheDocument();
    expect(await screen.findByTestId('task-row-0')).toHaveTextContent(/Task 0.*2\s*0\s*2\s*0\s*0\.0%/);
  });

  test('cancel keeps what finished; Resume from the run list continues it to the end', async () => {
    const { user, store } = renderApp();
    await quickRun(user, 3, 120);
    await user.click(screen.getByRole('button', { name: 'Start' }));
    await waitFor(() => expect(store.getState().liveRun?.progress?.done).toBeGreaterThanOrEqual(1), { timeout: 40_000 });
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(status()).toHaveTextContent('Cancelled'), { timeout: 20_000 });
    const runId = store.getState().liveRun!.runId!;
    const done = store.getState().liveRun!.progress!.done;
    expect(done).toBeLessThan(3);
    expect(screen.getByRole('log', { name: 'Run log' })).toHaveTextContent('run cancelled');

    await user.click(within(screen.getByRole('navigation', { name: 'Pages' })).getByRole('link', { name: 'Results' }));
    // The list may first show what it loaded while the run was going; it refreshes on its own.
    await waitFor(() => expect(screen.getByTestId(`run-${runId}`)).toHaveTextContent('Cancelled'), { timeout: 10_000 });
    const row = screen.getByTestId(`run-${runId}`);
    expect(row).toHaveTextContent(`${done}/3`);
    await user.click(within(row).getByRole('button', { name: `Resume run ${runId}` }));

    expect(await screen.findByRole('heading', { level: 1, name: 'Run' })).toBeInTheDocument();
    await waitFor(() => expect(status()).toHaveTextContent('Completed'), { timeout: 40_000 });
    expect(store.getState().liveRun?.runId).toBe(runId);
    expect(store.getState().liveRun?.resumed).toBe(true);
    expect(screen.getByTestId('overall-progress')).toHaveTextContent('3/3 episodes (100%)');
    expect(screen.getByRole('log', { name: 'Run log' })).toHaveTextContent(`resuming run ${runId}: ${done} episodes already finished, ${3 - done} to run`);
  });

  test('a page opened while the engine runs catches up from eval.status, then follows the events', async () => {
    const host = createEngineHost('in-process', { dataDir, env: {} });
    const starter = createClient(inProcessTransport(host));
    const { runId } = await starter.call('eval.start', { tasks: [0], trials: 2, maxSteps: 120, workers: 1, policy: { kind: 'bundle', dir: tiny, decoding: 'autoregressive' } });

    const { store } = renderApp(host);
    await waitFor(() => expect(store.getState().liveRun?.runId).toBe(runId));
    expect(screen.getByRole('heading', { level: 2, name: `Run ${runId}` })).toBeInTheDocument();
    await waitFor(() => expect(status()).toHaveTextContent('Completed'), { timeout: 40_000 });
    expect(screen.getByTestId('overall-progress')).toHaveTextContent('2/2 episodes (100%)');
    expect(screen.getByRole('log', { name: 'Run log' })).toHaveTextContent('run completed');
    starter.close();
  });

  test('a debug run logs its steps', async () => {
    const { user } = renderApp();
    await ready();
    await user.click(task(0));
    await user.click(within(form()).getByRole('checkbox', { name: 'Debug mode' }));
    await fill(user, 'Max steps per episode', '8');
    await user.type(field('Bundle folder'), tiny);
    await user.click(screen.getByRole('button', { name: 'Start' }));
    await waitFor(() => expect(status()).toHaveTextContent('Completed'), { timeout: 40_000 });
    const log = screen.getByRole('log', { name: 'Run log' });
    expect(log).toHaveTextContent(/task 0 step 7: action \[/);
    expect(log).toHaveTextContent(/step 0: chunk in \d+\.\d\d ms, accepted \d\/3 draft layers/);
    expect(screen.getByTestId('overall-progress')).toHaveTextContent('1/1 episodes (100%)');
  });
});

describe("a policy server's run", { timeout: 60_000 }, () => {
  test("the address defaults to the settings' server; Check server shows why it refuses, then its metadata; the run records the server, its RSD records show in Results", async () => {
    // A Node stand-in for a policy server (not python/policy_server): wants a key, answers chunks of 8 with an RSD record.
    const server = await startStandInPolicyServer({ apiKey: 'k-1', metadata: answeringMetadata(8), answer: { chunk: 8, rsd: true } });
    teardowns.push(() => void server.close());
    const host = createEngineHost('in-process', { dataDir, env: {} });
    await createClient(inProcessTransport(host)).call('settings.set', { policyServer: server.url });
    const { user, client } = renderApp(host);
    const sent: unknown[] = [];
    const call = client.call.bind(client);
    vi.spyOn(client, 'call').mockImplementation((type, params) => {
      if (type === 'eval.start' || type === 'eval.resume') sent.push(params);
      return call(type, params);
    });
    await ready();
    expect(within(field('Policy')).getAllByRole('option').map((o) => o.textContent)).toEqual(['Model bundle', 'Policy server']);
    await user.selectOptions(field('Policy'), 'remote');
    // A bundle's choices do not apply to a server.
    for (const label of ['Decoding strategy', 'Execution provider', 'Bundle folder']) expect(within(form()).queryByLabelText(label)).not.toBeInTheDocument();
    await waitFor(() => expect(field('Server address')).toHaveAccessibleDescription(`Empty: the server in the settings, ${server.url}.`));
    expect(field('Server address')).toHaveAttribute('placeholder', server.url);
    expect(field('Server address')).toHaveValue('');

    await user.click(within(form()).getByRole('button', { name: 'Check server' }));
    await waitFor(() => expect(screen.getByTestId('server-probe')).toHaveTextContent(`${server.url} cannot be used (unauthorized): 127.0.0.1:${new URL(server.url).port} refused the connection with HTTP 401`));
    await user.type(field('API key'), 'k-1');
    await user.click(within(form()).getByRole('button', { name: 'Check server' }));
    await waitFor(() => expect(screen.getByTestId('server-metadata')).toBeInTheDocument());
    expect(screen.getByTestId('server-probe')).toHaveTextContent(new RegExp(`^${server.url} answered with the key typed here: /healthz 200 in [\\d.]+ ms, its metadata in [\\d.]+ ms\\.`));
    expect(within(screen.getByTestId('server-metadata')).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'Server: rsd-policy-server, protocol 1, kind rsd-checkpoint',
      'Model: stand-in-rsd, sha256:5a1d0000',
      'Observation: no cameras; proprio 8; object poses; instruction',
      'Action: dim 7, chunk 8',
      'Decoding: speculative, accept threshold, threshold 0.7 (offers speculative)',
    ]);
    // The profile a run picks without one, named from the metadata; the shipped ones by name.
    expect(within(field('Policy profile')).getAllByRole('option').map((o) => o.textContent)).toEqual(['From the server’s metadata (rsd-server)', 'openpi-libero', 'rsd-server', 'A profile file…']);

    await user.click(task(0));
    await fill(user, 'Trials per task', '1');
    await fill(user, 'Max steps per episode', '12');
    await fill(user, 'Workers', '1');
    await user.click(screen.getByRole('button', { name: 'Start' }));
    await waitFor(() => expect(status()).toHaveTextContent('Completed'), { timeout: 40_000 });
    expect(sent).toEqual([expect.objectContaining({ tasks: [0], trials: 1, maxSteps: 12, policy: { kind: 'remote', url: server.url, apiKey: 'k-1' } })]);
    expect(server.answered).toBe(2);
    expect(screen.getByText(`speculative (threshold 0.7) · stand-in-rsd from ${server.url} (profile rsd-server) · remote`, { exact: false })).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Open results' }));
    const runId = (await screen.findByRole('heading', { level: 2, name: /^Run / })).textContent!.replace(/^Run /, '');
    await screen.findByTestId('task-row-0');
    const headline = screen.getByText((_, el) => el?.tagName === 'P' && (el.textContent ?? '').includes('policy stand-in-rsd'));
    expect(headline).toHaveTextContent(`speculative (threshold 0.7) · policy stand-in-rsd sha256:5a1d0000… from ${server.url} (profile rsd-server) · remote`);
    // The server's records: 3 drafted layers a chunk, 2 accepted, as a bundle's are shown.
    expect(within(screen.getByRole('table', { name: 'Acceptance per task and draft layer' })).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['Task', 'Layer 0', 'Layer 1', 'Layer 2']);
    expect(screen.getByRole('cell', { name: 'All tasks, layer 1: 100.0% (2 of 2)' })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: 'All tasks, layer 2: 0.0% (0 of 2)' })).toBeInTheDocument();
    // Per-stage times are the server's (the record's stages_ms); the total is the round trip.
    const stage = (s: string) => within(screen.getByTestId(`latency-${s}`)).getAllByRole('cell')[0]!.textContent;
    expect(stage('prefillMs')).toBe(`${STAND_IN_RSD_RECORD.stages_ms.prefill.toFixed(2)} ms`);
    expect(stage('verifyMs')).toBe(`${STAND_IN_RSD_RECORD.stages_ms.verify.toFixed(2)} ms`);
    expect(stage('mainStepsMs')).toBe(`${STAND_IN_RSD_RECORD.stages_ms.main_steps.toFixed(2)} ms`);
    expect(screen.getByTestId('latency-ortMs')).toHaveTextContent(/^Server, all stages ortMs5\.25 ms/);
    expect(screen.getByTestId(`run-${runId}`)).toHaveTextContent(`policy stand-in-rsd from ${server.url}`); // the runs table's "Bundle or policy"
    expect(screen.getByTestId(`run-${runId}`)).toHaveTextContent('× 1 trial · remote');
  });
});

describe('resuming a policy server’s run', () => {
  test('sends the key typed in the form only to the server it was typed for', async () => {
    const { store, client } = renderApp();
    await ready();
    const sent: unknown[] = [];
    const call = client.call.bind(client);
    vi.spyOn(client, 'call').mockImplementation((type, params) => {
      if (type === 'eval.resume') sent.push(params);
      return call(type, params);
    });
    store.getState().editRunForm({ policy: 'remote', serverUrl: 'ws://gpu-box:8000', apiKey: 'k-1' });
    await store.getState().resumeRun('r-1', 'ws://gpu-box:8000/');
    await store.getState().resumeRun('r-2', 'ws://elsewhere:8000');
    await store.getState().resumeRun('r-3');
    expect(sent).toEqual([{ id: 'r-1', apiKey: 'k-1' }, { id: 'r-2' }, { id: 'r-3' }]);
  });
});

describe('a run that fails', () => {
  test('is marked failed with the reason, keeps what finished, and offers Resume', async () => {
    const { store, user } = renderApp();
    await ready();
    const progress: EvalProgress = { done: 1, total: 3, successes: 1, errors: 0, perTask: [{ taskId: 0, done: 1, total: 3, successes: 1, failures: 0, errors: 0 }], episodesPerMinute: 12, etaSeconds: 10, chunkMedianMs: 2.5, elapsedSeconds: 5 };
    let live = applyEvalEvent(null, { type: 'episode-finished', runId: 'r-failed', episode: { taskId: 0, trial: 0, initIndex: 0, outcome: 'success', steps: 80, wallMs: 900, error: null, trajectory: 'task00-trial000.json', chunks: 10 }, progress });
    live = applyEvalEvent(live, { type: 'run-finished', runId: 'r-failed', status: 'failed', error: 'writing task 0 trial 1: ENOSPC: no space left on device', progress });
    store.setState({ liveRun: live });

    expect(await screen.findByTestId('run-status')).toHaveTextContent('Failed');
    expect(screen.getByRole('alert')).toHaveTextContent('The run failed: writing task 0 trial 1: ENOSPC: no space left on device. The episodes that finished are kept; Resume continues it.');
    expect(screen.getByTestId('overall-progress')).toHaveTextContent('1/3 episodes (33%)');
    expect(screen.getByTestId('running-success')).toHaveTextContent('1 of 1 (100.0%)');
    expect(screen.getByRole('button', { name: 'Resume' })).toBeEnabled();
    expect(screen.queryByRole('button', { name: 'Cancel' })).not.toBeInTheDocument();
    // This engine has no such run: its answer is shown as plainly.
    await user.click(screen.getByRole('button', { name: 'Resume' }));
    expect(await screen.findByTestId('run-error')).toHaveTextContent('The engine did not start the run. no run "r-failed"');
    expect(screen.getByTestId('run-status')).toHaveTextContent('Failed');
  });
});

describe('the run slice', () => {
  const suites: SuiteInfo[] = [{ suite: 'libero_spatial', tasks: [0, 1, 2].map((id) => ({ id, name: `t${id}`, instruction: `do ${id}` })), maxSteps: 220, defaultTrials: 50 }];
  const valid: RunForm = {
    suite: 'libero_spatial',
    tasks: [1],
    simulator: 'embedded',
    trials: '5',
    decoding: 'speculative',
    accept: 'threshold',
    threshold: '0.7',
    layers: '',
    ep: 'auto',
    workers: '',
    seed: '3',
    maxSteps: '',
    bundleDir: '  /b  ',
    policy: 'bundle',
    serverUrl: '',
    serverProfile: '',
    profileFile: '',
    apiKey: '',
    debug: false,
    recordCameras: false,
  };

  test('checkRunForm turns a valid form into the request, leaving out what does not apply', () => {
    expect(checkRunForm(valid, suites)).toEqual({
      errors: {},
      request: { suite: 'libero_spatial', tasks: [1], trials: 5, seed: 3, simulator: { kind: 'embedded' }, policy: { kind: 'bundle', dir: '/b', decoding: 'speculative', accept: 'threshold', threshold: 0.7, ep: 'auto' }, debug: false },
    });
    expect(checkRunForm({ ...valid, decoding: 'parallel', threshold: 'nonsense', bundleDir: '', maxSteps: '40', workers: '2' }, suites).request).toEqual({
      suite: 'libero_spatial',
      tasks: [1],
      trials: 5,
      workers: 2,
      seed: 3,
      maxSteps: 40,
      simulator: { kind: 'embedded' },
      policy: { kind: 'bundle', decoding: 'parallel', ep: 'auto' },
      debug: false,
    });
    expect(checkRunForm({ ...valid, simulator: 'libero' }, suites).request?.simulator).toEqual({ kind: 'libero' });
    // Layers: a depth for autoregressive and speculative decoding; parallel decoding ignores it.
    expect(checkRunForm({ ...valid, layers: ' 3 ' }, suites).request?.policy).toMatchObject({ decoding: 'speculative', layers: 3 });
    expect(checkRunForm({ ...valid, decoding: 'parallel', layers: '3' }, suites).request?.policy).not.toHaveProperty('layers');
    expect(checkRunForm({ ...valid, layers: '0' }, suites).errors).toEqual({ layers: 'Layers must be a whole number of at least 1, or empty for every layer.' });
    expect(checkRunForm({ ...valid, tasks: [7] }, suites).errors).toEqual({ tasks: 'Task 7 is not in libero_spatial.' });
    expect(checkRunForm({ ...valid, trials: '2.5', threshold: '' }, suites).errors).toEqual({
      trials: 'Trials per task must be a whole number from 1 to 500.',
      threshold: 'The threshold must be a number from 0 to 1.',
    });
    expect(checkRunForm({ ...valid, debug: true, trials: 'x' }, suites).request).toMatchObject({ trials: 1, debug: true });
    // "Record camera images": both LIBERO cameras at 128x128, as `rsd eval --record-cameras` by default.
    expect(checkRunForm({ ...valid, recordCameras: true }, suites).request?.recordCameras).toEqual([
      { name: 'agentview', width: 128, height: 128 },
      { name: 'robot0_eye_in_hand', width: 128, height: 128 },
    ]);
  });

  test("checkRunForm: a policy server's run takes the address and profile (or the settings'), the key, and nothing of a bundle's", () => {
    const remote: RunForm = { ...valid, policy: 'remote', threshold: 'ignored', serverUrl: ' ws://gpu-box:8000 ', apiKey: ' k-1 ' };
    expect(checkRunForm(remote, suites).request?.policy).toEqual({ kind: 'remote', url: 'ws://gpu-box:8000', apiKey: 'k-1' });
    const saved = { policyServer: 'wss://saved:9000', policyProfile: 'openpi-libero' };
    expect(checkRunForm({ ...remote, serverUrl: '', apiKey: '' }, suites, saved).request?.policy).toEqual({ kind: 'remote', url: 'wss://saved:9000', profile: 'openpi-libero' });
    expect(checkRunForm({ ...remote, serverProfile: 'rsd-server' }, suites, saved).request?.policy).toMatchObject({ url: 'ws://gpu-box:8000', profile: 'rsd-server' });
    expect(checkRunForm({ ...remote, serverProfile: 'file', profileFile: '/p/mine.json' }, suites).request?.policy).toMatchObject({ profile: '/p/mine.json' });
    expect(checkRunForm({ ...remote, serverUrl: '' }, suites).errors).toEqual({ serverUrl: 'Give the policy server’s address (ws://HOST:PORT), or set one on the Checklist page.' });
    expect(checkRunForm({ ...remote, serverUrl: 'http://gpu-box:8000' }, suites).errors).toEqual({ serverUrl: 'The address must be ws://HOST:PORT or wss://HOST:PORT, such as ws://127.0.0.1:8000.' });
    expect(checkRunForm({ ...remote, serverUrl: 'ws://gpu-box:99999' }, suites).errors).toEqual({ serverUrl: 'The address is not valid (its host, or a port above 65535?).' });
    expect(checkRunForm({ ...remote, serverProfile: 'file', profileFile: 'mine.json' }, suites).errors).toEqual({ profileFile: 'Give the profile file’s absolute path (a JSON file, docs/remote-policies.md “Profiles”).' });
  });

  test('applyEvalEvent follows a run and keeps a bounded log', () => {
    const progress = (done: number): EvalProgress => ({ done, total: 2, successes: 0, errors: 0, perTask: [{ taskId: 0, done, total: 2, successes: 0, failures: done, errors: 0 }], episodesPerMinute: null, etaSeconds: null, chunkMedianMs: null, elapsedSeconds: 0 });
    let live = applyEvalEvent(null, { type: 'episode-started', runId: 'r1', taskId: 0, trial: 0, initIndex: 0 });
    expect(live).toMatchObject({ runId: 'r1', status: 'running', running: [{ taskId: 0, trial: 0 }] });
    for (let i = 0; i < LOG_LIMIT + 10; i++) live = applyEvalEvent(live, { type: 'log', runId: 'r1', level: 'debug', message: `line ${i}` });
    expect(live.log).toHaveLength(LOG_LIMIT);
    expect(live.log.at(-1)?.text).toBe(`line ${LOG_LIMIT + 9}`);
    live = applyEvalEvent(live, { type: 'episode-finished', runId: 'r1', episode: { taskId: 0, trial: 0, initIndex: 0, outcome: 'error', steps: 3, wallMs: 5, error: 'MuJoCo unstable', trajectory: null, chunks: 1 }, progress: progress(1) });
    expect(live.running).toEqual([]);
    expect(live.log.at(-1)).toMatchObject({ level: 'warn', text: 'task 0 trial 0: error after 3 steps (MuJoCo unstable)' });
    live = applyEvalEvent(live, { type: 'run-finished', runId: 'r1', status: 'failed', error: 'disk full', progress: progress(1) });
    expect(live).toMatchObject({ status: 'failed', error: 'disk full' });
    expect(live.log.at(-1)).toMatchObject({ level: 'error', text: 'run failed: disk full' });
    // Another run's events start afresh.
    expect(applyEvalEvent(live, { type: 'log', runId: 'r2', level: 'info', message: 'hi' })).toMatchObject({ runId: 'r2', log: [{ text: 'hi' }] });
  });
});
