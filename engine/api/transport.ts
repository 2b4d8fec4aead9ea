export type ConnectionKind = 'electron' | 'server' | 'in-process';
export type ConnectionState = 'connecting' | 'open' | 'closed';

/**
 * What a transport must do: deliver one request and return the raw reply (validated by the client),
 * and deliver raw event envelopes. Electron IPC, the WebSocket and the in-process host implement it.
 */
export interface Transport {
  readonly kind: ConnectionKind;
  request(type: string, params: unknown): Promise<unknown>;
  /** Raw event envelopes: the client validates them and reports the bad ones. */
  subscribe(listener: (event: unknown) => void): () => void;
  /** Transports that can lose their connection report it; others stay `open`. */
  onState?(listener: (state: ConnectionState, detail?: string) => void): () => void;
  close?(): void;
}
