import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runEvaluation, RUNNER_SESSION_OPTIONS, type EvalReport } from '../eval/runner.js';
import { expertEpisodes } from '../expert/suite.js';
import { MAX_STEPS, NUM_WAIT_STEPS, suiteTask, suiteTasks, WAIT_ACTION } from '../libero/suites.js';
import { loadBundle } from '../policy/bundle.js';
import { defaultBundleDir } from '../policy/default-bundle.js';
import { ObservationEncoder, observationFeeds } from '../policy/observation.js';
import { postprocessChunk } from '../policy/processing.js';
import { SYNTHETIC_PRESETS, writeSyntheticBundle } from '../policy/synthetic.js';
import { Decoder } from '../rsd/decoder.js';
import type { Strategy } from '../rsd/record.js';
import { EmbeddedSimulator } from '../sim/embedded.js';

/**
 * `rsd bench eval`: the evaluation runner against a bare loop, in the same process on the same
 * episodes. The bare loop is the least a script could do: one thread, one simulator, the decoder
 * called directly, nothing written. The runner adds worker threads, message passing, batching,
 * the run store (fsynced episode lines, trajectories). With one worker the runner cannot overlap
 * simulation and inference, so runner(1) / bare - 1 is its overhead; runner(N) / runner(1) is its
 * scaling. `--memory` runs a long evaluation and reports peak RSS after 50 and after all episodes.
 */

export interface EvalBenchOptions {
  bundleDir?: string;
  /** Episodes per measurement (tasks x trials, first tasks first). */
  episodes: number;
  workers: number;
  decoding?: Strategy;
  /** Episodes of the memory run (0: skip it). */
  memoryEpisodes: number;
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
  runnerN: { workers: number; wallMs: number; msPerEpisode: number; meanBatch: number | null };
  /** runner(1) / bare - 1. */
  overhead: number;
  /** episodes/s with N workers over episodes/s with 1; target >= 0.8 N. */
  speedup: number;
  scalingEfficiency: number;
  memory: { episodes: number; peakRssMbAt50: number | null; peakRssMbAtEnd: number; wallMs: number } | null;
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
    const bundle = await loadBundle(bundleDir, { ep: 'cpu', sessionOptions: RUNNER_SESSION_OPTIONS });
    const decoding: Strategy = o.decoding ?? (bundle.sessions.draft ? 'speculative' : bundle.manifest.main.decoding === 'parallel' ? 'parallel' : 'autoregressive');
    // Tasks the bundle knows, in order; trials spread over them.
    const known = Array.from({ length: 10 }, (_, id) => id).filter((id) => bundle.manifest.observation.instruction.instructions.some((s) => s.toLowerCase() === suiteTask('libero_spatial', id).instruction));
    const tasks = known.slice(0, Math.min(known.length, o.episodes));
    const trials = Math.ceil(o.episodes / tasks.length);
    const maxSteps = o.maxSteps ?? MAX_STEPS.libero_spatial;

    // Bare loop.
    const episodes = expertEpisodes('libero_spatial', tasks, trials, { kind: 'project', split: 'eval' });
    const decoder = new Decoder(bundle, { seed: 7 });
    const sim = await EmbeddedSimulator.create();
    let bareSteps = 0;
    const bareStart = performance.now();
    for (const e of episodes) {
      const encoder = new ObservationEncoder(bundle.manifest, e.task.objects.map((x) => x.name), suiteTask('libero_spatial', e.taskId).instruction);
      let obs = sim.reset(e.task, e.init);
      for (let t = 0; t < NUM_WAIT_STEPS; t++) obs = sim.step(WAIT_ACTION).observation;
      let steps = 0;
      let done = false;
      while (!done && steps < maxSteps) {
        const [chunk] = await decoder.decodeBatch(observationFeeds(bundle.manifest, [encoder.encode(obs)]), { strategy: decoding });
        const actions = postprocessChunk(chunk!.actionsNormalized, bundle.manifest.action);
        for (let a = 0; a < actions.length && steps < maxSteps; a += 7) {
          const r = sim.step(actions.subarray(a, a + 7));
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
    sim.close();
    await bundle.release();

    const evaluate = (workers: number, runsRoot: string, count: number, onDone?: (done: number) => void, over: number[] = tasks): Promise<EvalReport> =>
      runEvaluation({ bundleDir, tasks: over, trials: Math.ceil(count / over.length), maxSteps, workers, decoding, runsRoot, onEvent: (ev) => ev.type === 'episode-finished' && onDone?.(ev.progress.done) });
    const r1 = await evaluate(1, path.join(tmp, 'runs1'), episodes.length);
    note(`runner, 1 worker: ${(r1.stats.wallMs / 1000).toFixed(1)} s`);
    const rN = await evaluate(o.workers, path.join(tmp, 'runsN'), episodes.length);
    note(`runner, ${o.workers} workers: ${(rN.stats.wallMs / 1000).toFixed(1)} s`);
    const steps1 = r1.results.episodes.reduce((n, e) => n + e.steps, 0);

    let memory: EvalBenchReport['memory'] = null;
    if (o.memoryEpisodes > 0) {
      let peak = 0;
      let at50: number | null = null;
      const sample = (): void => {
        peak = Math.max(peak, process.memoryUsage().rss);
      };
      const timer = setInterval(sample, 200);
      const started = performance.now();
      await evaluate(o.workers, path.join(tmp, 'runsMem'), o.memoryEpisodes, (done) => {
        sample();
        if (done === 50) at50 = peak;
        if (done % 100 === 0) note(`memory run: ${done} episodes, peak RSS ${(peak / 2 ** 20).toFixed(0)} MB`);
      }, known);
      clearInterval(timer);
      sample();
      memory = { episodes: o.memoryEpisodes, peakRssMbAt50: at50 === null ? null : at50 / 2 ** 20, peakRssMbAtEnd: peak / 2 ** 20, wallMs: performance.now() - started };
    }

    const speedup = r1.stats.wallMs / rN.stats.wallMs;
    return {
      bundle: bundleDir,
      synthetic,
      decoding,
      episodes: episodes.length,
      tasks,
      cpus: os.availableParallelism(),
      bare: { wallMs: bareMs, msPerEpisode: bareMs / episodes.length, steps: bareSteps },
      runner1: { wallMs: r1.stats.wallMs, msPerEpisode: r1.stats.wallMs / r1.stats.episodes, steps: steps1 },
      runnerN: { workers: o.workers, wallMs: rN.stats.wallMs, msPerEpisode: rN.stats.wallMs / rN.stats.episodes, meanBatch: rN.stats.meanBatch },
      overhead: r1.stats.wallMs / bareMs - 1,
      speedup,
      scalingEfficiency: speedup / o.workers,
      memory,
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
    `  runner, ${r.runnerN.workers} workers                      ${s(r.runnerN.wallMs)}  ${(r.runnerN.msPerEpisode / 1000).toFixed(2)} s/episode  mean batch ${r.runnerN.meanBatch?.toFixed(2) ?? '-'}`,
    `  runner overhead: ${(100 * r.overhead).toFixed(1)}% of episode time (target <= 5%)`,
    `  ${r.runnerN.workers} workers vs 1: ${r.speedup.toFixed(2)}x = ${r.scalingEfficiency.toFixed(2)} x N (target >= 0.8 x N)`,
  ];
  if (r.memory) lines.push(`  memory over ${r.memory.episodes} episodes (${s(r.memory.wallMs)}): peak RSS ${r.memory.peakRssMbAt50?.toFixed(0) ?? '-'} MB after 50, ${r.memory.peakRssMbAtEnd.toFixed(0)} MB after ${r.memory.episodes}`);
  return lines.join('\n');
}
