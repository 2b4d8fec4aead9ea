import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createClient, type RsdClient } from '../../engine/api/client.js';
import { RsdCallError } from '../../engine/api/errors.js';
import { CHECK_IDS } from '../../engine/api/checks.js';
import { inProcessTransport } from '../../engine/api/transports/in-process.js';
import { createEngineHost } from '../../engine/host/handlers.js';
import type { EngineHost } from '../../engine/host/host.js';
import { HEALTH_INTERVAL_MS } from '../../renderer/src/store/connection.js';
import { createAppStore, type AppStore } from '../../renderer/src/store/index.js';
import { pageFromHash } from '../../renderer/src/store/navigation.js';

const require = createRequire(import.meta.url);
const ORT_VERSION = (require('onnxruntime-node/package.json') as { version: string }).version;

/** The real engine, in this process, behind the same text path and validation as the WebSocket. */
function realEngine(): { host: EngineHost; client: RsdClient } {
  const host = createEngineHost('in-process');
  return { host, client: createClient(inProcessTransport(host)) };
}

/** A genuine failure from the engine: `refresh` must be a boolean, so the host refuses the params. */
async function invalidParamsError(client: RsdClient): Promise<RsdCallError> {
  const thrown: unknown = await client.call('system.info', { refresh: 'yes' } as never).then(
    () => expect.fail('system.info accepted refresh: "yes"'),
    (error: unknown) => error,
  );
  expect(thrown).toBeInstanceOf(RsdCallError);
  return thrown as RsdCallError;
}

describe('pageFromHash', () => {
  test.each([
    ['#/results', 'results'],
    ['#/system', 'system'],
    ['', 'checklist'],
    ['#/nope', 'checklist'],
  ])('%j is the %s page', (hash, page) => {
    expect(pageFromHash(hash)).toBe(page);
  });
});

describe('notices', () => {
  let store: AppStore;
  beforeEach(() => {
    store = createAppStore();
  });

  test('keeps the 5 newest, newest last', () => {
    for (let i = 1; i <= 7; i++) store.getState().report(`problem ${i}`, new Error(`cause ${i}`));

    const notices = store.getState().notices;
    expect(notices.map((n) => n.title)).toEqual(['problem 3', 'problem 4', 'problem 5', 'problem 6', 'problem 7']);
    expect(new Set(notices.map((n) => n.id)).size).toBe(5);
  });

  test("an RsdCallError keeps the engine's tagged error: kind and field", async () => {
    const { client } = realEngine();
    const error = await invalidParamsError(client);

    store.getState().report('Could not read system information', error);

    const [notice] = store.getState().notices;
    expect(notice?.title).toBe('Could not read system information');
    expect(notice?.error).toMatchObject({ kind: 'invalid-params', field: 'params.refresh' });
    expect(notice?.error.message).toMatch(/^params\.refresh: /);
  });

  test("a plain Error becomes kind 'internal' with its message", () => {
    store.getState().report('Something broke', new Error('boom'));

    expect(store.getState().notices[0]?.error).toEqual({ kind: 'internal', message: 'boom' });
  });

  test('dismiss removes that notice only', () => {
    store.getState().report('first', new Error('1'));
    store.getState().report('second', new Error('2'));
    store.getState().report('third', new Error('3'));
    const second = store.getState().notices[1]!;

    store.getState().dismiss(second.id);

    expect(store.getState().notices.map((n) => n.title)).toEqual(['first', 'third']);
  });
});

describe('connection and system slices, on the real in-process engine', () => {
  let store: AppStore;
  let engine: ReturnType<typeof realEngine>;
  let teardown: (() => void) | undefined;

  beforeEach(() => {
    store = createAppStore();
    engine = realEngine();
  });
  afterEach(() => {
    teardown?.(); // clears the 5 s health interval
    teardown = undefined;
    vi.useRealTimers();
  });

  test('attach records the client and its kind; the health check reports the real pid', async () => {
    expect(store.getState().connectionKind).toBeNull();

    teardown = store.getState().attach(engine.client);
    expect(store.getState().client).toBe(engine.client);
    expect(store.getState().connectionKind).toBe('in-process');
    expect(store.getState().connectionState).toBe('open'); // the in-process transport never closes

    await store.getState().checkHealth();

    expect(store.getState().engine).toMatchObject({ state: 'ok', health: { status: 'ok', pid: process.pid } });
  });

  test("an engine.status event other than 'ready' marks the engine down, until teardown", () => {
    teardown = store.getState().attach(engine.client);

    engine.host.emit('engine.status', { state: 'crashed', detail: 'utility process crashed' });
    expect(store.getState().engine).toEqual({ state: 'down', reason: 'utility process crashed' });

    const reachingTheClient: unknown[] = [];
    engine.client.listen('engine.status', (payload) => reachingTheClient.push(payload));
    teardown();
    teardown = undefined;
    engine.host.emit('engine.status', { state: 'exited' });
    expect(store.getState().engine).toEqual({ state: 'down', reason: 'utility process crashed' });
    expect(reachingTheClient).toEqual([]); // teardown closed the client too
  });

  test('a health answer in flight does not paint a crashed engine healthy again', async () => {
    teardown = store.getState().attach(engine.client);
    const check = store.getState().checkHealth();
    engine.host.emit('engine.status', { state: 'crashed', detail: 'utility process crashed' });
    await check;
    expect(store.getState().engine).toEqual({ state: 'down', reason: 'utility process crashed' });
  });

  test('the health check runs again every 5 s, until teardown', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    teardown = store.getState().attach(engine.client);
    await store.getState().checkHealth();
    engine.host.emit('engine.status', { state: 'crashed' });
    expect(store.getState().engine).toEqual({ state: 'down', reason: 'engine crashed' });

    vi.advanceTimersByTime(HEALTH_INTERVAL_MS);

    await vi.waitFor(() => expect(store.getState().engine.state).toBe('ok'));
    teardown();
    teardown = undefined;
    expect(vi.getTimerCount()).toBe(0);
  });

  test('loadSystemInfo fills systemInfo with the versions the engine really loaded', async () => {
    teardown = store.getState().attach(engine.client);

    const loading = store.getState().loadSystemInfo();
    expect(store.getState().systemLoading).toBe(true);
    await loading;

    const { systemInfo, systemLoading, notices } = store.getState();
    expect(systemLoading).toBe(false);
    expect(notices).toEqual([]);
    expect(systemInfo?.engineHost).toBe('in-process');
    expect(systemInfo?.runtime.node).toBe(process.versions.node);
    expect(systemInfo?.onnxruntime).toMatchObject({ status: 'loaded', version: ORT_VERSION });
    expect(systemInfo?.mujoco).toMatchObject({ status: 'loaded', version: '3.14.0', packageVersion: '3.14.0' });
  });

  test('loadSystemInfo does nothing before a client is attached', async () => {
    await store.getState().loadSystemInfo();

    expect(store.getState().systemInfo).toBeNull();
    expect(store.getState().systemLoading).toBe(false);
  });
});

describe('checks and settings slices, on the real in-process engine', () => {
  let store: AppStore;
  let teardown: (() => void) | undefined;
  let dataDir: string;

  beforeEach(async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const os = await import('node:os');
    dataDir = await mkdtemp(`${os.tmpdir()}/rsd-store-`);
    store = createAppStore();
    teardown = store.getState().attach(createClient(inProcessTransport(createEngineHost('in-process', { dataDir, env: {} }))));
  });
  afterEach(async () => {
    teardown?.();
    const { rm } = await import('node:fs/promises');
    await rm(dataDir, { recursive: true, force: true });
  });

  test('loadChecks fills the rows, unchecked', async () => {
    await store.getState().loadChecks();
    const { checks, checksLoaded } = store.getState();
    expect(checksLoaded).toBe(true);
    expect(checks).toHaveLength(CHECK_IDS.length);
    expect(checks.every((c) => c.result === null)).toBe(true);
  });

  test('runChecks queues the rows, follows the progress events, and ends with results and no progress', async () => {
    await store.getState().loadChecks();
    const seen: string[] = [];
    const off = store.subscribe((s, before) => {
      if (s.checksProgress !== before.checksProgress && s.checksProgress) seen.push(`${s.checksProgress.done}/${s.checksProgress.total} ${s.checksProgress.current ?? '-'}`);
    });

    const running = store.getState().runChecks(['ep.cpu', 'remote.modal']);
    expect(store.getState().checksQueued).toEqual(['ep.cpu', 'remote.modal']);
    await running;
    off();

    expect(seen).toEqual(['0/2 ep.cpu', '1/2 -', '1/2 remote.modal']);
    const { checks, checksQueued, checksProgress } = store.getState();
    expect(checksQueued).toEqual([]);
    expect(checksProgress).toBeNull();
    expect(checks.find((c) => c.id === 'ep.cpu')?.result?.status).toBe('pass');
    expect(checks.find((c) => c.id === 'remote.modal')?.result?.status).toBe('not-configured');
    expect(checks.filter((c) => c.result).length).toBe(2);
  });

  test("changeSettings returns the engine's error naming the field, and changes nothing", async () => {
    const error = await store.getState().changeSettings({ bundleDir: '/no/such/folder' });
    expect(error).toMatchObject({ kind: 'invalid-params', field: 'params.bundleDir', message: 'params.bundleDir: there is no folder at /no/such/folder' });
    expect(store.getState().settings).toBeNull();
  });

  test('changeSettings saves, keeps the new settings, and checks again the rows that read the key', async () => {
    await store.getState().loadChecks();

    expect(await store.getState().changeSettings({ decoding: 'parallel' })).toBeNull();

    expect(store.getState().settings?.settings.decoding).toBe('parallel');
    await vi.waitFor(() => {
      const checked = store.getState().checks.filter((c) => c.result).map((c) => c.id);
      expect(checked).toEqual(['bundle.draft', 'settings.file']);
    });
    expect(store.getState().checks.find((c) => c.id === 'bundle.draft')?.result?.detail).toBe('Not needed: decoding is set to parallel, and only speculative decoding uses a draft.');
  });
});
