import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_MESSAGE_BYTES } from './api/contract.js';
import { createEngineHost } from './host/handlers.js';
import type { EngineHost } from './host/host.js';
import { resolveInside } from './util/safe-path.js';
import { contentTypeOf } from './util/content-type.js';
import { checkOrigin, guardHttpHandler, guardUpgradeHandler, parseTarget, refuseUpgrade, resolveTimeouts, type ServerTimeouts } from './server/request.js';

export interface ServeOptions {
  host?: string;
  port?: number;
  /** The built renderer (vite build output). */
  rendererDir: string;
  /** Fixed token for tests; a random one otherwise. */
  token?: string;
  engine?: EngineHost;
  /** Limits on slow clients (server/request.ts DEFAULT_TIMEOUTS); tests pass small ones. */
  timeouts?: Partial<ServerTimeouts>;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** Frames above this are cut off by ws itself (protects memory); up to it, the host answers with a tagged error. */
const HARD_FRAME_LIMIT = 8 * MAX_MESSAGE_BYTES;

export const WS_PATH = '/ws';

// The same policy as the Electron window's, plus the page's own WebSocket.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * `rsd serve`: the engine host in Node, with the built renderer over HTTP and the contract over a
 * WebSocket. The page is public (it is the app's code); the WebSocket, which is the engine, needs the
 * random token that the printed URL carries, and a same-origin page.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const engine = options.engine ?? createEngineHost('server');
  const rendererDir = path.resolve(options.rendererDir);
  const indexHtml = path.join(rendererDir, 'index.html');

  const timeouts = resolveTimeouts(options.timeouts);
  // Every request goes through parseTarget (server/request.ts) before anything reads it, and the
  // handlers are wrapped so that a throw is a 500 or a refused upgrade, never the end of the process.
  const server = http.createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
    },
    guardHttpHandler((req, res) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
      const target = parseTarget(req.url);
      if (!target.ok) return void res.writeHead(target.status, { 'content-type': 'text/plain', connection: 'close' }).end(`${target.reason}\n`);
      if (!existsSync(indexHtml)) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        return void res.end(`The renderer is not built (no ${indexHtml}). Run: npm run build\n`);
      }
      let file = resolveInside(rendererDir, target.value.pathname);
      if (file === null) return void res.writeHead(400, { 'content-type': 'text/plain' }).end('bad path\n');
      if (!existsSync(file) || !statSync(file).isFile()) {
        // Client-side routes fall back to the app; missing assets are 404s.
        if (path.extname(file)) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        file = indexHtml;
      }
      res.writeHead(200, {
        'content-type': contentTypeOf(file),
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      });
      if (req.method === 'HEAD') return void res.end();
      // A read that fails after the headers went out (the file vanished) drops this connection only.
      createReadStream(file)
        .on('error', (error) => (process.stderr.write(`rsd serve: reading ${file}: ${error.message}\n`), res.destroy()))
        .pipe(res);
    }),
  );
  // A connection on which nothing happens at all (not even a first byte) is closed too.
  server.timeout = timeouts.idleMs;

  const wss = new WebSocketServer({ noServer: true, maxPayload: HARD_FRAME_LIMIT });
  const sockets = new Set<WebSocket>();

  server.on(
    'upgrade',
    guardUpgradeHandler((req, socket, head) => {
      const target = parseTarget(req.url);
      if (!target.ok) return refuseUpgrade(socket, target.status, target.reason);
      if (target.value.pathname !== WS_PATH) return refuseUpgrade(socket, 404, 'Not Found');
      if (!tokenMatches(target.value.searchParams.get('token'), token)) return refuseUpgrade(socket, 401, 'Unauthorized: missing or wrong token');
      const origin = checkOrigin(req.headers.origin, req.headers.host);
      if (!origin.ok) return refuseUpgrade(socket, origin.status, origin.reason);
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    }),
  );

  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    // A frame over the hard limit or a broken peer ends this socket only; unhandled, it would end the server.
    ws.on('error', (error) => process.stderr.write(`rsd serve: connection closed: ${error.message}\n`));
    ws.on('message', async (data, isBinary) => {
      try {
        const text = isBinary ? '' : data.toString();
        const reply = isBinary
          ? { id: null, ok: false as const, error: { kind: 'invalid-message' as const, message: 'binary frames are not accepted; send JSON text' } }
          : await engine.handle(text);
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
      } catch (error) {
        // engine.handle never throws by contract; if it ever does, this connection hears of it, the server goes on.
        process.stderr.write(`rsd serve: internal error handling a message: ${error instanceof Error ? error.message : String(error)}\n`);
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: null, ok: false, error: { kind: 'internal', message: 'internal error' } }));
      }
    });
    ws.send(JSON.stringify({ event: 'engine.status', payload: { state: 'ready' } }));
  });

  const unsubscribe = engine.onEvent((event) => {
    const text = JSON.stringify(event);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle and half-sent connections would otherwise keep close() waiting until their timeouts.
      server.closeAllConnections();
      await closed;
    },
  };
}

function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
