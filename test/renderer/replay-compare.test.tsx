// The side-by-side replay (issue 19 item 4) in jsdom against the real engine in this process: two
// real evaluations of task 0 (A: speculative, 2 trials of 24 steps; B: autoregressive, 1 trial of
// 16 steps), and runs made from A's records for the cases that cannot be shown (another initial
// state, an episode without a trajectory, imported results). jsdom has no WebGL: each 3D view says
// so, and the timeline, read-outs and messages still follow both episodes.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createClient } from '../../engine/api/client.js';
import { inProcessTransport } from '../../engine/api/transports/in-process.js';
import { createEngineHost } from '../../engine/host/handlers.js';
import { writeSyntheticBundle } from '../../engine/bundle/synthetic.js';
import type { EpisodeRecord, Results } from '../../engine/api/schemas/results.js';
import type { RunSummary } from '../../engine/api/schemas/runs.js';
import { Trajectory } from '../../engine/api/schemas/trajectory.js';
import { RunStore } from '../../engine/runs/store.js';
import { sceneFileName } from '../../engine/runs/trajectory.js';
import { App } from '../../renderer/src/App.js';
import { stepAt } from '../../renderer/src/components/replay/timeline.js';
import { StoreProvider } from '../../renderer/src/store/context.js';
import { createAppStore, type AppStore } from '../../renderer/src/store/index.js';
import { comparableRuns, partnerProblem, timelineSteps } from '../../renderer/src/store/replay-partner.js';

const execFileAsync = promisify(execFile);
let bundles: string;
let dataDir: string;
let a: { id: string; results: Results };
let b: { id: string; results: Results };
/** A's records with trial 1 from initial state 5. */
let otherInit: string;
/** Trial 1 ended in an error before a trajectory was written. */
let noTrajectory: string;
/** A's results imported from text: no trajectories in its folder. */
let imported: string;
const teardowns: (() => void)[] = [];

beforeAll(async () => {
  bundles = await mkdtemp(path.join(os.tmpdir(), 'rsd-compare-bundles-'));
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rsd-compare-data-'));
  await writeSyntheticBundle(path.join(bundles, 'tiny'), 'tiny', 1);
  const runsRoot = path.join(dataDir, 'runs');
  // The CLI in its own process: the runner's worker threads need Node's URL, which jsdom's replaces here.
  const evaluate = (args: string[]) => execFileAsync(process.execPath, ['bin/rsd.mjs', 'eval', '--bundle', path.join(bundles, 'tiny'), '--tasks', '0', '--workers', '1', '--out', runsRoot, '--json', ...args]);
  await evaluate(['--trials', '2', '--max-steps', '24', '--decoding', 'speculative']);
  await evaluate(['--trials', '1', '--max-steps', '16', '--decoding', 'autoregressive']);
  const store = new RunStore(runsRoot);
  const [newest, oldest] = await store.list();
  const open = async (id: string) => ({ id, results: await (await store.open(id)).results() });
  [a, b] = [await open(oldest!.id), await open(newest!.id)];

  const aRun = await store.open(a.id);
  const [e0, e1] = a.results.episodes as [EpisodeRecord, EpisodeRecord];
  const trajectory = async (e: EpisodeRecord) => Trajectory.parse(JSON.parse(await readFile(path.join(aRun.dir, 'trajectories', e.trajectory!), 'utf8')));
  const derived = async (second: EpisodeRecord, write: boolean) => {
    const run = await store.createRun(a.results.config);
    await copyFile(path.join(aRun.dir, 'trajectories', sceneFileName(0)), path.join(run.trajectoriesDir, sceneFileName(0)));
    await run.writeTrajectory(0, 0, await trajectory(e0));
    await run.appendEpisode(e0);
    if (write) await run.writeTrajectory(0, 1, { ...(await trajectory(e1)), initIndex: second.initIndex });
    await run.appendEpisode(second);
    await run.finish();
    return run.id;
  };
  otherInit = await derived({ ...e1, initIndex: 5 }, true);
  noTrajectory = await derived({ ...e1, outcome: 'error', error: 'simulator unstable: NaN in qacc at step 9', trajectory: null }, false);
  const client = createClient(inProcessTransport(createEngineHost('in-process', { dataDir, env: {} })));
  imported = (await client.call('runs.import', { text: JSON.stringify(a.results), name: 'results.json' })).id;
  client.close();
}, 120_000);
afterAll(async () => {
  await rm(bundles, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});
afterEach(() => {
  teardowns.splice(0).forEach((t) => t());
  window.history.replaceState(null, '', '/#/replay');
});

function engineStore(): AppStore {
  const store = createAppStore();
  teardowns.push(store.getState().attach(createClient(inProcessTransport(createEngineHost('in-process', { dataDir, env: {} })))));
  return store;
}

const partner = (store: AppStore) => store.getState().replayPartner;
const steps = (r: { results: Results }, trial: number) => r.results.episodes.find((e) => e.trial === trial)!.steps;

describe('pairing (pure)', () => {
  const shown = { runId: 'A', taskId: 0, trial: 1, initIndex: 1 };
  const record = { taskId: 0, trial: 1, initIndex: 1, outcome: 'failure' as const, error: null, trajectory: 'task00-trial001.json' };
  test.each([
    [[], false, "Run B has no episode of task 0, trial 1: there is nothing to show beside run A."],
    [[], true, 'Run B has no episode of task 0, trial 1 yet (it is still running): there is nothing to show beside run A.'],
    [[{ ...record, initIndex: 4 }], false, "Run B's task 0, trial 1 started from initial state 4, run A's from initial state 1: not the same episode, so they are not shown side by side."],
    [[{ ...record, outcome: 'error' as const, error: 'worker died', trajectory: null }], false, "Run B's task 0, trial 1 has no trajectory: it ended in an error before one was written (worker died)."],
  ])('%#: says why there is nothing to show', (episodes, running, message) => {
    expect(partnerProblem(shown, 'B', episodes, running)).toEqual({ message });
  });
  test('the same task, trial and initial state pairs', () => {
    expect(partnerProblem(shown, 'B', [record])).toEqual({ record });
  });
  test('comparable runs: same suite, the task and trial planned, some episode done, not imported, not itself', () => {
    const summary = (id: string, o: Partial<RunSummary> = {}) => ({ id, suite: 'libero_spatial', tasks: [0, 2], trials: 2, episodesDone: 1, ...o }) as RunSummary;
    const runs = [summary('A'), summary('B'), summary('C', { trials: 1 }), summary('D', { tasks: [1] }), summary('E', { suite: 'libero_goal' }), summary('F', { episodesDone: 0 }), summary('G', { importedFrom: 'r.json' })];
    expect(comparableRuns(runs, 'A', 2, 1).map((r) => r.id)).toEqual(['B']);
    expect(comparableRuns(runs, 'A', 0, 0).map((r) => r.id)).toEqual(['B', 'C']);
  });
  test('one timeline spans the longer episode', () => {
    expect(timelineSteps(24, { status: 'none' })).toBe(24);
    expect(timelineSteps(16, { status: 'ready', episode: { steps: 24 } } as never)).toBe(24);
  });
});

describe('the replay slice, side by side', { timeout: 30_000 }, () => {
  test('the partner episode loads beside the shown one; the timeline spans the longer; the shorter holds its last step', async () => {
    const store = engineStore();
    const g = () => store.getState();
    await g().loadReplayRuns();
    await g().selectReplayRun(b.id, { taskId: 0, trial: 0 });
    g().setReplayCompare(a.id);
    expect(partner(store)).toMatchObject({ status: 'loading', runId: a.id, taskId: 0, trial: 0 });
    await waitFor(() => expect(partner(store).status).toBe('ready'));
    const p = partner(store);
    if (p.status !== 'ready') throw new Error(p.status);
    expect([p.decoding, p.episode.runId, p.episode.steps, p.episode.initIndex]).toEqual(['speculative', a.id, steps(a, 0), 0]);

    const short = steps(b, 0);
    const long = Math.max(short, steps(a, 0));
    g().seekReplay(1000);
    expect(g().replayCursor).toBe(long);
    expect(stepAt(g().replayCursor, short)).toBe(short); // B's view and read-out hold its last step
    g().setReplayPlaying(true); // from the end: starts over, and plays to the longer end
    g().advanceReplay(60_000);
    expect([g().replayCursor, g().replayPlaying]).toEqual([long, false]);

    // Closing: one run, the cursor back within its episode.
    g().setReplayCompare(null);
    expect([partner(store).status, g().replayCursor]).toEqual(['none', short]);
  });

  test('another episode: the partner follows it, or says the other run has none', async () => {
    const store = engineStore();
    const g = () => store.getState();
    await g().loadReplayRuns();
    await g().selectReplayRun(a.id, { taskId: 0, trial: 0 });
    g().setReplayCompare(b.id);
    await waitFor(() => expect(partner(store)).toMatchObject({ status: 'ready', taskId: 0, trial: 0 }));
    await g().selectReplayEpisode(0, 1);
    await waitFor(() => expect(partner(store).status).toBe('unavailable'));
    expect(partner(store)).toMatchObject({ message: `Run ${b.id} has no episode of task 0, trial 1: there is nothing to show beside run ${a.id}.` });
    // The timeline is the shown episode's alone.
    g().seekReplay(1000);
    expect(g().replayCursor).toBe(steps(a, 1));
    // Picking the compared run as the one replayed closes the comparison (a run is not compared with itself).
    await g().selectReplayRun(b.id);
    expect([g().replayCompareRunId, partner(store).status]).toEqual([null, 'none']);
  });

  test.each([
    ['a different initial state', () => otherInit, () => `Run ${otherInit}'s task 0, trial 1 started from initial state 5, run ${a.id}'s from initial state 1: not the same episode, so they are not shown side by side.`],
    ['no trajectory (an error)', () => noTrajectory, () => `Run ${noTrajectory}'s task 0, trial 1 has no trajectory: it ended in an error before one was written (simulator unstable: NaN in qacc at step 9).`],
    ['imported results', () => imported, () => `Run ${imported}'s folder holds no trajectory for task 0, trial 1 (imported results carry none): run ${imported} has no scene for task 0`],
  ])('%s: said in place of the second view', async (_case, id, message) => {
    const store = engineStore();
    await store.getState().loadReplayRuns();
    await store.getState().selectReplayRun(a.id, { taskId: 0, trial: 1 });
    store.getState().setReplayCompare(id());
    await waitFor(() => expect(partner(store).status).toBe('unavailable'));
    expect(partner(store)).toMatchObject({ runId: id(), message: message() });
  });
});

describe('the Replay page, side by side', { timeout: 30_000 }, () => {
  test('an address opens both runs; one timeline drives both read-outs; Close comparison and "Compare with…"', async () => {
    window.history.replaceState(null, '', `/#/replay?run=${b.id}&compare=${a.id}&task=0&trial=0&step=20`);
    const store = engineStore();
    render(
      <StoreProvider store={store}>
        <App />
      </StoreProvider>,
    );
    const user = userEvent.setup();
    const compare = await screen.findByTestId('replay-compare', {}, { timeout: 20_000 });
    await waitFor(() => expect(within(compare).getByTestId('replay-readout-b')).toHaveTextContent('Step 20'));
    const sideA = within(compare).getByTestId('replay-side-a');
    const sideB = within(compare).getByTestId('replay-side-b');
    const short = steps(b, 0);
    // Each side: its run id, decoding and outcome; B's episode ended before step 20 and holds its last step.
    expect(sideA).toHaveTextContent(`${b.id}autoregressive`);
    expect(sideB).toHaveTextContent(`${a.id}speculative`);
    expect(within(sideA).getByTestId('replay-ended')).toHaveTextContent(`ended at step ${short} (${b.results.episodes[0]!.outcome})`);
    expect(within(sideB).queryByTestId('replay-ended')).not.toBeInTheDocument();
    expect(within(compare).getByTestId('replay-readout-a')).toHaveTextContent(`Step ${short}`);
    expect(within(within(compare).getByTestId('replay-readout-a')).getByTestId('replay-action')).toHaveTextContent('none: the episode ended here');
    expect(within(within(compare).getByTestId('replay-readout-b')).getByTestId('replay-stages')).toHaveTextContent(/^speculative: draft /);
    expect(within(compare).getAllByTestId('replay-no-webgl')).toHaveLength(2);
    const long = Math.max(short, steps(a, 0));
    expect(screen.getByTestId('replay-step')).toHaveTextContent(`step 20 / ${long}`);

    // One timeline: a step back moves both read-outs.
    await user.click(screen.getByRole('button', { name: 'Step back' }));
    expect(within(compare).getByTestId('replay-readout-b')).toHaveTextContent('Step 19');
    fireEvent.keyDown(document.body, { key: 'Home' });
    expect(within(compare).getByTestId('replay-readout-a')).toHaveTextContent('Step 0');
    expect(within(compare).getByTestId('replay-readout-b')).toHaveTextContent('Step 0');

    // Close comparison: one run (with its plots), the address without compare.
    await user.click(screen.getByRole('button', { name: 'Close comparison' }));
    expect(screen.queryByTestId('replay-compare')).not.toBeInTheDocument();
    expect(screen.getByTestId('replay-plots')).toBeInTheDocument();
    await waitFor(() => expect(window.location.hash).toBe(`#/replay?run=${b.id}&task=0&trial=0&step=0&camera=orbit`));

    // "Compare with…" offers the runs with task 0, trial 0 (not the imported one) and opens it again.
    const picker = screen.getByRole('combobox', { name: 'Compare with…' });
    const offered = within(picker).getAllByRole('option').map((o) => (o as HTMLOptionElement).value).filter(Boolean);
    expect(offered.sort()).toEqual([a.id, otherInit, noTrajectory].sort());
    await user.selectOptions(picker, a.id);
    await within(await screen.findByTestId('replay-compare')).findByTestId('replay-readout-b');
    await waitFor(() => expect(within(screen.getByTestId('replay-readout-b')).getByRole('heading')).toHaveTextContent('Step 0'));
    await waitFor(() => expect(window.location.hash).toBe(`#/replay?run=${b.id}&compare=${a.id}&task=0&trial=0&step=0&camera=orbit`));
  });
});
