import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient } from '../../engine/api/client.js';
import { MAX_MESSAGE_BYTES } from '../../engine/api/contract.js';
import { RsdCallError } from '../../engine/api/errors.js';
import { webSocketTransport } from '../../engine/api/transports/websocket.js';
import { startServer, type RunningServer } from '../../engine/server.js';

// A real renderer folder on disk, with a secret beside it that must never be served.
const root = mkdtempSync(path.join(os.tmpdir(), 'rsd-serve-'));
const rendererDir = path.join(root, 'renderer');
mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>RSD</title>');
writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
writeFileSync(path.join(root, 'secret.txt'), 'TOP SECRET');

let server: RunningServer;
let origin: string;
beforeAll(async () => {
  server = await startServer({ rendererDir, port: 0 });
  origin = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.close());

const wsUrl = (token?: string) => `ws://127.0.0.1:${server.port}/ws${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`;

/** Resolves with the HTTP status the server answered an upgrade with (101 when it accepted). */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => (ws.close(), resolve(101)));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', (e) => (e.message.includes('Unexpected server response') ? undefined : reject(e)));
  });
}

async function openSocket(): Promise<{ ws: WebSocket; next: () => Promise<Record<string, unknown>> }> {
  const ws = new WebSocket(wsUrl(server.token));
  const queue: Record<string, unknown>[] = [];
  const waiting: ((m: Record<string, unknown>) => void)[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as Record<string, unknown>;
    const w = waiting.shift();
    if (w) w(message);
    else queue.push(message);
  });
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const next = () => new Promise<Record<string, unknown>>((resolve) => (queue.length ? resolve(queue.shift()!) : waiting.push(resolve)));
  return { ws, next };
}

function rawGet(pathname: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1', () => socket.write(`GET ${pathname} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('rsd serve over HTTP', () => {
  it('prints a loopback URL carrying the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('serves the renderer with a content security policy', async () => {
    const res = await fetch(`${origin}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>RSD</title>');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${origin}/assets/app.js`)).headers.get('content-type')).toContain('javascript');
  });

  it('falls back to the app for client routes and 404s missing assets', async () => {
    expect((await fetch(`${origin}/results`)).status).toBe(200);
    expect((await fetch(`${origin}/assets/missing.js`)).status).toBe(404);
  });

  it.each(['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt'])(
    'never serves a file outside the renderer folder: %s',
    async (pathname) => {
      const response = await rawGet(pathname);
      expect(response).not.toContain('TOP SECRET');
    },
  );
});

describe('rsd serve WebSocket', () => {
  it('refuses a connection without the token, or with a wrong one', async () => {
    expect(await upgradeStatus(wsUrl())).toBe(401);
    expect(await upgradeStatus(wsUrl(''))).toBe(401);
    expect(await upgradeStatus(wsUrl(server.token.slice(0, -1) + (server.token.endsWith('a') ? 'b' : 'a')))).toBe(401);
    expect(await upgradeStatus(wsUrl(server.token + 'x'))).toBe(401);
  });

  it('refuses a page from another origin even with the token', async () => {
    expect(await upgradeStatus(wsUrl(server.token), { Origin: 'http://evil.example' })).toBe(403);
    expect(await upgradeStatus(wsUrl(server.token), { Origin: origin })).toBe(101);
  });

  it('says the engine is ready, then answers contract calls', async () => {
    const { ws, next } = await openSocket();
    expect(await next()).toEqual({ event: 'engine.status', payload: { state: 'ready' } });
    ws.send(JSON.stringify({ id: 3, type: 'system.info', params: {} }));
    const reply = await next();
    expect(reply).toMatchObject({ id: 3, ok: true, result: { engineHost: 'server', mujoco: { version: '3.14.0' } } });
    ws.close();
  });

  it('answers invalid messages with validation errors and stays up', async () => {
    const { ws, next } = await openSocket();
    await next(); // ready
    ws.send('not json');
    expect(await next()).toMatchObject({ id: null, ok: false, error: { kind: 'invalid-message' } });
    ws.send(JSON.stringify({ id: 1, type: 'system.selfDestruct', params: {} }));
    expect(await next()).toMatchObject({ id: 1, ok: false, error: { kind: 'unknown-request', field: 'type' } });
    ws.send(JSON.stringify({ id: 2, type: 'system.info', params: { refresh: 'please' } }));
    expect(await next()).toMatchObject({ id: 2, ok: false, error: { kind: 'invalid-params', field: 'params.refresh' } });
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await next()).toMatchObject({ ok: false, error: { kind: 'invalid-message' } });
    ws.send(JSON.stringify({ id: 4, type: 'system.info', params: { blob: 'x'.repeat(2 * MAX_MESSAGE_BYTES) } }));
    expect(await next()).toMatchObject({ id: null, ok: false, error: { kind: 'message-too-large' } });
    ws.send(JSON.stringify({ id: 5, type: 'system.health', params: {} }));
    expect(await next()).toMatchObject({ id: 5, ok: true });
    ws.close();
  });

  it('cuts off a frame over the hard limit and keeps serving other connections', async () => {
    const { ws, next } = await openSocket();
    await next();
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send('x'.repeat(9 * MAX_MESSAGE_BYTES));
    expect(await closed).toBe(1009);
    const other = await openSocket();
    await other.next();
    other.ws.send(JSON.stringify({ id: 1, type: 'system.health', params: {} }));
    expect(await other.next()).toMatchObject({ id: 1, ok: true });
    other.ws.close();
  });

  it('carries the typed client (the browser transport) end to end', async () => {
    const socket = new WebSocket(wsUrl(server.token));
    const client = createClient(webSocketTransport(socket));
    const states: string[] = [];
    client.onState((s) => states.push(s));
    const info = await client.call('system.info', {});
    expect(info.onnxruntime.status).toBe('loaded');
    const error = await client.call('system.info', { refresh: 3 } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RsdCallError);
    expect((error as RsdCallError).error.field).toBe('params.refresh');
    client.close();
    await expect.poll(() => states.at(-1)).toBe('closed');
    expect(states).toEqual(['connecting', 'open', 'closed']);
  });

  it('rejects calls in flight when the connection drops', async () => {
    const socket = new WebSocket(wsUrl(server.token));
    const client = createClient(webSocketTransport(socket));
    await client.call('system.health', {});
    const pending = client.call('system.info', { refresh: true });
    socket.terminate();
    const error = await pending.catch((e: unknown) => e);
    expect((error as RsdCallError).error.kind).toBe('disconnected');
  });
});

describe('rsd serve without a built renderer', () => {
  it('says how to build it', async () => {
    const bare = await startServer({ rendererDir: path.join(root, 'nothing-here'), port: 0 });
    try {
      const res = await fetch(`http://127.0.0.1:${bare.port}/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build');
    } finally {
      await bare.close();
    }
  });
});
