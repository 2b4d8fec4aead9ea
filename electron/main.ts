import path from 'node:path';
import { app, BrowserWindow, ipcMain, nativeTheme, session } from 'electron';
import type { RsdError } from '../engine/api/errors.js';
import { IPC_EVENT_CHANNEL, IPC_REQUEST_CHANNEL, REQUEST_TYPES } from '../engine/api/names.js';
import { registerDialogHandler } from './dialogs.js';
import { EngineProcess } from './engine-process.js';
import { registerAppScheme, serveRenderer } from './protocol.js';
import { hardenSession, hardenWebContents, isTrustedSender, secureWebPreferences } from './security.js';
import { APP_ENTRY } from './trust.js';

// Bundled to dist/electron/; the renderer is built to dist/renderer/.
const rendererDir = path.join(__dirname, '..', 'renderer');
const engine = new EngineProcess(path.join(__dirname, 'engine-host.cjs'));

app.enableSandbox();
registerAppScheme();
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

function broadcast(envelope: unknown): void {
  for (const window of BrowserWindow.getAllWindows()) window.webContents.send(IPC_EVENT_CHANNEL, envelope);
}

engine.on('event', broadcast);
engine.on('status', (state, detail) => broadcast({ event: 'engine.status', payload: { state, detail } }));

ipcMain.handle(IPC_REQUEST_CHANNEL, (event, type: unknown, params: unknown) => {
  if (!isTrustedSender(event.senderFrame?.url)) {
    return { ok: false, error: { kind: 'invalid-message', message: 'request from an untrusted frame refused' } satisfies RsdError };
  }
  if (typeof type !== 'string' || !(REQUEST_TYPES as readonly string[]).includes(type)) {
    return { ok: false, error: { kind: 'unknown-request', message: `unknown request type "${String(type)}"`, field: 'type' } satisfies RsdError };
  }
  return engine.request(type, params);
});

// Folder and file dialogs, on their own channel, with the same check of the sender. A file the user
// chooses in the save or open dialog is granted to the engine host, which otherwise takes paths from
// the page only inside its exports folder (engine/util/confined-path.ts).
registerDialogHandler((access, file) => engine.grant(access, file));

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'RSD Workbench',
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#16181d' : '#f6f7f9',
    webPreferences: secureWebPreferences(path.join(__dirname, 'preload.cjs')),
  });
  void window.loadURL(APP_ENTRY);
}

app.whenReady().then(() => {
  hardenSession(session.defaultSession);
  serveRenderer(rendererDir);
  engine.start();
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
app.on('before-quit', () => engine.stop());
