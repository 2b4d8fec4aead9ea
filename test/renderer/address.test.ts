import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { RunSummary } from '../../engine/api/schemas/runs.js';
import type { ReplayEpisode } from '../../renderer/src/components/replay/episode.js';
import type { ReplayScene } from '../../renderer/src/components/replay/scene.js';
import type { ReplayEpisodeEntry } from '../../renderer/src/store/replay.js';
import type { ReplayPartnerState } from '../../renderer/src/store/replay-partner.js';
import { formatAddress, historyMove, parseAddress, type AddressView } from '../../renderer/src/store/address.js';
import { syncAddress } from '../../renderer/src/store/address-sync.js';
import { createAppStore, type AppStore } from '../../renderer/src/store/index.js';

// The address: parsing and formatting round trips, and the sync with a store whose engine answers
// are set by hand (the engine's part is the Replay and Results pages' own tests and the e2e).

describe('parseAddress and formatAddress', () => {
  test.each<[string, AddressView]>([
    ['#/checklist', { page: 'checklist' }],
    ['#/results?run=20261125-100000-aaaaaa', { page: 'results', run: '20261125-100000-aaaaaa' }],
    ['#/results?run=A&compare=B', { page: 'results', run: 'A', compare: 'B' }],
    ['#/replay?run=A&task=3&trial=1&step=42&camera=agentview', { page: 'replay', run: 'A', task: 3, trial: 1, step: 42, camera: 'agentview' }],
    ['#/replay?run=a+b%26c&task=0&trial=0', { page: 'replay', run: 'a b&c', task: 0, trial: 0 }],
    // Side by side (item 4): the run replayed beside it.
    ['#/replay?run=A&compare=B&task=0&trial=1&step=50&camera=follow', { page: 'replay', run: 'A', compare: 'B', task: 0, trial: 1, step: 50, camera: 'follow' }],
    ['#/replay?run=A&compare=B', { page: 'replay', run: 'A', compare: 'B' }],
  ])('%s round-trips', (hash, view) => {
    expect(parseAddress(hash)).toEqual({ view, problems: [] });
    expect(formatAddress(view)).toBe(hash);
  });

  test('the page alone, with or without a slash, and an empty address (the checklist)', () => {
    expect(parseAddress('#replay').view).toEqual({ page: 'replay' });
    expect(parseAddress('').view).toEqual({ page: 'checklist' });
  });

  test.each([
    ['#/nowhere?run=A', { page: 'checklist' }, 'the address names no page "nowhere"; showing the Checklist'],
    ['#/replay?run=A&task=x&trial=1', { page: 'replay', run: 'A' }, 'the address\'s task must be a whole number, not "x"'],
    ['#/replay?run=A&task=1&trial=0&step=-3', { page: 'replay', run: 'A', task: 1, trial: 0 }, 'the address\'s step must be a whole number, not "-3"'],
    ['#/replay?run=A&task=1&trial=0&camera=top', { page: 'replay', run: 'A', task: 1, trial: 0 }, "the address's camera must be one of orbit, follow, agentview, not \"top\""],
    ['#/replay?task=1&trial=0', { page: 'replay' }, "the address's task and trial go together, with a run"],
    ['#/results?compare=B', { page: 'results' }, "the address's compare needs a run to compare with"],
    ['#/results?run=', { page: 'results' }, "the address's run is empty"],
    ['#/replay?compare=B', { page: 'replay' }, "the address's compare needs a run to compare with"],
    ['#/replay?run=A&compare=A&task=0&trial=0', { page: 'replay', run: 'A', task: 0, trial: 0 }, "the address's compare names the replayed run A itself"],
  ])('%s: the rest of the view, and a problem naming the field', (hash, view, problem) => {
    expect(parseAddress(hash)).toEqual({ view, problems: [problem] });
  });

  test('a history entry per place; the step, the camera and filling in replace it', () => {
    const at = (task: number, step?: number): AddressView => ({ page: 'replay', run: 'A', task, trial: 0, step });
    expect(historyMove(at(1, 3), at(1, 40))).toBe('replace');
    expect(historyMove({ page: 'replay' }, at(1, 0))).toBe('replace');
    expect(historyMove(at(1), at(2))).toBe('push');
    expect(historyMove(at(1), { page: 'results', run: 'A' })).toBe('push');
    expect(historyMove(at(1), { page: 'replay', run: 'B' })).toBe('push');
    // Opening or closing a comparison is a place of its own: back returns to it.
    expect(historyMove({ ...at(1, 3), compare: 'B' }, at(1, 3))).toBe('push');
    expect(historyMove(at(1, 3), { ...at(1, 3), compare: 'B' })).toBe('replace');
  });
});

const run = (id: string) => ({ id }) as RunSummary;

/** What the Replay page's store holds once run A's episode (task 0, trial 1; 60 steps) is shown. */
function showEpisode(app: AppStore, taskId = 0, trial = 1, runs = ['A']) {
  app.setState({
    replayRuns: runs.map(run),
    replayRun: { status: 'ready', runId: 'A', maxSteps: 60, decoding: 'speculative', trajectories: 'present', episodes: [0, 1].map((t) => ({ taskId: 0, trial: t, initIndex: t, outcome: 'failure', steps: 60, error: null, trajectory: 'x.json', chunks: {} as ReplayEpisodeEntry['chunks'] })) },
    replayEpisode: { status: 'ready', taskId, trial, episode: { steps: 60 } as ReplayEpisode, scene: {} as ReplayScene },
    replayCursor: 0,
  });
}

let app: AppStore;
let stop: (() => void) | undefined;
const notices = () => app.getState().notices.map((n) => n.error.message);

beforeEach(() => {
  app = createAppStore();
});
afterEach(() => {
  stop?.();
  stop = undefined;
});
function open(hash: string) {
  window.history.replaceState(null, '', `/${hash}`);
  stop = syncAddress(app, window);
}

describe('the address and the store', () => {
  test('a link to a step of an episode: the Replay page is asked for it, and the step is set once it is shown', () => {
    open('#/replay?run=A&task=0&trial=1&step=42&camera=agentview');
    expect(app.getState()).toMatchObject({ page: 'replay', replayTarget: { runId: 'A', taskId: 0, trial: 1 }, replayCamera: 'agentview' });
    expect(window.location.hash).toBe('#/replay?run=A&task=0&trial=1&step=42&camera=agentview'); // kept while it loads

    showEpisode(app);

    expect(app.getState().replayCursor).toBe(42);
    expect(window.location.hash).toBe('#/replay?run=A&task=0&trial=1&step=42&camera=agentview');
    expect(notices()).toEqual([]);
  });

  test('stale: a step past the end, an unknown episode, an unknown run: a message each, and the page shown', () => {
    open('#/replay?run=A&task=0&trial=1&step=999');
    showEpisode(app);
    expect(notices()).toEqual(["step 999 is past the episode's end (it has 60 steps): showing step 0"]);
    expect(window.location.hash).toBe('#/replay?run=A&task=0&trial=1&step=0&camera=orbit');
    stop?.();

    app = createAppStore();
    open('#/replay?run=A&task=7&trial=0');
    showEpisode(app, 0, 0);
    expect(notices()).toEqual(['run A has no episode of task 7, trial 0: showing its first episode']);
    expect(window.location.hash).toBe('#/replay?run=A&task=0&trial=0&step=0&camera=orbit');
    stop?.();

    app = createAppStore();
    open('#/replay?run=GONE&task=0&trial=0&step=5');
    app.setState({ replayRuns: [run('A')] });
    expect(notices()).toEqual(['run GONE is not in the run store (deleted, or from another machine): showing the newest run']);
  });

  test('stale Results link: the newest run, no comparison, and a message naming each run', () => {
    open('#/results?run=GONE&compare=ALSO');
    app.setState({ runs: [run('B'), run('A')], runsLoaded: true });
    expect(notices()).toEqual([
      'run GONE is not in the run store (deleted, or from another machine): showing the newest run',
      'run ALSO, to compare with, is not in the run store: showing no comparison',
    ]);
    expect(app.getState()).toMatchObject({ resultsRunId: null, compareRunId: null });
    expect(window.location.hash).toBe('#/results?run=B');
  });

  test('a malformed link: a message naming the field, and the page it names', () => {
    open('#/replay?run=A&task=one&trial=0');
    expect(app.getState().page).toBe('replay');
    expect(notices()).toEqual(['the address\'s task must be a whole number, not "one"']);
  });

  test('history: a new entry for another episode or page, the same one for steps', async () => {
    open('#/replay?run=A&task=0&trial=1');
    showEpisode(app);
    const entries = window.history.length;

    app.getState().seekReplay(30);
    await vi.waitFor(() => expect(window.location.hash).toBe('#/replay?run=A&task=0&trial=1&step=30&camera=orbit'));
    app.getState().setReplayCamera('follow');
    expect(window.location.hash).toBe('#/replay?run=A&task=0&trial=1&step=30&camera=follow');
    expect(window.history.length).toBe(entries);

    showEpisode(app, 0, 0);
    expect(window.location.hash).toBe('#/replay?run=A&task=0&trial=0&step=0&camera=follow');
    app.getState().openResults('A');
    expect(window.location.hash).toBe('#/results?run=A');
    expect(window.history.length).toBe(entries + 2);
  });

  test('a link clicked while the store changes: the clicked address wins (its hashchange comes later)', () => {
    open('#/run');
    expect(app.getState().page).toBe('run');
    // The browser has changed the hash; its hashchange event is still queued when an engine event lands.
    window.history.replaceState(null, '', '/#/results');
    app.setState({ resultsRunId: null, compareRunId: null, replayCursor: 1 });
    expect(app.getState().page).toBe('results');
    expect(window.location.hash).toBe('#/results');
  });

  test('back (a hash change) shows the episode of the address again', async () => {
    open('#/replay?run=A&task=0&trial=1');
    showEpisode(app);
    const select = vi.spyOn(app.getState(), 'selectReplayEpisode').mockResolvedValue();
    app.setState({ selectReplayEpisode: select });

    window.location.hash = '#/replay?run=A&task=0&trial=0&step=7';
    await vi.waitFor(() => expect(select).toHaveBeenCalledWith(0, 0));
    showEpisode(app, 0, 0);
    expect(app.getState().replayCursor).toBe(7);
  });
});

/** Run B's episode of the same task and trial, `steps` long, beside the one shown (side by side). */
function showPartner(app: AppStore, steps: number, taskId = 0, trial = 1) {
  const partner = { status: 'ready', runId: 'B', taskId, trial, decoding: 'autoregressive', recorded: {}, episode: { steps }, scene: {} } as unknown as ReplayPartnerState;
  app.setState({ replayRuns: [run('A'), run('B')], replayCompareRunId: 'B', replayPartner: partner });
}

describe('the address of a side-by-side replay (issue 19 item 4)', () => {
  test('a link with compare: the Replay page is asked for both runs; a step in the longer episode is restored once both are shown', () => {
    open('#/replay?run=A&compare=B&task=0&trial=1&step=75&camera=follow');
    expect(app.getState().replayTarget).toEqual({ runId: 'A', taskId: 0, trial: 1, compare: 'B' });

    showEpisode(app, 0, 1, ['A', 'B']); // 60 steps: the step waits for the second episode
    app.setState({ replayCompareRunId: 'B', replayPartner: { status: 'loading', runId: 'B', taskId: 0, trial: 1 } });
    expect(app.getState().replayCursor).toBe(0);
    showPartner(app, 90);

    expect(app.getState().replayCursor).toBe(75);
    expect(window.location.hash).toBe('#/replay?run=A&compare=B&task=0&trial=1&step=75&camera=follow');
    expect(notices()).toEqual([]);
  });

  test('closing the comparison is a new history entry: back opens it again', async () => {
    open('#/replay?run=A&compare=B&task=0&trial=1');
    showEpisode(app, 0, 1, ['A', 'B']);
    showPartner(app, 40);
    const entries = window.history.length;

    app.getState().setReplayCompare(null);
    expect(window.location.hash).toBe('#/replay?run=A&task=0&trial=1&step=0&camera=orbit');
    expect(window.history.length).toBe(entries + 1);

    const compare = vi.fn();
    app.setState({ setReplayCompare: compare });
    window.location.hash = '#/replay?run=A&compare=B&task=0&trial=1&step=0&camera=orbit';
    await vi.waitFor(() => expect(compare).toHaveBeenCalledWith('B'));
  });

  test('a compared run not in the run store: a message naming it, and the one run alone', () => {
    open('#/replay?run=A&compare=GONE&task=0&trial=1&step=5');
    showEpisode(app);
    expect(notices()).toEqual(['run GONE, to replay beside run A, is not in the run store: showing run A alone']);
    expect(app.getState().replayCompareRunId).toBeNull();
    expect(app.getState().replayCursor).toBe(5);
    expect(window.location.hash).toBe('#/replay?run=A&task=0&trial=1&step=5&camera=orbit');
  });
});
