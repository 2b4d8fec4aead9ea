import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createClient, type RsdClient } from '../../engine/api/client.js';
import { RsdCallError } from '../../engine/api/errors.js';
import { inProcessTransport } from '../../engine/api/transports/in-process.js';
import { createEngineHost } from '../../engine/host/handlers.js';
import { runProbe } from '../../engine/checks/probe-model.js';
import { App } from '../../renderer/src/App.js';
import { StoreProvider } from '../../renderer/src/store/context.js';
import { createAppStore } from '../../renderer/src/store/index.js';

const require = createRequire(import.meta.url);
const ORT_VERSION = (require('onnxruntime-node/package.json') as { version: string }).version;

let teardown: (() => void) | undefined;

beforeEach(() => {
  // jsdom keeps one window per file: start every test at the bare URL (replaceState fires no hashchange).
  window.history.replaceState(null, '', '/');
});
afterEach(() => {
  teardown?.(); // clears the 5 s health interval and closes the client
  teardown = undefined;
});

/** The whole app on the real engine, in this process, as main.tsx wires it (without StrictMode). */
function renderApp() {
  const client = createClient(inProcessTransport(createEngineHost('in-process')));
  const store = createAppStore();
  teardown = store.getState().attach(client);
  render(
    <StoreProvider store={store}>
      <App />
    </StoreProvider>,
  );
  return { client, store, user: userEvent.setup() };
}

const nav = () => screen.getByRole('navigation', { name: 'Pages' });
const pageTitle = (name: string) => screen.findByRole('heading', { level: 1, name });

describe('navigation', () => {
  test('the nav links every page, and the checklist is the first one shown', async () => {
    renderApp();

    expect(within(nav()).getAllByRole('link').map((a) => a.textContent)).toEqual(['Checklist', 'Run', 'Results', 'Replay', 'System']);
    expect(await pageTitle('Checklist')).toBeInTheDocument();
    expect(within(nav()).getByRole('link', { name: 'Checklist' })).toHaveAttribute('aria-current', 'page');
  });

  // Each page, reached by clicking its link, with what its empty state promises.
  test.each([
    ['Run', '#/run', 'No run in progress', /Choose tasks and press Start/],
    ['Results', '#/results', 'No runs yet', /per-task success and Wilson 95% intervals/],
    ['Replay', '#/replay', 'No episode to replay', /trajectory will play here in 3D/],
  ])('clicking %s goes to %s and shows its empty state', async (name, hash, emptyTitle, promise) => {
    const { user } = renderApp();

    await user.click(within(nav()).getByRole('link', { name }));

    expect(await pageTitle(name)).toBeInTheDocument();
    expect(window.location.hash).toBe(hash);
    // The empty state follows the page's first engine request (runs list), which a loaded machine delays.
    expect(await screen.findByRole('heading', { level: 2, name: emptyTitle })).toBeInTheDocument();
    expect(screen.getByText(promise)).toBeInTheDocument();
    expect(within(nav()).getByRole('link', { name })).toHaveAttribute('aria-current', 'page');
  });

  test('clicking Checklist goes back to the checklist, with its rows and Run all checks', async () => {
    const { user } = renderApp();
    await user.click(within(nav()).getByRole('link', { name: 'Run' }));

    await user.click(within(nav()).getByRole('link', { name: 'Checklist' }));

    expect(await pageTitle('Checklist')).toBeInTheDocument();
    expect(window.location.hash).toBe('#/checklist');
    expect(screen.getByRole('button', { name: 'Run all checks' })).toBeInTheDocument();
    expect(await screen.findByRole('heading', { level: 3, name: 'CPU execution provider' })).toBeInTheDocument();
  });

  test('a deep link opens its page', async () => {
    window.history.replaceState(null, '', '/#/replay');
    renderApp();

    expect(await pageTitle('Replay')).toBeInTheDocument();
  });
});

describe('System page', () => {
  test('shows what the engine really loaded: Node, onnxruntime, MuJoCo and the available providers', async () => {
    const { user } = renderApp();

    await user.click(within(nav()).getByRole('link', { name: 'System' }));

    expect(await pageTitle('System')).toBeInTheDocument();
    expect(screen.getByText(/What the engine runs on, probed live/)).toBeInTheDocument();
    expect(await screen.findByTestId('node-version')).toHaveTextContent(new RegExp(`^${process.versions.node}$`));
    expect(screen.getByTestId('ort-version')).toHaveTextContent(new RegExp(`^${ORT_VERSION}$`));
    expect(screen.getByTestId('mujoco-version')).toHaveTextContent(/^3\.14\.0 \(@mujoco\/mujoco 3\.14\.0, loaded in \d+ ms\)$/);
    // Available where a test model runs on the provider: the Checklist's probe, so both pages agree.
    for (const ep of ['cpu', 'webgpu'] as const) {
      const runs = await runProbe(ep).then(() => true, () => false);
      const row = screen.getByTestId(`ep-${ep}`);
      expect(within(row).getByText(runs ? 'available' : 'unavailable', { exact: true })).toBeInTheDocument();
      expect(row).toHaveClass(runs ? 'good' : 'muted');
    }
    expect(screen.getByRole('button', { name: 'Probe again' })).toBeEnabled();
  });
});

describe('status bar', () => {
  test('shows the in-process connection and a healthy engine with its real pid', async () => {
    renderApp();

    const status = screen.getByRole('status', { name: 'Engine status' });
    expect(within(status).getByTestId('connection-kind')).toHaveTextContent('In-process');
    expect(within(status).getByTestId('connection-state')).toHaveTextContent('open');
    expect(await within(status).findByText(new RegExp(`^Engine healthy · pid ${process.pid} · `))).toBeInTheDocument();
  });
});

describe('error notices', () => {
  test("show the engine's error kind and field, leave navigation usable, and go on Dismiss", async () => {
    const { client, store, user } = renderApp();
    const error = await client.call('system.info', { refresh: 'yes' } as never).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RsdCallError);

    act(() => store.getState().report('Could not read system information', error));

    const notice = screen.getByRole('alert');
    expect(notice).toHaveTextContent('Could not read system information');
    expect(within(notice).getByText('invalid-params')).toBeInTheDocument();
    expect(within(notice).getByText('params.refresh')).toBeInTheDocument();

    // Non-blocking: the pages can still be used while the notice shows.
    await user.click(within(nav()).getByRole('link', { name: 'Results' }));
    expect(await pageTitle('Results')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toBe(notice);

    await user.click(within(notice).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(store.getState().notices).toEqual([]);
  });
});
