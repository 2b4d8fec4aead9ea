import type { StateCreator } from 'zustand';
import type { Result } from '../../../engine/api/contract.js';
import type { RsdError } from '../../../engine/api/errors.js';
import type { AppState } from './index.js';
import { asRsdError } from './notices.js';

/** The Results page's "Simulator fidelity" section: the newest report `rsd fidelity` wrote (`fidelity.latest`). */

export type LatestFidelity = Result<'fidelity.latest'>;

export interface FidelitySlice {
  /** What the engine answered; null until it has. */
  fidelity: LatestFidelity | null;
  /** Why it could not be asked. */
  fidelityError: RsdError | null;
  loadFidelity(): Promise<void>;
}

export const fidelitySlice: StateCreator<AppState, [], [], FidelitySlice> = (set, get) => ({
  fidelity: null,
  fidelityError: null,
  async loadFidelity() {
    const { client } = get();
    if (!client) return;
    try {
      set({ fidelity: await client.call('fidelity.latest', {}), fidelityError: null });
    } catch (thrown) {
      set({ fidelityError: asRsdError(thrown) });
    }
  },
});
