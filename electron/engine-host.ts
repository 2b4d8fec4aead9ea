// Entry of the Electron utility process: the engine host, reached over the MessagePort that main sends.
import { createEngineHost } from '../engine/host/handlers.js';
import { PathGrants } from '../engine/util/confined-path.js';

// Paths the user chose in main's native dialogs: main alone writes on this port, and sends them as
// `{grant: {access, path}}` beside the request envelopes it builds (electron/engine-process.ts).
const grants = new PathGrants();
const engine = createEngineHost('electron-utility', { grants });

/** The grant in a message from main, or null when it is a request envelope. */
function grantIn(text: string): { access: 'read' | 'write'; path: string } | null {
  if (!text.startsWith('{"grant":')) return null;
  try {
    const { grant } = JSON.parse(text) as { grant?: { access?: unknown; path?: unknown } };
    if ((grant?.access === 'read' || grant?.access === 'write') && typeof grant.path === 'string') return { access: grant.access, path: grant.path };
  } catch {
    // not a grant: the host answers it as a request (invalid-message)
  }
  return null;
}

process.parentPort.once('message', ({ ports }) => {
  const [port] = ports;
  if (!port) throw new Error('engine host: main sent no MessagePort');
  port.on('message', async ({ data }) => {
    const text = String(data);
    const grant = grantIn(text);
    if (grant) grants.grant(grant.access, grant.path);
    else port.postMessage(JSON.stringify(await engine.handle(text)));
  });
  engine.onEvent((event) => port.postMessage(JSON.stringify(event)));
  port.start();
  port.postMessage(JSON.stringify({ event: 'engine.status', payload: { state: 'ready' } }));
});
