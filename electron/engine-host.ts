// Entry of the Electron utility process: the engine host, reached over the MessagePort that main sends.
import { createEngineHost } from '../engine/host/handlers.js';

const engine = createEngineHost('electron-utility');

process.parentPort.once('message', ({ ports }) => {
  const [port] = ports;
  if (!port) throw new Error('engine host: main sent no MessagePort');
  port.on('message', async ({ data }) => port.postMessage(JSON.stringify(await engine.handle(String(data)))));
  engine.onEvent((event) => port.postMessage(JSON.stringify(event)));
  port.start();
  port.postMessage(JSON.stringify({ event: 'engine.status', payload: { state: 'ready' } }));
});
