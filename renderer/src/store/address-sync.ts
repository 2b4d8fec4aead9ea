import { stepAt } from '../components/replay/timeline.js';
import { formatAddress, historyMove, parseAddress, type AddressView } from './address.js';
import { timelineSteps } from './replay-partner.js';
import type { AppState, AppStore } from './index.js';

/**
 * Keeps the address bar and the store in step, both ways. The address is written from the view
 * shown (pushing a history entry when the page, run or episode changes; replacing it when only the
 * step or camera moves, so scrubbing and playing do not flood history), and an address that
 * arrives (on load, back/forward, a pasted link) is applied to the store. While an address is being
 * restored (its run and episode load), nothing is written; once it is shown, or found stale, the
 * address is replaced by what is on screen and a notice says what could not be followed.
 * It reads only `location.hash` and `history`, so it works the same on http:// and Electron's file://.
 */

/** The view on screen, as an address names it. */
export function shownView(s: AppState): AddressView {
  if (s.page === 'results') {
    const run = s.resultsRunId && s.runs.some((r) => r.id === s.resultsRunId) ? s.resultsRunId : s.runsLoaded ? s.runs[0]?.id : (s.resultsRunId ?? undefined);
    if (run === undefined) return { page: 'results' };
    return s.compareRunId && s.compareRunId !== run ? { page: 'results', run, compare: s.compareRunId } : { page: 'results', run };
  }
  if (s.page === 'replay') {
    const run = s.replayRun;
    if (run.status === 'none') return { page: 'replay' };
    const compare = s.replayCompareRunId !== null && s.replayCompareRunId !== run.runId ? { compare: s.replayCompareRunId } : {};
    const e = s.replayEpisode;
    if (e.status === 'none') return { page: 'replay', run: run.runId, ...compare };
    const view: AddressView = { page: 'replay', run: run.runId, ...compare, task: e.taskId, trial: e.trial };
    if (e.status === 'ready') {
      view.step = stepAt(s.replayCursor, timelineSteps(e.episode.steps, s.replayPartner));
      view.camera = s.replayCamera;
    }
    return view;
  }
  return { page: s.page };
}

const withoutStep = ({ step: _step, ...view }: AddressView): string => formatAddress(view);

/** Starts the two-way sync; returns the stop. */
export function syncAddress(store: AppStore, win: Window): () => void {
  /** The address being restored: writing waits until it is shown (or found stale). */
  let pending: AddressView | null = null;
  /** Set while this module changes the store, so its own changes are not taken for the user's. */
  let applying = false;
  let timer: ReturnType<typeof setTimeout> | null = null;

  // A link is input: what of it could not be followed is said as invalid params, not as an engine failure.
  const tell = (problem: string) => store.getState().report('The link could not be followed in full', { kind: 'invalid-params', message: problem });

  /**
   * The address as this module last wrote or followed it. A hash that differs is the user's (a link
   * clicked: the browser changes the hash at once but fires hashchange later), so a store change in
   * between must follow it rather than write the shown view over it.
   */
  let known = win.location.hash;

  const setLocation = (address: string, move: 'push' | 'replace') => {
    if (move === 'push') win.history.pushState(null, '', address);
    else win.history.replaceState(null, '', address);
    known = win.location.hash;
  };

  /** Writes the shown view; only-the-step-moved writes are coalesced (browsers throttle rapid history calls). */
  const write = (force?: 'replace', now = false) => {
    if (win.location.hash !== known) return apply(win.location.hash);
    if (pending) return;
    const s = store.getState();
    const to = shownView(s);
    const address = formatAddress(to);
    const current = win.location.hash;
    if (address === current) return;
    const from = parseAddress(current).view;
    if (!force && !now && withoutStep(to) === withoutStep(from)) {
      // While playing, the step is written when playback stops; while scrubbing, a little after.
      if (s.replayPlaying || timer) return;
      timer = setTimeout(() => {
        timer = null;
        if (!store.getState().replayPlaying) write(undefined, true);
      }, 150);
      return;
    }
    setLocation(address, force ?? historyMove(from, to));
  };

  const settle = () => {
    pending = null;
    write('replace');
  };

  /** Whether the address being restored is on screen yet; says what of it is stale (its notices change the store: not seen as the user's). */
  const check = () => applyingDo(checkPending);
  const checkPending = () => {
    const view = pending;
    if (!view) return;
    const s = store.getState();
    if (view.page === 'results') {
      if (!s.runsLoaded) return;
      const known = (id: string) => s.runs.some((r) => r.id === id);
      if (view.run !== undefined && !known(view.run)) {
        tell(`run ${view.run} is not in the run store (deleted, or from another machine): showing the newest run`);
        applyingDo(() => store.setState({ resultsRunId: null }));
      }
      if (view.compare !== undefined && !known(view.compare)) {
        tell(`run ${view.compare}, to compare with, is not in the run store: showing no comparison`);
        applyingDo(() => s.chooseComparison(null));
      }
      return settle();
    }
    if (view.page === 'replay' && view.run !== undefined) {
      if (s.replayRuns === null) return void (s.replayRunsError && settle());
      if (!s.replayRuns.some((r) => r.id === view.run)) {
        tell(`run ${view.run} is not in the run store (deleted, or from another machine): showing ${s.replayRuns.length ? 'the newest run' : 'no run'}`);
        return settle();
      }
      if (view.compare !== undefined && !s.replayRuns.some((r) => r.id === view.compare)) {
        tell(`run ${view.compare}, to replay beside run ${view.run}, is not in the run store: showing run ${view.run} alone`);
        delete view.compare;
        applyingDo(() => s.setReplayCompare(null));
      }
      const run = s.replayRun;
      if (run.status === 'none' || run.runId !== view.run || run.status === 'loading') return;
      if (run.status === 'failed' || view.task === undefined || run.trajectories !== 'present') return settle();
      if (!run.episodes.some((e) => e.taskId === view.task && e.trial === view.trial)) {
        tell(`run ${view.run} has no episode of task ${view.task}, trial ${view.trial}: showing its first episode`);
        return settle();
      }
      const e = s.replayEpisode;
      if (e.status === 'none' || e.status === 'loading' || e.taskId !== view.task || e.trial !== view.trial) return;
      // Side by side, the step may be in the longer episode: wait for the second one too.
      const partner = s.replayPartner;
      if (view.compare !== undefined && e.status === 'ready' && (partner.status === 'none' || partner.status === 'loading')) return;
      if (e.status === 'ready' && view.step !== undefined) {
        const steps = timelineSteps(e.episode.steps, partner);
        if (view.step > steps) tell(`step ${view.step} is past the episode's end (it has ${steps} steps): showing step 0`);
        else applyingDo(() => s.seekReplay(view.step!));
      }
      return settle();
    }
    settle();
  };

  function applyingDo(f: () => void) {
    const was = applying;
    applying = true;
    try {
      f();
    } finally {
      applying = was;
    }
  }

  /** Shows what an address names; cheap when part of it is on screen already (no repeated requests). */
  const apply = (hash: string) => {
    known = hash;
    const { view, problems } = parseAddress(hash);
    for (const p of problems) tell(p);
    const s = store.getState();
    pending = view;
    applyingDo(() => {
      if (view.page !== s.page) store.setState({ page: view.page });
      if (view.page === 'results' && view.run !== undefined) {
        store.setState({ resultsRunId: view.run });
        if ((view.compare ?? null) !== s.compareRunId) s.chooseComparison(view.compare ?? null);
      }
      if (view.page === 'replay' && view.run !== undefined) {
        if (view.camera) s.setReplayCamera(view.camera);
        const run = s.replayRun;
        const e = s.replayEpisode;
        const compare = view.compare ?? null;
        if (run.status === 'ready' && run.runId === view.run) {
          // The run is shown: pick the episode (with the compared run beside it), or only open or
          // close the comparison and move the cursor when the episode is shown too.
          const same = e.status !== 'none' && e.taskId === view.task && e.trial === view.trial;
          if (view.task !== undefined && view.trial !== undefined && !same) {
            store.setState({ replayCompareRunId: compare });
            void s.selectReplayEpisode(view.task, view.trial);
          } else s.setReplayCompare(compare);
        } else if (run.status === 'loading' && run.runId === view.run) {
          store.setState({ replayCompareRunId: compare });
        } else {
          // The Replay page lists the runs and opens the target (the run's first episode for -1).
          store.setState({ replayTarget: { runId: view.run, taskId: view.task ?? -1, trial: view.trial ?? -1, ...(compare ? { compare } : {}) } });
        }
      }
    });
    check();
  };

  const onHashChange = () => apply(win.location.hash);
  win.addEventListener('hashchange', onHashChange);
  const unsubscribe = store.subscribe((s, prev) => {
    if (applying) return;
    // Another page asked for an episode (Results' episode table): restore it like an address.
    if (s.replayTarget !== prev.replayTarget && s.replayTarget) {
      const t = s.replayTarget;
      const compare = t.compare !== undefined ? { compare: t.compare } : {};
      const view: AddressView = t.taskId >= 0 ? { page: 'replay', run: t.runId, ...compare, task: t.taskId, trial: t.trial } : { page: 'replay', run: t.runId, ...compare };
      const address = formatAddress(view);
      if (address !== win.location.hash) setLocation(address, pending ? 'replace' : 'push');
      pending = view;
    }
    if (pending) check();
    else write();
  });
  apply(win.location.hash);
  return () => {
    unsubscribe();
    win.removeEventListener('hashchange', onHashChange);
    if (timer) clearTimeout(timer);
  };
}
