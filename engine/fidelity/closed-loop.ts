import type { ClosedLoopPairing } from '../api/schemas/fidelity.js';
import type { Results } from '../api/schemas/results.js';
import { compareResults } from '../eval/compare.js';
import { InputError } from '../util/input-error.js';

/**
 * The closed-loop half of the fidelity report: two finished evaluation runs of the same bundle on
 * the same suite, tasks, trials and initial-state source, one in the embedded simulator and one in
 * the reference backend, paired by (task, trial) with engine/eval/compare.ts (McNemar's exact test
 * per task and overall). A policy closes the loop through each backend's own states, so these are
 * the success rates a user gets from each, not a replay of one sequence.
 */

/** Two runs that cannot be paired: the message says why; `--runs` is at fault. */
export class PairingError extends InputError {
  constructor(message: string) {
    super('runs', message);
    this.name = 'PairingError';
  }
}

function same(a: readonly number[], b: readonly number[]): boolean {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Pairs `embedded` (A) with `reference` (B). `referenceBackend`: the backend the reference run
 * must have used (`libero`; `embedded` for a self-check).
 */
export function pairRuns(embedded: Results, reference: Results, referenceBackend: string): ClosedLoopPairing {
  const a = embedded.config;
  const b = reference.config;
  const id = (r: Results): string => r.run?.id ?? '(imported results)';
  for (const r of [embedded, reference]) {
    if (r.run && r.run.status !== 'completed') throw new PairingError(`run ${id(r)} is ${r.run.status}; pair finished runs (resume it with rsd eval --resume ${id(r)})`);
  }
  if (a.simulator.backend !== 'embedded') throw new PairingError(`the first run, ${id(embedded)}, ran in the ${a.simulator.backend} simulator; give the embedded run first, then the ${referenceBackend} one`);
  if (b.simulator.backend !== referenceBackend) throw new PairingError(`the second run, ${id(reference)}, ran in the ${b.simulator.backend} simulator, not ${referenceBackend} (the reference backend, --sim)`);
  if (a.suite !== b.suite) throw new PairingError(`the runs are on different suites: ${a.suite} and ${b.suite}`);
  if (!same(a.tasks, b.tasks)) throw new PairingError(`the runs ran different tasks: ${a.tasks.join(',')} and ${b.tasks.join(',')}`);
  if (a.trials !== b.trials) throw new PairingError(`the runs ran different trials per task: ${a.trials} and ${b.trials}`);
  if (a.initStates.source !== b.initStates.source) throw new PairingError(`the runs started from different initial states: ${a.initStates.source} and ${b.initStates.source}; pair runs from the same (rsd eval --init libero)`);
  if (a.bundle.hash !== b.bundle.hash) throw new PairingError(`the runs ran different bundles: ${a.bundle.name} (${a.bundle.hash.slice(0, 19)}) and ${b.bundle.name} (${b.bundle.hash.slice(0, 19)})`);
  const c = compareResults(embedded, reference);
  const ref = (r: Results) => ({ id: id(r), status: r.run?.status ?? null, backend: r.config.simulator.backend, version: r.config.simulator.version, bundle: r.config.bundle.name });
  return {
    embeddedRun: ref(embedded),
    referenceRun: ref(reference),
    paired: c.paired,
    unpaired: c.unpaired.total,
    tasks: c.tasks,
    total: c.total,
    // The simulator differs on purpose; the initial states' source is the same (checked above), only where its files lie may differ.
    configDifferences: c.configDifferences.filter((d) => d.field !== 'simulator' && d.field !== 'initStates'),
  };
}
