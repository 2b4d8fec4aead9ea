import os from 'node:os';
import { projectTask } from '../libero/project-tasks.js';
import { suiteName, suiteTask, WAIT_ACTION } from '../libero/suites.js';
import { initStatesFor } from '../sim/init-source.js';
import { LiberoSimulator } from '../sim/libero/simulator.js';
import { benchAction } from './sim-motion.js';

export interface BridgeBenchOptions {
  python: string;
  suite?: string;
  task?: number;
  /** Env steps timed. */
  steps?: number;
}

export interface BridgeBenchReport {
  suite: string;
  task: string;
  simulator: string;
  python: string;
  steps: number;
  /** Mean wall time of one env.step as the engine sees it: request, env.step, observation, reply. */
  bridgedStepMs: number;
  /** Mean time inside env.step, measured in the worker around the call, same steps. */
  pythonStepMs: number;
  /** bridgedStepMs / pythonStepMs: what the bridge adds (target at most 1.1). */
  ratio: number;
  /** reset + set_init_state through the bridge (LIBERO rebuilds its model on every reset). */
  resetMs: number;
  machine: { cpus: number; cpuModel: string; node: string };
}

/**
 * The bridge's overhead: the same env.step calls timed from Node (round trip through the pipes)
 * and inside the Python worker (around env.step alone), in one run. The arm moves (a slow circle,
 * the gripper closing and opening) from LIBERO's initial state 0 of the task, after the 10 wait steps.
 */
export async function runBridgeBench(options: BridgeBenchOptions): Promise<BridgeBenchReport> {
  const suite = suiteName(options.suite ?? 'libero_spatial');
  const taskId = options.task ?? 0;
  const steps = options.steps ?? 200;
  const sim = await LiberoSimulator.create({ python: options.python });
  try {
    const task = projectTask(suite, taskId);
    const init = initStatesFor(suite, taskId, task.objects.length, { kind: 'libero', dir: sim.hello.liberoRoot })[0]!;
    const r0 = performance.now();
    await sim.reset(task, init, { index: 0 });
    const resetMs = performance.now() - r0;
    for (let i = 0; i < 10; i++) await sim.step(WAIT_ACTION);
    const before = { ...sim.workerTime };
    const t0 = performance.now();
    for (let t = 0; t < steps; t++) await sim.step(benchAction(t));
    const bridgedStepMs = (performance.now() - t0) / steps;
    const pythonStepMs = (sim.workerTime.ms - before.ms) / (sim.workerTime.calls - before.calls);
    return {
      suite,
      task: suiteTask(suite, taskId).name,
      simulator: sim.version,
      python: options.python,
      steps,
      bridgedStepMs,
      pythonStepMs,
      ratio: bridgedStepMs / pythonStepMs,
      resetMs,
      machine: { cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    };
  } finally {
    await sim.close();
  }
}

export function formatBridgeBench(r: BridgeBenchReport): string {
  return [
    `rsd bench bridge: ${r.suite} ${r.task}, ${r.steps} env steps, ${r.simulator} (${r.python})`,
    `  env.step through the bridge   ${r.bridgedStepMs.toFixed(2)} ms`,
    `  env.step inside Python        ${r.pythonStepMs.toFixed(2)} ms`,
    `  ratio                         ${r.ratio.toFixed(3)}x (target at most 1.1x)`,
    `  reset + set_init_state        ${r.resetMs.toFixed(0)} ms`,
    `  machine: ${r.machine.cpus} x ${r.machine.cpuModel}, Node ${r.machine.node}`,
  ].join('\n');
}
