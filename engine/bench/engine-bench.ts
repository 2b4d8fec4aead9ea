import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SeededRandom } from '../onnx/random.js';
import { loadBundle, type ExecutionProvider, type ExecutionProviderChoice, type ExecutionProviderRequest, type LoadedBundle } from '../bundle/bundle.js';
import { onnxRuntimeVersion } from '../bundle/onnxruntime.js';
import { checkSyntheticCostRatio, syntheticObservation, writeSyntheticBundle, type CostCheck } from '../bundle/synthetic.js';
import { Decoder, type AcceptRule, type ChunkRecord, type DecodeOptions, type Strategy } from '../decoding/index.js';

/**
 * `rsd bench engine`: chunk latency per decoding strategy, in one process run on one bundle, with
 * speculative speedups measured against the autoregressive baseline of the same run and beside
 * them the speedup the cost model predicts from the measured acceptance and stage costs.
 *
 * Cost model of this design (docs/bundle-format.md "Decoding"), per chunk, with k draft layers,
 * a accepted (0 <= a <= k) and decode = RFSQ + decoder model:
 *   autoregressive   = prefill + Q · step + decode
 *   speculative(a)   = prefill + draft + verify(n = k + 1) + max(0, Q - 1 - a) · step + decode
 * (the verify step yields layers 0..a, so Q - 1 - a steps remain). Predicted speedup =
 * autoregressive / E_a[speculative(a)], E over the measured distribution of a, each cost the
 * median of its stage in this run.
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
  /** `autoregressive`, `speculative exact`, `speculative threshold 0.7`, `speculative stochastic`, `parallel`. */
  name: string;
  strategy: Strategy;
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
  /** Speculative arms: against the autoregressive arm of this run. */
  speedup: { measured: number; predicted: number; predictedMs: number } | null;
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
  costs: { prefillMs: number; stepMs: number; draftMs: number; verifyMs: number; decodeMs: number; autoregressiveMs: number } | null;
  /** The synthetic preset's step/draft check (separate timing, batch 1), when it ran. */
  costCheck: CostCheck | null;
  /** What the figures should be read with (a cost check missed); never a reason to fail the run. */
  warnings: string[];
  arms: ArmReport[];
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
    if (strategies.includes('parallel')) arm('parallel', decoder, { strategy: 'parallel' });
    else if (twin) arm('parallel', new Decoder(twin), { strategy: 'parallel' });

    for (let i = 0; i < warmup + chunks; i++) {
      const obs = syntheticObservation(bundle.manifest, seed + i, 1);
      for (let j = 0; j < arms.length; j++) {
        const a = arms[(i + j) % arms.length]!;
        const { record } = await a.decoder.decodeChunk(obs, a.options);
        if (i >= warmup) a.records.push(record);
      }
    }
    return report(options, tau, bundle, temp !== null, costCheck, arms);
  } finally {
    await Promise.all(bundles.map((b) => b.release()));
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

function report(options: EngineBenchOptions, tau: number, bundle: LoadedBundle, synthetic: boolean, costCheck: CostCheck | null, arms: Arm[]): EngineBenchReport {
  const m = bundle.manifest;
  const Q = m.rfsq.layers;
  const ar = arms.find((a) => a.options.strategy === 'autoregressive');
  const costs = ar ? costModel(ar.records, arms, Q) : null;
  const arMedian = ar ? stats(ar.records.map((r) => r.latency.totalMs)).medianMs : null;
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
    costCheck,
    warnings: costCheck?.warning ? [costCheck.warning] : [],
    arms: arms.map((a) => armReport(a, m.action.chunk, Q, tau, costs, arMedian)),
  };
}

/** Stage medians that the cost model reads: prefill, step and decode from the autoregressive arm, draft and verify from the speculative ones. */
function costModel(ar: ChunkRecord[], arms: Arm[], Q: number): EngineBenchReport['costs'] {
  const spec = arms.filter((a) => a.options.strategy === 'speculative').flatMap((a) => a.records);
  const med = (xs: number[]) => (xs.length ? stats(xs).medianMs : 0);
  const costs = {
    prefillMs: med(ar.map((r) => r.latency.prefillMs)),
    stepMs: med(ar.map((r) => r.latency.mainStepsMs / r.latency.mainSteps)),
    draftMs: med(spec.map((r) => r.latency.draftMs)),
    verifyMs: med(spec.map((r) => r.latency.verifyMs)),
    decodeMs: med(ar.map((r) => r.latency.decoderMs + r.latency.rfsqMs)),
    autoregressiveMs: 0,
  };
  costs.autoregressiveMs = predictedAutoregressiveMs(costs, Q);
  return costs;
}

/** E_a[prefill + draft + verify + max(0, Q - 1 - a) · step + decode] over the distribution of a. */
export function predictedSpeculativeMs(c: NonNullable<EngineBenchReport['costs']>, Q: number, distribution: readonly number[]): number {
  return distribution.reduce((sum, share, a) => sum + share * (c.prefillMs + c.draftMs + c.verifyMs + Math.max(0, Q - 1 - a) * c.stepMs + c.decodeMs), 0);
}

export function predictedAutoregressiveMs(c: NonNullable<EngineBenchReport['costs']>, Q: number): number {
  return c.prefillMs + Q * c.stepMs + c.decodeMs;
}

function armReport(a: Arm, chunk: number, Q: number, tau: number, costs: EngineBenchReport['costs'], arMedian: number | null): ArmReport {
  const rs = a.records;
  const latency = stats(rs.map((r) => r.latency.totalMs));
  const med = (f: (r: ChunkRecord) => number) => stats(rs.map(f)).medianMs;
  const mean = (f: (r: ChunkRecord) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
  const spec = a.options.strategy === 'speculative';
  const accept = spec ? (a.options.accept ?? 'exact') : null;
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
      const predictedMs = predictedSpeculativeMs(costs, Q, distribution);
      speedup = { measured: arMedian / latency.medianMs, predicted: costs.autoregressiveMs / predictedMs, predictedMs };
    }
  }
  const checked = rs.filter((r) => r.deviation);
  return {
    name: a.name,
    strategy: a.options.strategy,
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
  }
  lines.push('');
  const head = [pad('arm', 38), lpad('median', 9), lpad('p90', 9), lpad('p99', 9), lpad('overhead', 9), lpad('accepted', 9), pad('  a=0..k', 26), pad('  per layer', 20), lpad('deviation', 16), lpad('speedup', 9), lpad('predicted', 10)];
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
      ].join(''),
    );
  }
  lines.push('');
  lines.push('  latency in ms per chunk (batch 1, prefill to decoded actions); overhead = engine time outside onnxruntime run() / total;');
  lines.push('  accepted = mean accepted draft layers, a=0..k its distribution, per layer = share of chunks accepting layer j;');
  lines.push('  deviation = chunks / codes differing from main-only greedy decoding; speedup = autoregressive median / arm median (same run);');
  lines.push('  predicted = (prefill + Q step + decode) / E_a[prefill + draft + verify + max(0, Q-1-a) step + decode], from the medians above.');
  return lines.join('\n');
}
