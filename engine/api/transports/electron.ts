import { rsdError } from '../errors.js';
import { bridgeMethodName, type RsdBridge } from '../names.js';
import type { Transport } from '../transport.js';

/** The renderer's side of Electron IPC: calls the preload's `window.rsd` functions. */
export function electronTransport(bridge: RsdBridge): Transport {
  return {
    kind: 'electron',
    async request(type, params) {
      const method = (bridge as unknown as Record<string, unknown>)[bridgeMethodName(type)];
      if (typeof method !== 'function') {
        return { ok: false, error: rsdError('unknown-request', `unknown request type "${type}"`, { field: 'type' }) };
      }
      return (method as (p: unknown) => Promise<unknown>)(params);
    },
    subscribe(listener) {
      return bridge.onEvent(listener);
    },
  };
}
