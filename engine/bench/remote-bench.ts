import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { percentile } from '../eval/metrics.js';
import type { PolicyInput } from '../policy/policy.js';
import { packMessage } from '../policy/remote/msgpack-numpy.js';
import { ObservationEncoder } from '../policy/remote/observation-encoder.js';
import { PolicyProfile } from '../policy/remote/profile.js';
import { RemotePolicy } from '../policy/remote/remote-policy.js';
import type { CameraImage } from '../sim/simulator.js';
import { spawnWorker, workerModule } from '../workers/spawn.js';

/**
 * `rsd bench remote`: what the remote policy client costs per chunk (encode, send, receive, decode;
 * inference excluded), against an echo server in a worker thread of the same run that answers every
 * request with a fixed [10, 7] chunk. Arms, interleaved chunk by chunk so that a noisy neighbour
 * hits them alike:
 * - `client`: RemotePolicy.inferBatch with two 224 x 224 images sent as rendered, the 8-D state and
 *   the prompt (the target: at most 2 ms per chunk);
 * - `openpi-libero`: the same through the shipped openpi-libero profile, which also turns two 256 x
 *   256 renders and resizes them to 224 (what a LIBERO client of openpi pays);
 * - `baseline`: the transport alone, the same observation's bytes (packed once) sent and the reply's
 *   bytes received on a raw WebSocket, nothing encoded or decoded.
 */

export interface RemoteBenchOptions {
  chunks?: number;
  warmup?: number;
}

interface Stats {
  medianMs: number;
  p95Ms: number;
}

export interface RemoteBenchReport {
  chunks: number;
  client: Stats;
  openpiLibero: Stats;
  baseline: Stats;
  /** client median / baseline median. */
  ratio: number;
  /** The observation's size on the wire (two 224 x 224 x 3 images, state, prompt). */
  requestBytes: number;
  targetMs: number;
  machine: { cpus: number; cpuModel: string; node: string };
}

const TARGET_MS = 2;

function image(size: number, salt: number): CameraImage {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + salt) & 255;
  return { width: size, height: size, channels: 3, data };
}

const task = { suite: 'libero_spatial', taskId: 0, instruction: 'pick up the black bowl between the plate and the ramekin and place it on the plate', objects: [] };
const observation = (size: number): PolicyInput => ({
  observation: { proprio: Float64Array.from([-0.21, -0.01, 1.17, 3.14, 0, -0.09, 0.04, -0.04]), objectPoses: new Float64Array(0), images: { agentview: image(size, 1), robot0_eye_in_hand: image(size, 2) } },
  task,
});

/** openpi-libero's keys and chunk, with the images sent as rendered at 224 x 224. */
const WIRE_PROFILE = {
  name: 'bench-224',
  observation: {
    images: ['agentview', 'robot0_eye_in_hand'].map((camera, i) => ({ key: i === 0 ? 'observation/image' : 'observation/wrist_image', camera, render: { width: 224, height: 224 }, orientation: 'upright' })),
    state: 'observation/state',
    prompt: 'prompt',
  },
  action: { dim: 7, execute: 5 },
};

export async function runRemoteBench(options: RemoteBenchOptions = {}): Promise<RemoteBenchReport> {
  const chunks = options.chunks ?? 500;
  const warmup = options.warmup ?? 50;
  const worker = spawnWorker(workerModule(import.meta.url, './remote-echo-worker.ts', 'remote-echo-worker'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rsd-bench-remote-'));
  const policies: RemotePolicy[] = [];
  let raw: WebSocket | null = null;
  try {
    const port = await new Promise<number>((resolve, reject) => {
      worker.once('message', (m: { port: number }) => resolve(m.port));
      worker.once('error', reject);
    });
    const url = `ws://127.0.0.1:${port}`;
    const profileFile = path.join(dir, 'bench-224.json');
    await writeFile(profileFile, JSON.stringify(WIRE_PROFILE));
    const client = await RemotePolicy.connect({ url, profile: profileFile });
    const libero = await RemotePolicy.connect({ url, profile: 'openpi-libero' });
    policies.push(client, libero);
    const small = observation(224);
    const large = observation(256);

    // The baseline's bytes: what the client arm sends, encoded once.
    const request = packMessage(new ObservationEncoder(PolicyProfile.parse(WIRE_PROFILE), []).encode(small));
    raw = await openRaw(url);
    const rawSocket = raw;
    const rawRoundTrip = () =>
      new Promise<void>((resolve) => {
        rawSocket.once('message', () => resolve());
        rawSocket.send(request, { binary: true });
      });

    const times = { client: [] as number[], libero: [] as number[], baseline: [] as number[] };
    for (let i = 0; i < warmup + chunks; i++) {
      const arms: [keyof typeof times, () => Promise<unknown>][] = [
        ['client', () => client.inferBatch([small])],
        ['libero', () => libero.inferBatch([large])],
        ['baseline', rawRoundTrip],
      ];
      // Rotate the order so no arm always runs first after the others.
      for (let k = 0; k < arms.length; k++) {
        const [arm, call] = arms[(i + k) % arms.length]!;
        const t = performance.now();
        await call();
        if (i >= warmup) times[arm].push(performance.now() - t);
      }
    }
    const stats = (v: number[]): Stats => ({ medianMs: percentile(v, 50), p95Ms: percentile(v, 95) });
    const report = {
      chunks,
      client: stats(times.client),
      openpiLibero: stats(times.libero),
      baseline: stats(times.baseline),
      ratio: 0,
      requestBytes: request.length,
      targetMs: TARGET_MS,
      machine: { cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    };
    report.ratio = report.client.medianMs / report.baseline.medianMs;
    return report;
  } finally {
    raw?.terminate();
    for (const p of policies) await p.close();
    worker.postMessage({ type: 'stop' });
    await worker.terminate().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/** A raw WebSocket past the metadata message. */
function openRaw(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    // The client's transport settings: no compression, a zero masking key (connection.ts says why).
    const ws = new WebSocket(url, { perMessageDeflate: false, generateMask: (mask) => mask.fill(0) });
    ws.once('message', () => resolve(ws));
    ws.once('error', reject);
  });
}

export function formatRemoteBench(r: RemoteBenchReport): string {
  const line = (label: string, s: Stats) => `  ${label.padEnd(44)} median ${s.medianMs.toFixed(3)} ms   p95 ${s.p95Ms.toFixed(3)} ms`;
  return [
    `rsd bench remote: ${r.chunks} chunks per arm against an echo server in a worker thread (a fixed [10, 7] chunk), loopback`,
    line('client (two 224x224 images, state, prompt)', r.client),
    line('openpi-libero (+ turn and resize 256 -> 224)', r.openpiLibero),
    line('baseline (the same bytes on a raw WebSocket)', r.baseline),
    `  client / baseline ${r.ratio.toFixed(2)}x; request ${(r.requestBytes / 1024).toFixed(0)} KiB; target: client median at most ${r.targetMs} ms (${r.client.medianMs <= r.targetMs ? 'met' : 'NOT met'})`,
    `  machine: ${r.machine.cpus} x ${r.machine.cpuModel}, Node ${r.machine.node}`,
  ].join('\n');
}
