import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * The openpi stand-in server (openpi_standin.py) for a test file: started once in beforeAll with the
 * project's Python, configured between tests over HTTP, stopped in afterAll.
 */
export interface Standin {
  url: string;
  process: ChildProcess;
  /** Faults by request number ("3:nan,5:hang"), the record file, the RSD record, the metadata; requests count from 1 again. */
  configure(options?: { faults?: string; record?: string; rsd?: boolean; metadata?: object }): Promise<void>;
  stop(): Promise<void>;
}

export const STANDIN_DIR = fileURLToPath(new URL('.', import.meta.url));

export async function startStandin(python: string, args: string[] = []): Promise<Standin> {
  const child = spawn(python, ['openpi_standin.py', '--port', '0', ...args], { cwd: STANDIN_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`the stand-in did not start in 30 s: ${stderr}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`the stand-in exited (${code}) before listening: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^policy server listening on (ws:\/\/\S+)$/.exec(line);
      if (m) {
        clearTimeout(guard);
        resolve(m[1]!);
      }
    });
  });
  return {
    url,
    process: child,
    async configure(o = {}) {
      const q = new URLSearchParams({ faults: o.faults ?? '', ...(o.record ? { record: o.record } : {}), rsd: o.rsd ? '1' : '0', ...(o.metadata ? { metadata: JSON.stringify(o.metadata) } : {}) });
      const r = await fetch(`${url.replace('ws://', 'http://')}/standin/configure?${q}`);
      if (r.status !== 200) throw new Error(`configuring the stand-in: HTTP ${r.status}`);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Metadata as the project's python/policy_server sends it (docs/remote-policies.md), for the stand-in's RSD mode. */
export const RSD_SERVER_METADATA = {
  server: 'rsd-policy-server',
  protocol: 1,
  kind: 'rsd-checkpoint',
  name: 'standin-rsd',
  hash: 'sha256:5a1d',
  observation: { cameras: [{ name: 'agentview', width: 64, height: 48 }], proprio: 8, object_poses: true, instruction: true },
  action: { dim: 7, chunk: 10 },
  decoding: { strategy: 'speculative', accept: 'threshold', threshold: 0.7 },
  strategies: ['parallel', 'autoregressive', 'speculative'],
};
