import { describe, expect, it } from 'vitest';
import { createClient } from '../../../engine/api/client.js';
import { MAX_MESSAGE_BYTES } from '../../../engine/api/contract.js';
import { RsdCallError, type RsdError } from '../../../engine/api/errors.js';
import type { Transport } from '../../../engine/api/transport.js';
import { inProcessTransport } from '../../../engine/api/transports/in-process.js';
import { createEngineHost } from '../../../engine/host/handlers.js';

const rejection = async (promise: Promise<unknown>): Promise<RsdError> => {
  const thrown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(thrown).toBeInstanceOf(RsdCallError);
  return (thrown as RsdCallError).error;
};

/** A transport that answers with whatever the test says: stands in for a misbehaving engine. */
function scriptedTransport(reply: unknown): Transport & { push(event: unknown): void } {
  const listeners = new Set<(e: unknown) => void>();
  return {
    kind: 'in-process',
    request: async () => reply,
    subscribe: (l) => (listeners.add(l), () => listeners.delete(l)),
    push: (event) => listeners.forEach((l) => l(event)),
  };
}

describe('RsdClient over the in-process engine', () => {
  const host = createEngineHost('in-process');
  const client = createClient(inProcessTransport(host));

  it('returns typed, validated results', async () => {
    const health = await client.call('system.health', {});
    expect(health.pid).toBe(process.pid);
  });

  it('rejects with the engine tagged error', async () => {
    const error = await rejection(client.call('system.info', { refresh: 'yes' } as never));
    expect(error).toMatchObject({ kind: 'invalid-params', field: 'params.refresh' });
  });

  it('refuses params over 1 MiB before sending them', async () => {
    const error = await rejection(client.call('system.info', { blob: 'x'.repeat(MAX_MESSAGE_BYTES) } as never));
    expect(error).toMatchObject({ kind: 'message-too-large', field: 'params' });
  });

  it('delivers validated events to listeners of their type until they unsubscribe', () => {
    const seen: unknown[] = [];
    const off = client.listen('engine.status', (p) => seen.push(p.state));
    host.emit('engine.status', { state: 'ready' });
    off();
    host.emit('engine.status', { state: 'exited' });
    expect(seen).toEqual(['ready']);
  });
});

describe('RsdClient against a misbehaving engine', () => {
  it('refuses a result that breaks the contract, naming the field', async () => {
    const client = createClient(scriptedTransport({ ok: true, result: { status: 'ok', pid: 1, uptimeSec: -5, rssBytes: 0 } }));
    expect(await rejection(client.call('system.health', {}))).toMatchObject({ kind: 'invalid-result', field: 'system.health.result.uptimeSec' });
  });

  it('refuses a reply without the reply shape', async () => {
    const client = createClient(scriptedTransport({ answer: 42 }));
    expect((await rejection(client.call('system.health', {}))).kind).toBe('invalid-result');
  });

  it('reports bad events as protocol errors instead of dropping them', () => {
    const transport = scriptedTransport(null);
    const client = createClient(transport);
    const errors: RsdError[] = [];
    const seen: unknown[] = [];
    client.onProtocolError((e) => errors.push(e));
    client.listen('engine.status', (p) => seen.push(p));
    transport.push({ event: 'engine.status', payload: { state: 'melting' } });
    transport.push({ event: 'no.such.event', payload: {} });
    transport.push('garbage');
    transport.push({ event: 'engine.status', payload: { state: 'ready' } });
    expect(errors.map((e) => e.field)).toEqual(['engine.status.payload.state', 'event', 'event']);
    expect(seen).toEqual([{ state: 'ready' }]);
  });

  it('turns a transport failure into a disconnected error', async () => {
    const client = createClient({ ...scriptedTransport(null), request: () => Promise.reject(new Error('socket gone')) });
    expect(await rejection(client.call('system.health', {}))).toMatchObject({ kind: 'disconnected', message: 'socket gone' });
  });
});
