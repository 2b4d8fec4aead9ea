import { emptyChunks } from '../../../engine/runs/results-schema.js';
import type { EpisodeChunks, EpisodeRecord } from '../../../engine/api/schemas/results.js';
import type { RunConfig } from '../../../engine/api/schemas/run-config.js';

export function config(overrides: Partial<RunConfig> = {}): RunConfig {
  return {
    suite: 'libero_spatial',
    tasks: [0, 1],
    trials: 3,
    seed: 7,
    maxSteps: 220,
    waitSteps: 10,
    decoding: 'speculative',
    accept: 'threshold',
    threshold: 0.7,
    bundle: { name: 'test-bundle', hash: 'sha256:abc' },
    executionProvider: { requested: 'auto', used: 'cpu', reason: 'no GPU' },
    simulator: { backend: 'mujoco-wasm', version: '3.3.8' },
    initStates: { source: 'project', location: null },
    machine: { os: 'linux 6', arch: 'x64', cpuModel: 'test', cpus: 2, memoryBytes: 1024, node: '20.0.0' },
    ...overrides,
  };
}

/** Chunks with the given accepted-prefix lengths of `k` drafted layers and total latencies. */
export function chunks(accepted: number[], k = 2, totals: number[] = accepted.map((_, i) => 10 + i)): EpisodeChunks {
  const c = emptyChunks();
  c.draftLayers = accepted.map(() => k);
  c.acceptedLayers = [...accepted];
  for (const stage of Object.keys(c.latency) as (keyof EpisodeChunks['latency'])[]) c.latency[stage] = totals.map((t) => (stage === 'totalMs' ? t : t / 10));
  return c;
}

export function episode(taskId: number, trial: number, outcome: EpisodeRecord['outcome'], extra: Partial<EpisodeRecord> = {}): EpisodeRecord {
  return {
    taskId,
    trial,
    initIndex: trial,
    outcome,
    steps: outcome === 'success' ? 100 : 220,
    wallMs: 1000 + trial,
    error: outcome === 'error' ? 'MuJoCo unstable' : null,
    trajectory: null,
    chunks: chunks([2, 1]),
    ...extra,
  };
}
