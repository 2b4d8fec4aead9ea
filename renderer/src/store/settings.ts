import type { StateCreator } from 'zustand';
import type { RsdError } from '../../../engine/api/errors.js';
import type { SettingsPatch, SettingsState } from '../../../engine/api/settings.js';
import type { AppState } from './index.js';
import { asRsdError } from './notices.js';

export interface SettingsSlice {
  settings: SettingsState | null;
  loadSettings(): Promise<void>;
  /**
   * Saves a change and checks again the rows that read it. Resolves to the engine's error (for the
   * form to show beside its field), or null once saved.
   */
  changeSettings(patch: SettingsPatch): Promise<RsdError | null>;
}

export const settingsSlice: StateCreator<AppState, [], [], SettingsSlice> = (set, get) => ({
  settings: null,

  async loadSettings() {
    const { client } = get();
    if (!client) return;
    try {
      set({ settings: await client.call('settings.get', {}) });
    } catch (thrown) {
      get().report('Could not read the settings', thrown);
    }
  },

  async changeSettings(patch) {
    const { client } = get();
    if (!client) return { kind: 'disconnected', message: 'not connected to the engine' };
    try {
      set({ settings: await client.call('settings.set', patch) });
    } catch (thrown) {
      return asRsdError(thrown);
    }
    const changed = Object.keys(patch);
    const affected = get()
      .checks.filter((c) => c.id === 'settings.file' || c.reads.some((key) => changed.includes(key)))
      .map((c) => c.id);
    if (affected.length > 0) void get().runChecks(affected);
    return null;
  },
});
