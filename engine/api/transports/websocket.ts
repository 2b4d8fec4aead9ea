import type { ReplyEnvelope } from '../contract.js';
import { rsdError, RsdCallError } from '../errors.js';
import type { ConnectionState, Transport } from '../transport.js';

/** The part of the WebSocket API this transport uses: browsers' and `ws`'s both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (ev: { code: number; reason: string }) => void): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
}

const OPEN = 1;

/**
 * JSON over one WebSocket (`rsd serve`). Requests carry an id; replies are matched to it. When the
 * socket closes every pending call is rejected at once, never left hanging.
 */
export function webSocketTransport(socket: WebSocketLike): Transport {
  let nextId = 0;
  const pending = new Map<number, { resolve: (reply: unknown) => void; reject: (error: unknown) => void }>();
  const eventListeners = new Set<(event: unknown) => void>();
  const stateListeners = new Set<(state: ConnectionState, detail?: string) => void>();
  let state: ConnectionState = socket.readyState === OPEN ? 'open' : 'connecting';
  let closeDetail: string | undefined;
  const opened = new Promise<void>((resolve, reject) => {
    if (state === 'open') return resolve();
    socket.addEventListener('open', () => resolve());
    socket.addEventListener('close', () => reject(new RsdCallError(rsdError('disconnected', closeDetail ?? 'connection closed'))));
  });
  opened.catch(() => {});

  const setState = (next: ConnectionState, detail?: string) => {
    state = next;
    stateListeners.forEach((l) => l(next, detail));
  };

  socket.addEventListener('open', () => setState('open'));
  socket.addEventListener('close', (ev) => {
    closeDetail = ev.reason ? `connection closed: ${ev.reason} (${ev.code})` : `connection closed (${ev.code})`;
    setState('closed', closeDetail);
    for (const { reject } of pending.values()) reject(new RsdCallError(rsdError('disconnected', closeDetail)));
    pending.clear();
  });
  socket.addEventListener('message', (ev) => {
    let json: unknown;
    try {
      json = JSON.parse(String(ev.data));
    } catch {
      return; // the server only sends JSON; a garbled frame has no id to answer
    }
    if (typeof json === 'object' && json !== null && 'event' in json) {
      eventListeners.forEach((l) => l(json));
      return;
    }
    const { id, ...reply } = json as ReplyEnvelope;
    if (typeof id === 'number' && pending.has(id)) {
      pending.get(id)!.resolve(reply);
      pending.delete(id);
    } else if (id === null) {
      // The server could not read a request at all; without an id, every caller in flight is told.
      for (const { resolve } of pending.values()) resolve(reply);
      pending.clear();
    }
  });

  return {
    kind: 'server',
    async request(type, params) {
      await opened;
      if (socket.readyState !== OPEN) throw new RsdCallError(rsdError('disconnected', closeDetail ?? 'connection closed'));
      const id = nextId++;
      const reply = new Promise<unknown>((resolve, reject) => pending.set(id, { resolve, reject }));
      socket.send(JSON.stringify({ id, type, params }));
      return reply;
    },
    subscribe(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onState(listener) {
      stateListeners.add(listener);
      listener(state, closeDetail);
      return () => stateListeners.delete(listener);
    },
    close() {
      socket.close();
    },
  };
}
