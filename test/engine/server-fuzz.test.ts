import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../engine/server.js';
import { guardHttpHandler } from '../../engine/server/request.js';
import { mulberry32, type Rng } from '../../engine/util/random.js';

// Hostile input against a live `rsd serve` on loopback (issue 15): request targets and Origin headers
// that once made `new URL` throw outside any guard (which ended the process), raw WebSocket frames,
// and clients that start a request and never finish it. Everything is sent as raw bytes over a
// net.Socket, so no client library normalises it first. No assertion is about time: each case waits
// for an event (an answer, a close), bounded by the test timeout.

const root = mkdtempSync(path.join(os.tmpdir(), 'rsd-serve-fuzz-'));
const rendererDir = path.join(root, 'renderer');
mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>RSD</title>');
writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');

let server: RunningServer;
let slow: RunningServer;
beforeAll(async () => {
  server = await startServer({ rendererDir, port: 0 });
  // Small limits, so the slow-client cases end within the test; the defaults are for browsers.
  slow = await startServer({ rendererDir, port: 0, timeouts: { headersMs: 200, requestMs: 400, keepAliveMs: 200, idleMs: 400, checkIntervalMs: 50 } });
});
afterAll(async () => {
  await server?.close();
  await slow?.close();
});

/** Sends raw bytes, collects everything the server sends until the connection closes. */
function exchange(port: number, request: string | Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    socket.on('data', (d) => chunks.push(d));
    // A reset after the answer still counts: what matters is what came back.
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

const statusOf = (answer: Buffer): number | null => {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(answer.subarray(0, 32).toString('latin1'));
  return match ? Number(match[1]) : null;
};

/** A GET with `target` written as is (latin1: one byte per char). */
const rawGet = (target: string) => Buffer.from(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 'latin1');

async function stillServes(port: number): Promise<void> {
  const answer = await exchange(port, rawGet('/'));
  expect(statusOf(answer)).toBe(200);
  expect(answer.toString()).toContain('<title>RSD</title>');
}

// ---- request targets ----

const REPORTED = ['//[', 'http://[::1', '//%zz/', 'https://:80/', '/\\['];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

function generatedTargets(seed: number): string[] {
  const rng = mulberry32(seed);
  const int = (n: number) => Math.floor(rng() * n);
  const targets: string[] = [];
  const pieces = ['[', ']', '[::1', '[::1]', ':', '::', '@', '//', '/', '\\', '%', '%zz', '%2', '%00', '%2f', '%5c', '%2e%2e', '..', '?', '#', '%5b', '%ff', 'a', '~', '*', ';'];
  const hosts = ['[', '[::1', '[::1]', ':80', '%zz', 'evil.example', 'u:p@', '127.0.0.1:99999', '', '[::ffff:1.2.3.4]', 'xn--', '%5b'];
  const schemes = ['http', 'https', 'ws', 'file', 'javascript', 'a', 'HTTP', ''];
  // Random printable bytes, with or without a leading slash.
  for (let i = 0; i < 80; i++) {
    let s = '';
    for (let n = 1 + int(40); n > 0; n--) s += String.fromCharCode(0x21 + int(0x5e));
    targets.push(i % 3 === 0 ? s : `/${s}`);
  }
  // Random bytes of any value (control bytes and high bytes included, CR/LF left out so the request line stays one line).
  for (let i = 0; i < 40; i++) {
    let s = '/';
    for (let n = 1 + int(20); n > 0; n--) {
      const b = int(256);
      s += b === 0x0d || b === 0x0a ? '_' : String.fromCharCode(b);
    }
    targets.push(s);
  }
  // Percent-escapes, brackets, colons and slashes in every order.
  for (let i = 0; i < 100; i++) {
    let s = pick(rng, ['/', '//', '/\\', '\\', '']);
    for (let n = 1 + int(6); n > 0; n--) s += pick(rng, pieces);
    targets.push(s);
  }
  // Absolute-form URLs, good and broken.
  for (let i = 0; i < 60; i++) targets.push(`${pick(rng, schemes)}:${pick(rng, ['//', '/', '\\\\', ''])}${pick(rng, hosts)}${pick(rng, ['', '/', '/ws?token=x', '/%zz', '/[', '//['])}`);
  // Very long paths (below Node's 16 KiB header limit, so the whole request is read and answered).
  for (const n of [100, 1000, 4000, 8000, 15000]) targets.push(`/${'a'.repeat(n)}`);
  targets.push('/' + '../'.repeat(4000), '/' + '%2e%2e/'.repeat(2000), '/' + '['.repeat(12000), '//' + '%zz'.repeat(4000));
  return targets;
}

describe('rsd serve: request targets', () => {
  it.each(REPORTED)('answers the reported target %j and keeps serving', async (target) => {
    const status = statusOf(await exchange(server.port, rawGet(target)));
    expect(status).not.toBeNull();
    expect(status!).toBeGreaterThanOrEqual(400);
    await stillServes(server.port);
  });

  it('answers a few hundred generated targets with an HTTP status, and keeps serving', async () => {
    const targets = generatedTargets(15);
    expect(targets.length).toBeGreaterThan(280);
    const unanswered: string[] = [];
    for (const [i, target] of targets.entries()) {
      const answer = await exchange(server.port, rawGet(target));
      if (statusOf(answer) === null) unanswered.push(JSON.stringify(target.slice(0, 80)));
      if (i % 50 === 49) await stillServes(server.port);
    }
    expect(unanswered).toEqual([]);
    await stillServes(server.port);
  });

  it('refuses the same targets on the WebSocket path with a status, even with the token', async () => {
    for (const target of [...REPORTED, ...generatedTargets(16).slice(0, 120)]) {
      const answer = await exchange(server.port, upgradeRequest(server.port, target, undefined));
      expect(statusOf(answer), JSON.stringify(target)).not.toBeNull();
    }
    await stillServes(server.port);
  });
});

// ---- Origin on the WebSocket upgrade ----

function upgradeRequest(port: number, target: string, origin: string | undefined): Buffer {
  const lines = [
    `GET ${target} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...(origin === undefined ? [] : [`Origin: ${origin}`]),
  ];
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

/** Opens a raw upgrade; resolves with the status line's code and the socket (left open on 101). */
function rawUpgrade(port: number, target: string, origin?: string): Promise<{ status: number | null; socket: net.Socket; rest: Buffer }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(upgradeRequest(port, target, origin)));
    let got = Buffer.alloc(0);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.removeListener('data', onData);
      const end = got.indexOf('\r\n\r\n');
      resolve({ status: statusOf(got), socket, rest: end >= 0 ? got.subarray(end + 4) : Buffer.alloc(0) });
    };
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.includes('\r\n\r\n')) finish();
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
    socket.on('close', finish);
  });
}

describe('rsd serve: Origin on the WebSocket upgrade', () => {
  const ws = () => `/ws?token=${encodeURIComponent(server.token)}`;

  it.each(['null', '::::', 'http://[', 'http://evil.example', `http://${'a'.repeat(10_000)}.example`, 'file://', 'http://127.0.0.1:1', 'http://%zz', ''])(
    'refuses Origin %j with 403 (valid token) and keeps serving',
    async (origin) => {
      const { status, socket } = await rawUpgrade(server.port, ws(), origin);
      socket.destroy();
      expect(status).toBe(403);
      await stillServes(server.port);
    },
  );

  it('still accepts its own origin, and no Origin at all', async () => {
    for (const origin of [`http://127.0.0.1:${server.port}`, undefined]) {
      const { status, socket } = await rawUpgrade(server.port, ws(), origin);
      socket.destroy();
      expect(status).toBe(101);
    }
  });
});

// ---- raw frames after the upgrade ----

/** Upgrades, sends `bytes`, answers the server's close frame as a peer would, resolves when the socket closes. */
async function sendFramesUntilClosed(bytes: Buffer): Promise<number | null> {
  const { status, socket, rest } = await rawUpgrade(server.port, `/ws?token=${encodeURIComponent(server.token)}`);
  expect(status).toBe(101);
  let received = rest;
  let closeCode: number | null = null;
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const scan = () => {
    // Walk the server's (unmasked) frames; on its close frame, answer with a masked close frame.
    let at = 0;
    while (received.length - at >= 2) {
      const opcode = received[at]! & 0x0f;
      let len = received[at + 1]! & 0x7f;
      let head = 2;
      if (len === 126) {
        if (received.length - at < 4) break;
        len = received.readUInt16BE(at + 2);
        head = 4;
      } else if (len === 127) {
        if (received.length - at < 10) break;
        len = Number(received.readBigUInt64BE(at + 2));
        head = 10;
      }
      if (received.length - at < head + len) break;
      if (opcode === 0x8 && closeCode === null) {
        closeCode = len >= 2 ? received.readUInt16BE(at + head) : 1005;
        if (!socket.destroyed) socket.write(Buffer.from([0x88, 0x80, 1, 2, 3, 4]));
      }
      at += head + len;
    }
    received = received.subarray(at);
  };
  socket.on('data', (d: Buffer) => {
    received = Buffer.concat([received, d]);
    scan();
  });
  scan();
  socket.write(bytes);
  await closed;
  return closeCode;
}

describe('rsd serve: raw WebSocket frames', () => {
  it('closes a socket that sends garbage, and keeps serving', async () => {
    const rng = mulberry32(7);
    const garbage = Buffer.alloc(512);
    for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(rng() * 256);
    garbage[0] = 0xff; // FIN, RSV1-3 and a reserved opcode: a protocol error at the first byte.
    await sendFramesUntilClosed(garbage);
    await stillServes(server.port);
  });

  it('closes a socket that sends an unmasked frame', async () => {
    await sendFramesUntilClosed(Buffer.from([0x81, 0x05, ...Buffer.from('hello')]));
    await stillServes(server.port);
  });

  it('closes a socket that announces an oversized frame (1009), and keeps serving', async () => {
    const header = Buffer.alloc(14);
    header[0] = 0x81;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(64 * 1024 * 1024), 2);
    expect(await sendFramesUntilClosed(header)).toBe(1009);
    const absurd = Buffer.from(header);
    absurd.writeBigUInt64BE(2n ** 63n - 1n, 2);
    await sendFramesUntilClosed(absurd);
    await stillServes(server.port);
  });
});

// ---- slow clients ----

function closedAfter(port: number, bytes: string): Promise<Buffer> {
  return exchange(port, Buffer.from(bytes, 'latin1'));
}

describe('rsd serve: slow clients are cut off', () => {
  it('closes a request whose headers never finish', async () => {
    const answer = await closedAfter(slow.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/');
    // Node answers 408 when it can; a plain close is fine too. The point is that it closed.
    expect([null, 408]).toContain(statusOf(answer));
    await stillServes(slow.port);
  });

  it('closes a WebSocket upgrade whose headers never finish', async () => {
    await closedAfter(slow.port, `GET /ws?token=${slow.token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n`);
    await stillServes(slow.port);
  });

  it('closes an idle keep-alive connection after its answer', async () => {
    const answer = await closedAfter(slow.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(statusOf(answer)).toBe(200);
  });

  it('closes a connection that sends nothing at all', async () => {
    await closedAfter(slow.port, '');
  });
});

// ---- the last guard ----

describe('rsd serve: an unexpected throw in a handler', () => {
  it('becomes a 500, logged, and the server keeps serving', async () => {
    const logged: string[] = [];
    let calls = 0;
    const bare = http.createServer(
      guardHttpHandler((_req, res) => {
        calls++;
        if (calls === 1) throw new Error('boom');
        res.end('fine');
      }, (line) => logged.push(line)),
    );
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = bare.address() as AddressInfo;
      expect(statusOf(await exchange(port, rawGet('/')))).toBe(500);
      expect(statusOf(await exchange(port, rawGet('/')))).toBe(200);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain('boom');
    } finally {
      await new Promise<void>((resolve) => bare.close(() => resolve()));
    }
  });
});
