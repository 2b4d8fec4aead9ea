import type { StateCreator } from 'zustand';
import type { RsdClient } from '../../../engine/api/client.js';
import type { EngineHealth } from '../../../engine/api/system.js';
import type { ConnectionKind, ConnectionState } from '../../../engine/api/transport.js';
import type { AppState } from './index.js';

export type EngineStatus =
  | { state: 'unknown' }
  | { state: 'ok'; health: EngineHealth }
  | { state: 'down'; reason: string };

export interface ConnectionSlice {
  client: RsdClient | null;
  connectionKind: ConnectionKind | null;
  connectionState: ConnectionState;
  connectionDetail: string | undefined;
  engine: EngineStatus;
  /** Wires the client into the store; returns the teardown. */
  attach(client: RsdClient): () => void;
  checkHealth(): Promise<void>;
}

export const HEALTH_INTERVAL_MS = 5000;

export const connectionSlice: StateCreator<AppState, [], [], ConnectionSlice> = (set, get) => {
  // Bumped whenever the engine is reported down, so that a health answer already in flight cannot
  // paint a crashed engine healthy again.
  let downEpoch = 0;
  const markDown = (reason: string) => {
    downEpoch++;
    set({ engine: { state: 'down', reason } });
  };
  return {
    client: null,
    connectionKind: null,
    connectionState: 'connecting',
    connectionDetail: undefined,
    engine: { state: 'unknown' },

    attach(client) {
      set({ client, connectionKind: client.kind });
      const offState = client.onState((connectionState, connectionDetail) => {
        const wasOpen = get().connectionState === 'open';
        set({ connectionState, connectionDetail });
        if (connectionState === 'closed') {
          const reason = connectionDetail ?? 'connection closed';
          markDown(reason);
          get().report(wasOpen ? 'Lost the connection to the engine' : 'Could not connect to the engine', {
            kind: 'disconnected',
            message: client.kind !== 'server' ? reason : wasOpen ? `${reason}. Is rsd serve still running? Restart it and open the URL it prints.` : `${reason}. Open the URL that rsd serve printed: it carries the access token.`,
          });
        }
        if (connectionState === 'open') void get().checkHealth();
      });
      const offStatus = client.listen('engine.status', ({ state, detail }) => {
        if (state === 'ready') void get().checkHealth();
        else markDown(detail ?? `engine ${state}`);
      });
      const offProtocol = client.onProtocolError((error) => get().report('The engine sent a message this app cannot read', error));
      const offChecks = get().watchChecks(client);
      const timer = setInterval(() => void get().checkHealth(), HEALTH_INTERVAL_MS);
      return () => {
        clearInterval(timer);
        offState();
        offStatus();
        offProtocol();
        offChecks();
        client.close();
      };
    },

    async checkHealth() {
      const { client, connectionState } = get();
      if (!client || connectionState === 'closed') return;
      const epoch = downEpoch;
      try {
        const health = await client.call('system.health', {});
        if (epoch === downEpoch) set({ engine: { state: 'ok', health } });
      } catch (thrown) {
        if (epoch === downEpoch) markDown(thrown instanceof Error ? thrown.message : String(thrown));
      }
    },
  };
};
