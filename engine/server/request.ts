import type http from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The one place where `rsd serve` turns what a client sent (the request target, the Origin header)
 * into values, for the HTTP handler and the WebSocket upgrade alike. Nothing here throws: every input
 * becomes either a parsed value or a refusal with its status. Plus the last guard around the handlers
 * (an unexpected throw becomes a 500, logged, never a crash) and the limits on slow clients.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; status: number; reason: string };

export interface RequestTarget {
  /** Still percent-encoded, as the URL parser leaves it; decode with the traversal guard. */
  pathname: string;
  searchParams: URLSearchParams;
}

/** Longer targets are refused before parsing (Node's own header limit, 16 KiB, is the outer bound). */
export const MAX_TARGET_LENGTH = 8192;

const BASE = 'http://rsd.invalid';

/**
 * Parses a request target. Only origin-form (`/path?query`) is accepted, which is what browsers and
 * WebSocket clients send to a server: absolute-form (`http://host/...`, meant for proxies), `*`, and
 * anything that a URL parser would read as naming a host (`//host`, `/\host`, `\\host`) are refused
 * with 400, as is a target the parser rejects or one that is too long.
 */
export function parseTarget(raw: string | undefined): Parsed<RequestTarget> {
  const refuse = (reason: string): Parsed<RequestTarget> => ({ ok: false, status: 400, reason });
  if (typeof raw !== 'string' || raw.length === 0) return refuse('Bad Request: no request target');
  if (raw.length > MAX_TARGET_LENGTH) return refuse('Bad Request: request target too long');
  if (raw[0] !== '/') return refuse('Bad Request: only origin-form request targets (/path) are served');
  // WHATWG URL parsing treats `\` as `/` for http(s), so `/\x` is `//x`: a host, not a path.
  if (raw[1] === '/' || raw[1] === '\\') return refuse('Bad Request: request target names a host');
  // Control characters, spaces and non-ASCII never reach here from a conforming client; llhttp may let some through.
  if (/[^\x21-\x7e]/.test(raw)) return refuse('Bad Request: request target has characters outside printable ASCII');
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return refuse('Bad Request: request target does not parse');
  }
  // Belt and braces: whatever the target was, it must not have moved the URL off the base.
  if (url.origin !== BASE) return refuse('Bad Request: request target names a host');
  return { ok: true, value: { pathname: url.pathname, searchParams: url.searchParams } };
}

/**
 * Checks a WebSocket upgrade's Origin against the server's own host (the Host header). No Origin at
 * all is accepted (non-browser clients, which have the token); otherwise it must parse as an http(s)
 * origin whose host is the Host header. `null` (sandboxed frames, file pages), other schemes, a
 * malformed value or another host are refused with 403.
 */
export function checkOrigin(origin: string | string[] | undefined, hostHeader: string | undefined): Parsed<null> {
  const refuse = (reason: string): Parsed<null> => ({ ok: false, status: 403, reason });
  if (origin === undefined) return { ok: true, value: null };
  if (typeof origin !== 'string') return refuse('Forbidden: more than one Origin');
  if (typeof hostHeader !== 'string' || hostHeader.length === 0) return refuse('Forbidden: no Host to compare the Origin with');
  if (origin.length > 2048) return refuse('Forbidden: cross-origin');
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return refuse('Forbidden: cross-origin');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse('Forbidden: cross-origin');
  if (url.host !== hostHeader.toLowerCase()) return refuse('Forbidden: cross-origin');
  return { ok: true, value: null };
}

/** A refusal written straight onto an upgrade socket (there is no ServerResponse there). */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const text = reason.replace(/[^\x20-\x7e]/g, '?');
  const phrase = STATUS_PHRASES[status] ?? 'Error';
  if (socket.writable) socket.end(`HTTP/1.1 ${status} ${phrase}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`);
  else socket.destroy();
}

const STATUS_PHRASES: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' };

export type Log = (line: string) => void;

const defaultLog: Log = (line) => process.stderr.write(`${line}\n`);

const describe = (error: unknown): string => (error instanceof Error ? (error.stack ?? error.message) : String(error)).split('\n').slice(0, 3).join(' | ');

/**
 * The last guard around an HTTP handler: a throw (or a rejected promise) becomes a 500 when nothing
 * was sent yet, a dropped connection otherwise, and one line in the log; the server keeps serving.
 */
export function guardHttpHandler(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>, log: Log = defaultLog): http.RequestListener {
  return (req, res) => {
    const fail = (error: unknown) => {
      log(`rsd serve: internal error answering a request: ${describe(error)}`);
      try {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain', connection: 'close' }).end('internal error\n');
        else res.destroy();
      } catch {
        req.socket.destroy();
      }
    };
    try {
      const result = handler(req, res);
      if (result instanceof Promise) result.catch(fail);
    } catch (error) {
      fail(error);
    }
  };
}

/** The same guard for the upgrade event: a throw refuses the upgrade with 500 (or drops the socket). */
export function guardUpgradeHandler(
  handler: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void,
  log: Log = defaultLog,
): (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    // Node takes its own error listener off an upgraded socket: without one, a reset from the peer
    // while we answer would be an uncaught 'error' event. `ws` adds its own once it takes the socket.
    socket.on('error', () => socket.destroy());
    try {
      handler(req, socket, head);
    } catch (error) {
      log(`rsd serve: internal error answering an upgrade: ${describe(error)}`);
      try {
        refuseUpgrade(socket, 500, 'Internal Server Error');
      } catch {
        socket.destroy();
      }
    }
  };
}

/** Limits on slow clients, in milliseconds. A browser on loopback never comes near them. */
export interface ServerTimeouts {
  /** The request line and all headers must arrive within this (Node answers 408, then closes). */
  headersMs: number;
  /** The whole request (headers and any body) must arrive within this. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
  /** A connection on which nothing at all happens (not even a first byte) is closed after this. */
  idleMs: number;
  /** How often Node checks the header and request limits (its default, 30 s, made them 60 + 30 s). */
  checkIntervalMs: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = {
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 5_000,
  idleMs: 30_000,
  checkIntervalMs: 1_000,
};

/** Fills in defaults and keeps the values consistent (Node requires headers <= request). */
export function resolveTimeouts(given: Partial<ServerTimeouts> = {}): ServerTimeouts {
  const t = { ...DEFAULT_TIMEOUTS, ...given };
  for (const [name, value] of Object.entries(t)) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`timeouts.${name} must be a positive number of milliseconds, not ${value}`);
  }
  t.requestMs = Math.max(t.requestMs, t.headersMs);
  return t;
}
