import { z } from 'zod';

/**
 * Errors cross every process boundary as plain tagged objects (never Error instances, which lose
 * their fields in structured clone and in JSON).
 */
export const ErrorKind = z.enum([
  'invalid-message', // not JSON, or not a request envelope
  'message-too-large', // over MAX_MESSAGE_BYTES
  'unknown-request', // a request type the contract does not have
  'invalid-params', // params fail the request's schema; `field` names the first bad one
  'invalid-result', // the engine answered with something the contract does not allow
  'internal', // a handler threw
  'engine-unavailable', // the engine host is not running (or died with the call pending)
  'disconnected', // the transport closed with the call pending
]);
export type ErrorKind = z.infer<typeof ErrorKind>;

export const RsdError = z.object({
  kind: ErrorKind,
  message: z.string(),
  /** Dotted path of the first offending field, e.g. `params.refresh`. */
  field: z.string().optional(),
  detail: z.unknown().optional(),
});
export type RsdError = z.infer<typeof RsdError>;

/** The error a client rejects with: an Error (for stack traces) that carries the tagged object. */
export class RsdCallError extends Error {
  readonly error: RsdError;
  constructor(error: RsdError) {
    super(error.field ? `${error.message} (${error.field})` : error.message);
    this.name = 'RsdCallError';
    this.error = error;
  }
}

export function rsdError(kind: ErrorKind, message: string, extra: Partial<Pick<RsdError, 'field' | 'detail'>> = {}): RsdError {
  return { kind, message, ...extra };
}

/** First issue of a zod error as a field path and message, with the path prefixed (e.g. `params`). */
export function fromZodError(kind: ErrorKind, error: z.ZodError, prefix: string): RsdError {
  const issue = error.issues[0];
  // An unexpected key is named by the key itself, so the field points at what to remove.
  const extraKey = issue?.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [];
  const path = [prefix, ...(issue?.path ?? []).map(String), ...extraKey].filter(Boolean).join('.');
  return rsdError(kind, `${path}: ${issue?.message ?? 'invalid'}`, { field: path, detail: error.issues.slice(0, 5) });
}

/**
 * Any thrown value as a plain error object. Emscripten (MuJoCo WASM) throws numbers or pointer-like
 * values, so non-Errors are named rather than dropped.
 */
export function toRsdError(thrown: unknown, kind: ErrorKind = 'internal'): RsdError {
  if (thrown instanceof RsdCallError) return thrown.error;
  if (thrown instanceof Error) return rsdError(kind, thrown.message, { detail: { name: thrown.name } });
  if (typeof thrown === 'number') return rsdError(kind, `native code threw ${thrown} (likely a WebAssembly abort)`);
  return rsdError(kind, String(thrown));
}
