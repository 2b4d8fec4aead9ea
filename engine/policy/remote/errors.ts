/**
 * How a remote policy's request can fail, each a named error: the runner ends that one episode as
 * `error` with `Name: message` (engine/eval/sim-pool.ts), and the run goes on.
 */

/** The server could not be reached, refused the connection (HTTP 401: the API key), or dropped it mid-request. */
export class PolicyConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyConnectionError';
  }
}

/** No reply within the request's time limit. */
export class PolicyTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyTimeoutError';
  }
}

/** The server reported a failure: a text frame (openpi sends its traceback), then close 1011. */
export class PolicyServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyServerError';
  }
}

/** A reply the workbench cannot act on: no `actions`, the wrong shape, non-finite values, a bad `rsd` record. */
export class PolicyReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyReplyError';
  }
}

/**
 * A server's text frame in one line: openpi sends a whole traceback, whose first line says where
 * and whose last line says what ("RuntimeError: ..."); both are kept, the frames between dropped.
 */
export function serverMessage(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length === 0) return '(an empty message)';
  const cut = (s: string) => (s.length > 300 ? `${s.slice(0, 297)}...` : s);
  return lines.length === 1 ? cut(lines[0]!) : `${cut(lines[lines.length - 1]!)} (${cut(lines[0]!)}, ${lines.length} lines)`;
}
