import type { z } from 'zod';
import {
  events,
  EventEnvelope,
  isEventType,
  MAX_MESSAGE_BYTES,
  Reply,
  requests,
  type EventPayload,
  type EventType,
  type Params,
  type RequestType,
  type Result,
} from './contract.js';
import { fromZodError, rsdError, RsdCallError, toRsdError, type RsdError } from './errors.js';
import type { ConnectionKind, ConnectionState, Transport } from './transport.js';

/** The renderer's (and tests') one handle on the engine, whatever carries the messages. */
export interface RsdClient {
  readonly kind: ConnectionKind;
  call<K extends RequestType>(type: K, params: Params<K>): Promise<Result<K>>;
  /** Returns its unsubscribe. */
  listen<E extends EventType>(type: E, listener: (payload: EventPayload<E>) => void): () => void;
  onState(listener: (state: ConnectionState, detail?: string) => void): () => void;
  /** Called for events that fail their schema: shown to the user, never dropped silently. */
  onProtocolError(listener: (error: RsdError) => void): () => void;
  close(): void;
}

export function createClient(transport: Transport): RsdClient {
  const protocolErrorListeners = new Set<(error: RsdError) => void>();
  const reportProtocolError = (error: RsdError) => protocolErrorListeners.forEach((l) => l(error));
  const eventListeners = new Map<string, Set<(payload: unknown) => void>>();

  // One subscription to the transport, validated once, fanned out by event type.
  const dispatchEvent = (raw: unknown) => {
    const envelope = EventEnvelope.safeParse(raw);
    if (!envelope.success) return reportProtocolError(fromZodError('invalid-message', envelope.error, 'event'));
    const type = envelope.data.event;
    if (!isEventType(type)) return reportProtocolError(rsdError('invalid-message', `unknown event type "${type}"`, { field: 'event' }));
    const payload = (events[type] as z.ZodType).safeParse(envelope.data.payload);
    if (!payload.success) return reportProtocolError(fromZodError('invalid-message', payload.error, `${type}.payload`));
    eventListeners.get(type)?.forEach((l) => l(payload.data));
  };
  const unsubscribeTransport = transport.subscribe(dispatchEvent);

  return {
    kind: transport.kind,

    async call(type, params) {
      const size = new TextEncoder().encode(JSON.stringify(params ?? {})).length;
      if (size > MAX_MESSAGE_BYTES) {
        throw new RsdCallError(
          rsdError('message-too-large', `${type}: params of ${size} bytes exceed the ${MAX_MESSAGE_BYTES}-byte limit`, {
            field: 'params',
          }),
        );
      }
      let raw: unknown;
      try {
        raw = await transport.request(type, params);
      } catch (thrown) {
        throw new RsdCallError(toRsdError(thrown, 'disconnected'));
      }
      const reply = Reply.safeParse(raw);
      if (!reply.success) throw new RsdCallError(fromZodError('invalid-result', reply.error, 'reply'));
      if (!reply.data.ok) throw new RsdCallError(reply.data.error);
      const result = (requests[type].result as z.ZodType).safeParse(reply.data.result);
      if (!result.success) throw new RsdCallError(fromZodError('invalid-result', result.error, `${type}.result`));
      return result.data as Result<typeof type>;
    },

    listen(type, listener) {
      const forType = eventListeners.get(type) ?? new Set();
      eventListeners.set(type, forType);
      forType.add(listener as (payload: unknown) => void);
      return () => forType.delete(listener as (payload: unknown) => void);
    },

    onState(listener) {
      if (transport.onState) return transport.onState(listener);
      listener('open');
      return () => {};
    },

    onProtocolError(listener) {
      protocolErrorListeners.add(listener);
      return () => protocolErrorListeners.delete(listener);
    },

    close() {
      unsubscribeTransport();
      transport.close?.();
    },
  };
}
