import type { z } from 'zod';
import {
  events,
  isRequestType,
  MAX_MESSAGE_BYTES,
  RequestEnvelope,
  requests,
  type EventEnvelope,
  type EventPayload,
  type EventType,
  type ParsedParams,
  type ReplyEnvelope,
  type RequestType,
  type Result,
} from '../api/contract.js';
import { fromZodError, rsdError, toRsdError, type RsdError } from '../api/errors.js';

export interface HandlerContext {
  emit<E extends EventType>(type: E, payload: EventPayload<E>): void;
}

export type Handlers = {
  [K in RequestType]: (params: ParsedParams<K>, ctx: HandlerContext) => Promise<Result<K>> | Result<K>;
};

/**
 * The engine host's core, the same under every transport: it takes one request as text, checks it
 * against the contract, runs its handler and returns the reply. It never throws: every failure is a
 * reply with a tagged error, and the host stays up for the next message.
 */
export class EngineHost {
  private readonly listeners = new Set<(event: EventEnvelope) => void>();
  private readonly ctx: HandlerContext = { emit: (type, payload) => this.emit(type, payload) };

  constructor(private readonly handlers: Handlers) {}

  async handle(text: string): Promise<ReplyEnvelope> {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_MESSAGE_BYTES) {
      return fail(null, rsdError('message-too-large', `message of ${bytes} bytes exceeds the ${MAX_MESSAGE_BYTES}-byte limit`));
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return fail(null, rsdError('invalid-message', 'message is not valid JSON'));
    }
    const envelope = RequestEnvelope.safeParse(json);
    if (!envelope.success) {
      const id = readId(json);
      return fail(id, fromZodError('invalid-message', envelope.error, 'message'));
    }
    const { id, type, params } = envelope.data;
    if (!isRequestType(type)) {
      return fail(id, rsdError('unknown-request', `unknown request type "${type}"`, { field: 'type', detail: { known: Object.keys(requests) } }));
    }
    const parsed = (requests[type].params as z.ZodType).safeParse(params ?? {});
    if (!parsed.success) return fail(id, fromZodError('invalid-params', parsed.error, 'params'));
    try {
      const handler = this.handlers[type] as (p: unknown, ctx: HandlerContext) => unknown;
      const result = await handler(parsed.data, this.ctx);
      // The host checks its own answers too: a handler bug shows up here, not as a confusing UI.
      const checked = (requests[type].result as z.ZodType).safeParse(result);
      if (!checked.success) return fail(id, fromZodError('invalid-result', checked.error, `${type}.result`));
      return { id, ok: true, result: checked.data };
    } catch (thrown) {
      return fail(id, toRsdError(thrown));
    }
  }

  emit<E extends EventType>(type: E, payload: EventPayload<E>): void {
    const checked = events[type].parse(payload);
    const envelope: EventEnvelope = { event: type, payload: checked };
    for (const listener of this.listeners) listener(envelope);
  }

  onEvent(listener: (event: EventEnvelope) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function fail(id: number | null, error: RsdError): ReplyEnvelope {
  return { id, ok: false, error };
}

/** The id of a malformed request when it has a usable one, so that its caller still gets its answer. */
function readId(json: unknown): number | null {
  if (typeof json !== 'object' || json === null || !('id' in json)) return null;
  const id = (json as { id: unknown }).id;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : null;
}
