import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface ServeProcess {
  url: string;
  origin: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the real `rsd serve` as a separate process and waits for the URL it prints. */
export async function startRsdServe(): Promise<ServeProcess> {
  const index = path.resolve('dist', 'renderer', 'index.html');
  if (!existsSync(index)) throw new Error(`${index} is missing: run \`npm run build\` before the end-to-end tests`);
  const child = spawn(process.execPath, ['bin/rsd.mjs', 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /http:\/\/\S+/.exec(output);
      if (match) resolve(match[0]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`rsd serve exited with ${code} before printing a URL:\n${output}`)));
  });
  return {
    url,
    origin: new URL(url).origin,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
