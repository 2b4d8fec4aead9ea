import type { SystemInfo } from '../api/system.js';
import { createClient } from '../api/client.js';
import { inProcessTransport } from '../api/transports/in-process.js';
import { createEngineHost } from '../host/handlers.js';
import { parse, print } from './args.js';

export async function info(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' } });
  const client = createClient(inProcessTransport(createEngineHost('cli')));
  const system = await client.call('system.info', {});
  print(values.json, system, () => formatInfo(system));
  return system.onnxruntime.status === 'loaded' && system.mujoco.status === 'loaded' ? 0 : 1;
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
  return lines.join('\n');
}
