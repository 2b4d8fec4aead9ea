import type { Comparison, PairedSuccess, RunLabel, UnpairedEpisode } from '../api/schemas/comparison.js';
import { LATENCY_STAGES, type EpisodeRecord, type Results } from '../api/schemas/results.js';
import { InputError } from '../util/input-error.js';
import { mcnemar } from './metrics.js';

/**
 * Paired comparison of two runs over the same episodes (docs/metrics.md "Paired comparison"):
 * episodes are paired by (task, trial) when both runs ran that initial state; success is compared
 * per task and in total with McNemar's exact test on the discordant pairs, and chunk latency and
 * acceptance are set side by side. Pure functions: the caller reads the runs. The result's schema:
 * engine/api/schemas/comparison.ts.
 */

/** Two runs that cannot be compared at all (a different suite): the message says what differs. */
export class ComparisonError extends InputError {
  constructor(message: string) {
    super('runs', message);
    this.name = 'ComparisonError';
  }
}

const keyOf = (e: { taskId: number; trial: number }): string => `${e.taskId}/${e.trial}`;

function label(r: Results): RunLabel {
  const c = r.config;
  return { id: r.run?.id ?? null, status: r.run?.status ?? null, decoding: c.decoding, accept: c.accept, threshold: c.threshold, bundle: c.bundle.name, executionProvider: c.executionProvider.used };
}

function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || !(b > 0)) return null;
  const r = a / b;
  return Number.isFinite(r) ? r : null;
}

function pairedSuccess(pairs: readonly (readonly [EpisodeRecord, EpisodeRecord])[]): PairedSuccess {
  const a = pairs.map(([x]) => x.outcome === 'success');
  const b = pairs.map(([, y]) => y.outcome === 'success');
  const n = pairs.length;
  const successesA = a.filter(Boolean).length;
  const successesB = b.filter(Boolean).length;
  const rateA = n === 0 ? null : successesA / n;
  const rateB = n === 0 ? null : successesB / n;
  const test = mcnemar(a, b);
  return { n, successesA, successesB, rateA, rateB, difference: rateA === null || rateB === null ? null : rateB - rateA, onlyA: test.onlyA, onlyB: test.onlyB, pValue: test.pValue };
}

/** Fields whose difference between the runs is worth saying (what is compared, and what confounds it). */
function configDifferences(a: Results['config'], b: Results['config']): Comparison['configDifferences'] {
  const fields: [string, (c: Results['config']) => unknown][] = [
    ['decoding', (c) => c.decoding],
    ['accept', (c) => c.accept],
    ['threshold', (c) => c.threshold],
    ['bundle', (c) => `${c.bundle.name} (${c.bundle.hash})`],
    ['executionProvider', (c) => c.executionProvider.used],
    ['maxSteps', (c) => c.maxSteps],
    ['waitSteps', (c) => c.waitSteps],
    ['seed', (c) => c.seed],
    ['initStates', (c) => `${c.initStates.source}${c.initStates.location ? ` ${c.initStates.location}` : ''}`],
    ['simulator', (c) => `${c.simulator.backend} ${c.simulator.version}`],
    ['machine', (c) => `${c.machine.cpuModel} x${c.machine.cpus}, ${c.machine.os}`],
  ];
  // A null says the field does not apply (no acceptance rule or threshold without a draft): say so, never "null".
  const NOT_APPLICABLE: Record<string, string> = { accept: 'none (no draft to accept)', threshold: 'n/a' };
  const text = (field: string, value: unknown): string => (value === null || value === undefined ? (NOT_APPLICABLE[field] ?? 'n/a') : String(value));
  const out: Comparison['configDifferences'] = [];
  for (const [field, get] of fields) {
    const x = text(field, get(a));
    const y = text(field, get(b));
    if (x !== y) out.push({ field, a: x, b: y });
  }
  return out;
}

/**
 * Compares run B against run A over their common episodes. Throws a ComparisonError when the
 * suites differ (task ids would name different tasks). Episodes present in only one run, or run
 * from different initial states, are left out of the paired statistics and counted as unpaired.
 * Errored episodes count as not successful, as in the runs' own success rates.
 */
export function compareResults(a: Results, b: Results): Comparison {
  if (a.config.suite !== b.config.suite) throw new ComparisonError(`the runs are on different suites: A is ${a.config.suite}, B is ${b.config.suite}; paired comparison needs the same suite`);
  const byKeyB = new Map(b.episodes.map((e) => [keyOf(e), e]));
  const keysA = new Set(a.episodes.map(keyOf));
  const pairs: [EpisodeRecord, EpisodeRecord][] = [];
  const unpaired: UnpairedEpisode[] = [];
  for (const x of a.episodes) {
    const y = byKeyB.get(keyOf(x));
    if (!y) unpaired.push({ taskId: x.taskId, trial: x.trial, reason: 'only-in-a', initIndexA: x.initIndex, initIndexB: null });
    else if (y.initIndex !== x.initIndex) unpaired.push({ taskId: x.taskId, trial: x.trial, reason: 'init-index-differs', initIndexA: x.initIndex, initIndexB: y.initIndex });
    else pairs.push([x, y]);
  }
  for (const y of b.episodes) if (!keysA.has(keyOf(y))) unpaired.push({ taskId: y.taskId, trial: y.trial, reason: 'only-in-b', initIndexA: null, initIndexB: y.initIndex });

  const taskIds = a.tasks.map((t) => t.taskId);
  const stages = LATENCY_STAGES.map((stage) => {
    const medianA = a.latency.stages[stage].median;
    const medianB = b.latency.stages[stage].median;
    return { stage, medianA, medianB, ratio: ratio(medianA, medianB) };
  });
  return {
    suite: a.config.suite,
    a: label(a),
    b: label(b),
    configDifferences: configDifferences(a.config, b.config),
    paired: pairs.length,
    unpaired: {
      total: unpaired.length,
      onlyInA: unpaired.filter((u) => u.reason === 'only-in-a').length,
      onlyInB: unpaired.filter((u) => u.reason === 'only-in-b').length,
      initIndexDiffers: unpaired.filter((u) => u.reason === 'init-index-differs').length,
      episodes: unpaired,
    },
    tasks: taskIds.map((taskId) => ({ taskId, ...pairedSuccess(pairs.filter(([x]) => x.taskId === taskId)) })),
    total: pairedSuccess(pairs),
    latency: { chunksA: a.latency.chunks, chunksB: b.latency.chunks, totalRatio: ratio(a.latency.stages.totalMs.median, b.latency.stages.totalMs.median), stages },
    acceptance: { meanAcceptedLayersA: a.acceptance.meanAcceptedLayers, meanAcceptedLayersB: b.acceptance.meanAcceptedLayers },
  };
}

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);
const ms = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(2));
const fixed = (x: number | null, digits = 2): string => (x === null ? 'n/a' : x.toFixed(digits));
const pValue = (p: number): string => (p < 0.001 ? p.toExponential(2) : p.toFixed(3));
const signedPoints = (d: number | null): string => (d === null ? 'n/a' : `${d >= 0 ? '+' : ''}${(100 * d).toFixed(1)} pp`);

function describeRun(l: RunLabel): string {
  const decoding = l.decoding === 'speculative' ? `speculative, ${l.accept ?? '?'}${l.threshold !== null ? ` ${l.threshold}` : ''}` : l.decoding;
  return `${l.id ?? '(no id)'} (${decoding}, ${l.bundle}, ${l.executionProvider})`;
}

/** The comparison as text for `rsd runs compare`. */
export function formatComparison(c: Comparison): string {
  const lines = [`A: ${describeRun(c.a)}`, `B: ${describeRun(c.b)}`];
  const u = c.unpaired;
  lines.push(`suite ${c.suite}; ${c.paired} paired episodes; ${u.total} unpaired (${u.onlyInA} only in A, ${u.onlyInB} only in B, ${u.initIndexDiffers} with different initial states)`);
  for (const d of c.configDifferences) lines.push(`  differs: ${d.field}: A ${d.a}, B ${d.b}`);
  lines.push('');
  lines.push(`  ${'task'.padStart(5)} ${'n'.padStart(5)}  ${'A success'.padEnd(15)}  ${'B success'.padEnd(15)}  ${'B - A'.padStart(9)}  ${'A only'.padStart(6)}  ${'B only'.padStart(6)}  ${'McNemar p'.padStart(9)}`);
  const row = (name: string, s: PairedSuccess): string =>
    `  ${name.padStart(5)} ${String(s.n).padStart(5)}  ${`${s.successesA} (${pct(s.rateA)})`.padEnd(15)}  ${`${s.successesB} (${pct(s.rateB)})`.padEnd(15)}  ${signedPoints(s.difference).padStart(9)}  ${String(s.onlyA).padStart(6)}  ${String(s.onlyB).padStart(6)}  ${pValue(s.pValue).padStart(9)}`;
  for (const t of c.tasks) lines.push(row(String(t.taskId), t));
  lines.push(row('total', c.total));
  lines.push('');
  lines.push(`  chunk latency, median ms   ${'A'.padStart(9)} ${'B'.padStart(9)} ${'A/B'.padStart(7)}`);
  for (const s of c.latency.stages) {
    if (s.medianA === null && s.medianB === null) continue;
    lines.push(`    ${s.stage.padEnd(24)} ${ms(s.medianA).padStart(9)} ${ms(s.medianB).padStart(9)} ${fixed(s.ratio).padStart(7)}`);
  }
  const r = c.latency.totalRatio;
  const totalA = c.latency.stages.find((s) => s.stage === 'totalMs');
  const speed =
    r === null ? 'chunk latency: not comparable (a run has no chunks)'
    : r >= 1 ? `B is ${r.toFixed(2)} times faster per chunk (median total ${ms(totalA?.medianA ?? null)} ms vs ${ms(totalA?.medianB ?? null)} ms)`
    : `B is ${(1 / r).toFixed(2)} times slower per chunk (median total ${ms(totalA?.medianA ?? null)} ms vs ${ms(totalA?.medianB ?? null)} ms)`;
  lines.push(`  ${speed}`);
  lines.push(`  mean accepted layers: A ${fixed(c.acceptance.meanAcceptedLayersA)}, B ${fixed(c.acceptance.meanAcceptedLayersB)}`);
  return lines.join('\n');
}
