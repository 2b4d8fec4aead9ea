import type { Comparison, DifferingEpisode, PairedSuccess, PairedSuccessWithIntervals, RunLabel, UnpairedEpisode } from '../api/schemas/comparison.js';
import { LATENCY_STAGES, type EpisodeRecord, type LatencyStage, type Results } from '../api/schemas/results.js';
import { depthText, type DecodingStrategy } from '../api/schemas/run-config.js';
import { InputError } from '../util/input-error.js';
import { BOOTSTRAP, ratioInterval, resampledMedians, runDraws } from './bootstrap.js';
import { mcnemar, wilson } from './metrics.js';

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
  return { id: r.run?.id ?? null, status: r.run?.status ?? null, decoding: c.decoding, accept: c.accept, threshold: c.threshold, ...(c.depth ? { depth: c.depth } : {}), bundle: c.bundle.name, executionProvider: c.executionProvider.used };
}

function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || !(b > 0)) return null;
  const r = a / b;
  return Number.isFinite(r) ? r : null;
}

function pairedSuccess(pairs: readonly (readonly [EpisodeRecord, EpisodeRecord])[]): PairedSuccessWithIntervals {
  const a = pairs.map(([x]) => x.outcome === 'success');
  const b = pairs.map(([, y]) => y.outcome === 'success');
  const n = pairs.length;
  const successesA = a.filter(Boolean).length;
  const successesB = b.filter(Boolean).length;
  const rateA = n === 0 ? null : successesA / n;
  const rateB = n === 0 ? null : successesB / n;
  const test = mcnemar(a, b);
  return { n, successesA, successesB, rateA, rateB, wilsonA: wilson(successesA, n), wilsonB: wilson(successesB, n), difference: rateA === null || rateB === null ? null : rateB - rateA, onlyA: test.onlyA, onlyB: test.onlyB, pValue: test.pValue };
}

/** The stages each decoding kind has (engine/decoding: which onnxruntime runs it times); the rest are n/a. */
const STAGES_OF: Record<DecodingStrategy, ReadonlySet<LatencyStage>> = {
  parallel: new Set(['parallelMs']),
  autoregressive: new Set(['prefillMs', 'mainStepsMs']),
  speculative: new Set(['prefillMs', 'draftMs', 'verifyMs', 'mainStepsMs']),
};
const EVERY_DECODING: ReadonlySet<LatencyStage> = new Set(['totalMs', 'decoderMs', 'rfsqMs', 'ortMs', 'overheadMs']);

/** Whether a run has a stage to compare: its decoding has it and some chunk spent time in it (the single-run table's test: p99 above 0). */
export function stageApplies(r: Results, stage: LatencyStage): boolean {
  if (!EVERY_DECODING.has(stage) && !STAGES_OF[r.config.decoding].has(stage)) return false;
  return (r.latency.stages[stage].p99 ?? 0) > 0;
}

/** A run's chunk times of one stage, ascending. */
function sortedStage(r: Results, stage: LatencyStage): Float64Array {
  const values = Float64Array.from(r.episodes.flatMap((e) => e.chunks.latency[stage]));
  return values.sort();
}

/** Chunk latency per stage side by side, with ratios A/B and their bootstrap intervals over chunks. */
function latencyComparison(a: Results, b: Results): Pick<Comparison['latency'], 'stages' | 'totalRatio' | 'totalInterval'> {
  const chunks = (r: Results) => r.episodes.reduce((n, e) => n + e.chunks.latency.totalMs.length, 0);
  const nA = chunks(a);
  const nB = chunks(b);
  // Drawn once: the resampled median ranks serve every stage (each stage sorted on its own).
  const draws = nA > 0 && nB > 0 ? runDraws(nA, nB) : null;
  const stages = LATENCY_STAGES.map((stage) => {
    const medianA = stageApplies(a, stage) ? a.latency.stages[stage].median : null;
    const medianB = stageApplies(b, stage) ? b.latency.stages[stage].median : null;
    const r = ratio(medianA, medianB);
    const interval = r === null || !draws ? null : ratioInterval(resampledMedians(sortedStage(a, stage), draws.a), resampledMedians(sortedStage(b, stage), draws.b));
    return { stage, medianA, medianB, ratio: r, interval };
  });
  const total = stages.find((s) => s.stage === 'totalMs')!;
  return { stages, totalRatio: total.ratio, totalInterval: total.interval };
}

/** Both runs' chunk totalMs counted on the same 20 equal bins over their joint range (the last bin closed). */
function sharedHistogram(a: Results, b: Results, bins = 20): Comparison['latency']['histogram'] {
  const xs = a.episodes.flatMap((e) => e.chunks.latency.totalMs);
  const ys = b.episodes.flatMap((e) => e.chunks.latency.totalMs);
  if (xs.length + ys.length === 0) return { edges: [], countsA: [], countsB: [] };
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of [...xs, ...ys]) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (hi === lo) hi = lo + 1;
  const width = (hi - lo) / bins;
  const count = (values: number[]) => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
    return counts;
  };
  return { edges: Array.from({ length: bins + 1 }, (_, i) => lo + i * width), countsA: count(xs), countsB: count(ys) };
}

/** Paired episodes that ended differently, with what replaying them needs. */
function differing(pairs: readonly (readonly [EpisodeRecord, EpisodeRecord])[]): DifferingEpisode[] {
  const side = (e: EpisodeRecord) => ({ outcome: e.outcome, steps: e.steps, trajectory: e.trajectory !== null });
  return pairs.filter(([x, y]) => x.outcome !== y.outcome).map(([x, y]) => ({ taskId: x.taskId, trial: x.trial, initIndex: x.initIndex, a: side(x), b: side(y) }));
}

/** Fields whose difference between the runs is worth saying (what is compared, and what confounds it). */
function configDifferences(a: Results['config'], b: Results['config']): Comparison['configDifferences'] {
  const fields: [string, (c: Results['config']) => unknown][] = [
    ['decoding', (c) => c.decoding],
    ['accept', (c) => c.accept],
    ['threshold', (c) => c.threshold],
    ['layers', (c) => (c.depth ? `${c.depth.layers} of ${c.depth.of}` : 'all')],
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
    latency: {
      chunksA: a.latency.chunks,
      chunksB: b.latency.chunks,
      ...latencyComparison(a, b),
      bootstrap: { ...BOOTSTRAP },
      histogram: sharedHistogram(a, b),
    },
    differing: differing(pairs),
    acceptance: { meanAcceptedLayersA: a.acceptance.meanAcceptedLayers, meanAcceptedLayersB: b.acceptance.meanAcceptedLayers },
  };
}

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);
const ms = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(2));
const fixed = (x: number | null, digits = 2): string => (x === null ? 'n/a' : x.toFixed(digits));
const pValue = (p: number): string => (p < 0.001 ? p.toExponential(2) : p.toFixed(3));
const signedPoints = (d: number | null): string => (d === null ? 'n/a' : `${d >= 0 ? '+' : ''}${(100 * d).toFixed(1)} pp`);

const interval = (i: { low: number; high: number } | null): string => (i === null ? 'n/a' : `[${i.low.toFixed(2)}, ${i.high.toFixed(2)}]`);

/** "B is 3.31 times faster per chunk (95% interval [3.20, 3.44]; median total 30.00 ms vs 10.00 ms)". */
function speedSentence(c: Comparison): string {
  const r = c.latency.totalRatio;
  if (r === null) return 'chunk latency: not comparable (a run has no chunks)';
  const total = c.latency.stages.find((s) => s.stage === 'totalMs');
  const i = c.latency.totalInterval;
  // Slower: the factor is 1/r, and its interval [1/high, 1/low].
  const shown = r >= 1 ? i : i && { low: 1 / i.high, high: 1 / i.low };
  return `B is ${(r >= 1 ? r : 1 / r).toFixed(2)} times ${r >= 1 ? 'faster' : 'slower'} per chunk (95% interval ${interval(shown)}; median total ${ms(total?.medianA ?? null)} ms vs ${ms(total?.medianB ?? null)} ms)`;
}

function describeRun(l: RunLabel): string {
  const decoding = (l.decoding === 'speculative' ? `speculative, ${l.accept ?? '?'}${l.threshold !== null ? ` ${l.threshold}` : ''}` : l.decoding) + depthText(l.depth);
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
  lines.push(`  chunk latency, median ms   ${'A'.padStart(9)} ${'B'.padStart(9)} ${'A/B'.padStart(7)}  95% interval of A/B`);
  for (const s of c.latency.stages) {
    if (s.medianA === null && s.medianB === null) continue;
    lines.push(`    ${s.stage.padEnd(24)} ${ms(s.medianA).padStart(9)} ${ms(s.medianB).padStart(9)} ${fixed(s.ratio).padStart(7)}  ${interval(s.interval)}`);
  }
  lines.push(`  ${speedSentence(c)}`);
  const boot = c.latency.bootstrap;
  lines.push(`  (n/a: the run's decoding has no such stage, or it took no time; intervals: ${boot.method} bootstrap over chunks, ${boot.resamples} resamples, seed ${boot.seed})`);
  lines.push(`  mean accepted layers: A ${fixed(c.acceptance.meanAcceptedLayersA)}, B ${fixed(c.acceptance.meanAcceptedLayersB)}`);
  lines.push('');
  if (c.differing.length === 0) lines.push(c.paired === 0 ? '  outcome differs: no paired episodes to compare' : `  outcome differs in no paired episode (of ${c.paired})`);
  else {
    lines.push(`  outcome differs in ${c.differing.length} of ${c.paired} paired episodes:`);
    for (const d of c.differing) lines.push(`    task ${d.taskId} trial ${d.trial} (init ${d.initIndex}): A ${d.a.outcome} after ${d.a.steps} steps, B ${d.b.outcome} after ${d.b.steps} steps`);
  }
  return lines.join('\n');
}
