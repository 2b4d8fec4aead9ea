// The Electron binary cannot run here, so the built preload is run against a TEST DOUBLE of the
// `electron` module: a fake contextBridge and ipcRenderer that record what the preload does with them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { bridgeMethodName, IPC_DIALOG_CHANNEL, IPC_EVENT_CHANNEL, IPC_REQUEST_CHANNEL, REQUEST_TYPES } from '../../engine/api/names.js';

const preloadFile = path.resolve(import.meta.dirname, '../../dist/electron/preload.cjs');

type Listener = (...args: unknown[]) => void;

function loadPreload() {
  const exposed = new Map<string, Record<string, unknown>>();
  const ipcRenderer = {
    invoke: vi.fn(async (..._args: unknown[]) => ({ ok: true, result: null })),
    on: vi.fn((_channel: string, _listener: Listener) => ipcRenderer),
    removeListener: vi.fn((_channel: string, _listener: Listener) => ipcRenderer),
  };
  const electron = {
    contextBridge: { exposeInMainWorld: (name: string, api: Record<string, unknown>) => exposed.set(name, api) },
    ipcRenderer,
  };
  // A sandboxed preload may require little besides `electron`; the bundle must need nothing else.
  const fakeRequire = (id: string) => {
    if (id === 'electron') return electron;
    throw new Error(`preload required ${id}`);
  };
  const wrapper = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname) {${readFileSync(preloadFile, 'utf8')}\n})`, {
    filename: preloadFile,
  }) as (...args: unknown[]) => void;
  const module = { exports: {} };
  wrapper(module.exports, fakeRequire, module, preloadFile, path.dirname(preloadFile));
  return { exposed, ipcRenderer };
}

describe('preload (dist/electron/preload.cjs)', () => {
  let preload: ReturnType<typeof loadPreload>;
  let api: Record<string, unknown>;

  beforeEach(() => {
    preload = loadPreload();
    expect([...preload.exposed.keys()]).toEqual(['rsd']);
    api = preload.exposed.get('rsd') ?? {};
  });

  it('exposes one function per request type, onEvent and the three dialogs, and never ipcRenderer', () => {
    const expected = [...REQUEST_TYPES.map(bridgeMethodName), 'onEvent', 'chooseFolder', 'chooseSaveFile', 'chooseOpenFile'];
    expect(Object.keys(api).sort()).toEqual(expected.sort());
    for (const key of expected) expect(typeof api[key]).toBe('function');
    for (const key of ['ipcRenderer', 'send', 'invoke', 'on']) expect(api).not.toHaveProperty(key);
    expect(Object.values(api)).not.toContain(preload.ipcRenderer);
  });

  it('sends a request over the request channel with its type and params', async () => {
    const systemInfo = api.systemInfo as (params: unknown) => Promise<unknown>;
    await expect(systemInfo({ refresh: true })).resolves.toEqual({ ok: true, result: null });
    expect(preload.ipcRenderer.invoke).toHaveBeenCalledExactlyOnceWith(IPC_REQUEST_CHANNEL, 'system.info', { refresh: true });
  });

  it('forwards only the envelope of events, and unsubscribes the same handler', () => {
    const onEvent = api.onEvent as (listener: (envelope: unknown) => void) => () => void;
    const listener = vi.fn();
    const unsubscribe = onEvent(listener);

    expect(preload.ipcRenderer.on).toHaveBeenCalledOnce();
    const [channel, handler] = preload.ipcRenderer.on.mock.calls[0] ?? [];
    expect(channel).toBe(IPC_EVENT_CHANNEL);

    const ipcEvent = { sender: preload.ipcRenderer };
    const envelope = { event: 'engine.status', payload: { state: 'ready' } };
    handler?.(ipcEvent, envelope);
    expect(listener).toHaveBeenCalledExactlyOnceWith(envelope);

    unsubscribe();
    expect(preload.ipcRenderer.removeListener).toHaveBeenCalledExactlyOnceWith(IPC_EVENT_CHANNEL, handler);
  });

  it('asks main for the dialogs on the dialog channel, one request object each, and passes the answer back', async () => {
    const chooseFolder = api.chooseFolder as (purpose: string) => Promise<string | null>;
    const chooseSaveFile = api.chooseSaveFile as (name: string) => Promise<string | null>;
    const chooseOpenFile = api.chooseOpenFile as () => Promise<string | null>;

    preload.ipcRenderer.invoke.mockResolvedValueOnce('/home/u/bundle' as never);
    await expect(chooseFolder('bundle')).resolves.toBe('/home/u/bundle');
    preload.ipcRenderer.invoke.mockResolvedValueOnce(null as never);
    await expect(chooseFolder('libero')).resolves.toBeNull();
    preload.ipcRenderer.invoke.mockResolvedValueOnce('/home/u/r.results.json' as never);
    await expect(chooseSaveFile('r.results.json')).resolves.toBe('/home/u/r.results.json');
    preload.ipcRenderer.invoke.mockResolvedValueOnce('/home/u/in.json' as never);
    await expect(chooseOpenFile()).resolves.toBe('/home/u/in.json');

    expect(preload.ipcRenderer.invoke.mock.calls).toEqual([
      [IPC_DIALOG_CHANNEL, { kind: 'folder', purpose: 'bundle' }],
      [IPC_DIALOG_CHANNEL, { kind: 'folder', purpose: 'libero' }],
      [IPC_DIALOG_CHANNEL, { kind: 'save', defaultName: 'r.results.json' }],
      [IPC_DIALOG_CHANNEL, { kind: 'open' }],
    ]);
    expect(IPC_DIALOG_CHANNEL).not.toBe(IPC_REQUEST_CHANNEL);
  });

  it("passes main's refusal on as a rejection", async () => {
    preload.ipcRenderer.invoke.mockRejectedValueOnce(new Error('bad dialog request: unknown folder purpose "home"'));
    await expect((api.chooseFolder as (purpose: string) => Promise<string | null>)('home')).rejects.toThrow('unknown folder purpose');
  });
});
