import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Comparison } from '../api/schemas/comparison.js';
import { defaultBundleDir } from '../bundle/default-bundle.js';
import type { Strategy } from '../decoding/record.js';
import { compareResults } from '../eval/compare.js';
import { RUN_DEFAULTS } from '../eval/defaults.js';
import { percentile } from '../eval/metrics.js';
import { planEpisodes, taskContext } from '../eval/plan.js';
import { resolveRun } from '../eval/resolve.js';
import { runEvaluation, RUNNER_SESSION_OPTIONS } from '../eval/runner.js';
import { MAX_STEPS, NUM_WAIT_STEPS, WAIT_ACTION } from '../libero/suites.js';
import { BundlePolicy } from '../policy/bundle-policy.js';
import type { PolicyChunk } from '../policy/policy.js';
import { RemotePolicy } from '../policy/remote/remote-policy.js';
import { createSimulator } from '../sim/factory.js';
import { InputError } from '../util/input-error.js';

/**
 * `rsd bench served`: a bundle run in-process (ONNX, the RSD engine) against the same weights served
 * by a policy server (python/policy_server, PyTorch), in one command on one machine:
 * 1. codes: episodes driven by the in-process policy; every chunk's observation is also sent to the
 *    server, and the two chunks' codes and actions are compared (the same observations, so any
 *    difference is the implementations', not the episodes');
 * 2. outcomes: the same episodes evaluated twice by the runner, once in-process and once through the
 *    server, paired by (task, trial) as `rsd runs compare` pairs them.
 * Latency: the served chunk's round trip over the in-process chunk's, per chunk of phase 1.
 */

export interface ServedBenchOptions {
  url: string;
  profile?: string;
  bundleDir?: string;
  /** Tasks x trials, first tasks first (as rsd bench eval). */
  episodes: number;
  maxSteps?: number;
  workers?: number;
}

export interface ServedBenchReport {
  bundle: string;
  server: { url: string; name: string; hash: string };
  decoding: Strategy;
  codes: {
    episodes: number;
    chunks: number;
    /** Chunks whose codes are identical in every position; target >= 99%. */
    identicalChunks: number;
    identicalChunkShare: number;
    /** Codes equal over all compared positions. */
    identicalCodeShare: number;
    maxAbsActionDiff: number;
  };
  outcomes: {
    paired: number;
    sameOutcome: number;
    successesInProcess: number;
    successesServed: number;
    onlyInProcess: number;
    onlyServed: number;
    errorsServed: number;
    pValue: number;
  };
  latency: { inProcessMedianMs: number; servedMedianMs: number; ratio: number };
  targets: { identicalChunkShare: number; sameOutcomePer100: number };
  machine: { cpus: number; cpuModel: string; node: string };
}

export class ServedBenchError extends InputError {
  constructor(field: string, message: string) {
    super(field, message);
    this.name = 'ServedBenchError';
  }
}

function codesOf(chunk: PolicyChunk, who: string): Int32Array {
  if (!chunk.codes) throw new ServedBenchError('policy', `${who} gave a chunk without codes: codes can only be compared where both sides report them (a project server's rsd record does)`);
  return chunk.codes;
}

export async function runServedBench(o: ServedBenchOptions, note: (line: string) => void = () => {}): Promise<ServedBenchReport> {
  const remote = await RemotePolicy.connect({ url: o.url, ...(o.profile ? { profile: o.profile } : {}) });
  const bundleDir = o.bundleDir ?? defaultBundleDir();
  const served = remote.metadata.decoding;
  let local: BundlePolicy | null = null;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-bench-served-'));
  try {
    // The same strategy and rule as the server's, so that the two decode the same way.
    local = await BundlePolicy.load({ dir: bundleDir, ep: 'cpu', seed: RUN_DEFAULTS.seed, sessionOptions: RUNNER_SESSION_OPTIONS, decoding: served.strategy, ...(served.accept ? { accept: served.accept } : {}), ...(served.threshold !== null ? { threshold: served.threshold } : {}) });
    if (served.accept === 'stochastic') throw new ServedBenchError('policy', 'the server samples (stochastic acceptance): codes compare only under greedy decoding');
    const maxSteps = o.maxSteps ?? MAX_STEPS.libero_spatial;
    const tasks = Array.from({ length: Math.min(10, o.episodes) }, (_, i) => i);
    const trials = Math.ceil(o.episodes / tasks.length);
    const episodes = planEpisodes('libero_spatial', tasks, trials, RUN_DEFAULTS.initSource).slice(0, o.episodes);

    // 1. Codes on the same observations, the in-process policy driving.
    const cameras = [...remote.metadata.observation.cameras, ...local.metadata.observation.cameras];
    const sim = await createSimulator(RUN_DEFAULTS.simulator, cameras.length ? { cameras } : {});
    let chunks = 0;
    let identicalChunks = 0;
    let codesCompared = 0;
    let codesEqual = 0;
    let maxAbsActionDiff = 0;
    const localMs: number[] = [];
    const servedMs: number[] = [];
    try {
      for (const [i, e] of episodes.entries()) {
        const task = taskContext('libero_spatial', e.taskId, e.task);
        let obs = await sim.reset(e.task, e.init);
        for (let t = 0; t < NUM_WAIT_STEPS; t++) obs = (await sim.step(WAIT_ACTION)).observation;
        let steps = 0;
        let done = false;
        while (!done && steps < maxSteps) {
          let t0 = performance.now();
          const [mine] = await local.inferBatch([{ observation: obs, task }]);
          localMs.push(performance.now() - t0);
          t0 = performance.now();
          const [theirs] = await remote.inferBatch([{ observation: obs, task }]);
          servedMs.push(performance.now() - t0);
          const a = codesOf(mine!, 'the in-process bundle');
          const b = codesOf(theirs!, 'the server');
          if (a.length !== b.length) throw new ServedBenchError('policy', `the server's codes have ${b.length} entries, the bundle's ${a.length}: not the same model`);
          let equal = 0;
          for (let k = 0; k < a.length; k++) if (a[k] === b[k]) equal++;
          chunks++;
          codesCompared += a.length;
          codesEqual += equal;
          if (equal === a.length) identicalChunks++;
          const n = Math.min(mine!.actions.length, theirs!.actions.length);
          for (let k = 0; k < n; k++) maxAbsActionDiff = Math.max(maxAbsActionDiff, Math.abs(mine!.actions[k]! - theirs!.actions[k]!));
          for (let s = 0; s < mine!.actions.length && steps < maxSteps; s += 7) {
            const r = await sim.step(mine!.actions.subarray(s, s + 7));
            steps++;
            obs = r.observation;
            if (r.success) {
              done = true;
              break;
            }
          }
        }
        note(`codes: episode ${i + 1}/${episodes.length}, ${chunks} chunks, ${identicalChunks} identical`);
      }
    } finally {
      await sim.close();
    }

    // 2. Outcomes: the runner, in-process then served, over the same episodes.
    const evaluate = async (policy: Parameters<typeof resolveRun>[0]['policy'], dir: string) => {
      const run = await resolveRun({ tasks, trials, maxSteps, ...(o.workers ? { workers: o.workers } : {}), policy }, { settings: null, runsRoot: path.join(tmp, dir) });
      return runEvaluation(run, { onEvent: (ev) => void (ev.type === 'episode-finished' && ev.progress.done % 10 === 0 && note(`outcomes (${dir}): ${ev.progress.done} episodes`)) });
    };
    const inProcess = await evaluate({ kind: 'bundle', dir: bundleDir, decoding: served.strategy, ...(served.accept ? { accept: served.accept } : {}), ...(served.threshold !== null ? { threshold: served.threshold } : {}) }, 'in-process');
    const viaServer = await evaluate({ kind: 'remote', url: o.url, ...(o.profile ? { profile: o.profile } : {}) }, 'served');
    const comparison: Comparison = compareResults(inProcess.results, viaServer.results);
    const t = comparison.total;
    const inMedian = percentile(localMs, 50);
    const servedMedian = percentile(servedMs, 50);
    return {
      bundle: local.metadata.name,
      server: { url: o.url, name: remote.metadata.name, hash: remote.metadata.hash },
      decoding: served.strategy,
      codes: {
        episodes: episodes.length,
        chunks,
        identicalChunks,
        identicalChunkShare: chunks ? identicalChunks / chunks : 0,
        identicalCodeShare: codesCompared ? codesEqual / codesCompared : 0,
        maxAbsActionDiff,
      },
      outcomes: {
        paired: comparison.paired,
        sameOutcome: t.n - t.onlyA - t.onlyB,
        successesInProcess: t.successesA,
        successesServed: t.successesB,
        onlyInProcess: t.onlyA,
        onlyServed: t.onlyB,
        errorsServed: viaServer.results.episodes.filter((e) => e.outcome === 'error').length,
        pValue: t.pValue,
      },
      latency: { inProcessMedianMs: inMedian, servedMedianMs: servedMedian, ratio: servedMedian / inMedian },
      targets: { identicalChunkShare: 0.99, sameOutcomePer100: 98 },
      machine: { cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.versions.node },
    };
  } finally {
    await local?.close();
    await remote.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

export function formatServedBench(r: ServedBenchReport): string {
  const c = r.codes;
  const o = r.outcomes;
  return [
    `in-process bundle "${r.bundle}" against the server ${r.server.url} ("${r.server.name}", ${r.server.hash}), ${r.decoding} decoding`,
    `codes, same observations (${c.episodes} episodes driven in-process): ${c.identicalChunks}/${c.chunks} chunks identical (${pct(c.identicalChunkShare)}; target >= ${pct(r.targets.identicalChunkShare)}), ${pct(c.identicalCodeShare)} of codes, max |action difference| ${c.maxAbsActionDiff.toExponential(2)}`,
    `outcomes, ${o.paired} paired episodes: same outcome ${o.sameOutcome}/${o.paired} (target >= ${r.targets.sameOutcomePer100} of 100); success in-process ${o.successesInProcess}, served ${o.successesServed}; only in-process ${o.onlyInProcess}, only served ${o.onlyServed} (McNemar p ${o.pValue.toFixed(3)}); served errors ${o.errorsServed}`,
    `chunk latency: in-process ${r.latency.inProcessMedianMs.toFixed(2)} ms, served ${r.latency.servedMedianMs.toFixed(2)} ms (median round trip), served / in-process ${r.latency.ratio.toFixed(2)}x`,
    `machine: ${r.machine.cpus} CPUs (${r.machine.cpuModel}), node ${r.machine.node}`,
  ].join('\n');
}
