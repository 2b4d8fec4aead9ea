import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultBundleDir } from '../bundle/default-bundle.js';
import { SYNTHETIC_PRESETS, writeSyntheticBundle } from '../bundle/synthetic.js';
import type { Strategy } from '../decoding/record.js';
import { RUN_DEFAULTS } from '../eval/defaults.js';
import { planEpisodes, taskContext } from '../eval/plan.js';
import { resolveRun } from '../eval/resolve.js';
import { runEvaluation, RUNNER_SESSION_OPTIONS, type EvalReport } from '../eval/runner.js';
import { MAX_STEPS, NUM_WAIT_STEPS, suiteTask, suiteTasks, WAIT_ACTION } from '../libero/suites.js';
import { BundlePolicy } from '../policy/bundle-policy.js';
import { createSimulator } from '../sim/factory.js';

/**
 * `rsd bench eval`: the evaluation runner against a bare loop, in the same process on the same
 * episodes. The bare loop is the least a script could do: one thread, one simulator, the decoder
 * called directly, nothing written. The runner adds worker threads, message passing, batching,
 * the run store (fsynced episode lines, trajectories). With one worker the runner cannot overlap
 * simulation and inference, so runner(1) / bare - 1 is its overhead (also measured inside its
 * episodes). Then N workers run a longer evaluation (8 episodes per worker by default, so the last
 * wave and the startup do not dominate): its episodes/s over the 1-worker run's is the scaling, and
 * its peak RSS after 50 episodes and at the end shows whether memory stays flat.
 */

export interface EvalBenchOptions {
  bundleDir?: string;
  /** Episodes per measurement (tasks x trials, first tasks first). */
  episodes: number;
  workers: number;
  decoding?: Strategy;
  /** Episodes of the N-worker run (throughput and peak RSS); default 8 per worker, at most 500. */
  longEpisodes?: number;
  maxSteps?: number;
}

export interface EvalBenchReport {
  bundle: string;
  synthetic: boolean;
  decoding: Strategy;
  episodes: number;
  tasks: number[];
  cpus: number;
  bare: { wallMs: number; msPerEpisode: number; steps: number };
  runner1: { wallMs: number; msPerEpisode: number; steps: number };
  runnerN: { workers: number; episodes: number; wallMs: number; msPerEpisode: number; meanBatch: number | null };
  /** runner(1) / bare - 1: what the runner adds to a script, startup included. */
  overhead: number;
  /**
   * The same per episode, measured inside the 1-worker run: (episode wall time - the worker's time
   * in the simulator - decoding time) / episode wall time. Immune to the simulator's speed drifting
   * between the two runs (on a shared host it varied 2-3.5 s for the same episode).
   */
  overheadInside: number;
  /** episodes/s with N workers (the long run) over episodes/s with 1; target >= 0.8 N. */
  speedup: number;
  scalingEfficiency: number;
  /** Peak RSS during the long run, after 50 episodes and at its end. */
  memory: { peakRssMbAt50: number | null; peakRssMbAtEnd: number };
}

export async function runEvalBench(o: EvalBenchOptions): Promise<EvalBenchReport> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-bench-eval-'));
  try {
    let bundleDir = o.bundleDir ?? defaultBundleDir();
    let synthetic = false;
    if (!o.bundleDir && !existsSync(path.join(bundleDir, 'bundle.json'))) {
      bundleDir = path.join(tmp, 'tiny');
      // The tiny test bundle, told every libero_spatial instruction so that any task can run.
      const instructions = suiteTasks('libero_spatial').map((t) => t.instruction);
      await writeSyntheticBundle(bundleDir, { ...SYNTHETIC_PRESETS.tiny, instructions }, 1);
      synthetic = true;
    }
    const policy = await BundlePolicy.load({ dir: bundleDir, ep: 'cpu', seed: RUN_DEFAULTS.seed, sessionOptions: RUNNER_SESSION_OPTIONS, ...(o.decoding ? { decoding: o.decoding } : {}) });
    const decoding: Strategy = policy.strategy;
    const { manifest } = policy.bundle;
    // Tasks the bundle knows, in order; trials spread over them.
    const instruction = manifest.observation.instruction;
    const known = Array.from({ length: 10 }, (_, id) => id).filter((id) => instruction.kind === 'tokens' || instruction.instructions.some((s) => s.toLowerCase() === suiteTask('libero_spatial', id).instruction));
    const tasks = known.slice(0, Math.min(known.length, o.episodes));
    const trials = Math.ceil(o.episodes / tasks.length);
    const maxSteps = o.maxSteps ?? MAX_STEPS.libero_spatial;

    // Bare loop.
    const episodes = planEpisodes('libero_spatial', tasks, trials, RUN_DEFAULTS.initSource);
    const sim = await createSimulator(RUN_DEFAULTS.simulator);
    let bareSteps = 0;
    const bareStart = performance.now();
    for (const e of episodes) {
      const task = taskContext('libero_spatial', e.taskId, e.task);
      let obs = await sim.reset(e.task, e.init);
      for (let t = 0; t < NUM_WAIT_STEPS; t++) obs = (await sim.step(WAIT_ACTION)).observation;
      let steps = 0;
      let done = false;
      while (!done && steps < maxSteps) {
        const [chunk] = await policy.inferBatch([{ observation: obs, task }]);
        const actions = chunk!.actions;
        for (let a = 0; a < actions.length && steps < maxSteps; a += 7) {
          const r = await sim.step(actions.subarray(a, a + 7));
          steps++;
          obs = r.observation;
          if (r.success) {
            done = true;
            break;
          }
        }
      }
      bareSteps += steps;
    }
    const bareMs = performance.now() - bareStart;
    note(`bare loop: ${episodes.length} episodes in ${(bareMs / 1000).toFixed(1)} s`);
    await sim.close();
    await policy.close();

    const evaluate = async (workers: number, runsRoot: string, count: number, onDone?: (done: number) => void, over: number[] = tasks): Promise<EvalReport> => {
      const run = await resolveRun({ tasks: over, trials: Math.ceil(count / over.length), maxSteps, workers, policy: { kind: 'bundle', dir: bundleDir, decoding } }, { settings: null, runsRoot });
      return runEvaluation(run, { onEvent: (ev) => void (ev.type === 'episode-finished' && onDone?.(ev.progress.done)) });
    };
    const r1 = await evaluate(1, path.join(tmp, 'runs1'), episodes.length);
    note(`runner, 1 worker: ${(r1.stats.wallMs / 1000).toFixed(1)} s`);
    const steps1 = r1.results.episodes.reduce((n, e) => n + e.steps, 0);

    // The long run: enough episodes per worker that the last wave and startup do not dominate.
    const long = Math.min(500, o.longEpisodes ?? 8 * o.workers);
    let peak = 0;
    let at50: number | null = null;
    const sample = (): void => {
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    const timer = setInterval(sample, 200);
    const rN = await evaluate(o.workers, path.join(tmp, 'runsN'), long, (done) => {
      sample();
      if (done === 50) at50 = peak;
      if (done % 50 === 0) note(`runner, ${o.workers} workers: ${done} episodes, peak RSS ${(peak / 2 ** 20).toFixed(0)} MB`);
    }, known);
    clearInterval(timer);
    sample();
    note(`runner, ${o.workers} workers: ${rN.stats.episodes} episodes in ${(rN.stats.wallMs / 1000).toFixed(1)} s`);

    const perEpisode1 = r1.stats.wallMs / r1.stats.episodes;
    const perEpisodeN = rN.stats.wallMs / rN.stats.episodes;
    const speedup = perEpisode1 / perEpisodeN;
    return {
      bundle: bundleDir,
      synthetic,
      decoding,
      episodes: episodes.length,
      tasks,
      cpus: os.availableParallelism(),
      bare: { wallMs: bareMs, msPerEpisode: bareMs / episodes.length, steps: bareSteps },
      runner1: { wallMs: r1.stats.wallMs, msPerEpisode: r1.stats.wallMs / r1.stats.episodes, steps: steps1 },
      runnerN: { workers: o.workers, episodes: rN.stats.episodes, wallMs: rN.stats.wallMs, msPerEpisode: perEpisodeN, meanBatch: rN.stats.meanBatch },
      overhead: r1.stats.wallMs / bareMs - 1,
      overheadInside: (r1.stats.episodeWallMs - r1.stats.episodeSimMs - r1.stats.episodeDecodeMs) / r1.stats.episodeWallMs,
      speedup,
      scalingEfficiency: speedup / o.workers,
      memory: { peakRssMbAt50: at50 === null ? null : at50 / 2 ** 20, peakRssMbAtEnd: peak / 2 ** 20 },
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Progress on stderr, so a long benchmark shows where it is (stdout keeps the report). */
function note(line: string): void {
  process.stderr.write(`rsd bench eval: ${line}\n`);
}

export function formatEvalBench(r: EvalBenchReport): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  const lines = [
    `rsd bench eval: ${r.episodes} episodes of libero_spatial tasks ${r.tasks.join(',')}, ${r.decoding}, bundle ${r.synthetic ? 'synthetic-tiny (no default bundle found)' : r.bundle}, ${r.cpus} CPUs`,
    `  bare loop (1 thread, nothing written)  ${s(r.bare.wallMs)}  ${(r.bare.msPerEpisode / 1000).toFixed(2)} s/episode  (${r.bare.steps} steps)`,
    `  runner, 1 worker                       ${s(r.runner1.wallMs)}  ${(r.runner1.msPerEpisode / 1000).toFixed(2)} s/episode  (${r.runner1.steps} steps)`,
    `  runner, ${r.runnerN.workers} workers, ${r.runnerN.episodes} episodes  ${s(r.runnerN.wallMs)}  ${(r.runnerN.msPerEpisode / 1000).toFixed(2)} s/episode  mean batch ${r.runnerN.meanBatch?.toFixed(2) ?? '-'}`,
    `  runner overhead: ${(100 * r.overhead).toFixed(1)}% against the bare loop (startup included), ${(100 * r.overheadInside).toFixed(1)}% inside its episodes (target <= 5%)`,
    `  ${r.runnerN.workers} workers vs 1: ${r.speedup.toFixed(2)}x = ${r.scalingEfficiency.toFixed(2)} x N (target >= 0.8 x N)`,
    `  peak RSS: ${r.memory.peakRssMbAt50?.toFixed(0) ?? '-'} MB after 50 episodes, ${r.memory.peakRssMbAtEnd.toFixed(0)} MB after ${r.runnerN.episodes}`,
  ];
  return lines.join('\n');
}
