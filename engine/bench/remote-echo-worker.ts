import { parentPort, workerData } from 'node:worker_threads';
import { WebSocketServer } from 'ws';
import { ndarray, packMessage } from '../policy/remote/msgpack-numpy.js';

/**
 * The echo policy server of `rsd bench remote`, in a worker thread so that its time is not the
 * client's: openpi's protocol (metadata first, then one reply per request) answering every
 * observation with the same [10, 7] chunk, packed once. It posts its port when listening.
 */
export function startEchoServer(): void {
  const metadata = packMessage({ server: 'rsd-bench-echo', name: 'echo', action: { dim: 7, chunk: 10 } });
  const actions = new Float32Array(70);
  for (let i = 0; i < 10; i++) actions[i * 7 + 6] = -1;
  const reply = packMessage({ actions: ndarray(actions, [10, 7]), policy_timing: { infer_ms: 0 }, server_timing: { infer_ms: 0 } });
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 1 << 30 });
  server.on('connection', (ws) => {
    ws.send(metadata);
    ws.on('message', () => ws.send(reply));
  });
  server.on('listening', () => {
    const address = server.address();
    parentPort!.postMessage({ port: typeof address === 'object' && address ? address.port : 0 });
  });
  parentPort!.on('message', (m: { type?: string }) => {
    if (m.type === 'stop') server.close(() => process.exit(0));
  });
}

if (workerData?.module === import.meta.url) startEchoServer();
