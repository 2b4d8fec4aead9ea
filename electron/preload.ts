// Sandboxed preload: one function per request and one event subscription; never ipcRenderer itself.
import { contextBridge, ipcRenderer } from 'electron';
import { bridgeMethodName, IPC_EVENT_CHANNEL, IPC_REQUEST_CHANNEL, REQUEST_TYPES, type RsdBridge } from '../engine/api/names.js';

const requests = Object.fromEntries(
  REQUEST_TYPES.map((type) => [bridgeMethodName(type), (params: unknown) => ipcRenderer.invoke(IPC_REQUEST_CHANNEL, type, params)]),
);

const bridge = {
  ...requests,
  onEvent(listener: (event: unknown) => void) {
    // The IPC event object is not passed on: it would leak ipcRenderer through event.sender.
    const forward = (_event: unknown, envelope: unknown) => listener(envelope);
    ipcRenderer.on(IPC_EVENT_CHANNEL, forward);
    return () => void ipcRenderer.removeListener(IPC_EVENT_CHANNEL, forward);
  },
} as RsdBridge;

contextBridge.exposeInMainWorld('rsd', bridge);
