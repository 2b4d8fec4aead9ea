// Runs the built utility-process entry (dist/electron/engine-host.cjs) in Node. The Electron binary
// cannot run here, so Electron's `process.parentPort` and the MessagePortMain that main sends are
// TEST DOUBLES. Everything behind the port is real: the esbuild CJS bundle, the native onnxruntime
// binding and the MuJoCo WebAssembly module.
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticBundle } from '../../engine/bundle/synthetic.js';

const require = createRequire(import.meta.url);
const hostFile = path.resolve(import.meta.dirname, '../../dist/electron/engine-host.cjs');

type Message = { id?: number | null; ok?: boolean; event?: string } & Record<string, unknown>;

/** A MessagePortMain double: `message` events carry `{data}`; what the host posts is kept, parsed. */
class FakePort extends EventEmitter {
  readonly posted: Message[] = [];
  started = false;
  private readonly waiting = new Map<number, (reply: Message) => void>();

  start(): void {
    this.started = true;
  }

  postMessage(text: string): void {
    const message = JSON.parse(text) as Message;
    this.posted.push(message);
    if (typeof message.id === 'number') this.waiting.get(message.id)?.(message);
  }

  request(message: { id: number; type: string; params?: unknown }): Promise<Message> {
    const reply = new Promise<Message>((resolve) => this.waiting.set(message.id, resolve));
    this.emit('message', { data: JSON.stringify(message) });
    return reply;
  }
}

const port = new FakePort();
const original = Object.getOwnPropertyDescriptor(process, 'parentPort');

beforeAll(() => {
  const parentPort = new EventEmitter();
  Object.defineProperty(process, 'parentPort', { value: parentPort, configurable: true, writable: true });
  require(hostFile);
  parentPort.emit('message', { data: { connect: true }, ports: [port] });
});

afterAll(() => {
  if (original) Object.defineProperty(process, 'parentPort', original);
  else delete (process as { parentPort?: unknown }).parentPort;
});

describe('engine host (dist/electron/engine-host.cjs)', () => {
  it('starts the port and announces that it is ready', () => {
    expect(port.started).toBe(true);
    expect(port.posted[0]).toEqual({ event: 'engine.status', payload: { state: 'ready' } });
  });

  it('answers system.info with the native onnxruntime and the MuJoCo wasm loaded', async () => {
    const reply = await port.request({ id: 1, type: 'system.info', params: {} });
    const { version: onnxVersion } = require('onnxruntime-node/package.json') as { version: string };
    expect(reply).toMatchObject({
      id: 1,
      ok: true,
      result: {
        engineHost: 'electron-utility',
        onnxruntime: { status: 'loaded', version: onnxVersion },
        mujoco: { status: 'loaded', version: '3.14.0' },
      },
    });
  });

  it('answers an unknown request type with unknown-request', async () => {
    const reply = await port.request({ id: 3, type: 'no.such.request', params: {} });
    expect(reply).toMatchObject({ id: 3, ok: false, error: { kind: 'unknown-request' } });
  });

  it('runs an evaluation with its simulator workers bundled beside it (dist/electron/sim-worker.cjs)', async () => {
    const bundle = await mkdtemp(path.join(os.tmpdir(), 'rsd-host-bundle-'));
    try {
      await writeSyntheticBundle(bundle, 'tiny', 1);
      const reply = await port.request({ id: 4, type: 'eval.start', params: { tasks: [0], trials: 2, maxSteps: 8, workers: 2, policy: { kind: 'bundle', dir: bundle, decoding: 'speculative' } } });
      expect(reply).toMatchObject({ id: 4, ok: true });
      const finished = () => port.posted.find((m) => m.event === 'eval.event' && (m.payload as { type: string }).type === 'run-finished');
      await expect.poll(finished, { timeout: 30_000 }).toBeTruthy();
      expect(finished()!.payload).toMatchObject({ status: 'completed', progress: { done: 2, errors: 0 } });
    } finally {
      await rm(bundle, { recursive: true, force: true });
    }
  }, 60_000);

  it('takes a path outside the exports folder only once main has granted it (the user chose it in a dialog)', async () => {
    const file = path.join(os.tmpdir(), 'rsd-host-granted', 'out.json');
    const refused = await port.request({ id: 5, type: 'runs.export', params: { id: 'no-such-run', path: file } });
    expect(refused).toMatchObject({ id: 5, ok: false, error: { kind: 'invalid-params', field: 'params.path' } });
    // A read grant (the open dialog) is not a write grant.
    port.emit('message', { data: JSON.stringify({ grant: { access: 'read', path: file } }) });
    expect(await port.request({ id: 6, type: 'runs.export', params: { id: 'no-such-run', path: file } })).toMatchObject({ error: { field: 'params.path' } });
    port.emit('message', { data: JSON.stringify({ grant: { access: 'write', path: file } }) });
    // Past the path check: now the run is what is missing. A grant gets no reply.
    const granted = await port.request({ id: 7, type: 'runs.export', params: { id: 'no-such-run', path: file } });
    expect(granted).toMatchObject({ id: 7, ok: false, error: { kind: 'invalid-params', field: 'params.id' } });
    expect(port.posted.filter((m) => m.id === undefined && m.event === undefined)).toEqual([]);
  });

  it('answers bad params with invalid-params naming the field', async () => {
    const reply = await port.request({ id: 2, type: 'system.info', params: { refresh: 'yes' } });
    expect(reply).toMatchObject({ id: 2, ok: false, error: { kind: 'invalid-params', field: 'params.refresh' } });
  });
});
