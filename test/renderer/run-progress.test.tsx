import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createClient } from '../../engine/api/client.js';
import type { EvalProgress } from '../../engine/api/schemas/eval-events.js';
import type { RunConfig } from '../../engine/api/schemas/run-config.js';
import { inProcessTransport } from '../../engine/api/transports/in-process.js';
import { writeSyntheticBundle } from '../../engine/bundle/synthetic.js';
import { bundleDecodings } from '../../engine/bundle/decodings.js';
import { createEngineHost } from '../../engine/host/handlers.js';
import { App } from '../../renderer/src/App.js';
import { StoreProvider } from '../../renderer/src/store/context.js';
import { createAppStore } from '../../renderer/src/store/index.js';
import { applyEvalEvent, elapsedNow } from '../../renderer/src/store/run.js';

// The Run page's progress within episodes, outcome bars, elapsed time and the decodings a bundle
// allows, on the real engine in this process (synthetic bundles: layerwise with a draft, and parallel).

let bundles: string;
let layerwise: string;
let parallel: string;
let dataDir: string;
const teardowns: (() => void)[] = [];

beforeAll(async () => {
  bundles = await mkdtemp(path.join(os.tmpdir(), 'rsd-renderer-progress-'));
  layerwise = path.join(bundles, 'tiny');
  parallel = path.join(bundles, 'tiny-parallel');
  await writeSyntheticBundle(layerwise, 'tiny', 1);
  await writeSyntheticBundle(parallel, 'tiny-parallel', 1);
});
afterAll(async () => {
  await rm(bundles, { recursive: true, force: true });
});
beforeEach(async () => {
  window.history.replaceState(null, '', '/#/run');
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rsd-renderer-progress-data-'));
});
afterEach(async () => {
  teardowns.splice(0).forEach((t) => t());
  await rm(dataDir, { recursive: true, force: true });
});

function renderApp() {
  const client = createClient(inProcessTransport(createEngineHost('in-process', { dataDir, env: {} })));
  const store = createAppStore();
  teardowns.push(store.getState().attach(client));
  render(
    <StoreProvider store={store}>
      <App />
    </StoreProvider>,
  );
  return { client, store, user: userEvent.setup() };
}

const progress = (over: Partial<EvalProgress> = {}): EvalProgress => ({
  done: 3,
  total: 4,
  successes: 1,
  errors: 1,
  perTask: [
    { taskId: 0, done: 2, total: 2, successes: 1, failures: 1, errors: 0 },
    { taskId: 1, done: 1, total: 2, successes: 0, failures: 0, errors: 1 },
  ],
  episodesPerMinute: 6,
  etaSeconds: 10,
  chunkMedianMs: 2,
  elapsedSeconds: 125,
  ...over,
});

describe('progress within a run', { timeout: 30_000 }, () => {
  test('shows the running episode’s steps of its limit, each task’s successes, failures and errors apart, and the elapsed time over the run’s sessions', async () => {
    const { store } = renderApp();
    const config = { suite: 'libero_spatial', tasks: [0, 1], trials: 2, maxSteps: 24, decoding: 'speculative', accept: 'exact', threshold: null, bundle: { name: 'tiny', hash: 'sha256:0' }, executionProvider: { requested: 'cpu', used: 'cpu' } } as unknown as RunConfig;
    let live = applyEvalEvent(null, { type: 'run-started', runId: 'r-live', dir: '/runs/r-live', config, resumed: true, progress: progress() }, 1_000);
    live = applyEvalEvent(live, { type: 'episode-started', runId: 'r-live', taskId: 1, trial: 1, initIndex: 1 }, 1_000);
    live = applyEvalEvent(live, { type: 'episodes-progress', runId: 'r-live', episodes: [{ taskId: 1, trial: 1, steps: 16, maxSteps: 24 }], elapsedSeconds: 130 }, 2_000);
    store.setState({ liveRun: live });

    expect(await screen.findByTestId('episode-steps-1-1')).toHaveTextContent('16/24 steps');
    expect(screen.getByRole('progressbar', { name: 'Task 1 trial 1 steps done' })).toHaveAttribute('value', '16');
    expect(screen.getByRole('img', { name: 'Task 0: 1 success, 1 failure, 0 errors, 0 of 2 to run' })).toBeInTheDocument();
    expect(screen.getByRole('img', { name: 'Task 1: 0 successes, 0 failures, 1 error, 1 of 2 to run' })).toBeInTheDocument();
    expect(screen.getByTestId('task-progress-1')).toHaveTextContent('1/2 · 0 ✓ · 0 ✗ · 1 error');
    // The elapsed time goes on from the last report while the run runs, and stops when it ends.
    expect(elapsedNow(live, 2_000)).toBe(130);
    expect(elapsedNow(live, 5_000)).toBe(133);
    live = applyEvalEvent(live, { type: 'run-finished', runId: 'r-live', status: 'cancelled', error: null, progress: progress({ elapsedSeconds: 131 }) }, 3_000);
    expect(live.steps).toEqual([]);
    expect(elapsedNow(live, 9_000)).toBe(131);
    store.setState({ liveRun: live });
    await waitFor(() => expect(screen.getByTestId('elapsed')).toHaveTextContent('2 min 11 s'));
    expect(screen.queryByTestId('episodes-running')).not.toBeInTheDocument();
  });
});

describe('the decodings a bundle allows', { timeout: 30_000 }, () => {
  test('follow its manifest: parallel only for a parallel bundle, with the reason, and every strategy for a layerwise bundle with a draft', async () => {
    expect(bundleDecodings({ main: { decoding: 'layerwise' } as never, draft: null }).filter((c) => c.supported).map((c) => c.strategy)).toEqual(['autoregressive']);

    const { store, user } = renderApp();
    const form = () => screen.getByRole('form', { name: 'Evaluation' });
    await waitFor(() => expect(within(form()).getByRole('checkbox', { name: /^Task 0:/ })).toBeInTheDocument(), { timeout: 10_000 });
    const folder = within(form()).getByLabelText('Bundle folder');
    await user.type(folder, parallel);
    await waitFor(() => expect(screen.getByTestId('decoding-limits')).toHaveTextContent('“synthetic-tiny-parallel” runs parallel only: not autoregressive, as its main model is parallel (every layer in one pass); not speculative, as its main model is parallel (every layer in one pass).'), { timeout: 10_000 });
    expect(store.getState().runForm.decoding).toBe('parallel');
    const select = within(form()).getByLabelText('Decoding strategy');
    expect(within(select).getByRole('option', { name: 'speculative (not in this bundle)' })).toBeDisabled();
    expect(within(select).getByRole('option', { name: 'parallel' })).toBeEnabled();

    await user.clear(folder);
    await user.type(folder, layerwise);
    await waitFor(() => expect(screen.getByTestId('decoding-limits')).toHaveTextContent('“synthetic-tiny” runs autoregressive and speculative only: not parallel, as its main model is layerwise (layer by layer, no parallel head).'), { timeout: 10_000 });
    expect(within(select).getByRole('option', { name: 'speculative' })).toBeEnabled();
    // The form's choice moved to a strategy this bundle runs.
    expect(store.getState().runForm.decoding).toBe('autoregressive');

    await user.clear(folder);
    await user.type(folder, path.join(bundles, 'missing'));
    await waitFor(() => expect(screen.getByTestId('decoding-limits')).toHaveTextContent('Could not read the bundle: bundle.json'), { timeout: 10_000 });
  });
});
