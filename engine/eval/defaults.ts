import os from 'node:os';
import type { InitSource } from '../sim/init-source.js';
import type { SimulatorSpec, TargetSpec } from '../api/schemas/run-request.js';

/**
 * Every default of an evaluation run, defined once: the resolver (resolve.ts) applies them, and
 * the CLI's help, `rsd serve` and the Run page show them from here (`eval.suites`).
 */
export const RUN_DEFAULTS = {
  suite: 'libero_spatial',
  /** Trials per task, as OpenVLA-OFT's LIBERO evaluation (docs/libero.md 1.3). */
  trials: 50,
  /** Seeds stochastic acceptance and sampling (greedy decoding does not use it). */
  seed: 7,
  ep: 'cpu',
  simulator: { kind: 'embedded' } satisfies SimulatorSpec,
  target: { kind: 'local' } satisfies TargetSpec,
  initSource: { kind: 'project', split: 'eval' } satisfies InitSource,
} as const;

/**
 * Simulator workers: one per CPU. The inference thread mostly waits while workers step, and
 * 2 workers on 2 cores ran 2.00x one (docs/benchmarks.md).
 */
export function defaultWorkers(): number {
  return os.availableParallelism();
}
