// A stand-in for a policy server speaking openpi's protocol (not the project's python/policy_server):
// GET /healthz, an optional `Authorization: Api-Key` refused with HTTP 401, and the metadata sent
// first as msgpack. Enough for the policy.server row; with `answer`, it also answers every
// observation with a chunk of zero actions (gripper open) and, optionally, an RSD record, which is
// enough for a run (the Run page's tests) without Python.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Packr } from 'msgpackr';
import { WebSocketServer } from 'ws';
import { ndarray, packMessage } from '../../../engine/policy/remote/msgpack-numpy.js';

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
  /** Answer observations: `chunk` actions of 7 each, and the RSD record below when `rsd` is set (the metadata must then declare its decoding). */
  answer?: { chunk: number; rsd?: boolean };
}

/** The per-chunk RSD record the stand-in sends with `answer.rsd`: speculative, threshold 0.7, 2 of 3 drafted layers accepted. */
export const STAND_IN_RSD_RECORD = {
  strategy: 'speculative',
  accept: 'threshold',
  threshold: 0.7,
  draft_layers: 3,
  accepted_layers: 2,
  accepted: [true, true, false],
  agreement: [1, 0.875, 0.5],
  stages_ms: { prefill: 1.5, draft: 0.5, verify: 1, main_steps: 2, decoder: 0.25, rfsq: 0.125 },
  main_steps: 5,
  total_ms: 5.5,
  note: 'a stand-in record: nothing was decoded',
} as const;

/** Metadata for a stand-in that answers with STAND_IN_RSD_RECORD: the project's server, no cameras (nothing to render), its decoding. */
export function answeringMetadata(chunk: number): Record<string, unknown> {
  return {
    server: 'rsd-policy-server',
    protocol: 1,
    kind: 'rsd-checkpoint',
    name: 'stand-in-rsd',
    hash: 'sha256:5a1d0000',
    observation: { cameras: [], proprio: 8, object_poses: true, instruction: true },
    action: { dim: 7, chunk },
    decoding: { strategy: 'speculative', accept: 'threshold', threshold: 0.7 },
    strategies: ['speculative'],
  };
}

export interface StandIn {
  url: string;
  /** The Authorization headers of the WebSocket upgrades seen, in order. */
  authorizations: (string | undefined)[];
  /** Observations answered (with `answer`). */
  answered: number;
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
  const reply = options.answer ? packMessage(chunkReply(options.answer.chunk, options.answer.rsd ?? false)) : null;
  const state = { answered: 0 };
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
      if (mode === 'metadata' || mode === 'no-healthz') {
        ws.send(metadata);
        if (reply)
          ws.on('message', () => {
            state.answered++;
            ws.send(reply);
          });
      }
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
    get answered() {
      return state.answered;
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Zero actions with the gripper open (-1), the timings openpi's servers send, and the RSD record when asked. */
function chunkReply(chunk: number, rsd: boolean) {
  const actions = new Float32Array(chunk * 7);
  for (let r = 0; r < chunk; r++) actions[r * 7 + 6] = -1;
  return {
    actions: ndarray(actions, [chunk, 7]),
    policy_timing: { infer_ms: 0.5 },
    server_timing: { infer_ms: 0.5 },
    ...(rsd ? { rsd: { ...STAND_IN_RSD_RECORD, accepted: [...STAND_IN_RSD_RECORD.accepted], agreement: [...STAND_IN_RSD_RECORD.agreement], stages_ms: { ...STAND_IN_RSD_RECORD.stages_ms } } } : {}),
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
