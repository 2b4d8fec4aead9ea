// A stand-in for a policy server speaking openpi's protocol (not the project's python/policy_server):
// GET /healthz, an optional `Authorization: Api-Key` refused with HTTP 401, and the metadata sent
// first as msgpack. Enough for the policy.server row; it answers no observations.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Packr } from 'msgpackr';
import { WebSocketServer } from 'ws';

export type StandInMode =
  /** Sends the metadata on connect, as openpi's server does. */
  | 'metadata'
  /** Closes the connection without a message. */
  | 'close'
  /** Sends a text frame (a traceback) and closes with 1011, as openpi's server does on an error. */
  | 'text'
  /** Accepts the connection and never sends anything. */
  | 'hang'
  /** Sends the metadata, but /healthz is missing (404). */
  | 'no-healthz';

export interface StandInOptions {
  mode?: StandInMode;
  /** The metadata message: a Map keeps byte-string (Buffer) keys as Python's msgpack writes them. */
  metadata?: Map<unknown, unknown> | Record<string, unknown>;
  apiKey?: string;
}

export interface StandIn {
  url: string;
  /** The Authorization headers of the WebSocket upgrades seen, in order. */
  authorizations: (string | undefined)[];
  close(): Promise<void>;
}

/** Metadata as python/policy_server sends it, with a numpy array under byte-string keys as openpi's msgpack_numpy writes it. */
export function rsdServerMetadata(): Map<unknown, unknown> {
  const ndarray = new Map<unknown, unknown>([
    [Buffer.from('__ndarray__'), true],
    [Buffer.from('data'), Buffer.alloc(28)],
    [Buffer.from('dtype'), '<f4'],
    [Buffer.from('shape'), [7]],
  ]);
  return new Map<unknown, unknown>([
    ['server', 'rsd-policy-server'],
    ['protocol', 1],
    ['kind', 'rsd-checkpoint'],
    ['name', 'stand-in-policy'],
    ['hash', 'sha256:0123456789abcdef'],
    ['observation', { cameras: [{ name: 'agentview', width: 128, height: 128 }, { name: 'wrist', width: 128, height: 128 }], proprio: 8, object_poses: true, instruction: true }],
    ['action', { dim: 7, chunk: 8 }],
    ['decoding', { strategy: 'speculative', accept: 'threshold', threshold: 0.7 }],
    ['strategies', ['parallel', 'autoregressive', 'speculative']],
    [Buffer.from('action_scale'), ndarray],
  ]);
}

export async function startStandInPolicyServer(options: StandInOptions = {}): Promise<StandIn> {
  const mode = options.mode ?? 'metadata';
  const metadata = new Packr({ useRecords: false }).pack(options.metadata ?? rsdServerMetadata());
  const authorizations: (string | undefined)[] = [];
  const http = createServer((request, response) => {
    if (request.url === '/healthz' && mode !== 'no-healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('OK\n');
      return;
    }
    response.writeHead(404).end('not found\n');
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    authorizations.push(request.headers.authorization);
    if (options.apiKey !== undefined && request.headers.authorization !== `Api-Key ${options.apiKey}`) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: 18\r\nConnection: close\r\n\r\ninvalid API key.\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      if (mode === 'metadata' || mode === 'no-healthz') ws.send(metadata);
      else if (mode === 'close') ws.close(1000);
      else if (mode === 'text') {
        ws.send('Traceback (most recent call last):\n  File "serve.py", line 1\nRuntimeError: the policy failed to load');
        ws.close(1011, 'Internal server error');
      }
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    authorizations,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** A port nothing listens on: one the system just gave out, closed again. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
