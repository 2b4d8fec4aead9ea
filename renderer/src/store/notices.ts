import type { StateCreator } from 'zustand';
import { RsdCallError, RsdError } from '../../../engine/api/errors.js';
import type { AppState } from './index.js';

export interface Notice {
  id: number;
  title: string;
  error: RsdError;
}

export interface NoticesSlice {
  notices: Notice[];
  /** Shows an error without blocking: a dismissable notice, newest last, at most 5 kept. */
  report(title: string, thrown: unknown): void;
  dismiss(id: number): void;
}

let nextNoticeId = 1;

/** A thrown value or an already-tagged error object, as a tagged error. */
export function asRsdError(thrown: unknown): RsdError {
  if (thrown instanceof RsdCallError) return thrown.error;
  const tagged = RsdError.safeParse(thrown);
  if (tagged.success) return tagged.data;
  return { kind: 'internal', message: thrown instanceof Error ? thrown.message : String(thrown) };
}

export const noticesSlice: StateCreator<AppState, [], [], NoticesSlice> = (set) => ({
  notices: [],
  report: (title, thrown) =>
    set((state) => ({ notices: [...state.notices, { id: nextNoticeId++, title, error: asRsdError(thrown) }].slice(-5) })),
  dismiss: (id) => set((state) => ({ notices: state.notices.filter((n) => n.id !== id) })),
});
