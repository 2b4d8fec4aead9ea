import type { StateCreator } from 'zustand';
import type { AppState } from './index.js';

export const PAGES = ['checklist', 'run', 'results', 'replay', 'system'] as const;
export type Page = (typeof PAGES)[number];

export function pageFromHash(hash: string): Page {
  const name = hash.replace(/^#\/?/, '').replace(/\?.*$/, '');
  return (PAGES as readonly string[]).includes(name) ? (name as Page) : 'checklist';
}

/** An episode to replay. */
export interface ReplayTarget {
  runId: string;
  taskId: number;
  trial: number;
  /** A side-by-side replay: the run whose episode of the same task and trial plays beside it. */
  compare?: string;
}

export interface NavigationSlice {
  page: Page;
  navigate(page: Page): void;
  /** The run the Results page shows (null: the newest). */
  resultsRunId: string | null;
  openResults(runId: string): void;
  /** The episode the Replay page shows (null: let the user pick). */
  replayTarget: ReplayTarget | null;
  openReplay(target: ReplayTarget): void;
}

export const navigationSlice: StateCreator<AppState, [], [], NavigationSlice> = (set, get) => ({
  page: typeof window === 'undefined' ? 'checklist' : pageFromHash(window.location.hash),
  // The address bar follows the store (address-sync.ts writes it), so back/forward and links work.
  navigate: (page) => set({ page }),
  resultsRunId: null,
  openResults: (runId) => {
    set({ resultsRunId: runId });
    get().navigate('results');
  },
  replayTarget: null,
  openReplay: (target) => {
    set({ replayTarget: target });
    get().navigate('replay');
  },
});
