import { z } from 'zod';
import { checksRequests, ChecksProgress } from './checks.js';
import { RsdError } from './errors.js';
import { fidelityRequests } from './fidelity.js';
import { policyRequests } from './policy-server.js';
import { runsRequests } from './runs.js';
import { EvalEvent } from './schemas/eval-events.js';
import { settingsRequests } from './settings.js';
import { systemRequests } from './system.js';
import { REQUEST_TYPES, EVENT_TYPES } from './names.js';

/**
 * The one contract between renderer and engine: every request with its params and result schema,
 * every push event with its payload schema. Each domain owns a request map; they are joined here.
 * Transports (Electron IPC, WebSocket, in-process) all carry exactly these messages.
 */
export const requests = {
  ...systemRequests,
  ...checksRequests,
  ...settingsRequests,
  ...runsRequests,
  ...fidelityRequests,
  ...policyRequests,
} as const;

export const EngineStatus = z.object({
  state: z.enum(['ready', 'exited', 'crashed']),
  detail: z.string().optional(),
});

export const events = {
  /** The engine host came up, or went away (Electron: the utility process exited or crashed). */
  'engine.status': EngineStatus,
  /** A check of a `checks.run` started or finished. */
  'checks.progress': ChecksProgress,
  /** Something happened in the run started with `eval.start` or `eval.resume`. */
  'eval.event': EvalEvent,
} as const;

export type Requests = typeof requests;
export type RequestType = keyof Requests;
export type Params<K extends RequestType> = z.input<Requests[K]['params']>;
export type ParsedParams<K extends RequestType> = z.output<Requests[K]['params']>;
export type Result<K extends RequestType> = z.output<Requests[K]['result']>;

export type Events = typeof events;
export type EventType = keyof Events;
export type EventPayload<E extends EventType> = z.output<Events[E]>;

/** 1 MiB: larger messages are refused with `message-too-large`, by client and host alike. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

// ---- wire envelopes (WebSocket text frames and the Electron MessagePort carry these as JSON) ----

export const RequestEnvelope = z
  .object({
    id: z.number().int().nonnegative(),
    type: z.string().min(1),
    params: z.unknown().optional(),
  })
  .strict();
export type RequestEnvelope = z.infer<typeof RequestEnvelope>;

export const Reply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: RsdError }),
]);
export type Reply = z.infer<typeof Reply>;

/** A reply on the wire carries the request id; null when the request could not be read at all. */
export type ReplyEnvelope = Reply & { id: number | null };

export const EventEnvelope = z.object({ event: z.string(), payload: z.unknown() });
export type EventEnvelope = z.infer<typeof EventEnvelope>;

export function isRequestType(type: string): type is RequestType {
  return Object.hasOwn(requests, type);
}
export function isEventType(type: string): type is EventType {
  return Object.hasOwn(events, type);
}

// names.ts lists the same keys without zod, for the sandboxed preload: the compiler keeps them in step.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const requestNamesMatch: Same<RequestType, (typeof REQUEST_TYPES)[number]> = true;
const eventNamesMatch: Same<EventType, (typeof EVENT_TYPES)[number]> = true;
void requestNamesMatch;
void eventNamesMatch;
