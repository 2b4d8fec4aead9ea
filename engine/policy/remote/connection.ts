import WebSocket from 'ws';
import { PolicyConnectionError, PolicyServerError, PolicyTimeoutError, serverMessage } from './errors.js';
import { unpackMessage, WireFormatError, type WireMap } from './msgpack-numpy.js';

/**
 * One WebSocket connection to a policy server speaking openpi's protocol: opened with the optional
 * `Authorization: Api-Key` header, no compression; the server's first message (its metadata) read
 * before anything is sent; then one request at a time (an openpi server answers a connection's
 * requests in order, one after the other). A connection that failed a request is closed: a late
 * reply must never answer the next request.
 */

export interface ConnectOptions {
  url: string;
  apiKey?: string;
  /** For the handshake and the metadata message. */
  timeoutMs: number;
}

/** Largest message accepted (openpi sets no limit; this guards memory against a runaway server). */
const MAX_MESSAGE = 1 << 30;

/**
 * Client frames carry a masking key (RFC 6455 5.3) so that a hostile script in a browser cannot
 * shape the bytes an intermediary sees (10.3). This client is no browser script; with a zero key
 * the mask is the identity, and ws skips the XOR pass and its copy over each ~300 KB observation on
 * both ends (measured by `rsd bench remote`).
 */
function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

interface Pending {
  resolve(reply: Buffer): void;
  reject(error: Error): void;
}

export class ServerConnection {
  private pending: Pending | null = null;
  private failure: Error | null = null;

  private constructor(
    private readonly ws: WebSocket,
    readonly url: string,
    /** The server's metadata message (openpi servers send any map, often an empty one). */
    readonly metadata: WireMap,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('close', (code: number, reason: Buffer) => this.fail(new PolicyConnectionError(`the policy server at ${url} closed the connection (code ${code}${reason.length ? `: ${reason.toString()}` : ''})`)));
    ws.on('error', (error: Error) => this.fail(new PolicyConnectionError(`the connection to the policy server at ${url} failed: ${error.message}`)));
  }

  /** Opens a connection and reads the metadata message. */
  static open(options: ConnectOptions, signal?: AbortSignal): Promise<ServerConnection> {
    const { url, apiKey, timeoutMs } = options;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        perMessageDeflate: false,
        maxPayload: MAX_MESSAGE,
        handshakeTimeout: timeoutMs,
        generateMask: zeroMask,
        ...(apiKey ? { headers: { Authorization: `Api-Key ${apiKey}` } } : {}),
      });
      let done = false;
      /** Ends the opening: its listeners go, and the connection (made after they went) or the error is the result. */
      const finish = (error: Error | null, metadata?: WireMap) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        ws.removeAllListeners();
        if (error) {
          ws.on('error', () => undefined);
          ws.terminate();
          reject(error);
        } else resolve(new ServerConnection(ws, url, metadata!));
      };
      const onAbort = () => finish(signal!.reason instanceof Error ? signal!.reason : new Error(String(signal!.reason)));
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => finish(new PolicyTimeoutError(`the policy server at ${url} sent no metadata within ${timeoutMs} ms of connecting`)), timeoutMs);
      ws.on('unexpected-response', (_request, response) => {
        const status = response.statusCode ?? 0;
        const why = status === 401 || status === 403 ? (apiKey ? ': the API key was refused' : ': it wants an API key (--api-key-env VAR)') : '';
        response.resume();
        finish(new PolicyConnectionError(`the policy server at ${url} refused the connection: HTTP ${status} ${response.statusMessage ?? ''}`.trimEnd() + why));
      });
      ws.on('error', (error: Error & { code?: string }) => finish(new PolicyConnectionError(`cannot reach the policy server at ${url}: ${error.code ?? error.message}`)));
      ws.on('close', (code: number) => finish(new PolicyConnectionError(`the policy server at ${url} closed the connection before sending its metadata (code ${code})`)));
      ws.once('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary) return finish(new PolicyServerError(`the policy server at ${url} sent text instead of its metadata: ${serverMessage(data.toString())}`));
        let metadata: WireMap;
        try {
          const value = unpackMessage(data);
          if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value) || 'dtype' in value) throw new WireFormatError('the metadata message is not a map');
          metadata = value as WireMap;
        } catch (error) {
          return finish(new PolicyConnectionError(`the policy server at ${url} sent metadata the workbench cannot read: ${(error as Error).message}`));
        }
        finish(null, metadata);
      });
    });
  }

  /** Whether a request can be sent: open, and nothing failed. */
  get usable(): boolean {
    return this.failure === null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends one observation and waits for its reply (the raw msgpack bytes). */
  request(message: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<Buffer> {
    if (this.pending) return Promise.reject(new Error('a policy server connection serves one request at a time'));
    if (!this.usable) return Promise.reject(this.failure ?? new PolicyConnectionError(`the connection to the policy server at ${this.url} is closed`));
    return new Promise<Buffer>((resolve, reject) => {
      const settle = (error: Error | null, reply?: Buffer) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending = null;
        if (error) {
          this.fail(error);
          reject(error);
        } else resolve(reply!);
      };
      const onAbort = () => settle(signal!.reason instanceof Error ? signal!.reason : new Error(String(signal!.reason)));
      const timer = setTimeout(() => settle(new PolicyTimeoutError(`the policy server at ${this.url} did not answer within ${timeoutMs} ms`)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending = { resolve: (reply) => settle(null, reply), reject: (error) => settle(error) };
      this.ws.send(message, { binary: true }, (error) => {
        if (error) this.pending?.reject(new PolicyConnectionError(`sending to the policy server at ${this.url} failed: ${error.message}`));
      });
    });
  }

  close(): void {
    this.fail(new PolicyConnectionError(`the connection to the policy server at ${this.url} was closed by the workbench`));
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    const error = isBinary ? null : new PolicyServerError(`the policy server at ${this.url} failed: ${serverMessage(data.toString())}`);
    if (!this.pending) {
      // Nobody asked: a protocol error (or the text of an error after a failed request); the connection is done.
      this.fail(error ?? new PolicyConnectionError(`the policy server at ${this.url} sent a message nobody asked for`));
      return;
    }
    if (error) this.pending.reject(error);
    else this.pending.resolve(data);
  }

  /** The connection is unusable from now on: the request in flight fails with `error`, the socket closes. */
  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.pending?.reject(error);
    this.ws.removeAllListeners('message');
    this.ws.on('error', () => undefined);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}
