import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES } from '../../../engine/api/contract.js';
import { createEngineHost, createHandlers } from '../../../engine/host/handlers.js';
import { EngineHost } from '../../../engine/host/host.js';

const require = createRequire(import.meta.url);
const ortVersion = (require('onnxruntime-node/package.json') as { version: string }).version;

const host = createEngineHost('in-process');
const send = (message: unknown) => host.handle(typeof message === 'string' ? message : JSON.stringify(message));

describe('EngineHost with the real handlers', () => {
  it('answers system.info with what onnxruntime-node and MuJoCo report', async () => {
    const reply = await send({ id: 7, type: 'system.info', params: {} });
    expect(reply).toMatchObject({ id: 7, ok: true });
    if (!reply.ok) throw new Error('unreachable');
    const info = reply.result as import('../../../engine/api/system.js').SystemInfo;
    expect(info.engineHost).toBe('in-process');
    expect(info.runtime.node).toBe(process.versions.node);
    expect(info.onnxruntime).toMatchObject({ status: 'loaded', version: ortVersion });
    expect(info.mujoco).toMatchObject({ status: 'loaded', version: '3.14.0', packageVersion: '3.14.0' });
    if (info.onnxruntime.status !== 'loaded') throw new Error('unreachable');
    const available = info.onnxruntime.executionProviders.filter((ep) => ep.available).map((ep) => ep.name);
    expect(available).toContain('cpu');
    // WebGPU is bundled on linux-x64, and available only where the Checklist's probe ran a test model on it.
    const webgpu = info.onnxruntime.executionProviders.find((ep) => ep.name === 'webgpu');
    if (process.platform === 'linux' && process.arch === 'x64') expect(webgpu?.available || webgpu?.note?.startsWith('a test model could not run: ')).toBe(true);
  });

  it('answers from the first probe unless asked to refresh', async () => {
    const first = await send({ id: 1, type: 'system.info' });
    const again = await send({ id: 2, type: 'system.info', params: {} });
    const refreshed = await send({ id: 3, type: 'system.info', params: { refresh: true } });
    const at = (r: typeof first) => (r.ok ? (r.result as { collectedAt: string }).collectedAt : null);
    expect(at(again)).toBe(at(first));
    await expect.poll(() => at(refreshed)).not.toBeNull();
    expect(at(refreshed)).not.toBe(at(first));
  });

  it('answers system.health with this process', async () => {
    const reply = await send({ id: 1, type: 'system.health', params: {} });
    expect(reply).toMatchObject({ ok: true, result: { status: 'ok', pid: process.pid } });
  });
});

describe('EngineHost refuses bad input with a tagged error and stays up', () => {
  it.each([
    ['an unknown request type', { id: 1, type: 'system.reboot', params: {} }, 'unknown-request', 'type'],
    ['a prototype key as type', { id: 1, type: 'toString', params: {} }, 'unknown-request', 'type'],
    ['a wrong field type', { id: 1, type: 'system.info', params: { refresh: 'yes' } }, 'invalid-params', 'params.refresh'],
    ['an unexpected field', { id: 1, type: 'system.health', params: { verbose: true } }, 'invalid-params', 'params.verbose'],
    ['params that are not an object', { id: 1, type: 'system.info', params: [1, 2] }, 'invalid-params', 'params'],
    ['a missing id', { type: 'system.info', params: {} }, 'invalid-message', 'message.id'],
    ['a negative id', { id: -1, type: 'system.info' }, 'invalid-message', 'message.id'],
    ['a numeric type', { id: 1, type: 42 }, 'invalid-message', 'message.type'],
    ['an extra envelope field', { id: 1, type: 'system.info', extra: 1 }, 'invalid-message', 'message.extra'],
  ])('%s', async (_name, message, kind, field) => {
    const reply = await send(message);
    expect(reply.ok).toBe(false);
    if (reply.ok) return;
    expect(reply.error.kind).toBe(kind);
    expect(reply.error.field).toBe(field);
    expect(reply.error.message).toContain(field);
    // Still answering after it.
    expect((await send({ id: 99, type: 'system.health', params: {} })).ok).toBe(true);
  });

  it('keeps the id of a malformed request when it has one', async () => {
    expect(await send({ id: 5, type: 'system.info', params: { refresh: 1 } })).toMatchObject({ id: 5, ok: false });
    expect(await send({ id: 6, type: 7 })).toMatchObject({ id: 6, ok: false });
  });

  it('refuses text that is not JSON', async () => {
    expect(await send('{"id": 1, "type": ')).toMatchObject({ id: null, ok: false, error: { kind: 'invalid-message' } });
  });

  it('refuses messages over 1 MiB, counting bytes not characters', async () => {
    const padding = 'é'.repeat(MAX_MESSAGE_BYTES / 2); // 2 bytes each in UTF-8: over the limit in bytes only
    const reply = await send({ id: 1, type: 'system.info', params: { padding } });
    expect(reply).toMatchObject({ id: null, ok: false, error: { kind: 'message-too-large' } });
    const justUnder = 'a'.repeat(MAX_MESSAGE_BYTES - 100);
    expect(await send({ id: 2, type: 'system.info', params: { justUnder } })).toMatchObject({ error: { kind: 'invalid-params' } });
  });
});

describe('EngineHost with a failing handler', () => {
  const real = createHandlers('in-process');

  it('turns a throw into an internal error and keeps serving', async () => {
    const failing = new EngineHost({
      ...real,
      'system.health': () => {
        throw new Error('disk on fire');
      },
    });
    const reply = await failing.handle(JSON.stringify({ id: 1, type: 'system.health', params: {} }));
    expect(reply).toMatchObject({ id: 1, ok: false, error: { kind: 'internal', message: 'disk on fire' } });
    const after = await failing.handle(JSON.stringify({ id: 2, type: 'system.info', params: {} }));
    expect(after.ok).toBe(true);
  });

  it('names a thrown WebAssembly abort (a number) rather than dropping it', async () => {
    const failing = new EngineHost({
      ...real,
      'system.health': () => {
        throw 123456;
      },
    });
    const reply = await failing.handle(JSON.stringify({ id: 1, type: 'system.health', params: {} }));
    expect(reply).toMatchObject({ ok: false, error: { kind: 'internal', message: expect.stringContaining('123456') } });
  });

  it('checks its own answers against the contract', async () => {
    const wrong = new EngineHost({ ...real, 'system.health': () => ({ status: 'ok', pid: 'one' }) as never });
    const reply = await wrong.handle(JSON.stringify({ id: 1, type: 'system.health', params: {} }));
    expect(reply).toMatchObject({ ok: false, error: { kind: 'invalid-result', field: 'system.health.result.pid' } });
  });

  it('validates the events it emits', () => {
    const seen: unknown[] = [];
    host.onEvent((e) => seen.push(e));
    host.emit('engine.status', { state: 'ready' });
    expect(seen).toEqual([{ event: 'engine.status', payload: { state: 'ready' } }]);
    expect(() => host.emit('engine.status', { state: 'asleep' } as never)).toThrow();
  });
});
