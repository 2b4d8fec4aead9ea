import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ServeProcess {
  url: string;
  origin: string;
  child: ChildProcess;
  /** This server's own RSD_DATA_DIR (a temporary folder, removed by stop()). */
  dataDir: string;
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** Extra environment, e.g. RSD_LIBERO_DIR; the data folder is always a fresh temporary one. */
  env?: Record<string, string>;
}

/** Starts the real `rsd serve` as a separate process, with its own data folder, and waits for the URL it prints. */
export async function startRsdServe(options: ServeOptions = {}): Promise<ServeProcess> {
  const index = path.resolve('dist', 'renderer', 'index.html');
  if (!existsSync(index)) throw new Error(`${index} is missing: run \`npm run build\` before the end-to-end tests`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rsd-e2e-data-'));
  const { RSD_LIBERO_DIR: _inherited, RSD_LIBERO_PYTHON: _python, RSD_LIBERO_WORKER: _worker, ...inherited } = process.env;
  const env = { ...inherited, ...options.env, RSD_DATA_DIR: dataDir };
  const child = spawn(process.execPath, ['bin/rsd.mjs', 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env });
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
    dataDir,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dataDir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}
