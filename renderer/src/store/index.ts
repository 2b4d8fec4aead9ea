import { create } from 'zustand';
import { checksSlice, type ChecksSlice } from './checks.js';
import { connectionSlice, type ConnectionSlice } from './connection.js';
import { fidelitySlice, type FidelitySlice } from './fidelity.js';
import { navigationSlice, type NavigationSlice } from './navigation.js';
import { noticesSlice, type NoticesSlice } from './notices.js';
import { replaySlice, type ReplaySlice } from './replay.js';
import { resultsSlice, type ResultsSlice } from './results.js';
import { runSlice, type RunSlice } from './run.js';
import { settingsSlice, type SettingsSlice } from './settings.js';
import { systemSlice, type SystemSlice } from './system.js';

export type AppState = NavigationSlice & NoticesSlice & ConnectionSlice & SystemSlice & ChecksSlice & SettingsSlice & RunSlice & ResultsSlice & FidelitySlice & ReplaySlice;

/** One store from typed slices (zustand's slices pattern). */
export const createAppStore = () =>
  create<AppState>()((...a) => ({
    ...navigationSlice(...a),
    ...noticesSlice(...a),
    ...connectionSlice(...a),
    ...systemSlice(...a),
    ...checksSlice(...a),
    ...settingsSlice(...a),
    ...runSlice(...a),
    ...resultsSlice(...a),
    ...fidelitySlice(...a),
    ...replaySlice(...a),
  }));

export type AppStore = ReturnType<typeof createAppStore>;
