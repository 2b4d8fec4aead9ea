import type { StateCreator } from 'zustand';
import type { CheckId, CheckResult, CheckRow, ChecksProgress } from '../../../engine/api/checks.js';
import type { RsdClient } from '../../../engine/api/client.js';
import type { AppState } from './index.js';

export interface ChecksRunProgress {
  done: number;
  total: number;
  /** The check running now; null between checks. */
  current: CheckId | null;
}

export interface ChecksSlice {
  /** The checklist's rows with the engine's latest results (kept by the engine, so they survive a reload). */
  checks: CheckRow[];
  checksLoaded: boolean;
  /** Asked for from this window and not started yet. */
  checksQueued: readonly CheckId[];
  /** The current run's progress, from `checks.progress` events; null when no run is going. */
  checksProgress: ChecksRunProgress | null;
  loadChecks(): Promise<void>;
  /** Runs these checks (all when absent); results arrive through the events as each finishes. */
  runChecks(ids?: CheckId[]): Promise<void>;
  /** Follows `checks.progress`; returns the unsubscribe. */
  watchChecks(client: RsdClient): () => void;
}

const withResult = (rows: CheckRow[], result: CheckResult): CheckRow[] => rows.map((r) => (r.id === result.id ? { ...r, result, running: false } : r));

export const checksSlice: StateCreator<AppState, [], [], ChecksSlice> = (set, get) => ({
  checks: [],
  checksLoaded: false,
  checksQueued: [],
  checksProgress: null,

  async loadChecks() {
    const { client } = get();
    if (!client) return;
    try {
      const { checks } = await client.call('checks.list', {});
      set({ checks, checksLoaded: true });
    } catch (thrown) {
      get().report('Could not load the checklist', thrown);
    }
  },

  async runChecks(ids) {
    const { client, checks } = get();
    if (!client) return;
    const wanted = ids ?? checks.map((c) => c.id);
    set((s) => ({ checksQueued: [...new Set([...s.checksQueued, ...wanted])] }));
    try {
      const { results } = await client.call('checks.run', ids ? { ids } : {});
      // The events already brought these; the answer makes sure a missed event leaves no row behind.
      set((s) => ({ checks: results.reduce(withResult, s.checks) }));
    } catch (thrown) {
      get().report('Could not run the checks', thrown);
    } finally {
      set((s) => ({ checksQueued: s.checksQueued.filter((id) => !wanted.includes(id)) }));
    }
  },

  watchChecks(client) {
    return client.listen('checks.progress', (p: ChecksProgress) => {
      if (p.phase === 'started') {
        set((s) => ({
          checks: s.checks.map((r) => (r.id === p.id ? { ...r, running: true } : r)),
          checksQueued: s.checksQueued.filter((id) => id !== p.id),
          checksProgress: { done: p.done, total: p.total, current: p.id },
        }));
      } else {
        set((s) => ({
          checks: withResult(s.checks, p.result),
          checksProgress: p.done === p.total ? null : { done: p.done, total: p.total, current: null },
        }));
      }
    });
  },
});
