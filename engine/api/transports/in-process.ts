import type { EngineHost } from '../../host/host.js';
import type { Transport } from '../transport.js';

/**
 * Runs the host in the caller's process, through the same text path as the WebSocket, so that tests
 * exercise the real validation. Used by tests and by the CLI.
 */
export function inProcessTransport(host: EngineHost): Transport {
  let nextId = 0;
  return {
    kind: 'in-process',
    async request(type, params) {
      const { id: _id, ...reply } = await host.handle(JSON.stringify({ id: nextId++, type, params }));
      return reply;
    },
    subscribe(listener) {
      return host.onEvent(listener);
    },
  };
}
