// electron/dialogs.ts shows Electron's native dialogs, whose binary cannot run here: `electron` is
// replaced by a TEST DOUBLE whose dialog records what it was asked and answers as a user would
// (a chosen path, or cancel), whose ipcMain records the handler, and whose BrowserWindow finds
// stand-in windows. What the real dialogs look like on each platform is not tested here.
import type { IpcMainInvokeEvent } from 'electron';
import { BrowserWindow, dialog, ipcMain } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { badFileName, handleDialogRequest, parseDialogRequest, registerDialogHandler } from '../../electron/dialogs.js';
import { IPC_DIALOG_CHANNEL } from '../../engine/api/names.js';

vi.mock('electron', () => ({
  shell: { openExternal: vi.fn() },
  ipcMain: { handle: vi.fn() },
  dialog: { showOpenDialog: vi.fn(), showSaveDialog: vi.fn() },
  BrowserWindow: { fromWebContents: vi.fn(), getFocusedWindow: vi.fn() },
}));

const appWindow = { id: 1, name: 'the window that asked' };
const otherWindow = { id: 2, name: 'the focused window' };
const sender = { id: 'web-contents' };

/** An invoke event from a frame at `url` (the app's page unless told). */
const eventFrom = (url: string | null = 'app://rsd/index.html') => ({ sender, senderFrame: url === null ? null : { url } }) as unknown as IpcMainInvokeEvent;

const open = vi.mocked(dialog.showOpenDialog);
const save = vi.mocked(dialog.showSaveDialog);

beforeEach(() => {
  vi.mocked(ipcMain.handle).mockReset();
  open.mockReset();
  save.mockReset();
  vi.mocked(BrowserWindow.fromWebContents).mockReset().mockReturnValue(appWindow as unknown as BrowserWindow);
  vi.mocked(BrowserWindow.getFocusedWindow).mockReset().mockReturnValue(otherWindow as unknown as BrowserWindow);
});

describe('registerDialogHandler', () => {
  it('handles the dialog channel, which is not the request channel', () => {
    registerDialogHandler(() => undefined);
    expect(ipcMain.handle).toHaveBeenCalledExactlyOnceWith(IPC_DIALOG_CHANNEL, expect.any(Function));
    expect(IPC_DIALOG_CHANNEL).toBe('rsd:dialog');
  });

  it('passes on each file the user chose (write from save, read from open) before answering; no folders, no cancels', async () => {
    const chosen: [string, string][] = [];
    registerDialogHandler((access, file) => chosen.push([access, file]));
    const handler = vi.mocked(ipcMain.handle).mock.calls[0]![1] as (event: IpcMainInvokeEvent, input: unknown) => Promise<string | null>;
    save.mockResolvedValueOnce({ canceled: false, filePath: '/home/u/out.json' });
    await expect(handler(eventFrom(), { kind: 'save', defaultName: 'r.results.json' })).resolves.toBe('/home/u/out.json');
    expect(chosen).toEqual([['write', '/home/u/out.json']]);
    open.mockResolvedValueOnce({ canceled: false, filePaths: ['/home/u/in.json'] });
    await expect(handler(eventFrom(), { kind: 'open' })).resolves.toBe('/home/u/in.json');
    open.mockResolvedValueOnce({ canceled: false, filePaths: ['/home/u/bundles/mine'] });
    await handler(eventFrom(), { kind: 'folder', purpose: 'bundle' });
    save.mockResolvedValueOnce({ canceled: true, filePath: '/home/u/cancelled.json' });
    await expect(handler(eventFrom(), { kind: 'save', defaultName: 'r.results.json' })).resolves.toBeNull();
    await expect(handler(eventFrom('https://example.com/'), { kind: 'open' })).rejects.toThrow(/untrusted frame/);
    expect(chosen).toEqual([
      ['write', '/home/u/out.json'],
      ['read', '/home/u/in.json'],
    ]);
  });
});

describe('the three dialogs', () => {
  it('chooses a bundle folder, modal to the window that asked', async () => {
    open.mockResolvedValue({ canceled: false, filePaths: ['/home/u/bundles/mine'] });
    await expect(handleDialogRequest(eventFrom(), { kind: 'folder', purpose: 'bundle' })).resolves.toBe('/home/u/bundles/mine');
    expect(BrowserWindow.fromWebContents).toHaveBeenCalledExactlyOnceWith(sender);
    expect(open).toHaveBeenCalledExactlyOnceWith(appWindow, { title: 'Choose the model bundle folder', buttonLabel: 'Choose', properties: ['openDirectory'] });
    expect(save).not.toHaveBeenCalled();
  });

  it('chooses a LIBERO folder, modal to the focused window when the sender has none', async () => {
    vi.mocked(BrowserWindow.fromWebContents).mockReturnValue(null);
    open.mockResolvedValue({ canceled: false, filePaths: ['/opt/LIBERO'] });
    await expect(handleDialogRequest(eventFrom(), { kind: 'folder', purpose: 'libero' })).resolves.toBe('/opt/LIBERO');
    expect(open).toHaveBeenCalledExactlyOnceWith(otherWindow, expect.objectContaining({ title: 'Choose the LIBERO folder', properties: ['openDirectory'] }));
  });

  it('shows the dialog without a parent when there is no window at all', async () => {
    vi.mocked(BrowserWindow.fromWebContents).mockReturnValue(null);
    vi.mocked(BrowserWindow.getFocusedWindow).mockReturnValue(null);
    open.mockResolvedValue({ canceled: false, filePaths: ['/opt/LIBERO'] });
    await expect(handleDialogRequest(eventFrom(), { kind: 'folder', purpose: 'libero' })).resolves.toBe('/opt/LIBERO');
    expect(open.mock.calls[0]).toHaveLength(1);
    expect(open.mock.calls[0]?.[0]).toMatchObject({ title: 'Choose the LIBERO folder' });
  });

  it('chooses where to save a results JSON: the default name filled in, a JSON filter', async () => {
    save.mockResolvedValue({ canceled: false, filePath: '/home/u/exports/run.results.json' });
    await expect(handleDialogRequest(eventFrom(), { kind: 'save', defaultName: '20261125-105430-3fa9c1.results.json' })).resolves.toBe('/home/u/exports/run.results.json');
    expect(save).toHaveBeenCalledExactlyOnceWith(appWindow, {
      title: 'Export results JSON',
      buttonLabel: 'Save',
      defaultPath: '20261125-105430-3fa9c1.results.json',
      filters: [{ name: 'Results JSON', extensions: ['json'] }],
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    });
    expect(open).not.toHaveBeenCalled();
  });

  it('chooses a results JSON to open, with a JSON filter', async () => {
    open.mockResolvedValue({ canceled: false, filePaths: ['C:\\Users\\u\\run.results.json'] });
    await expect(handleDialogRequest(eventFrom(), { kind: 'open' })).resolves.toBe('C:\\Users\\u\\run.results.json');
    expect(open).toHaveBeenCalledExactlyOnceWith(appWindow, {
      title: 'Import results JSON',
      buttonLabel: 'Import',
      filters: [{ name: 'Results JSON', extensions: ['json'] }],
      properties: ['openFile'],
    });
  });
});

describe('a cancelled dialog', () => {
  it.each([
    ['folder', { kind: 'folder', purpose: 'bundle' }],
    ['open', { kind: 'open' }],
  ])('%s: null', async (_name, request) => {
    open.mockResolvedValue({ canceled: true, filePaths: [] });
    await expect(handleDialogRequest(eventFrom(), request)).resolves.toBeNull();
  });

  it('save: null, also when the dialog gives no path', async () => {
    save.mockResolvedValue({ canceled: true, filePath: '' });
    await expect(handleDialogRequest(eventFrom(), { kind: 'save', defaultName: 'a.results.json' })).resolves.toBeNull();
    save.mockResolvedValue({ canceled: false, filePath: '' });
    await expect(handleDialogRequest(eventFrom(), { kind: 'save', defaultName: 'a.results.json' })).resolves.toBeNull();
  });

  it('open with no path chosen: null', async () => {
    open.mockResolvedValue({ canceled: false, filePaths: [] });
    await expect(handleDialogRequest(eventFrom(), { kind: 'open' })).resolves.toBeNull();
  });
});

describe('refusals: no dialog is shown', () => {
  const noDialog = () => {
    expect(open).not.toHaveBeenCalled();
    expect(save).not.toHaveBeenCalled();
  };

  it.each([
    ['another site', 'https://evil.com/'],
    ['another app:// host', 'app://evil/index.html'],
    ['a file page', 'file:///tmp/x.html'],
    ['a destroyed frame', null],
  ])('from an untrusted sender (%s)', async (_name, url) => {
    await expect(handleDialogRequest(eventFrom(url), { kind: 'open' })).rejects.toThrow('dialog request from an untrusted frame refused');
    noDialog();
  });

  it.each([
    ['not an object', 'open'],
    ['null', null],
    ['an array', [{ kind: 'open' }]],
    ['an unknown kind', { kind: 'message-box' }],
    ['no kind', {}],
    ['an unknown folder purpose', { kind: 'folder', purpose: 'home' }],
    ['a folder without purpose', { kind: 'folder' }],
    ['extra fields', { kind: 'open', defaultPath: '/etc' }],
    ['a folder with a default path', { kind: 'folder', purpose: 'bundle', defaultPath: '/etc' }],
    ['a save without a name', { kind: 'save' }],
    ['a save name that is not a string', { kind: 'save', defaultName: 42 }],
    ['a save name with a folder', { kind: 'save', defaultName: '../../.bashrc' }],
    ['a save name with an absolute path', { kind: 'save', defaultName: '/etc/passwd' }],
    ['a save name with a Windows folder', { kind: 'save', defaultName: 'C:\\Windows\\x.json' }],
    ['a save name with extra fields', { kind: 'save', defaultName: 'a.json', properties: ['openDirectory'] }],
  ])('of a bad request: %s', async (_name, request) => {
    await expect(handleDialogRequest(eventFrom(), request)).rejects.toThrow(/^bad dialog request: /);
    noDialog();
  });
});

describe('badFileName', () => {
  it('accepts bare names', () => {
    for (const name of ['20261125-105430-3fa9c1.results.json', 'results.json', 'imported run.json', '.results.json']) expect(badFileName(name)).toBeNull();
  });

  it('names what is wrong with the others', () => {
    expect(badFileName(undefined)).toBe('defaultName must be a string');
    expect(badFileName('')).toBe('defaultName is empty');
    expect(badFileName('   ')).toBe('defaultName is empty');
    expect(badFileName('a'.repeat(256))).toBe('defaultName is longer than 255 characters');
    for (const name of ['a/b.json', 'a\\b.json', 'C:x.json', '/x.json']) expect(badFileName(name)).toBe('defaultName must be a file name, without a folder');
    expect(badFileName('a\u0000.json')).toBe('defaultName has control characters');
    expect(badFileName('a\n.json')).toBe('defaultName has control characters');
    expect(badFileName('..')).toBe('defaultName must be a file name');
    expect(badFileName('.')).toBe('defaultName must be a file name');
  });
});

describe('parseDialogRequest', () => {
  it('keeps only the fields of the kind', () => {
    expect(parseDialogRequest({ kind: 'folder', purpose: 'libero' })).toEqual({ request: { kind: 'folder', purpose: 'libero' } });
    expect(parseDialogRequest({ defaultName: 'x.json', kind: 'save' })).toEqual({ request: { kind: 'save', defaultName: 'x.json' } });
    expect(parseDialogRequest({ kind: 'open' })).toEqual({ request: { kind: 'open' } });
    expect(parseDialogRequest({ kind: 'folder', purpose: 'bundle', extra: 1 })).toEqual({ error: 'a folder dialog takes exactly {kind, purpose}' });
  });
});
