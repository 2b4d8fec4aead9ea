import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SeededRandom } from '../onnx/random.js';
import { loadBundle, type ExecutionProvider, type ExecutionProviderChoice, type ExecutionProviderRequest, type LoadedBundle } from '../bundle/bundle.js';
import { onnxRuntimeVersion } from '../bundle/onnxruntime.js';
import { checkSyntheticCostRatio, syntheticObservation, writeSyntheticBundle, type CostCheck } from '../bundle/synthetic.js';
import { InputError } from '../util/input-error.js';
import { Decoder, layerwiseMain, StageClock, type AcceptRule, type ChunkRecord, type DecodeOptions, type Feeds, type LayerwiseMain, type Strategy } from '../decoding/index.js';

/**
 * `rsd bench engine`: chunk latency per decoding strategy, in one process run on one bundle, with
 * speculative speedups measured against the autoregressive baseline of the same run and beside
 * them the speedup the cost model predicts from the measured acceptance and stage costs.
 *
 * Cost model of this design (docs/bundle-format.md "Decoding"), per chunk at depth D (D = Q: every
 * layer), with k = min(draft layers, D) proposed, a accepted (0 <= a <= k) and decode = RFSQ +
 * decoder model:
 *   autoregressive(D)   = prefill + D · step + decode
 *   speculative(D, a)   = prefill + draft + verify(n = min(k + 1, D)) + max(0, D - 1 - a) · step + decode
 * (the verify step yields layers 0..a, so D - 1 - a steps remain). verify(n) is a main step over n
 * positions, measured in this run for n = 1..Q (the step-by-positions table). Predicted speedup =
 * autoregressive(Q) / E_a[speculative(D, a)], E over the arm's measured distribution of a, each
 * cost the median of its stage in this run.
 *
 * Arms run round-robin per chunk on the same observation (the starting arm rotates), so machine
 * noise hits every arm alike. Deviation checks of lossy rules run outside the timed chunk.
 */

export interface EngineBenchOptions {
  /** A bundle folder; default: the synthetic `bench` preset generated into a temp dir (and its parallel twin). */
  bundleDir?: string;
  ep: ExecutionProviderRequest;
  /** Timed chunks per arm. */
  chunks: number;
  /** Untimed chunks per arm first. */
  warmup: number;
  seed: number;
  /** The synthetic preset generated when no bundleDir is given (tests use `tiny`). */
  preset?: 'bench' | 'tiny';
  /** threshold's tau; default 0.7. */
  threshold?: number;
  /** Depths D < Q: an autoregressive and a speculative exact arm at each (`rsd bench engine --layers 2,3,4`). */
  layers?: number[];
  /** onnxruntime intra-op threads per session; default onnxruntime's (one per core). */
  threads?: number;
  /** Run the draft and the RFSQ decoder on this provider instead of `ep` (see LoadBundleOptions). */
  smallModelsEp?: ExecutionProvider;
}

export interface LatencyStats {
  medianMs: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
}

export interface ArmReport {
  /** `autoregressive`, `speculative exact`, `speculative threshold 0.7`, `speculative stochastic`, `parallel`, `autoregressive, 3 of 8 layers`. */
  name: string;
  strategy: Strategy;
  /** RFSQ layers decoded, D (Q unless a depth arm). */
  layers: number;
  accept: AcceptRule | null;
  threshold: number | null;
  /** The bundle the arm ran on (the parallel arm may run on the synthetic parallel twin). */
  bundle: string;
  chunks: number;
  latency: LatencyStats;
  /** Action chunk length / median latency: actions per second. */
  actionsPerSecond: number;
  /** Median per stage over the arm's chunks, ms (mainSteps: mean count). */
  stages: { prefillMs: number; draftMs: number; verifyMs: number; mainStepsMs: number; mainSteps: number; parallelMs: number; decodeMs: number; overheadMs: number };
  /** Σ overhead / Σ total: the engine's own share of chunk latency. */
  overheadShare: number;
  acceptance: {
    draftLayers: number;
    meanAcceptedLayers: number;
    /** Fraction of chunks accepting a = 0..k layers. */
    distribution: number[];
    /** Per draft layer j: fraction of chunks where j is in the accepted prefix. */
    perLayer: number[];
    /** Per draft layer j: mean fraction of codes equal to the main argmax at the verify step. */
    agreement: number[];
  } | null;
  /** Lossy rules: final codes against main-only greedy decoding. */
  deviation: { chunkRate: number; codeRate: number } | null;
  /** Speculative and depth arms: against the full-depth autoregressive arm of this run. */
  speedup: { measured: number; predicted: number; predictedMs: number } | null;
  /** Median latency / the parallel arm's median (same run); null without a parallel arm. */
  vsParallel: number | null;
}

/** A main step's median cost over n positions (from the prefill's cache), batch 1. */
export interface StepCost {
  positions: number;
  medianMs: number;
}

export interface EngineBenchReport {
  bundle: { name: string; hash: string; dir: string; synthetic: boolean; note: string; decoding: string; layers: number; latentSize: number; levels: number; draftLayers: number };
  ep: ExecutionProvider;
  epChoice: ExecutionProviderChoice;
  machine: { cpus: number; cpuModel: string; platform: string; node: string; onnxruntime: string };
  chunks: number;
  warmup: number;
  seed: number;
  /** onnxruntime intra-op threads per session, or null for its default. */
  threads: number | null;
  /** The cost model's inputs: medians measured in this run (ms). */
  costs: CostInputs | null;
  /** What a deeper draft would buy: predicted speedup with k draft layers all accepted, k = 1..Q-1 (draft cost as measured). */
  deeperDraft: { draftLayers: number; predicted: number }[] | null;
  /** The synthetic preset's step/draft check (separate timing, batch 1), when it ran. */
  costCheck: CostCheck | null;
  /** What the figures should be read with (a cost check missed); never a reason to fail the run. */
  warnings: string[];
  arms: ArmReport[];
}

export interface CostInputs {
  prefillMs: number;
  /** Per main step of the full-depth autoregressive arm. */
  stepMs: number;
  draftMs: number;
  /** The speculative arms' verify median (at their own n). */
  verifyMs: number;
  decodeMs: number;
  autoregressiveMs: number;
  /** verify(n) for n = 1..Q, measured apart from the arms (null for a main model without a cache). */
  stepByPositions: StepCost[] | null;
}

interface Arm {
  name: string;
  decoder: Decoder;
  options: DecodeOptions;
  records: ChunkRecord[];
}

export async function runEngineBench(options: EngineBenchOptions): Promise<EngineBenchReport> {
  const { chunks, warmup, seed } = options;
  if (!(Number.isInteger(chunks) && chunks >= 1)) throw new Error(`chunks: ${chunks} must be an integer >= 1`);
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new Error(`warmup: ${warmup} must be an integer >= 0`);
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) throw new Error(`threads: ${options.threads} must be an integer >= 1`);
  const tau = options.threshold ?? 0.7;
  const depths = options.layers ?? [];
  const temp = options.bundleDir ? null : await mkdtemp(path.join(os.tmpdir(), 'rsd-bench-'));
  const bundles: LoadedBundle[] = [];
  try {
    const preset = options.preset ?? 'bench';
    const dir = options.bundleDir ?? path.join(temp!, preset);
    if (temp) {
      await writeSyntheticBundle(dir, preset, seed);
      await writeSyntheticBundle(path.join(temp, `${preset}-parallel`), `${preset}-parallel`, seed);
    }
    const sessionOptions = options.threads ? { intraOpNumThreads: options.threads } : {};
    const bundle = await loadBundle(dir, { ep: options.ep, sessionOptions, smallModelsEp: options.smallModelsEp });
    bundles.push(bundle);
    // The parallel twin shares the observation contract, so every arm sees the same observations.
    const twin = temp ? await loadBundle(path.join(temp, `${preset}-parallel`), { ep: bundle.ep, sessionOptions, smallModelsEp: options.smallModelsEp }) : null;
    if (twin) bundles.push(twin);
    const warnings: string[] = [];
    const beside = options.bundleDir ? await besideTwin(options.bundleDir, bundle, { ep: bundle.ep, sessionOptions, smallModelsEp: options.smallModelsEp }, warnings) : null;
    if (beside) bundles.push(beside);
    const Q = bundle.manifest.rfsq.layers;
    for (const D of depths) if (!(Number.isInteger(D) && D >= 1 && D < Q)) throw new InputError('layers', `depth ${D} is not in 1..${Q - 1} (depths below bundle "${bundle.manifest.name}"'s ${Q} RFSQ layers; the full depth is always an arm)`);

    const decoder = new Decoder(bundle);
    const strategies = decoder.strategies();
    const hasSpec = strategies.includes('speculative');
    // The preset's step/draft check: a bundle too cheap to show speculation is flagged in the report.
    const cached = bundle.manifest.main.decoding === 'layerwise' && bundle.manifest.main.kvCache;
    const costCheck = hasSpec && cached ? await checkSyntheticCostRatio(bundle) : null;
    const rng = new SeededRandom(seed + 1);
    const arms: Arm[] = [];
    const arm = (name: string, d: Decoder, o: DecodeOptions) => arms.push({ name, decoder: d, options: o, records: [] });
    if (strategies.includes('autoregressive')) arm('autoregressive', decoder, { strategy: 'autoregressive' });
    if (hasSpec) {
      arm('speculative exact', decoder, { strategy: 'speculative', accept: 'exact' });
      arm(`speculative threshold ${tau}`, decoder, { strategy: 'speculative', accept: 'threshold', threshold: tau, checkDeviation: true });
      arm('speculative stochastic', decoder, { strategy: 'speculative', accept: 'stochastic', rng, checkDeviation: true });
    }
    if (depths.length && !strategies.includes('autoregressive')) throw new InputError('layers', `bundle "${bundle.manifest.name}" decodes ${strategies.join(', ')} only; depths apply to autoregressive and speculative decoding`);
    for (const D of depths) {
      arm(`autoregressive, ${D} of ${Q} layers`, decoder, { strategy: 'autoregressive', layers: D });
      if (hasSpec) arm(`speculative exact, ${D} of ${Q} layers`, decoder, { strategy: 'speculative', accept: 'exact', layers: D });
    }
    const parallelTwin = twin ?? beside;
    if (strategies.includes('parallel')) arm('parallel', decoder, { strategy: 'parallel' });
    else if (parallelTwin) arm('parallel', new Decoder(parallelTwin), { strategy: 'parallel' });

    // verify(n) for n = 1..Q: one step over n positions after a prefill, interleaved with the arms.
    const main = cached ? layerwiseMain(bundle) : null;
    const stepTimes: number[][] = Array.from({ length: Q }, () => []);
    for (let i = 0; i < warmup + chunks; i++) {
      const obs = syntheticObservation(bundle.manifest, seed + i, 1);
      for (let j = 0; j < arms.length; j++) {
        const a = arms[(i + j) % arms.length]!;
        const { record } = await a.decoder.decodeChunk(obs, a.options);
        if (i >= warmup) a.records.push(record);
      }
      if (main) {
        for (let j = 0; j < Q; j++) {
          const n = ((i + j) % Q) + 1;
          const ms = await timeStep(main, obs, n, bundle.manifest.rfsq.latentSize);
          if (i >= warmup) stepTimes[n - 1]!.push(ms);
        }
      }
    }
    const stepByPositions = main ? stepTimes.map((xs, i) => ({ positions: i + 1, medianMs: stats(xs).medianMs })) : null;
    if (costCheck?.warning) warnings.unshift(costCheck.warning);
    return report(options, tau, bundle, temp !== null, costCheck, arms, stepByPositions, warnings);
  } finally {
    await Promise.all(bundles.map((b) => b.release()));
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

/** One main step over n positions right after a prefill (zeros as codes: the cost does not depend on them). */
async function timeStep(main: LayerwiseMain, obs: Feeds, n: number, P: number): Promise<number> {
  const clock = new StageClock();
  const run = await main.start(obs, 1, clock);
  await run.step(new BigInt64Array(n * P), n, 'verify');
  return clock.ms.verify;
}

/**
 * The parallel twin of a bundle folder DIR, when DIR-parallel holds one (assets/bundles/default
 * and default-parallel): an arm only if it decodes parallel and reads the same observations and
 * writes the same actions; otherwise a warning says why there is no parallel arm.
 */
async function besideTwin(dir: string, bundle: LoadedBundle, load: Parameters<typeof loadBundle>[1], warnings: string[]): Promise<LoadedBundle | null> {
  if (bundle.manifest.main.decoding === 'parallel') return null;
  const twinDir = `${path.resolve(dir)}-parallel`;
  try {
    await access(path.join(twinDir, 'bundle.json'));
  } catch {
    return null;
  }
  const twin = await loadBundle(twinDir, load);
  const a = bundle.manifest;
  const b = twin.manifest;
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  const differs = b.main.decoding !== 'parallel' ? 'is not a parallel bundle' : !same(a.observation, b.observation) ? `reads other observations than ${a.name}` : !same(a.action, b.action) ? `writes other actions than ${a.name}` : null;
  if (differs) {
    warnings.push(`no parallel arm: ${twinDir} ${differs}`);
    await twin.release();
    return null;
  }
  return twin;
}

function report(options: EngineBenchOptions, tau: number, bundle: LoadedBundle, synthetic: boolean, costCheck: CostCheck | null, arms: Arm[], stepByPositions: StepCost[] | null, warnings: string[]): EngineBenchReport {
  const m = bundle.manifest;
  const Q = m.rfsq.layers;
  const ar = arms.find((a) => a.options.strategy === 'autoregressive' && a.options.layers === undefined);
  const costs = ar ? costModel(ar.records, arms, Q, stepByPositions) : null;
  const arMedian = ar ? stats(ar.records.map((r) => r.latency.totalMs)).medianMs : null;
  const par = arms.find((a) => a.options.strategy === 'parallel');
  const parMedian = par ? stats(par.records.map((r) => r.latency.totalMs)).medianMs : null;
  const draftLayers = m.draft?.layers ?? 0;
  const preset = (m.provenance as { preset?: string }).preset;
  return {
    bundle: {
      name: m.name,
      hash: bundle.hash,
      dir: bundle.dir,
      synthetic,
      note: synthetic
        ? `SYNTHETIC: generated from preset "${preset}" (seed ${options.seed}) into a temp dir and removed afterwards; random-but-structured weights, not a trained policy`
        : `bundle folder ${bundle.dir}`,
      decoding: m.main.decoding,
      layers: Q,
      latentSize: m.rfsq.latentSize,
      levels: m.rfsq.levels,
      draftLayers: m.draft?.layers ?? 0,
    },
    ep: bundle.ep,
    epChoice: bundle.epChoice,
    machine: { cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown', platform: `${process.platform} ${process.arch}`, node: process.versions.node, onnxruntime: onnxRuntimeVersion() },
    chunks: options.chunks,
    warmup: options.warmup,
    seed: options.seed,
    threads: options.threads ?? null,
    costs,
    deeperDraft: costs && draftLayers > 0 ? Array.from({ length: Q - 1 }, (_, i) => ({ draftLayers: i + 1, predicted: costs.autoregressiveMs / predictedSpeculativeMs(costs, Q, i + 1, fullAcceptance(i + 1)) })) : null,
    costCheck,
    warnings,
    arms: arms.map((a) => armReport(a, m.action.chunk, Q, tau, costs, arMedian, parMedian)),
  };
}

/** All k proposed layers accepted, as a distribution of a over 0..k. */
function fullAcceptance(k: number): number[] {
  return Array.from({ length: k + 1 }, (_, a) => (a === k ? 1 : 0));
}

/** Stage medians that the cost model reads: prefill, step and decode from the autoregressive arm, draft and verify from the speculative ones. */
function costModel(ar: ChunkRecord[], arms: Arm[], Q: number, stepByPositions: StepCost[] | null): CostInputs {
  const spec = arms.filter((a) => a.options.strategy === 'speculative' && a.options.layers === undefined).flatMap((a) => a.records);
  const med = (xs: number[]) => (xs.length ? stats(xs).medianMs : 0);
  const costs = {
    prefillMs: med(ar.map((r) => r.latency.prefillMs)),
    stepMs: med(ar.map((r) => r.latency.mainStepsMs / r.latency.mainSteps)),
    draftMs: med(spec.map((r) => r.latency.draftMs)),
    verifyMs: med(spec.map((r) => r.latency.verifyMs)),
    decodeMs: med(ar.map((r) => r.latency.decoderMs + r.latency.rfsqMs)),
    autoregressiveMs: 0,
    stepByPositions,
  };
  costs.autoregressiveMs = predictedAutoregressiveMs(costs, Q);
  return costs;
}

/** verify(n): the measured step over n positions; without that table (no cache), the speculative arms' median verify. */
export function verifyCostMs(c: CostInputs, n: number): number {
  return c.stepByPositions?.[n - 1]?.medianMs ?? c.verifyMs;
}

/**
 * E_a[prefill + draft + verify(min(k + 1, D)) + max(0, D - 1 - a) · step + decode] over the
 * distribution of a (a = 0..k), at depth D with k proposed layers (k <= D).
 */
export function predictedSpeculativeMs(c: CostInputs, D: number, k: number, distribution: readonly number[]): number {
  const verify = verifyCostMs(c, Math.min(k + 1, D));
  return distribution.reduce((sum, share, a) => sum + share * (c.prefillMs + c.draftMs + verify + Math.max(0, D - 1 - a) * c.stepMs + c.decodeMs), 0);
}

/** prefill + D · step + decode. */
export function predictedAutoregressiveMs(c: CostInputs, D: number): number {
  return c.prefillMs + D * c.stepMs + c.decodeMs;
}

function armReport(a: Arm, chunk: number, Q: number, tau: number, costs: CostInputs | null, arMedian: number | null, parMedian: number | null): ArmReport {
  const rs = a.records;
  const latency = stats(rs.map((r) => r.latency.totalMs));
  const med = (f: (r: ChunkRecord) => number) => stats(rs.map(f)).medianMs;
  const mean = (f: (r: ChunkRecord) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
  const spec = a.options.strategy === 'speculative';
  const accept = spec ? (a.options.accept ?? 'exact') : null;
  const D = a.options.layers ?? Q;
  let acceptance: ArmReport['acceptance'] = null;
  let speedup: ArmReport['speedup'] = null;
  if (spec) {
    const k = rs[0]!.draftLayers;
    const distribution = Array.from({ length: k + 1 }, (_, n) => rs.filter((r) => r.acceptedLayers === n).length / rs.length);
    acceptance = {
      draftLayers: k,
      meanAcceptedLayers: mean((r) => r.acceptedLayers),
      distribution,
      perLayer: Array.from({ length: k }, (_, j) => mean((r) => (r.accepted[j] ? 1 : 0))),
      agreement: Array.from({ length: k }, (_, j) => mean((r) => r.agreement[j]!)),
    };
    if (costs && arMedian !== null) {
      const predictedMs = predictedSpeculativeMs(costs, D, k, distribution);
      speedup = { measured: arMedian / latency.medianMs, predicted: costs.autoregressiveMs / predictedMs, predictedMs };
    }
  } else if (a.options.strategy === 'autoregressive' && D < Q && costs && arMedian !== null) {
    const predictedMs = predictedAutoregressiveMs(costs, D);
    speedup = { measured: arMedian / latency.medianMs, predicted: costs.autoregressiveMs / predictedMs, predictedMs };
  }
  const checked = rs.filter((r) => r.deviation);
  return {
    name: a.name,
    strategy: a.options.strategy,
    layers: D,
    accept,
    threshold: accept === 'threshold' ? (a.options.threshold ?? tau) : null,
    bundle: a.decoder.manifest.name,
    chunks: rs.length,
    latency,
    actionsPerSecond: chunk / (latency.medianMs / 1000),
    stages: {
      prefillMs: med((r) => r.latency.prefillMs),
      draftMs: med((r) => r.latency.draftMs),
      verifyMs: med((r) => r.latency.verifyMs),
      mainStepsMs: med((r) => r.latency.mainStepsMs),
      mainSteps: mean((r) => r.latency.mainSteps),
      parallelMs: med((r) => r.latency.parallelMs),
      decodeMs: med((r) => r.latency.decoderMs + r.latency.rfsqMs),
      overheadMs: med((r) => r.latency.overheadMs),
    },
    overheadShare: rs.reduce((s, r) => s + r.latency.overheadMs, 0) / rs.reduce((s, r) => s + r.latency.totalMs, 0),
    acceptance,
    deviation: checked.length
      ? { chunkRate: checked.filter((r) => r.deviation!.differs).length / checked.length, codeRate: checked.reduce((s, r) => s + r.deviation!.codes, 0) / (checked.length * Q * a.decoder.manifest.rfsq.latentSize) }
      : null,
    speedup,
    vsParallel: parMedian === null ? null : latency.medianMs / parMedian,
  };
}

/** Linear-interpolation quantiles (as numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export function stats(xs: readonly number[]): LatencyStats {
  const s = [...xs].sort((a, b) => a - b);
  return { medianMs: quantile(s, 0.5), p90Ms: quantile(s, 0.9), p99Ms: quantile(s, 0.99), meanMs: s.reduce((a, b) => a + b, 0) / s.length, minMs: s[0]!, maxMs: s[s.length - 1]! };
}

// ---- text ----

const ms = (x: number) => x.toFixed(3);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

export function formatEngineBench(r: EngineBenchReport): string {
  const b = r.bundle;
  const lines = [
    `rsd bench engine: ${b.name} (${b.decoding}, Q ${b.layers} layers x P ${b.latentSize} codes x L ${b.levels} levels, draft ${b.draftLayers} layers), hash ${r.bundle.hash.slice(0, 12)}`,
    `  ${b.note}`,
    `  ep ${r.ep} (requested ${r.epChoice.requested})${r.epChoice.smallModels ? `, draft and decoder on ${r.epChoice.smallModels}` : ''}, ${r.machine.cpus} CPUs (${r.machine.cpuModel}), ${r.machine.platform}, node ${r.machine.node}, onnxruntime ${r.machine.onnxruntime}`,
    `  ${r.chunks} timed chunks per arm after ${r.warmup} warm-up, batch 1, ${r.threads ?? 'default'} intra-op threads, arms interleaved round-robin per chunk, observations syntheticObservation(seed ${r.seed} + i)`,
  ];
  if (r.costCheck) lines.push(`  cost check (median of ${r.costCheck.runs}): main step ${ms(r.costCheck.stepMs)} ms vs draft ${ms(r.costCheck.draftMs)} ms = ${r.costCheck.ratio.toFixed(1)}x${r.costCheck.minRatio !== null ? ` (preset minimum ${r.costCheck.minRatio}x)` : ''}`);
  for (const w of r.warnings) lines.push(`  WARNING: ${w}`);
  if (r.costs) {
    const c = r.costs;
    lines.push(`  cost model inputs (medians, ms): prefill ${ms(c.prefillMs)}, step ${ms(c.stepMs)}, draft ${ms(c.draftMs)}, verify ${ms(c.verifyMs)}, decode ${ms(c.decodeMs)}; predicted autoregressive ${ms(c.autoregressiveMs)}`);
    if (c.stepByPositions) {
      const one = c.stepByPositions[0]!.medianMs;
      lines.push(`  main step by positions n (median ms, x one position): ${c.stepByPositions.map((s) => `n=${s.positions} ${ms(s.medianMs)} (${(s.medianMs / one).toFixed(2)}x)`).join(', ')}`);
    }
  }
  if (r.deeperDraft) lines.push(`  predicted speedup of a draft of k layers, all accepted (draft cost as measured): ${r.deeperDraft.map((d) => `k=${d.draftLayers} ${d.predicted.toFixed(2)}x`).join(', ')}`);
  lines.push('');
  const head = [pad('arm', 38), lpad('median', 9), lpad('p90', 9), lpad('p99', 9), lpad('overhead', 9), lpad('accepted', 9), pad('  a=0..k', 26), pad('  per layer', 20), lpad('deviation', 16), lpad('speedup', 9), lpad('predicted', 10), lpad('x parallel', 11)];
  lines.push(head.join(''));
  for (const a of r.arms) {
    const acc = a.acceptance;
    const dev = a.deviation ? `${pct(a.deviation.chunkRate)} / ${pct(a.deviation.codeRate)}` : '';
    lines.push(
      [
        pad(a.bundle === r.bundle.name ? a.name : `${a.name} (${a.bundle})`, 38),
        lpad(ms(a.latency.medianMs), 9),
        lpad(ms(a.latency.p90Ms), 9),
        lpad(ms(a.latency.p99Ms), 9),
        lpad(pct(a.overheadShare), 9),
        lpad(acc ? acc.meanAcceptedLayers.toFixed(2) : '', 9),
        pad(acc ? `  ${acc.distribution.map((x) => x.toFixed(2)).join(' ')}` : '', 26),
        pad(acc ? `  ${acc.perLayer.map((x) => x.toFixed(2)).join(' ')}` : '', 20),
        lpad(dev, 16),
        lpad(a.speedup ? `${a.speedup.measured.toFixed(2)}x` : '', 9),
        lpad(a.speedup ? `${a.speedup.predicted.toFixed(2)}x` : '', 10),
        lpad(a.vsParallel !== null ? `${a.vsParallel.toFixed(2)}x` : '', 11),
      ].join(''),
    );
  }
  lines.push('');
  lines.push('  latency in ms per chunk (batch 1, prefill to decoded actions); overhead = engine time outside onnxruntime run() / total;');
  lines.push('  accepted = mean accepted draft layers, a=0..k its distribution, per layer = share of chunks accepting layer j;');
  lines.push('  deviation = chunks / codes differing from main-only greedy decoding of the same depth; speedup = autoregressive (all Q layers) median / arm median (same run);');
  lines.push('  predicted = (prefill + Q step + decode) / E_a[prefill + draft + verify(n) + max(0, D-1-a) step + decode] at the arm\'s depth D (autoregressive: prefill + D step + decode),');
  lines.push(`  n = min(k + 1, D) positions, verify(n) ${r.costs?.stepByPositions ? 'from the step-by-positions line' : 'the speculative arms\' median (no step-by-positions table: the main model has no cache)'}; x parallel = arm median / parallel median (same run).`);
  return lines.join('\n');
}
