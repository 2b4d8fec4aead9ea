import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createClient } from '../../engine/api/client.js';
import { inProcessTransport } from '../../engine/api/transports/in-process.js';
import { compareResults } from '../../engine/eval/compare.js';
import { wilson } from '../../engine/eval/metrics.js';
import { createEngineHost } from '../../engine/host/handlers.js';
import { validateResults } from '../../engine/runs/results-schema.js';
import type { EpisodeRecord, Results } from '../../engine/api/schemas/results.js';
import type { RunConfig } from '../../engine/api/schemas/run-config.js';
import { defaultRunsRoot, RunStore } from '../../engine/runs/store.js';
import { App } from '../../renderer/src/App.js';
import { IMPORTED_NO_REPLAY } from '../../renderer/src/components/results/RunList.js';
import { runSeriesLabel } from '../../renderer/src/components/results/ComparisonPlots.js';
import { sideBySideAddress } from '../../renderer/src/components/results/DifferingEpisodes.js';
import { StoreProvider } from '../../renderer/src/store/context.js';
import { createAppStore } from '../../renderer/src/store/index.js';
import { chunks, config, episode } from '../engine/runs/fixtures.js';

// The Results page on the real engine in this process, over runs written with the engine's own
// run store into this test's data folder.

const A = '20261125-100000-aaaaaa';
const B = '20261125-110000-bbbbbb';
const C = '20261125-120000-cccccc';

let dataDir: string;
let store: RunStore;
const teardowns: (() => void)[] = [];

async function writeRun(id: string, cfg: RunConfig, episodes: EpisodeRecord[], finish = true): Promise<void> {
  const run = await store.createRun(cfg, { id, now: new Date(`${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T${id.slice(9, 11)}:00:00Z`) });
  for (const e of episodes) await run.appendEpisode(e);
  if (finish) await run.finish();
}

const traj = (taskId: number, trial: number) => ({ trajectory: `task0${taskId}-trial00${trial}.json` });

beforeEach(async () => {
  window.history.replaceState(null, '', '/#/results');
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rsd-renderer-results-'));
  store = new RunStore(defaultRunsRoot(dataDir));
  // A: speculative, threshold 0.7. Task 0 accepts layer 0 always and layer 1 half the time; task 1
  // layer 0 half the time and layer 1 never. One episode errs.
  await writeRun(A, config(), [
    episode(0, 0, 'success', { ...traj(0, 0), chunks: chunks([2, 1], 2, [10, 12]) }),
    episode(0, 1, 'failure', { ...traj(0, 1), chunks: chunks([2, 1], 2, [11, 13]) }),
    episode(0, 2, 'success', { ...traj(0, 2), chunks: chunks([2, 1], 2, [12, 14]) }),
    episode(1, 0, 'error', { ...traj(1, 0), chunks: chunks([0, 1], 2, [20, 22]) }),
    episode(1, 1, 'failure', { ...traj(1, 1), chunks: chunks([0, 1], 2, [21, 23]) }),
    episode(1, 2, 'success', { trajectory: null, chunks: chunks([0, 1], 2, [22, 24]) }),
  ]);
  // B: autoregressive (no draft), faster, more successful.
  await writeRun(
    B,
    config({ decoding: 'autoregressive', accept: null, threshold: null }),
    [
      episode(0, 0, 'success'),
      episode(0, 1, 'success'),
      episode(0, 2, 'success'),
      episode(1, 0, 'success'),
      // Its simulator's worker was lost once (the libero backend's retry): the rerun's record.
      { ...episode(1, 1, 'success'), retried: { error: 'LiberoWorkerLost: the worker process exited (status 1)' } },
      episode(1, 2, 'failure'),
    ].map((e, i) => ({ ...e, chunks: chunks([0, 0], 0, [5 + i, 6 + i]) })),
  );
  // C: interrupted after two episodes (still `running`, and no engine is doing it).
  await writeRun(C, config(), [episode(0, 0, 'success'), episode(0, 1, 'failure')], false);
});
afterEach(async () => {
  teardowns.splice(0).forEach((t) => t());
  vi.restoreAllMocks();
  delete (window as { rsd?: unknown }).rsd;
  await rm(dataDir, { recursive: true, force: true });
});

function renderApp() {
  const host = createEngineHost('in-process', { dataDir, env: {} });
  const client = createClient(inProcessTransport(host));
  const appStore = createAppStore();
  teardowns.push(appStore.getState().attach(client));
  render(
    <StoreProvider store={appStore}>
      <App />
    </StoreProvider>,
  );
  return { client, store: appStore, user: userEvent.setup() };
}

const runsTable = () => screen.findByRole('table', { name: 'Runs' });
const cells = (row: HTMLElement) => within(row).getAllByRole('cell').map((c) => c.textContent);
const detail = (id: string) => screen.findByRole('article', { name: `Run ${id}` });
const episodeRows = () => within(screen.getByRole('table', { name: 'Episodes' })).getAllByRole('row').slice(1).map((r) => r.dataset.testid);
const results = async (id: string): Promise<Results> => (await store.open(id)).results();

async function showRun(user: ReturnType<typeof userEvent.setup>, id: string) {
  await user.click(within(await runsTable()).getByRole('button', { name: `Show run ${id}` }));
  return detail(id);
}

describe('the run list', () => {
  test('lists the runs newest first: success with its interval, median chunk, decoding, bundle, simulator, episodes, status, date; an interrupted run offers Resume', async () => {
    renderApp();
    const table = await runsTable();
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.dataset.testid)).toEqual([`run-${C}`, `run-${B}`, `run-${A}`]);
    expect(within(table).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['Run', 'Success', 'Median chunk', 'Decoding', 'Bundle or policy', 'Simulator', 'Episodes', 'Status', 'Date ▼', 'Actions']);
    expect(within(table).getByRole('columnheader', { name: /^Date/ })).toHaveAttribute('aria-sort', 'descending');
    const wB = wilson(5, 6);
    expect(cells(rows[1]!)).toEqual([
      `${B}libero_spatial · tasks 0, 1 (2 tasks) × 3 trials · cpu`,
      `83.3% (${(100 * wB.low).toFixed(0)}%–${(100 * wB.high).toFixed(0)}%)`,
      '8.00 ms',
      'autoregressive',
      'bundle test-bundle',
      'mujoco-wasm 3.3.8',
      '6/6',
      'Completed',
      new Date('2026-11-25T11:00:00Z').toLocaleString(),
      'EditDelete',
    ]);
    expect(cells(rows[0]!).slice(6, 10)).toEqual(['2/6', 'Interrupted', new Date('2026-11-25T12:00:00Z').toLocaleString(), 'ResumeEditDelete']);
    expect(cells(rows[2]!).slice(3, 5)).toEqual(['speculative (threshold 0.7)', 'bundle test-bundle']);
    expect(within(rows[2]!).queryByRole('button', { name: /Resume/ })).not.toBeInTheDocument();
    // The newest run is shown until another is chosen.
    expect(await detail(C)).toBeInTheDocument();
    expect(within(rows[0]!).getByRole('button', { name: `Show run ${C}` })).toHaveAttribute('aria-current', 'true');
  });

  test('sorts by any column (aria-sort) and filters by words, status and decoding', async () => {
    const { user } = renderApp();
    const table = await runsTable();
    const order = () => within(table).getAllByRole('row').slice(1).map((r) => r.dataset.testid?.replace('run-', ''));
    await user.click(within(table).getByRole('button', { name: /^Success/ }));
    expect(within(table).getByRole('columnheader', { name: /^Success/ })).toHaveAttribute('aria-sort', 'descending');
    expect(within(table).getByRole('columnheader', { name: /^Date/ })).not.toHaveAttribute('aria-sort');
    expect(order()).toEqual([B, C, A]); // 83%, then 50% and 50% (ties newest first)
    await user.click(within(table).getByRole('button', { name: /^Success/ }));
    expect(within(table).getByRole('columnheader', { name: /^Success/ })).toHaveAttribute('aria-sort', 'ascending');
    expect(order()).toEqual([C, A, B]);
    await user.click(within(table).getByRole('button', { name: /^Median chunk/ }));
    expect(within(table).getByRole('columnheader', { name: /^Median chunk/ })).toHaveAttribute('aria-sort', 'ascending');
    expect(order()).toEqual([B, C, A]); // 8, 10.5 and 17 ms
    await user.click(within(table).getByRole('button', { name: /^Decoding/ }));
    expect(order()[0]).toBe(B);

    await user.selectOptions(screen.getByRole('combobox', { name: 'Decoding' }), 'speculative');
    expect(order().sort()).toEqual([A, C].sort());
    expect(screen.getByTestId('run-count')).toHaveTextContent('2 of 3 runs shown');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Status' }), 'interrupted');
    expect(order()).toEqual([C]);
    await user.selectOptions(screen.getByRole('combobox', { name: 'Status' }), '');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Decoding' }), '');
    await user.type(screen.getByRole('searchbox', { name: /Filter runs/ }), 'nothing-like-this');
    expect(within(table).getByText('No run matches the filter.')).toBeInTheDocument();
    await user.clear(screen.getByRole('searchbox', { name: /Filter runs/ }));
    await user.type(screen.getByRole('searchbox', { name: /Filter runs/ }), 'bbbbbb');
    expect(order()).toEqual([B]);
  });

  test('rename and note a run: saved by the engine in labels.json, shown in the table and the filter finds them', async () => {
    const { user } = renderApp();
    const table = await runsTable();
    await user.click(within(table).getByRole('button', { name: `Rename or note run ${A}` }));
    const form = within(table).getByRole('form', { name: `Name and note of run ${A}` });
    await user.type(within(form).getByLabelText('Name'), 'threshold 0.7 baseline');
    await user.type(within(form).getByLabelText('Note'), 'seed 7, before the fix');
    await user.click(within(form).getByRole('button', { name: 'Save' }));
    const row = await within(table).findByTestId(`run-${A}`);
    await waitFor(() => expect(within(row).getByRole('button', { name: 'Show run threshold 0.7 baseline' })).toBeInTheDocument());
    expect(within(row).getByTestId(`run-note-${A}`)).toHaveTextContent('seed 7, before the fix');
    expect(JSON.parse(await readFile(path.join(store.root, A, 'labels.json'), 'utf8'))).toEqual({ name: 'threshold 0.7 baseline', note: 'seed 7, before the fix' });
    await user.type(screen.getByRole('searchbox', { name: /Filter runs/ }), 'before the FIX');
    expect(within(table).getAllByRole('row').slice(1).map((r) => r.dataset.testid)).toEqual([`run-${A}`]);
  });

  test('a refused name says why and stays in the form', async () => {
    const { user } = renderApp();
    const table = await runsTable();
    await user.click(within(table).getByRole('button', { name: `Rename or note run ${B}` }));
    const form = within(table).getByRole('form', { name: `Name and note of run ${B}` });
    // The input stops at 100 characters; a name with a tab (a control character) is refused by the engine.
    await user.type(within(form).getByLabelText('Name'), 'a\tb');
    await user.click(within(form).getByRole('button', { name: 'Save' }));
    expect(await within(form).findByRole('alert')).toHaveTextContent('Not saved: ');
    expect(within(form).getByRole('alert')).toHaveTextContent('a run name is one line without control characters');
  });

  test('delete asks first, naming the run and its folder; Cancel keeps it, Delete removes its files', async () => {
    const { user } = renderApp();
    const table = await runsTable();
    await user.click(within(table).getByRole('button', { name: `Delete run ${B}` }));
    let dialog = screen.getByRole('alertdialog', { name: `Delete run ${B}?` });
    expect(dialog).toHaveTextContent(`removes the folder ${store.root}/${B} and everything in it: the run record, its 6 episodes with their trajectories and camera images, its results. It cannot be undone.`);
    // Cancel has the focus (Enter keeps the run); Escape cancels too.
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    await user.click(within(table).getByRole('button', { name: `Delete run ${B}` }));
    await user.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect((await store.list()).map((r) => r.id)).toContain(B);

    await user.click(within(table).getByRole('button', { name: `Delete run ${B}` }));
    dialog = screen.getByRole('alertdialog', { name: `Delete run ${B}?` });
    await user.click(within(dialog).getByRole('button', { name: 'Delete run' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument());
    expect(within(table).queryByTestId(`run-${B}`)).not.toBeInTheDocument();
    await expect(readFile(path.join(store.root, B, 'run.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('an imported run is marked imported, and its replay buttons are off with the reason', async () => {
    const imported = await store.importResultsText(JSON.stringify(await results(A)), 'a.results.json');
    const { user } = renderApp();
    const row = within(await runsTable()).getByTestId(`run-${imported.id}`);
    expect(within(row).getByText('imported')).toHaveAttribute('title', `${IMPORTED_NO_REPLAY} (a.results.json)`);
    const run = await showRun(user, imported.id);
    expect(within(run).getByTestId('imported-note')).toHaveTextContent('Imported from a results file, which holds no trajectories: nothing to replay. Its replay buttons are off.');
    const replay = within(run).getByRole('button', { name: 'Replay task 0 trial 0' });
    expect(replay).toBeDisabled();
    expect(replay).toHaveAttribute('title', IMPORTED_NO_REPLAY);
  });
});

describe("a run's results", () => {
  test('success per task with Wilson 95% intervals, the total, and that errors count against it', async () => {
    const { user } = renderApp();
    const run = await showRun(user, A);
    const r = await results(A);

    expect(within(run).getByTestId('results-total')).toHaveTextContent('50.0% success (3 of 6 episodes; 95% 18.8%–81.2%)');
    expect(within(run).getByRole('note')).toHaveTextContent('1 episode ended in an error (simulator or inference, not the policy)');
    const table = within(run).getByRole('table', { name: 'Success per task' });
    const w0 = wilson(2, 3);
    expect(cells(within(table).getByTestId('task-row-0'))).toEqual(['3', '2', '1', '0', '66.7%', `${(100 * w0.low).toFixed(1)}%–${(100 * w0.high).toFixed(1)}%`, '']);
    expect(cells(within(table).getByTestId('task-row-1'))).toEqual(['3', '1', '1', '1', '33.3%', `${(100 * r.tasks[1]!.wilson95.low).toFixed(1)}%–${(100 * r.tasks[1]!.wilson95.high).toFixed(1)}%`, '']);
    expect(within(table).getByTestId('task-row-0')).toHaveTextContent(/^Task 0pick up the black bowl between the plate and the ramekin/);
    expect(within(within(table).getByTestId('task-row-0')).getByRole('img')).toHaveAccessibleName(`66.7%, 95% interval ${(100 * w0.low).toFixed(1)}% to ${(100 * w0.high).toFixed(1)}%`);
    expect(cells(within(table).getByTestId('task-row-total')).slice(0, 5)).toEqual(['6', '3', '2', '1', '50.0%']);
  });

  test('latency percentiles per stage, the acceptance heat map per task and layer, and the plots', async () => {
    const { user } = renderApp();
    const run = await showRun(user, A);
    const r = await results(A);

    const latency = within(run).getByRole('table', { name: 'Chunk latency per stage' });
    expect(cells(within(latency).getByTestId('latency-totalMs'))).toEqual([`${r.latency.stages.totalMs.median!.toFixed(1)} ms`, `${r.latency.stages.totalMs.p90!.toFixed(1)} ms`, `${r.latency.stages.totalMs.p99!.toFixed(1)} ms`]);
    expect(within(run).getByText(/Over 12 chunks of all episodes pooled\./)).toBeInTheDocument();

    const heat = within(run).getByRole('table', { name: 'Acceptance per task and draft layer' });
    const label = (name: string) => within(heat).getByRole('cell', { name: new RegExp(`^${name}:`) });
    expect(label('Task 0, layer 0')).toHaveAccessibleName('Task 0, layer 0: 100.0% (6 of 6)');
    expect(label('Task 0, layer 1')).toHaveAccessibleName('Task 0, layer 1: 50.0% (3 of 6)');
    expect(label('Task 1, layer 0')).toHaveAccessibleName('Task 1, layer 0: 50.0% (3 of 6)');
    expect(label('Task 1, layer 1')).toHaveAccessibleName('Task 1, layer 1: 0.0% (0 of 6)');
    expect(label('All tasks, layer 0')).toHaveAccessibleName(`All tasks, layer 0: ${(100 * r.acceptance.perLayer[0]!.rate).toFixed(1)}% (9 of 12)`);

    // The colour scale spans the observed rates (0% to 100% here), and its legend says so.
    expect(label('Task 1, layer 1')).toHaveAttribute('data-strength', '12');
    expect(label('Task 0, layer 0')).toHaveAttribute('data-strength', '90');
    expect(within(run).getByTestId('heat-legend')).toHaveTextContent('0.0%100.0%colour scaled to the observed range');

    // The plots (uPlot; jsdom draws no canvas, so each shows its data table): what they were given.
    const data = (name: string) => within(run).getByRole('table', { name: `${name}: data` });
    expect(within(run).getByRole('img', { name: 'Success per task with Wilson 95% intervals' })).toBeInTheDocument();
    expect(within(data('Success per task with Wilson 95% intervals')).getAllByRole('row').slice(1).map((row) => row.children[0]!.textContent + ' ' + row.children[2]!.textContent)).toEqual(['Task 0 2/3', 'Task 1 1/3']);
    expect(within(run).getByRole('img', { name: /^Chunk latency histogram, 10\.0 ms to 24\.0 ms$/ })).toBeInTheDocument();
    const bins = within(data('Chunk latency histogram, 10.0 ms to 24.0 ms')).getAllByRole('row').slice(1);
    expect(bins[0]!.children[0]).toHaveTextContent(/^10\.0 ms–10\.\d ms$/);
    expect(bins.reduce((n, row) => n + Number(row.children[1]!.textContent), 0)).toBe(12);
    expect(within(run).getByRole('img', { name: 'Acceptance against success, one point per episode' })).toBeInTheDocument();
    expect(within(data('Acceptance against success, one point per episode')).getAllByRole('row')).toHaveLength(7);

    // A run without a draft says so instead of an empty map or an empty plot.
    await user.click(within(await runsTable()).getByRole('button', { name: `Show run ${B}` }));
    const b = await detail(B);
    expect(await within(b).findByText('No draft layers were proposed: this run decoded autoregressive, which uses no draft.')).toBeInTheDocument();
    expect(within(b).getByText('Autoregressive decoding proposes no draft layers.')).toBeInTheDocument();
  });

  test('an episode run again after its simulator worker was lost is said so, in the headline and its row', async () => {
    const { user } = renderApp();
    const run = await showRun(user, B);
    expect(within(run).getByRole('note')).toHaveTextContent("1 of 6 episodes was run again from the start after the simulator's worker process was lost");
    const row = within(run).getByTestId('episode-1-1');
    expect(within(row).getByText(/run again after the simulator was lost/)).toHaveAttribute('title', 'LiberoWorkerLost: the worker process exited (status 1)');
    expect(within(run).getByTestId('episode-1-0')).not.toHaveTextContent(/run again/);
  });

  test('the episode table sorts by column and filters failed ones; a row opens its replay', async () => {
    const { user, store: app } = renderApp();
    const run = await showRun(user, A);
    const table = within(run).getByRole('table', { name: 'Episodes' });

    // Failed first: the error, then the failures, then the successes.
    expect(episodeRows()).toEqual(['episode-1-0', 'episode-0-1', 'episode-1-1', 'episode-0-0', 'episode-0-2', 'episode-1-2']);
    expect(within(table).getByRole('columnheader', { name: /^Outcome/ })).toHaveAttribute('aria-sort', 'ascending');

    await user.click(within(table).getByRole('button', { name: /^Wall time/ }));
    expect(within(table).getByRole('columnheader', { name: /^Wall time/ })).toHaveAttribute('aria-sort', 'ascending');
    expect(within(table).getByRole('columnheader', { name: /^Outcome/ })).not.toHaveAttribute('aria-sort');
    expect(episodeRows()).toEqual(['episode-0-0', 'episode-1-0', 'episode-0-1', 'episode-1-1', 'episode-0-2', 'episode-1-2']);
    await user.click(within(table).getByRole('button', { name: /^Wall time/ }));
    expect(within(table).getByRole('columnheader', { name: /^Wall time/ })).toHaveAttribute('aria-sort', 'descending');
    expect(episodeRows()).toEqual(['episode-1-2', 'episode-0-2', 'episode-1-1', 'episode-0-1', 'episode-1-0', 'episode-0-0']);
    await user.click(within(table).getByRole('button', { name: /^Chunk median/ }));
    expect(episodeRows()).toEqual(['episode-0-0', 'episode-0-1', 'episode-0-2', 'episode-1-0', 'episode-1-1', 'episode-1-2']);
    await user.click(within(table).getByRole('button', { name: /^Acceptance/ }));
    expect(episodeRows().slice(0, 3)).toEqual(['episode-1-0', 'episode-1-1', 'episode-1-2']);

    await user.click(within(run).getByRole('checkbox', { name: 'Failed only' }));
    expect(episodeRows()).toEqual(['episode-1-0', 'episode-1-1', 'episode-0-1']);
    expect(within(run).getByTestId('episode-count')).toHaveTextContent('3 of 6 episodes shown · 3 not successful');
    expect(within(within(run).getByTestId('episode-1-0')).getByText('MuJoCo unstable')).toBeInTheDocument();

    // An episode without a trajectory cannot be replayed.
    await user.click(within(run).getByRole('checkbox', { name: 'Failed only' }));
    expect(within(run).getByRole('button', { name: 'Replay task 1 trial 2' })).toBeDisabled();

    await user.click(within(within(run).getByTestId('episode-0-1')).getByText('220'));
    expect(app.getState().replayTarget).toEqual({ runId: A, taskId: 0, trial: 1 });
    expect(await screen.findByRole('heading', { level: 1, name: 'Replay' })).toBeInTheDocument();
    expect(window.location.hash).toBe(`#/replay?run=${A}&task=0&trial=1`);
  });

  test('a second run side by side: paired differences with McNemar p and the latency ratio, as the engine compares them', async () => {
    const { user, client } = renderApp();
    const calls = vi.spyOn(client, 'call');
    const run = await showRun(user, A);
    await user.selectOptions(within(run).getByLabelText('Compare with'), B);
    const expected = compareResults(await results(A), await results(B));

    const paired = await within(run).findByRole('table', { name: 'Paired success, B against A' });
    const rows = within(paired).getAllByRole('row').slice(1);
    expect(rows.map(cells)).toEqual([
      ['3', '2 (66.7%)', '3 (100.0%)', '+33.3 pp', '0', '1', expected.tasks[0]!.pValue.toFixed(3)],
      ['3', '1 (33.3%)', '2 (66.7%)', '+33.3 pp', '1', '2', expected.tasks[1]!.pValue.toFixed(3)],
      ['6', '3 (50.0%)', '5 (83.3%)', '+33.3 pp', '1', '3', expected.total.pValue.toFixed(3)],
    ]);
    expect(expected.total.pValue).toBeCloseTo(0.625, 10);
    const r = expected.latency.totalRatio!;
    const ci = expected.latency.totalInterval!;
    expect(within(run).getByTestId('latency-ratio')).toHaveTextContent(`B is ${r.toFixed(2)}× faster per chunk (95% CI ${ci.low.toFixed(2)}–${ci.high.toFixed(2)}, bootstrap over chunks).`);
    expect(ci.low).toBeLessThan(r);
    expect(ci.high).toBeGreaterThan(r);
    // Stages named as in the single-run table; B (autoregressive) has no draft or verify: n/a, not 0.00.
    const stages = within(run).getByRole('table', { name: 'Chunk latency medians, A and B' });
    expect(cells(within(stages).getByTestId('compare-stage-draftMs'))).toEqual(['1.70 ms', 'n/a', 'n/a', 'n/a']);
    expect(within(within(stages).getByTestId('compare-stage-draftMs')).getByRole('rowheader')).toHaveTextContent('Draft draftMs');
    expect(within(stages).getByTestId('compare-stage-mainStepsMs')).toHaveTextContent(/^Remaining main steps mainStepsMs/);
    expect(within(stages).queryByTestId('compare-stage-parallelMs')).not.toBeInTheDocument();
    expect(within(run).getByText(/^Over 12 chunks of A and 12 chunks of B\./)).toHaveTextContent('1 stage that neither run has is left out.');
    // The overlaid plots (their numbers as tables here: jsdom draws no canvas), legends naming A and B by id and decoding.
    const success = within(run).getByRole('table', { name: 'Paired success per task, A and B, with Wilson 95% intervals: data' });
    expect(within(success).getAllByRole('row').slice(1).map(cells)).toEqual([
      ['Task 0', '3', '2 (66.7%)', `${(100 * wilson(2, 3).low).toFixed(1)}%–${(100 * wilson(2, 3).high).toFixed(1)}%`, '3 (100.0%)', `${(100 * wilson(3, 3).low).toFixed(1)}%–100.0%`],
      ['Task 1', '3', '1 (33.3%)', `${(100 * wilson(1, 3).low).toFixed(1)}%–${(100 * wilson(1, 3).high).toFixed(1)}%`, '2 (66.7%)', `${(100 * wilson(2, 3).low).toFixed(1)}%–${(100 * wilson(2, 3).high).toFixed(1)}%`],
    ]);
    const latency = within(run).getByRole('table', { name: 'Chunk latency distributions of A and B on the same bins: data' });
    expect(within(latency).getAllByRole('row')).toHaveLength(21);
    expect(within(run).getByText(/^Chunk total latency, share of each run's chunks/)).toHaveTextContent('A 12 chunks, B 12 chunks');
    expect(runSeriesLabel('A', expected.a)).toBe(`A ${A} (speculative (threshold 0.7))`);
    // B kept no trajectories: its differing episodes cannot be replayed side by side, and the row says why.
    const differing = within(run).getByRole('table', { name: 'Paired episodes whose outcome differs' });
    expect(within(differing).getAllByRole('row').slice(1).map((row) => row.dataset.testid)).toEqual(['differing-0-1', 'differing-1-0', 'differing-1-1', 'differing-1-2']);
    expect(cells(within(differing).getByTestId('differing-0-1')).slice(0, 3)).toEqual(['1', '1', 'failure after 220 steps']);
    expect(within(differing).getByRole('button', { name: 'Replay task 0 trial 1 side by side' })).toBeDisabled();
    expect(within(differing).getByTestId('differing-0-1')).toHaveTextContent('Run B kept no trajectory of this episode');
    expect(within(run).getByText(/paired episodes \(same task/)).toHaveTextContent('6 paired episodes (same task, trial and initial state); 0 unpaired');
    expect(within(run).getByText('decoding')).toBeInTheDocument(); // among the configuration differences
    expect(calls).toHaveBeenCalledWith('runs.compare', { a: A, b: B }); // the renderer does not compute it
    // The heading keeps the run id as it is (the CSS upper-cases headings, not ids), and a value that does not apply says so.
    const heading = within(run).getByRole('heading', { name: `Compared with ${B}` });
    expect(within(heading).getByText(B)).toHaveClass('run-id');
    const differs = within(run).getByText(/^Differs:/);
    expect(differs).toHaveTextContent('accept A threshold, B none (no draft to accept); threshold A 0.7, B n/a');
    expect(differs).not.toHaveTextContent('null');

  });

  test('an episode whose outcome differs opens the side-by-side replay; runs that end alike, or share no episode, say so', async () => {
    // D: autoregressive with trajectories, task 0 only: trial 0 fails where A succeeded, trial 1 succeeds where A failed.
    const D = '20261125-130000-dddddd';
    const E = '20261125-140000-eeeeee';
    await writeRun(D, config({ tasks: [0], decoding: 'autoregressive', accept: null, threshold: null }), [
      episode(0, 0, 'failure', { ...traj(0, 0), chunks: chunks([0, 0], 0, [5, 6]) }),
      episode(0, 1, 'success', { ...traj(0, 1), chunks: chunks([0, 0], 0, [5, 6]) }),
      episode(0, 2, 'success', { ...traj(0, 2), chunks: chunks([0, 0], 0, [5, 6]) }),
    ]);
    await writeRun(E, config({ tasks: [7], trials: 1 }), [episode(7, 0, 'success')]);
    const { user, store: app } = renderApp();
    let run = await showRun(user, A);
    await user.selectOptions(within(run).getByLabelText('Compare with'), D);
    const differing = await within(run).findByRole('table', { name: 'Paired episodes whose outcome differs' });
    expect(within(differing).getAllByRole('row').slice(1).map(cells)).toEqual([
      ['0', '0', 'success at step 100', 'failure after 220 steps', 'Replay side by side'],
      ['1', '1', 'failure after 220 steps', 'success at step 100', 'Replay side by side'],
    ]);
    await user.click(within(differing).getByRole('button', { name: 'Replay task 0 trial 1 side by side' }));
    expect(window.location.hash).toBe(`#/replay?run=${A}&compare=${D}&task=0&trial=1`);
    expect(sideBySideAddress({ runId: A, compareRunId: D, taskId: 0, trial: 1 })).toBe(window.location.hash);
    expect(await screen.findByRole('heading', { level: 1, name: 'Replay' })).toBeInTheDocument();
    await waitFor(() => expect(app.getState().page).toBe('replay'));

    // C's two episodes ended as A's did.
    act(() => app.getState().openResults(C));
    run = await detail(C);
    await user.selectOptions(within(run).getByLabelText('Compare with'), A);
    expect(await within(run).findByTestId('differing-none')).toHaveTextContent('No paired episode’s outcome differs (all 2 paired episodes ended alike in A and B).');
    // E ran task 7 only: nothing pairs, and the page says so rather than showing empty plots.
    await user.selectOptions(within(run).getByLabelText('Compare with'), E);
    expect(await within(run).findByTestId('no-pairs')).toHaveTextContent('No episode of A pairs with one of B');
    expect(within(run).getByTestId('differing-none')).toHaveTextContent('No paired episode’s outcome differs: the runs have no paired episodes');
    expect(within(within(run).getByTestId('chart-compare-success')).getByTestId('chart-empty-reason')).toHaveTextContent('No paired episodes');
  });

  test('a run with no finished episode says so instead of claiming no draft was proposed', async () => {
    const D = '20261125-130000-dddddd';
    await writeRun(D, config(), [], false);
    const { user, store: app } = renderApp();
    const run = await showRun(user, D);
    expect(within(run).getByTestId('no-episodes')).toHaveTextContent('This run has no finished episodes: there is nothing to plot.');
    // While the engine is running it (active), the same place says that none has finished yet.
    const data = app.getState().runResults[D]!;
    act(() => app.setState({ runResults: { ...app.getState().runResults, [D]: { ...data, active: true } } }));
    expect(within(run).getByTestId('no-episodes')).toHaveTextContent('No episode has finished yet');
    expect(within(run).queryByText(/No episode proposed draft layers|No draft layers were proposed/)).not.toBeInTheDocument();
    expect(within(run).getByText(/tasks 0, 1 \(2 tasks\) × 3 trials/)).toBeInTheDocument();
  });

  test('a run on another suite cannot be compared, and the page says why', async () => {
    await writeRun('20261125-130000-dddddd', config({ suite: 'libero_object' }), [episode(0, 0, 'success')]);
    const { user } = renderApp();
    const run = await showRun(user, A);
    await user.selectOptions(within(run).getByLabelText('Compare with'), '20261125-130000-dddddd');
    expect(await within(run).findByRole('alert')).toHaveTextContent('These runs cannot be compared: the runs are on different suites: A is libero_spatial, B is libero_object; paired comparison needs the same suite.');
  });
});

describe('export and import', () => {
  test("in the browser, Export downloads the runs.results JSON as <runId>.results.json, and it validates", async () => {
    const blobs: Blob[] = [];
    const names: string[] = [];
    Object.assign(URL, { createObjectURL: vi.fn((b: Blob) => (blobs.push(b), 'blob:results')), revokeObjectURL: vi.fn() });
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      names.push(this.download);
    });
    const { user, client } = renderApp();
    const run = await showRun(user, A);

    await user.click(within(run).getByRole('button', { name: 'Export JSON' }));

    expect(names).toEqual([`${A}.results.json`]);
    expect(within(run).getByRole('status')).toHaveTextContent(`Downloaded ${A}.results.json`);
    const json = JSON.parse(await blobs[0]!.text()) as unknown;
    expect(validateResults(json)).toEqual((await client.call('runs.results', { id: A })).results);
  });

  test("in Electron without dialogs, Export asks for a file name, and the engine writes it in its exports folder", async () => {
    (window as { rsd?: unknown }).rsd = {};
    const { user } = renderApp();
    const run = await showRun(user, B);
    await user.click(within(run).getByRole('button', { name: 'Export JSON' }));
    const field = within(run).getByLabelText('Save results JSON in the exports folder as');
    expect(field).toHaveValue(`${B}.results.json`);

    // A path elsewhere is refused (the page is not a file manager), and nothing is written.
    const elsewhere = path.join(dataDir, 'exported', 'b.json');
    await mkdir(path.dirname(elsewhere), { recursive: true });
    await user.clear(field);
    await user.type(field, elsewhere);
    await user.click(within(run).getByRole('button', { name: 'Save' }));
    expect(await within(run).findByRole('alert')).toHaveTextContent('outside the exports folder');
    await expect(readFile(elsewhere, 'utf8')).rejects.toThrow();

    await user.clear(field);
    await user.type(field, 'b.json');
    await user.click(within(run).getByRole('button', { name: 'Save' }));
    const target = path.join(dataDir, 'exports', 'b.json');
    expect(await within(run).findByRole('status')).toHaveTextContent(`Saved to ${target}`);
    expect(validateResults(JSON.parse(await readFile(target, 'utf8'))).run?.id).toBe(B);
  });

  test('import: a malformed file names its first problem; a good one becomes a run and is shown', async () => {
    const { user, store: app } = renderApp();
    await runsTable();
    const input = screen.getByLabelText('Import results JSON');
    const exported = JSON.parse(JSON.stringify(await results(A))) as Results;

    await user.upload(input, new File(['{"formatVersion": 1,'], 'broken.json', { type: 'application/json' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not import broken.json: broken.json: not valid JSON at line 1 column 21');

    const tampered = structuredClone(exported);
    tampered.tasks[0]!.successes = 3;
    await user.upload(input, new File([JSON.stringify(tampered)], 'tampered.json'));
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('Could not import tampered.json: tasks[0].successes: does not match what the episodes give'));

    await user.upload(input, new File([JSON.stringify({ ...exported, formatVersion: 2 })], 'future.json'));
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent(/^Could not import future\.json: formatVersion: /));
    expect(app.getState().runs).toHaveLength(3);

    const good = { ...exported, run: { ...exported.run!, id: 'imported-run' } };
    await user.upload(input, new File([JSON.stringify(good)], 'good.json'));
    expect(await detail('imported-run')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(within(await runsTable()).getByTestId('run-imported-run')).toHaveTextContent('Completed');
    expect(app.getState().resultsRunId).toBe('imported-run');
  });
});

describe('the results slice', () => {
  test('reads runs and results, and keeps an unreadable run apart with its reason', async () => {
    const { store: app } = renderApp();
    await app.getState().loadRuns();
    expect(app.getState().runs.map((r) => [r.id, r.status, r.active, r.episodesDone])).toEqual([
      [C, 'running', false, 2],
      [B, 'completed', false, 6],
      [A, 'completed', false, 6],
    ]);
    await app.getState().loadRunResults(B);
    expect(app.getState().runResults[B]?.results.total.successes).toBe(5);
    expect(app.getState().runResults[B]?.latencyHistogram.counts.reduce((a, b) => a + b)).toBe(12);
    await app.getState().loadRunResults('no-such-run');
    expect(app.getState().runResultsErrors['no-such-run']).toMatchObject({ kind: 'invalid-params', message: expect.stringContaining('no run "no-such-run"') });
  });
});
