import path from 'node:path';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import type { SystemInfo } from './api/system.js';
import { createEngineHost } from './host/handlers.js';
import { inProcessTransport } from './api/transports/in-process.js';
import { createClient } from './api/client.js';
import { RsdCallError } from './api/errors.js';
import { isLoopback, startServer } from './server.js';
import { APP } from './system/app.js';
import { appRoot } from './util/app-root.js';

const USAGE = `rsd: ${APP.name} ${APP.version}

Usage:
  rsd info [--json]                         versions, machine, execution providers, MuJoCo
  rsd serve [--host 127.0.0.1] [--port N]   the app in a browser, engine in this process
            [--renderer DIR]
  rsd help

Exit status: 0 on success, 1 on failure, 2 on a usage error.`;

class UsageError extends Error {}

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  info: async (args) => {
    const { values } = parse(args, { json: { type: 'boolean' } });
    const client = createClient(inProcessTransport(createEngineHost('cli')));
    const info = await client.call('system.info', {});
    process.stdout.write(values.json ? JSON.stringify(info, null, 2) + '\n' : formatInfo(info));
    return info.onnxruntime.status === 'loaded' && info.mujoco.status === 'loaded' ? 0 : 1;
  },

  serve: async (args) => {
    const { values } = parse(args, { host: { type: 'string' }, port: { type: 'string' }, renderer: { type: 'string' } });
    const host = values.host ?? '127.0.0.1';
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: expected 0-65535, got "${values.port}"`);
    const rendererDir = values.renderer ?? path.join(appRoot(), 'dist', 'renderer');
    const server = await startServer({ host, port, rendererDir });
    if (!isLoopback(host)) {
      process.stderr.write(`warning: listening on ${host}, not loopback: anyone who can reach it with the token can drive the engine\n`);
    }
    process.stdout.write(`RSD Workbench is serving at ${server.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    return 0;
  },

  help: async () => {
    process.stdout.write(USAGE + '\n');
    return 0;
  },
};

function parse<O extends ParseArgsOptionsConfig>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true as const, allowPositionals: false as const });
  } catch (thrown) {
    throw new UsageError((thrown as Error).message);
  }
}

function formatInfo(info: SystemInfo): string {
  const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  const lines = [
    `${info.app.name} ${info.app.version}`,
    `node        ${info.runtime.node}${info.runtime.electron ? `, electron ${info.runtime.electron}` : ''} (${info.runtime.platform}-${info.runtime.arch})`,
    `machine     ${info.machine.cpuCount} CPUs (${info.machine.cpuModel}), ${gib(info.machine.totalMemoryBytes)} memory, ${gib(info.machine.freeMemoryBytes)} free`,
  ];
  const ort = info.onnxruntime;
  if (ort.status === 'loaded') {
    lines.push(`onnxruntime ${ort.version}`);
    for (const ep of ort.executionProviders) {
      lines.push(`  ${ep.available ? '✓' : '✗'} ${ep.name.padEnd(9)} ${ep.bundled ? 'bundled' : 'not bundled'}${ep.note ? `: ${ep.note}` : ''}`);
    }
  } else {
    lines.push(`onnxruntime FAILED: ${ort.error}`);
  }
  const mj = info.mujoco;
  lines.push(mj.status === 'loaded' ? `mujoco      ${mj.version} (@mujoco/mujoco ${mj.packageVersion}, loaded in ${mj.loadMs.toFixed(0)} ms)` : `mujoco      FAILED: ${mj.error}`);
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const [name = 'help', ...rest] = argv;
  const command = commands[name === '--help' || name === '-h' ? 'help' : name];
  if (name === '--version') {
    process.stdout.write(`${APP.version}\n`);
    return 0;
  }
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(commands).join(', ')}`);
    return await command(rest);
  } catch (thrown) {
    if (thrown instanceof UsageError) {
      process.stderr.write(`rsd ${name}: ${thrown.message}\n\n${USAGE}\n`);
      return 2;
    }
    const text = thrown instanceof RsdCallError ? `${thrown.error.kind}: ${thrown.message}` : thrown instanceof Error ? thrown.stack : String(thrown);
    process.stderr.write(`rsd ${name}: ${text}\n`);
    return 1;
  }
}
