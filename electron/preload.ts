// Sandboxed preload: one function per request, one event subscription and the native dialogs;
// never ipcRenderer itself.
import { contextBridge, ipcRenderer } from 'electron';
import {
  bridgeMethodName,
  IPC_DIALOG_CHANNEL,
  IPC_EVENT_CHANNEL,
  IPC_REQUEST_CHANNEL,
  REQUEST_TYPES,
  type DialogRequest,
  type FolderPurpose,
  type RsdBridge,
} from '../engine/api/names.js';

const requests = Object.fromEntries(
  REQUEST_TYPES.map((type) => [bridgeMethodName(type), (params: unknown) => ipcRenderer.invoke(IPC_REQUEST_CHANNEL, type, params)]),
);

// Main checks the request (electron/dialogs.ts); here it is only passed on.
const dialog = (request: DialogRequest): Promise<string | null> => ipcRenderer.invoke(IPC_DIALOG_CHANNEL, request);

const bridge = {
  ...requests,
  onEvent(listener: (event: unknown) => void) {
    // The IPC event object is not passed on: it would leak ipcRenderer through event.sender.
    const forward = (_event: unknown, envelope: unknown) => listener(envelope);
    ipcRenderer.on(IPC_EVENT_CHANNEL, forward);
    return () => void ipcRenderer.removeListener(IPC_EVENT_CHANNEL, forward);
  },
  chooseFolder: (purpose: FolderPurpose) => dialog({ kind: 'folder', purpose }),
  chooseSaveFile: (defaultName: string) => dialog({ kind: 'save', defaultName }),
  chooseOpenFile: () => dialog({ kind: 'open' }),
} as RsdBridge;

contextBridge.exposeInMainWorld('rsd', bridge);
