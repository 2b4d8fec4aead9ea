import { createClient, type RsdClient } from '../../engine/api/client.js';
import { electronTransport } from '../../engine/api/transports/electron.js';
import { webSocketTransport } from '../../engine/api/transports/websocket.js';
import type { RsdBridge } from '../../engine/api/names.js';

declare global {
  interface Window {
    /** Present only inside Electron, exposed by the preload. */
    rsd?: RsdBridge;
  }
}

const TOKEN_KEY = 'rsd.token';

/**
 * The engine client for wherever the page runs: Electron's preload bridge, or the WebSocket of
 * `rsd serve` (authenticated by the token that the printed URL carries). The token moves from the
 * address bar to the origin's local storage, so it is not left in history or screenshots, and a deep
 * link copied into another tab or window of the same browser (which has no session storage of its
 * own) still connects. Only pages of this origin, which `rsd serve` alone serves, can read it.
 */
export function connectToEngine(win: Window = window): RsdClient {
  if (win.rsd) return createClient(electronTransport(win.rsd));
  const url = new URL(win.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    win.localStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    win.history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  const token = win.localStorage.getItem(TOKEN_KEY) ?? '';
  const scheme = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(`${scheme}//${url.host}/ws?token=${encodeURIComponent(token)}`);
  return createClient(webSocketTransport(socket));
}
