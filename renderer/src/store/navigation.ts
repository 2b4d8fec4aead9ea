import type { StateCreator } from 'zustand';
import type { AppState } from './index.js';

export const PAGES = ['checklist', 'run', 'results', 'replay', 'system'] as const;
export type Page = (typeof PAGES)[number];

export function pageFromHash(hash: string): Page {
  const name = hash.replace(/^#\/?/, '');
  return (PAGES as readonly string[]).includes(name) ? (name as Page) : 'checklist';
}

export interface NavigationSlice {
  page: Page;
  navigate(page: Page): void;
}

export const navigationSlice: StateCreator<AppState, [], [], NavigationSlice> = (set) => ({
  page: typeof window === 'undefined' ? 'checklist' : pageFromHash(window.location.hash),
  navigate: (page) => set({ page }),
});
