import type { StateCreator } from 'zustand';
import type { Result } from '../../../engine/api/contract.js';
import type { RsdError } from '../../../engine/api/errors.js';
import type { EvalEvent } from '../../../engine/api/schemas/eval-events.js';
import type { RunSummary } from '../../../engine/api/schemas/runs.js';
import type { AppState } from './index.js';
import { asRsdError } from './notices.js';

/** The Results page's state: the run store's list, each opened run's results, and a run to compare with. */

export type RunResults = Result<'runs.results'>;

/** The engine's comparison of run B against run A (`runs.compare`), or why it refused. */
export type ComparisonState = { comparison: Result<'runs.compare'>['comparison'] } | { error: RsdError };

/** Key of a comparison in `comparisons`. */
export const comparisonKey = (a: string, b: string): string => `${a}|${b}`;

export interface ResultsSlice {
  runs: RunSummary[];
  /** Where the engine keeps runs (shown so a user can find the files). */
  runsRoot: string | null;
  runsLoaded: boolean;
  /** Results by run id, as `runs.results` gave them (of a running run: what finished so far). */
  runResults: Record<string, RunResults>;
  /** Why a run's results could not be read, by run id. */
  runResultsErrors: Record<string, RsdError>;
  /** The run shown beside the Results page's run ("B" of the comparison); null: none. */
  compareRunId: string | null;
  /** The engine's comparisons, by comparisonKey(a, b); the last one stays shown while it is asked again. */
  comparisons: Record<string, ComparisonState>;
  loadRuns(): Promise<void>;
  /** Reads a run's results (again, with refresh) unless already read. */
  loadRunResults(runId: string, refresh?: boolean): Promise<void>;
  chooseComparison(runId: string | null): void;
  /** Asks the engine to compare run B against run A (again: runs that are still running change). */
  loadComparison(a: string, b: string): Promise<void>;
  /** Imports a results file's text; resolves to the engine's error (naming the first problem), or null once shown. */
  importResults(text: string, name: string): Promise<RsdError | null>;
  /** Writes a run's results JSON to a path through the engine (Electron); resolves to the path written, or the error. */
  exportResultsTo(runId: string, path: string): Promise<{ path: string } | { error: RsdError }>;
  /** Names a run ("" puts its id back: runs.rename) and reads the list again; resolves to the engine's error, or null. */
  renameRun(runId: string, name: string): Promise<RsdError | null>;
  /** Sets a run's note ("" removes it: runs.note); resolves to the engine's error, or null. */
  noteRun(runId: string, note: string): Promise<RsdError | null>;
  /** Deletes a run's files (runs.delete; the page has asked the user first) and forgets it; resolves to the engine's error, or null. */
  deleteRun(runId: string): Promise<RsdError | null>;
  /** Keeps the list in step with the run being done (from `eval.event`). */
  noteRunEvent(event: EvalEvent): void;
}

export const resultsSlice: StateCreator<AppState, [], [], ResultsSlice> = (set, get) => {
  // One read per run at a time; a refresh asked for meanwhile runs once after it (a live run's
  // episodes finish faster than a large run's results are read).
  const reading = new Map<string, { again: boolean }>();
  const comparing = new Map<string, { again: boolean }>();
  const read = async (runId: string): Promise<void> => {
    const { client } = get();
    if (!client) return;
    try {
      const results = await client.call('runs.results', { id: runId });
      set((s) => {
        const { [runId]: _dropped, ...errors } = s.runResultsErrors;
        return { runResults: { ...s.runResults, [runId]: results }, runResultsErrors: errors };
      });
    } catch (thrown) {
      set((s) => ({ runResultsErrors: { ...s.runResultsErrors, [runId]: asRsdError(thrown) } }));
    }
  };

  const compare = async (a: string, b: string): Promise<void> => {
    const { client } = get();
    if (!client) return;
    let state: ComparisonState;
    try {
      state = { comparison: (await client.call('runs.compare', { a, b })).comparison };
    } catch (thrown) {
      state = { error: asRsdError(thrown) };
    }
    set((s) => ({ comparisons: { ...s.comparisons, [comparisonKey(a, b)]: state } }));
  };

  // A label change, then the list read again so that every view shows it.
  const labelled = async (change: () => Promise<unknown>): Promise<RsdError | null> => {
    if (!get().client) return { kind: 'disconnected', message: 'not connected to the engine' };
    try {
      await change();
    } catch (thrown) {
      return asRsdError(thrown);
    }
    await get().loadRuns();
    return null;
  };

  return {
    runs: [],
    runsRoot: null,
    runsLoaded: false,
    runResults: {},
    runResultsErrors: {},
    compareRunId: null,
    comparisons: {},

    async loadRuns() {
      const { client } = get();
      if (!client) return;
      try {
        const { root, runs } = await client.call('runs.list', {});
        set({ runs, runsRoot: root, runsLoaded: true });
      } catch (thrown) {
        get().report('Could not list the runs', thrown);
      }
    },

    async loadRunResults(runId, refresh = false) {
      if (!get().client || (!refresh && get().runResults[runId])) return;
      const pending = reading.get(runId);
      if (pending) {
        pending.again ||= refresh;
        return;
      }
      const entry = { again: false };
      reading.set(runId, entry);
      try {
        await read(runId);
        while (entry.again) {
          entry.again = false;
          await read(runId);
        }
      } finally {
        reading.delete(runId);
      }
    },

    chooseComparison(runId) {
      set({ compareRunId: runId });
      if (runId) void get().loadRunResults(runId);
    },

    async loadComparison(a, b) {
      if (!get().client) return;
      // One request per pair at a time; asked again meanwhile, it runs once more after it.
      const key = comparisonKey(a, b);
      const pending = comparing.get(key);
      if (pending) {
        pending.again = true;
        return;
      }
      const entry = { again: false };
      comparing.set(key, entry);
      try {
        await compare(a, b);
        while (entry.again) {
          entry.again = false;
          await compare(a, b);
        }
      } finally {
        comparing.delete(key);
      }
    },

    async importResults(text, name) {
      const { client } = get();
      if (!client) return { kind: 'disconnected', message: 'not connected to the engine' };
      try {
        const { id } = await client.call('runs.import', { text, name });
        await get().loadRuns();
        get().openResults(id);
        return null;
      } catch (thrown) {
        return asRsdError(thrown);
      }
    },

    async exportResultsTo(runId, path) {
      const { client } = get();
      if (!client) return { error: { kind: 'disconnected', message: 'not connected to the engine' } };
      try {
        return await client.call('runs.export', { id: runId, path });
      } catch (thrown) {
        return { error: asRsdError(thrown) };
      }
    },

    async renameRun(runId, name) {
      return labelled(() => get().client!.call('runs.rename', { id: runId, name }));
    },

    async noteRun(runId, note) {
      return labelled(() => get().client!.call('runs.note', { id: runId, note }));
    },

    async deleteRun(runId) {
      const { client } = get();
      if (!client) return { kind: 'disconnected', message: 'not connected to the engine' };
      try {
        await client.call('runs.delete', { id: runId });
      } catch (thrown) {
        return asRsdError(thrown);
      }
      set((s) => {
        const { [runId]: _results, ...runResults } = s.runResults;
        const { [runId]: _error, ...runResultsErrors } = s.runResultsErrors;
        return {
          runs: s.runs.filter((r) => r.id !== runId),
          runResults,
          runResultsErrors,
          compareRunId: s.compareRunId === runId ? null : s.compareRunId,
          resultsRunId: s.resultsRunId === runId ? null : s.resultsRunId,
        };
      });
      await get().loadRuns();
      return null;
    },

    noteRunEvent(event) {
      const { runsLoaded, runResults } = get();
      if (event.type === 'episode-finished' || event.type === 'run-started') {
        const done = event.progress.done;
        set((s) => ({ runs: s.runs.map((r) => (r.id === event.runId ? { ...r, episodesDone: done, status: 'running', active: true } : r)) }));
        // The list's success and latency columns come from the engine: read it again as episodes finish.
        if (runsLoaded && (event.type === 'episode-finished' || !get().runs.some((r) => r.id === event.runId))) void get().loadRuns();
        if (runResults[event.runId] && event.type === 'episode-finished') void get().loadRunResults(event.runId, true);
      }
      if (event.type === 'run-finished') {
        if (runsLoaded) void get().loadRuns();
        if (runResults[event.runId]) void get().loadRunResults(event.runId, true);
      }
    },
  };
};
