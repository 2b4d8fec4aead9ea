import type { StateCreator } from 'zustand';
import type { RunSummary } from '../../../engine/api/schemas/runs.js';
import type { EpisodeRecord } from '../../../engine/api/schemas/results.js';
import type { DecodingStrategy } from '../../../engine/api/schemas/run-config.js';
import type { TrajectoryCameraView } from '../../../engine/api/schemas/trajectory.js';
import type { Result } from '../../../engine/api/contract.js';
import type { CameraMode } from '../components/replay/camera-modes.js';
import { decodeEpisode, orderFailedFirst, type ReplayEpisode } from '../components/replay/episode.js';
import type { ReplayScene } from '../components/replay/scene.js';
import { advance, clampCursor, startPlaying, stepCursor, type Speed } from '../components/replay/timeline.js';
import type { AppState } from './index.js';
import { asRsdError } from './notices.js';
import type { ReplayTarget } from './navigation.js';
import { partnerProblem, timelineSteps, type ReplayPartnerState } from './replay-partner.js';

/**
 * The Replay page's state: which run and episode, the decoded trajectory and scene, and the
 * timeline (cursor, play, speed, loop) and camera mode. The cursor changes every animation frame
 * while playing or scrubbing: components that follow it (the 3D view, the plots' cursor lines, the
 * slider) use `subscribeReplayCursor`, not a React selector.
 */

/** One episode of the picked run, as the picker lists it. */
export type ReplayEpisodeEntry = Pick<EpisodeRecord, 'taskId' | 'trial' | 'initIndex' | 'outcome' | 'steps' | 'error' | 'trajectory' | 'chunks'>;

/** The picker's entries from a results file's episodes: failed first. */
const entriesOf = (episodes: readonly EpisodeRecord[]): ReplayEpisodeEntry[] =>
  orderFailedFirst(episodes).map(({ taskId, trial, initIndex, outcome, steps, error, trajectory, chunks }) => ({ taskId, trial, initIndex, outcome, steps, error, trajectory, chunks }));

export type ReplayRunState =
  | { status: 'none' }
  | { status: 'loading'; runId: string }
  | {
      status: 'ready';
      runId: string;
      maxSteps: number;
      /** The run's decoding: which latency stages its chunks have. */
      decoding: DecodingStrategy;
      episodes: ReplayEpisodeEntry[];
      /** `none`: no episode recorded one; `missing`: they are named but not in the run's folder (imported results). */
      trajectories: 'present' | 'none' | 'missing';
    }
  | { status: 'failed'; runId: string; message: string };

export type ReplayEpisodeState =
  | { status: 'none' }
  | { status: 'loading'; taskId: number; trial: number }
  | { status: 'ready'; taskId: number; trial: number; episode: ReplayEpisode; scene: ReplayScene }
  /** The episode has no trajectory to show (an error before one was written, or a file not in this run's folder). */
  | { status: 'unavailable'; taskId: number; trial: number; message: string }
  | { status: 'failed'; taskId: number; trial: number; message: string };

/**
 * The shown episode's camera images, loaded after its trajectory (`runs.cameras`, a page of rows
 * per call): `rows[r][v]` is view v after r steps, a JPEG Blob; rows arrive in order while loading.
 */
export type ReplayCamerasState =
  | { status: 'none' }
  | { status: 'loading' | 'ready'; key: string; views: TrajectoryCameraView[]; frames: number; rows: Blob[][] }
  | { status: 'failed'; key: string; message: string };

export interface ReplaySlice {
  /** Runs to pick from (newest first); null until listed. */
  replayRuns: RunSummary[] | null;
  replayRunsError: string | null;
  replayRun: ReplayRunState;
  replayEpisode: ReplayEpisodeState;
  /** Position in policy steps, fractional between recorded rows. */
  replayCursor: number;
  replayPlaying: boolean;
  replaySpeed: Speed;
  replayLoop: boolean;
  replayCamera: CameraMode;
  replayCameras: ReplayCamerasState;
  /** Side by side: the run whose episode of the same task and trial plays beside the shown one (null: one run). */
  replayCompareRunId: string | null;
  replayPartner: ReplayPartnerState;

  /** Lists runs and picks one: the navigation's replay target, else the one shown, else the newest. */
  loadReplayRuns(): Promise<void>;
  selectReplayRun(runId: string, preselect?: { taskId: number; trial: number }): Promise<void>;
  /**
   * Lists the runs again and re-reads the shown run's episodes (a running run gains some), keeping
   * the episode on screen and the timeline where they are.
   */
  refreshReplayRuns(): Promise<void>;
  /** Refreshes as evaluations start, finish episodes and end (`eval.event`); returns the unsubscribe. */
  followReplayRuns(): () => void;
  selectReplayEpisode(taskId: number, trial: number): Promise<void>;
  seekReplay(cursor: number): void;
  stepReplay(direction: -1 | 1): void;
  toggleReplayPlaying(): void;
  setReplayPlaying(playing: boolean): void;
  /** Moves a playing cursor by wall-clock milliseconds (the page's animation loop calls it). */
  advanceReplay(dtMs: number): void;
  setReplaySpeed(speed: Speed): void;
  setReplayLoop(loop: boolean): void;
  setReplayCamera(mode: CameraMode): void;
  /** Opens the side-by-side replay with run `runId` (its episode of the shown task and trial), or closes it (null). */
  setReplayCompare(runId: string | null): void;
  /** Calls `listener` with the cursor now and whenever it changes; returns the unsubscribe. */
  subscribeReplayCursor(listener: (cursor: number) => void): () => void;
}

/** A trajectory that the run store does not have: said as such, not as a failure of replay. */
const MISSING = /has no (trajectory|scene)/;

export const replaySlice: StateCreator<AppState, [], [], ReplaySlice> = (set, get, api) => {
  // Newer requests win: an answer for a run or episode that is no longer wanted is dropped.
  let runToken = 0;
  let episodeToken = 0;
  let partnerToken = 0;
  let appliedTarget: ReplayTarget | null = null;
  const scenes = new Map<string, Promise<ReplayScene>>();

  /** Pages through the episode's camera rows; stops when another episode is picked. */
  const loadCameras = async (runId: string, taskId: number, trial: number, token: number): Promise<void> => {
    const client = get().client;
    if (!client) return;
    const key = `${runId}/${taskId}/${trial}`;
    const rows: Blob[][] = [];
    try {
      let from: number | null = 0;
      while (from !== null) {
        const page: Result<'runs.cameras'> = await client.call('runs.cameras', { id: runId, taskId, trial, from });
        if (token !== episodeToken) return;
        for (const r of page.rows) rows[r.row] = r.jpeg.map(jpegBlob);
        from = page.next;
        set({ replayCameras: { status: from === null ? 'ready' : 'loading', key, views: page.views, frames: page.frames, rows: [...rows] } });
      }
    } catch (thrown) {
      if (token !== episodeToken) return;
      set({ replayCameras: { status: 'failed', key, message: asRsdError(thrown).message } });
    }
  };

  /** The timeline's length: the episode's steps, or the longer of the two side by side. */
  const episodeSteps = (): number => {
    const e = get().replayEpisode;
    return timelineSteps(e.status === 'ready' ? e.episode.steps : 0, get().replayPartner);
  };

  const sceneFor = (runId: string, taskId: number): Promise<ReplayScene> => {
    const key = `${runId}/${taskId}`;
    let scene = scenes.get(key);
    if (!scene) {
      const client = get().client;
      if (!client) return Promise.reject(new Error('not connected to the engine'));
      scene = client.call('runs.scene', { id: runId, taskId }).then((r) => r.scene);
      scene.catch(() => scenes.delete(key));
      scenes.set(key, scene);
    }
    return scene;
  };

  /** Loads the compared run's episode of (taskId, trial) beside the shown one; a newer call or a close drops it. */
  const loadPartner = async (taskId: number, trial: number): Promise<void> => {
    const token = ++partnerToken;
    const runId = get().replayCompareRunId;
    const run = get().replayRun;
    const { client } = get();
    const entry = run.status === 'ready' ? run.episodes.find((e) => e.taskId === taskId && e.trial === trial) : undefined;
    if (runId === null || !client || run.status !== 'ready' || !entry) return void (get().replayPartner.status !== 'none' && set({ replayPartner: { status: 'none' } }));
    const where = { runId, taskId, trial };
    set({ replayPartner: { status: 'loading', ...where } });
    try {
      const { results } = await client.call('runs.results', { id: runId });
      if (token !== partnerToken) return;
      const running = get().replayRuns?.find((r) => r.id === runId)?.status === 'running';
      const found = partnerProblem({ runId: run.runId, taskId, trial, initIndex: entry.initIndex }, runId, results.episodes, running);
      if ('message' in found) return set({ replayPartner: { status: 'unavailable', ...where, message: found.message } });
      const [scene, answer] = await Promise.all([sceneFor(runId, taskId), client.call('runs.trajectory', { id: runId, taskId, trial })]);
      if (token !== partnerToken) return;
      const episode = decodeEpisode(runId, answer.trajectory);
      if (episode.bodies !== scene.bodies.length) throw new Error(`the trajectory has poses of ${episode.bodies} bodies, its scene ${scene.bodies.length}`);
      const recorded = results.episodes.find((e) => e.taskId === taskId && e.trial === trial)!.chunks;
      set({ replayPartner: { status: 'ready', ...where, decoding: results.config.decoding, recorded, episode, scene } });
    } catch (thrown) {
      if (token !== partnerToken) return;
      const message = asRsdError(thrown).message;
      if (MISSING.test(message)) set({ replayPartner: { status: 'unavailable', ...where, message: `Run ${runId}'s folder holds no trajectory for task ${taskId}, trial ${trial} (imported results carry none): ${message}` } });
      else set({ replayPartner: { status: 'failed', ...where, message } });
    }
  };

  return {
    replayRuns: null,
    replayRunsError: null,
    replayRun: { status: 'none' },
    replayEpisode: { status: 'none' },
    replayCursor: 0,
    replayPlaying: false,
    replaySpeed: 1,
    replayLoop: false,
    replayCamera: 'orbit',
    replayCameras: { status: 'none' },
    replayCompareRunId: null,
    replayPartner: { status: 'none' },

    async loadReplayRuns() {
      const { client } = get();
      if (!client) return;
      let runs: RunSummary[];
      try {
        runs = (await client.call('runs.list', {})).runs;
      } catch (thrown) {
        const message = asRsdError(thrown).message;
        set({ replayRunsError: message });
        get().report('Could not list the runs', thrown);
        return;
      }
      set({ replayRuns: runs, replayRunsError: null });
      const target = get().replayTarget;
      if (target && target !== appliedTarget && runs.some((r) => r.id === target.runId)) {
        appliedTarget = target;
        // A target says whether it is a side-by-side replay (an address's compare), so one without closes it.
        set({ replayCompareRunId: target.compare ?? null });
        return get().selectReplayRun(target.runId, { taskId: target.taskId, trial: target.trial });
      }
      appliedTarget = target;
      const shown = get().replayRun;
      if (shown.status !== 'none' && runs.some((r) => r.id === shown.runId)) return;
      const newest = runs[0];
      if (newest) return get().selectReplayRun(newest.id);
      set({ replayRun: { status: 'none' }, replayEpisode: { status: 'none' } });
    },

    async selectReplayRun(runId, preselect) {
      const { client } = get();
      if (!client) return;
      const token = ++runToken;
      episodeToken++;
      // A run is not compared with itself.
      if (get().replayCompareRunId === runId) get().setReplayCompare(null);
      partnerToken++;
      set({ replayRun: { status: 'loading', runId }, replayEpisode: { status: 'none' }, replayPartner: { status: 'none' }, replayPlaying: false, replayCursor: 0 });
      try {
        const { results } = await client.call('runs.results', { id: runId });
        if (token !== runToken) return;
        const episodes = entriesOf(results.episodes);
        const pick = (preselect && episodes.find((e) => e.taskId === preselect.taskId && e.trial === preselect.trial)) ?? episodes.find((e) => e.trajectory !== null);
        let trajectories: 'present' | 'none' | 'missing' = episodes.some((e) => e.trajectory !== null) ? 'present' : 'none';
        if (trajectories === 'present' && pick) {
          // The scene is written before any trajectory: a run folder without it has none (imported results).
          const missing = await sceneFor(runId, pick.taskId).then(
            () => false,
            (thrown: unknown) => MISSING.test(asRsdError(thrown).message),
          );
          if (token !== runToken) return;
          if (missing) trajectories = 'missing';
        }
        set({ replayRun: { status: 'ready', runId, maxSteps: results.config.maxSteps, decoding: results.config.decoding, episodes, trajectories } });
        if (pick && trajectories === 'present') await get().selectReplayEpisode(pick.taskId, pick.trial);
      } catch (thrown) {
        if (token !== runToken) return;
        set({ replayRun: { status: 'failed', runId, message: asRsdError(thrown).message } });
      }
    },

    async refreshReplayRuns() {
      const { client } = get();
      if (!client) return;
      const token = runToken;
      try {
        const runs = (await client.call('runs.list', {})).runs;
        set({ replayRuns: runs, replayRunsError: null });
        const shown = get().replayRun;
        if (shown.status === 'none' && runs[0]) return await get().selectReplayRun(runs[0].id);
        if (shown.status !== 'ready' || token !== runToken) return;
        const { results } = await client.call('runs.results', { id: shown.runId });
        const now = get().replayRun;
        if (token !== runToken || now.status !== 'ready') return;
        const episodes = entriesOf(results.episodes);
        const trajectories = now.trajectories === 'missing' ? 'missing' : episodes.some((e) => e.trajectory !== null) ? 'present' : 'none';
        set({ replayRun: { ...now, episodes, trajectories } });
        const e = get().replayEpisode;
        const first = episodes.find((x) => x.trajectory !== null);
        if (e.status === 'none' && trajectories === 'present' && first) await get().selectReplayEpisode(first.taskId, first.trial);
      } catch (thrown) {
        get().report('Could not refresh the runs', thrown);
      }
    },

    followReplayRuns() {
      const { client } = get();
      if (!client) return () => undefined;
      return client.listen('eval.event', (event) => {
        const shown = get().replayRun;
        const ours = shown.status !== 'none' && shown.runId === event.runId;
        if (event.type === 'run-started' || event.type === 'run-finished' || (event.type === 'episode-finished' && (ours || shown.status === 'none'))) void get().refreshReplayRuns();
        // Side by side with a run still evaluating: its episode may have just been written.
        const e = get().replayEpisode;
        if (event.type === 'episode-finished' && event.runId === get().replayCompareRunId && get().replayPartner.status === 'unavailable' && e.status !== 'none') void loadPartner(e.taskId, e.trial);
      });
    },

    async selectReplayEpisode(taskId, trial) {
      const run = get().replayRun;
      if (run.status !== 'ready') return;
      const entry = run.episodes.find((e) => e.taskId === taskId && e.trial === trial);
      if (!entry) return;
      const token = ++episodeToken;
      set({ replayPlaying: false, replayCursor: 0, replayCameras: { status: 'none' } });
      void loadPartner(taskId, trial); // side by side: the compared run's episode loads alongside (else: none)
      if (entry.trajectory === null) {
        const message =
          entry.outcome === 'error'
            ? `This episode ended in an error before a trajectory was written, so there is nothing to replay. The error: ${entry.error ?? 'no message recorded'}`
            : 'This episode has no trajectory: it was recorded without one.';
        set({ replayEpisode: { status: 'unavailable', taskId, trial, message } });
        return;
      }
      const { client } = get();
      if (!client) return;
      set({ replayEpisode: { status: 'loading', taskId, trial } });
      try {
        const [scene, answer] = await Promise.all([sceneFor(run.runId, taskId), client.call('runs.trajectory', { id: run.runId, taskId, trial })]);
        if (token !== episodeToken) return;
        const episode = decodeEpisode(run.runId, answer.trajectory);
        if (episode.bodies !== scene.bodies.length) throw new Error(`the trajectory has poses of ${episode.bodies} bodies, its scene ${scene.bodies.length}`);
        set({ replayEpisode: { status: 'ready', taskId, trial, episode, scene }, replayCursor: 0 });
        if (episode.cameras) void loadCameras(run.runId, taskId, trial, token);
      } catch (thrown) {
        if (token !== episodeToken) return;
        const message = asRsdError(thrown).message;
        if (MISSING.test(message)) {
          set({ replayEpisode: { status: 'unavailable', taskId, trial, message: `This run's folder holds no trajectory for this episode (imported results carry none): ${message}` } });
        } else set({ replayEpisode: { status: 'failed', taskId, trial, message } });
      }
    },

    seekReplay(cursor) {
      set({ replayCursor: clampCursor(cursor, episodeSteps()) });
    },
    stepReplay(direction) {
      set({ replayPlaying: false, replayCursor: stepCursor(get().replayCursor, direction, episodeSteps()) });
    },
    toggleReplayPlaying() {
      get().setReplayPlaying(!get().replayPlaying);
    },
    setReplayPlaying(playing) {
      if (!playing) return set({ replayPlaying: false });
      const next = startPlaying(get().replayCursor, episodeSteps());
      set({ replayPlaying: next.playing, replayCursor: next.cursor });
    },
    advanceReplay(dtMs) {
      const s = get();
      if (!s.replayPlaying) return;
      const next = advance({ cursor: s.replayCursor, playing: true }, dtMs, episodeSteps(), s.replaySpeed, s.replayLoop);
      set({ replayCursor: next.cursor, replayPlaying: next.playing });
    },
    setReplaySpeed(speed) {
      set({ replaySpeed: speed });
    },
    setReplayLoop(loop) {
      set({ replayLoop: loop });
    },
    setReplayCamera(mode) {
      set({ replayCamera: mode });
    },
    setReplayCompare(runId) {
      if (runId === get().replayCompareRunId && (runId === null || get().replayPartner.status !== 'none')) return;
      partnerToken++;
      set({ replayCompareRunId: runId, replayPartner: { status: 'none' } });
      const e = get().replayEpisode;
      if (runId !== null && e.status !== 'none') void loadPartner(e.taskId, e.trial);
      // Back to one run: the cursor stays within its episode.
      if (runId === null) set({ replayCursor: clampCursor(get().replayCursor, episodeSteps()) });
    },
    subscribeReplayCursor(listener) {
      listener(get().replayCursor);
      return api.subscribe((state, previous) => {
        if (state.replayCursor !== previous.replayCursor) listener(state.replayCursor);
      });
    },
  };
};

/** A base64 JPEG from `runs.cameras` as a Blob (createImageBitmap and <img> read it). */
function jpegBlob(base64: string): Blob {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type: 'image/jpeg' });
}
