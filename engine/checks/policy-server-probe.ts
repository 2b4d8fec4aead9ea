import { Unpackr } from 'msgpackr';
import WebSocket from 'ws';

/**
 * Reaches a policy server that speaks openpi's protocol the way a run would, without running
 * anything: GET /healthz, open the WebSocket (with the key, if any), read the metadata the server
 * sends first, close. Used by the policy.server row; the Run page's probe can reuse it.
 */

/** A hang guard: a healthy server answers both in milliseconds. */
export const PROBE_TIMEOUT_MS = 5_000;

/** The largest metadata message read: openpi's are a few hundred bytes, ours a few kilobytes. */
const METADATA_LIMIT = 4 * 1024 * 1024;

export type ProbeFailure = 'refused' | 'unreachable' | 'unauthorized' | 'http' | 'no-metadata' | 'timeout' | 'aborted';

export class PolicyServerProbeError extends Error {
  constructor(
    readonly reason: ProbeFailure,
    message: string,
    /** The HTTP status, for `unauthorized` and `http`. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PolicyServerProbeError';
  }
}

export interface PolicyServerProbe {
  url: string;
  /** GET /healthz: the HTTP status (openpi's servers answer 200 "OK") and the time to its answer. */
  health: { status: number; ms: number };
  /** The server's first message, as plain JSON values (byte-string keys as strings, arrays summarised). */
  metadata: Record<string, unknown>;
  /** From opening the WebSocket to the metadata decoded: connect, upgrade and the first message. */
  metadataMs: number;
}

export interface ProbeOptions {
  /** Sent as `Authorization: Api-Key <key>`. */
  apiKey?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function probePolicyServer(url: string, options: ProbeOptions = {}): Promise<PolicyServerProbe> {
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const deadline = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])]);
  const headers: Record<string, string> = options.apiKey ? { Authorization: `Api-Key ${options.apiKey}` } : {};
  const where = hostOf(url);
  const stopped = () =>
    deadline.reason instanceof DOMException && deadline.reason.name === 'TimeoutError'
      ? new PolicyServerProbeError('timeout', `no answer from ${where} within ${timeoutMs / 1000} s`)
      : new PolicyServerProbeError('aborted', `the probe of ${where} was stopped`);

  const health = await healthz(url, headers, deadline, stopped);
  const started = performance.now();
  const metadata = await firstMessage(url, headers, deadline, stopped);
  return { url, health, metadata, metadataMs: performance.now() - started };
}

/** The health URL of a ws(s):// address: http(s)://HOST:PORT/healthz. */
export function healthzUrl(url: string): string {
  const http = new URL(url);
  http.protocol = http.protocol === 'wss:' ? 'https:' : 'http:';
  http.pathname = '/healthz';
  http.search = '';
  http.hash = '';
  return http.toString();
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

async function healthz(url: string, headers: Record<string, string>, deadline: AbortSignal, stopped: () => Error): Promise<PolicyServerProbe['health']> {
  const started = performance.now();
  try {
    const response = await fetch(healthzUrl(url), { headers, signal: deadline, redirect: 'manual' });
    await response.body?.cancel();
    return { status: response.status, ms: performance.now() - started };
  } catch (thrown) {
    if (deadline.aborted) throw stopped();
    throw connectionError(url, thrown);
  }
}

/** A failed connection, by its cause (fetch wraps it; ws emits it as is). */
function connectionError(url: string, thrown: unknown): PolicyServerProbeError {
  const cause = (thrown as { cause?: unknown }).cause ?? thrown;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const where = hostOf(url);
  if (code === 'ECONNREFUSED') return new PolicyServerProbeError('refused', `nothing is listening at ${where} (connection refused)`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new PolicyServerProbeError('unreachable', `the host of ${where} was not found (${code})`);
  const text = cause instanceof Error ? cause.message : String(cause);
  return new PolicyServerProbeError('unreachable', `cannot reach ${where}: ${text}`);
}

function firstMessage(url: string, headers: Record<string, string>, deadline: AbortSignal, stopped: () => Error): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false, maxPayload: METADATA_LIMIT });
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      deadline.removeEventListener('abort', onAbort);
      outcome();
    };
    const fail = (error: Error) =>
      finish(() => {
        ws.terminate();
        reject(error);
      });
    const onAbort = () => fail(stopped());
    if (deadline.aborted) return onAbort();
    deadline.addEventListener('abort', onAbort);

    // The upgrade answered with plain HTTP: 401 for a missing or wrong key, or something else entirely.
    ws.on('unexpected-response', (request, response) => {
      const status = response.statusCode ?? 0;
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body = (body + chunk).slice(0, 500)));
      response.on('end', () => {
        const said = body.trim().split('\n')[0]?.slice(0, 200);
        const tail = said ? `: ${said}` : '';
        if (status === 401 || status === 403) fail(new PolicyServerProbeError('unauthorized', `${hostOf(url)} refused the connection with HTTP ${status}${tail}`, status));
        else fail(new PolicyServerProbeError('http', `${hostOf(url)} answered the WebSocket upgrade with HTTP ${status}${tail}`, status));
        request.destroy();
      });
    });
    ws.on('error', (error) => fail(connectionError(url, error)));
    ws.on('close', (code, reason) => {
      const why = reason.length > 0 ? `, "${reason.toString('utf8').slice(0, 200)}"` : '';
      fail(new PolicyServerProbeError('no-metadata', `${hostOf(url)} closed the connection (code ${code}${why}) before sending its metadata`));
    });
    ws.on('message', (data, isBinary) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      // openpi's servers send a text frame only for an error (its traceback).
      if (!isBinary) return fail(new PolicyServerProbeError('no-metadata', `${hostOf(url)} sent text instead of its metadata: ${firstLine(bytes.toString('utf8'))}`));
      let decoded: unknown;
      try {
        decoded = new Unpackr({ useRecords: false, mapsAsObjects: false }).unpack(bytes);
      } catch (thrown) {
        return fail(new PolicyServerProbeError('no-metadata', `${hostOf(url)}'s first message is not msgpack (${thrown instanceof Error ? thrown.message : String(thrown)})`));
      }
      if (!(decoded instanceof Map)) return fail(new PolicyServerProbeError('no-metadata', `${hostOf(url)}'s first message is not a metadata map (a ${kindOf(decoded)})`));
      finish(() => {
        ws.close(1000);
        resolve(plain(decoded) as Record<string, unknown>);
      });
    });
  });
}

function firstLine(text: string): string {
  const lines = text.trim().split('\n');
  // A Python traceback's last line names the error.
  const line = lines.length > 1 && lines[0]!.startsWith('Traceback') ? lines[lines.length - 1]! : lines[0]!;
  return line.slice(0, 200);
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value instanceof Uint8Array) return 'byte string';
  return value === null ? 'nil' : typeof value;
}

const NUMPY_SCALARS: Record<string, (view: DataView) => number | bigint | boolean> = {
  '<f4': (v) => v.getFloat32(0, true),
  '<f8': (v) => v.getFloat64(0, true),
  '<i4': (v) => v.getInt32(0, true),
  '<i8': (v) => v.getBigInt64(0, true),
  '<u4': (v) => v.getUint32(0, true),
  '|u1': (v) => v.getUint8(0),
  '|i1': (v) => v.getInt8(0),
  '|b1': (v) => v.getUint8(0) !== 0,
};

/**
 * msgpack as plain values: maps (openpi's byte-string keys decoded as UTF-8) as objects, numpy arrays
 * as a short summary (metadata is shown, not computed with), numpy scalars as numbers.
 */
export function plain(value: unknown): unknown {
  if (value instanceof Map) {
    const entries = [...value.entries()].map(([k, v]) => [k instanceof Uint8Array ? Buffer.from(k).toString('utf8') : String(k), v] as const);
    const object = Object.fromEntries(entries);
    if (object.__ndarray__ === true) return `ndarray ${String(object.dtype)} [${Array.isArray(object.shape) ? object.shape.join(', ') : '?'}]`;
    if (object.__npgeneric__ === true && object.data instanceof Uint8Array && typeof object.dtype === 'string') {
      const read = NUMPY_SCALARS[object.dtype];
      const bytes = object.data;
      if (read && bytes.byteLength > 0) {
        const scalar = read(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        return typeof scalar === 'bigint' ? Number(scalar) : scalar;
      }
      return `numpy ${object.dtype} scalar`;
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, plain(v)]));
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  if (typeof value === 'bigint') return Number(value);
  return value;
}
