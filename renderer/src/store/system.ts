import type { StateCreator } from 'zustand';
import type { SystemInfo } from '../../../engine/api/system.js';
import type { AppState } from './index.js';

export interface SystemSlice {
  systemInfo: SystemInfo | null;
  systemLoading: boolean;
  loadSystemInfo(refresh?: boolean): Promise<void>;
}

export const systemSlice: StateCreator<AppState, [], [], SystemSlice> = (set, get) => ({
  systemInfo: null,
  systemLoading: false,
  async loadSystemInfo(refresh = false) {
    const { client } = get();
    if (!client) return;
    set({ systemLoading: true });
    try {
      set({ systemInfo: await client.call('system.info', { refresh }) });
    } catch (thrown) {
      get().report('Could not read system information', thrown);
    } finally {
      set({ systemLoading: false });
    }
  },
});
