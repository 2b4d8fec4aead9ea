import { execFile } from 'node:child_process';
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
import { runEvaluation, RUNNER_SESSION_OPTIONS, type EvalReport, type FixedCost } from '../eval/runner.js';
import { MAX_STEPS, NUM_WAIT_STEPS, suiteTask, suiteTasks, WAIT_ACTION } from '../libero/suites.js';
import { BundlePolicy } from '../policy/bundle-policy.js';
import { createSimulator } from '../sim/factory.js';
import type { PhysicsRequest } from '../sim/embedded/mujoco-api.js';
import { appRoot } from '../util/app-root.js';

/**
 * `rsd bench eval`: the evaluation runner against a bare loop, in the same process, on the SAME
 * episodes (tasks x trials): the bare loop (one thread, one simulator, the decoder called
 * directly, nothing written), the runner with 1 worker and the runner with N workers. Each gives
 * policy steps per second and time per episode, and the ratios are against the bare loop of the
 * same run (with the same outcomes and steps, or it says which episodes differ). The bare loop is
 * the least a script could do; with one worker the runner cannot overlap simulation and
 * inference, so runner(1) / bare - 1 is its overhead (also measured inside its episodes).
 *
 * Then the fixed cost of a run (start: until every worker is ready for its first episode; end: the
 * last writes and closing; engine/eval/runner.ts `FixedCost`), each in a fresh `rsd eval`
 * process, N workers, one 8-step episode each: the workers started as before (through tsx, each
 * compiling MuJoCo's WebAssembly), from the cached bundle alone, and from the bundle with MuJoCo
 * compiled once and shared. The load average is printed with it: the machine may be shared.
 */

export interface EvalBenchOptions {
  bundleDir?: string;
  /** Episodes of each measurement (tasks x trials, first tasks first). */
  episodes: number;
  workers: number;
  decoding?: Strategy;
  maxSteps?: number;
  /** Rounds of the fresh-process fixed-cost runs, the paths alternating (default 3; 0 skips them). */
  fixedRounds?: number;
  /** The embedded simulator's MuJoCo build in all three measurements (default wasm). */
  physics?: PhysicsRequest;
}

export interface SpeedFigures {
  wallMs: number;
  steps: number;
  /** Policy steps per second over the whole wall time (a runner's startup and end included). */
  stepsPerSecond: number;
  msPerEpisode: number;
}

export interface RunnerFigures extends SpeedFigures {
  workers: number;
  meanBatch: number | null;
  /** Steps per second between the workers' readiness and the pool's end (the fixed cost left out). */
  episodesStepsPerSecond: number;
  fixed: FixedCost;
}

export interface FixedCostRow {
  /** `before`: tsx, each worker compiling MuJoCo; `bundle`: the cached bundle, each compiling; `after`: the bundle and MuJoCo compiled once. */
  path: 'before' | 'bundle' | 'after';
  /** The run with the median start + end wall time of `rounds`. */
  fixed: FixedCost | null;
  /** Every round's start + end, wall and CPU ms. */
  rounds: { wallMs: number; cpuMs: number }[];
  /** The whole `rsd eval` command, process start to exit (the median round's). */
  commandMs: number;
  error: string | null;
}

export interface EvalBenchReport {
  bundle: string;
  synthetic: boolean;
  decoding: Strategy;
  episodes: number;
  tasks: number[];
  trials: number;
  cpus: number;
  cpuModel: string;
  /** os.loadavg() before and after. */
  load: { before: number[]; after: number[] };
  bare: SpeedFigures;
  runner1: RunnerFigures;
  runnerN: RunnerFigures;
  /** Steps per second over the bare loop's. */
  ratios: { runner1: number; runnerN: number; runnerNOver1: number };
  /** Episodes whose steps or outcome differ between the three (none when all are deterministic and equal). */
  differing: string[];
  /** runner(1) / bare - 1 in wall time: what the runner adds to a script, startup included. */
  overhead: number;
  /**
   * The same per episode, measured inside the 1-worker run: (episode wall time - the worker's time
   * in the simulator - decoding time) / episode wall time. Immune to the simulator's speed drifting
   * between the two runs (on a shared host it varied 2-3.5 s for the same episode).
   */
  overheadInside: number;
  /** Peak RSS of the process during the N-worker run. */
  peakRssMb: number;
  fixedCost: FixedCostRow[];
}

export async function runEvalBench(o: EvalBenchOptions): Promise<EvalBenchReport> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-bench-eval-'));
  const loadBefore = os.loadavg();
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
    const simulator = { kind: 'embedded' as const, ...(o.physics ? { physics: o.physics } : {}) };
    const sim = await createSimulator(simulator);
    const bareEnds = new Map<string, string>();
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
      bareEnds.set(`${e.taskId}/${e.trial}`, `${done ? 'success' : 'failure'} ${steps}`);
    }
    const bareMs = performance.now() - bareStart;
    note(`bare loop: ${episodes.length} episodes in ${(bareMs / 1000).toFixed(1)} s`);
    await sim.close();
    await policy.close();

    const evaluate = async (workers: number, runsRoot: string): Promise<EvalReport> => {
      const run = await resolveRun({ tasks, trials, maxSteps, workers, simulator, policy: { kind: 'bundle', dir: bundleDir, decoding } }, { settings: null, runsRoot });
      return runEvaluation(run, { onEvent: (ev) => void (ev.type === 'log' && note(ev.message)) });
    };
    const r1 = await evaluate(1, path.join(tmp, 'runs1'));
    note(`runner, 1 worker: ${(r1.stats.wallMs / 1000).toFixed(1)} s`);
    let peak = 0;
    const sample = (): void => {
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    const timer = setInterval(sample, 200);
    const rN = await evaluate(o.workers, path.join(tmp, 'runsN'));
    clearInterval(timer);
    sample();
    note(`runner, ${o.workers} workers: ${(rN.stats.wallMs / 1000).toFixed(1)} s`);

    const differing = new Set<string>();
    for (const [name, r] of [['1 worker', r1], [`${o.workers} workers`, rN]] as const) {
      for (const e of r.results.episodes) {
        const key = `${e.taskId}/${e.trial}`;
        if (bareEnds.get(key) !== `${e.outcome} ${e.steps}`) differing.add(`task ${e.taskId} trial ${e.trial}: bare ${bareEnds.get(key) ?? 'missing'}, ${name} ${e.outcome} ${e.steps}`);
      }
    }

    const bare = speed(bareMs, bareSteps, episodes.length);
    const runner1 = runnerFigures(r1);
    const runnerN = runnerFigures(rN);
    const fixedCost = await freshFixedCosts({ bundleDir, decoding, workers: o.workers, tmp, rounds: o.fixedRounds ?? 3, physics: o.physics ?? 'wasm' });
    return {
      bundle: bundleDir,
      synthetic,
      decoding,
      episodes: episodes.length,
      tasks,
      trials,
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      load: { before: loadBefore, after: os.loadavg() },
      bare,
      runner1,
      runnerN,
      ratios: { runner1: runner1.stepsPerSecond / bare.stepsPerSecond, runnerN: runnerN.stepsPerSecond / bare.stepsPerSecond, runnerNOver1: runnerN.stepsPerSecond / runner1.stepsPerSecond },
      differing: [...differing],
      overhead: r1.stats.wallMs / bareMs - 1,
      overheadInside: (r1.stats.episodeWallMs - r1.stats.episodeSimMs - r1.stats.episodeDecodeMs) / r1.stats.episodeWallMs,
      peakRssMb: peak / 2 ** 20,
      fixedCost,
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

function speed(wallMs: number, steps: number, episodes: number): SpeedFigures {
  return { wallMs, steps, stepsPerSecond: (1000 * steps) / wallMs, msPerEpisode: wallMs / episodes };
}

function runnerFigures(r: EvalReport): RunnerFigures {
  const steps = r.results.episodes.reduce((n, e) => n + e.steps, 0);
  // runEvaluation's own wall time: from its call (before the policy loads) to its return.
  const wallMs = r.stats.fixed.startMs + r.stats.fixed.episodesMs + r.stats.fixed.endMs;
  return { ...speed(wallMs, steps, r.results.episodes.length), workers: r.stats.workers, meanBatch: r.stats.meanBatch, episodesStepsPerSecond: (1000 * steps) / r.stats.fixed.episodesMs, fixed: r.stats.fixed };
}

/**
 * The fixed cost of a run in fresh `rsd eval` processes (what a user's command pays: nothing
 * compiled or cached in the process yet), N workers with one short episode each, for each start path.
 */
async function freshFixedCosts(o: { bundleDir: string; decoding: Strategy; workers: number; tmp: string; rounds: number; physics: PhysicsRequest }): Promise<FixedCostRow[]> {
  const rsd = path.join(appRoot(), 'bin', 'rsd.mjs');
  if (!existsSync(rsd) || o.rounds < 1) return [];
  const paths: [FixedCostRow['path'], NodeJS.ProcessEnv][] = [
    ['before', { RSD_WORKER_START: 'tsx', RSD_SHARE_MUJOCO: '0' }],
    ['bundle', { RSD_SHARE_MUJOCO: '0' }],
    ['after', {}],
  ];
  const runs = new Map<FixedCostRow['path'], { fixed: FixedCost | null; commandMs: number; error: string | null }[]>();
  let n = 0;
  for (let round = 0; round < o.rounds; round++) {
    for (const [which, env] of paths) {
      const args = [rsd, 'eval', '--tasks', `0-${Math.min(9, o.workers - 1)}`, '--trials', '1', '--workers', String(o.workers), '--max-steps', '8', '--bundle', o.bundleDir, '--decoding', o.decoding, '--out', path.join(o.tmp, `fixed-${n++}`), '--physics', o.physics, '--json'];
      const started = performance.now();
      const { stdout, error } = await new Promise<{ stdout: string; error: string | null }>((resolve) => {
        execFile(process.execPath, args, { env: { ...process.env, RSD_WORKER_START: '', RSD_SHARE_MUJOCO: '', ...env }, maxBuffer: 64 * 2 ** 20 }, (failed, out, err) => resolve({ stdout: out, error: failed ? `${failed.message.split('\n')[0]} ${err.slice(-300)}` : null }));
      });
      const commandMs = performance.now() - started;
      let fixed: FixedCost | null = null;
      try {
        fixed = (JSON.parse(stdout) as { stats: { fixed: FixedCost } }).stats.fixed;
      } catch {
        // reported as the row's error
      }
      runs.set(which, [...(runs.get(which) ?? []), { fixed, commandMs, error: fixed ? null : (error ?? 'no JSON from rsd eval') }]);
      note(`fixed cost, ${which}: ${fixed ? `start ${fixed.startMs.toFixed(0)} ms (CPU ${fixed.startCpuMs.toFixed(0)} ms), end ${fixed.endMs.toFixed(0)} ms (CPU ${fixed.endCpuMs.toFixed(0)} ms)` : runs.get(which)!.at(-1)!.error}`);
    }
  }
  return paths.map(([which]) => {
    const all = runs.get(which)!;
    const ok = all.filter((r) => r.fixed).sort((a, b) => a.fixed!.startMs + a.fixed!.endMs - (b.fixed!.startMs + b.fixed!.endMs));
    const median = ok[Math.floor((ok.length - 1) / 2)];
    return {
      path: which,
      fixed: median?.fixed ?? null,
      rounds: ok.map((r) => ({ wallMs: r.fixed!.startMs + r.fixed!.endMs, cpuMs: r.fixed!.startCpuMs + r.fixed!.endCpuMs })),
      commandMs: median?.commandMs ?? NaN,
      error: median ? null : (all[0]?.error ?? 'not run'),
    };
  });
}

/** Progress on stderr, so a long benchmark shows where it is (stdout keeps the report). */
function note(line: string): void {
  process.stderr.write(`rsd bench eval: ${line}\n`);
}

export function formatEvalBench(r: EvalBenchReport): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const row = (label: string, f: SpeedFigures, extra = ''): string => `  ${label.padEnd(34)} ${s(f.wallMs).padStart(8)}  ${f.steps} steps  ${f.stepsPerSecond.toFixed(1)} steps/s  ${(f.msPerEpisode / 1000).toFixed(3)} s/episode${extra}`;
  const load = (l: number[]): string => l.map((v) => v.toFixed(2)).join(' ');
  const fixed = (f: FixedCost): string => `start ${f.startMs.toFixed(0)} ms (CPU ${f.startCpuMs.toFixed(0)} ms), end ${f.endMs.toFixed(0)} ms (CPU ${f.endCpuMs.toFixed(0)} ms)`;
  const lines = [
    `rsd bench eval: the same ${r.episodes} episodes (libero_spatial tasks ${r.tasks.join(',')} x ${r.trials} trials), ${r.decoding}, bundle ${r.synthetic ? 'synthetic-tiny (no default bundle found)' : r.bundle}`,
    `  machine: ${r.cpus} CPUs (${r.cpuModel}), load average ${load(r.load.before)} before, ${load(r.load.after)} after`,
    row('bare loop (1 thread, nothing written)', r.bare),
    row('runner, 1 worker', r.runner1, `  (${r.ratios.runner1.toFixed(2)}x the bare loop's steps/s; ${r.runner1.episodesStepsPerSecond.toFixed(1)} steps/s without the fixed cost)`),
    row(`runner, ${r.runnerN.workers} workers`, r.runnerN, `  (${r.ratios.runnerN.toFixed(2)}x the bare loop, ${r.ratios.runnerNOver1.toFixed(2)}x 1 worker; ${r.runnerN.episodesStepsPerSecond.toFixed(1)} steps/s without the fixed cost; mean batch ${r.runnerN.meanBatch?.toFixed(2) ?? '-'})`),
    r.differing.length === 0 ? '  same outcome and steps in every episode, bare loop and runners' : `  episodes that differ: ${r.differing.join('; ')}`,
    `  runner overhead: ${(100 * r.overhead).toFixed(1)}% against the bare loop (fixed cost included), ${(100 * r.overheadInside).toFixed(1)}% inside its episodes (target <= 5%)`,
    `  fixed cost in this process: 1 worker ${fixed(r.runner1.fixed)}; ${r.runnerN.workers} workers ${fixed(r.runnerN.fixed)}`,
    `  peak RSS during the ${r.runnerN.workers}-worker run: ${r.peakRssMb.toFixed(0)} MB`,
  ];
  if (r.fixedCost.length > 0) {
    lines.push(`  fixed cost of a fresh \`rsd eval\`, ${r.runnerN.workers} workers, median of ${r.fixedCost[0]!.rounds.length} rounds (target: start + end < 2 s):`);
    const label = { before: 'before (tsx, each worker compiles MuJoCo)', bundle: 'bundle, each worker compiles MuJoCo', after: 'after (bundle, MuJoCo compiled once)' };
    const base = r.fixedCost.find((f) => f.path === 'before')?.fixed;
    for (const f of r.fixedCost) {
      const ratio = base && f.fixed ? `  ${((f.fixed.startMs + f.fixed.endMs) / (base.startMs + base.endMs)).toFixed(2)}x before's wall, ${((f.fixed.startCpuMs + f.fixed.endCpuMs) / (base.startCpuMs + base.endCpuMs)).toFixed(2)}x its CPU` : '';
      lines.push(`    ${label[f.path].padEnd(42)} ${f.fixed ? fixed(f.fixed) : `failed: ${f.error}`}${ratio}  (command ${s(f.commandMs)}; rounds ${f.rounds.map((x) => `${(x.wallMs / 1000).toFixed(2)}/${(x.cpuMs / 1000).toFixed(2)}`).join(', ')} s wall/CPU)`);
    }
  }
  return lines.join('\n');
}
