import path from 'node:path';
import { isLoopback, startServer } from '../server.js';
import { appRoot } from '../util/app-root.js';
import { intFlag, parse } from './args.js';

export async function serve(args: string[]): Promise<number> {
  const { values } = parse(args, { host: { type: 'string' }, port: { type: 'string' }, renderer: { type: 'string' } });
  const host = values.host ?? '127.0.0.1';
  const port = intFlag('port', values.port, 0, 0, 65535);
  const rendererDir = values.renderer ?? path.join(appRoot(), 'dist', 'renderer');
  const server = await startServer({ host, port, rendererDir });
  if (!isLoopback(host)) {
    process.stderr.write(`warning: listening on ${host}, not loopback: anyone who can reach it with the token can drive the engine\n`);
  }
  process.stdout.write(`RSD Workbench is serving at ${server.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
