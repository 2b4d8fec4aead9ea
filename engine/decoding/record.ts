import { DECODING_STRATEGIES, type DecodingStrategy } from '../api/schemas/run-config.js';
import type { AcceptRule } from './acceptance.js';
import { DecodingError } from './errors.js';

/** The strategies are part of the run configuration's schema (engine/api/schemas/run-config.ts). */
export type Strategy = DecodingStrategy;
export const STRATEGIES: readonly Strategy[] = DECODING_STRATEGIES;

/** Milliseconds per stage of one chunk (of one batched run: every item of a batch shares them). */
export interface ChunkLatency {
  /** onnxruntime run() calls, each timed with performance.now() around it. */
  prefillMs: number;
  draftMs: number;
  verifyMs: number;
  /** Main steps after the verify step (autoregressive: all Q of them). */
  mainStepsMs: number;
  mainSteps: number;
  parallelMs: number;
  decoderMs: number;
  /** Codes to latent in TypeScript (engine work, so part of the overhead). */
  rfsqMs: number;
  /** Wall time of the whole chunk, from the call to the decoded actions. */
  totalMs: number;
  /** Sum of the onnxruntime run times above. */
  ortMs: number;
  /** totalMs - ortMs: what the engine itself costs (tensors, argmax, acceptance, cache cuts, RFSQ). */
  overheadMs: number;
}

/** What decoding one chunk did; trajectories store it per chunk. */
export interface ChunkRecord {
  strategy: Strategy;
  /** The acceptance rule (speculative only). */
  accept: AcceptRule | null;
  /** threshold's tau (threshold only). */
  threshold: number | null;
  /** Items decoded together in the run that produced this chunk. */
  batchSize: number;
  /**
   * RFSQ layers decoded, D (the rest took the zero level); Q unless a lower depth was asked. Null
   * where the policy does not say (a scripted or remote policy).
   */
  layers: number | null;
  /** Draft layers proposed, k (0 unless speculative; at most `layers`). */
  draftLayers: number;
  /** Length of the accepted prefix, 0..k. */
  acceptedLayers: number;
  /** Per proposed layer j < k: whether it is in the accepted prefix. */
  accepted: boolean[];
  /** Per proposed layer j < k: fraction of its codes equal to the main argmax at the verify step. */
  agreement: number[];
  latency: ChunkLatency;
  /**
   * Final codes against main-only greedy decoding (autoregressive), when checked: always in
   * principle 0 for `exact`; `threshold` and `stochastic` may differ. Null when not checked.
   */
  deviation: { differs: boolean; codes: number } | null;
  /** What the policy says about this chunk's decoding (a policy server's `rsd.note`, e.g. why a draft cannot save time for its model). */
  note?: string;
}

type OrtStage = 'prefill' | 'draft' | 'verify' | 'mainSteps' | 'parallel' | 'decoder';

/** Accumulates the time of each onnxruntime run by stage. */
export class StageClock {
  readonly ms: Record<OrtStage, number> = { prefill: 0, draft: 0, verify: 0, mainSteps: 0, parallel: 0, decoder: 0 };
  mainSteps = 0;
  rfsqMs = 0;
  private readonly start = performance.now();

  /** Times one run() of `model`; its failure becomes an error naming the model file. */
  async run<T>(stage: OrtStage, model: string, call: () => Promise<T>): Promise<T> {
    const t = performance.now();
    let out: T;
    try {
      out = await call();
    } catch (error) {
      throw new DecodingError(model, `run failed: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim()}`);
    }
    this.ms[stage] += performance.now() - t;
    if (stage === 'mainSteps') this.mainSteps++;
    return out;
  }

  /** Stops the clock: the chunk's latency. */
  finish(): ChunkLatency {
    const totalMs = performance.now() - this.start;
    const { prefill, draft, verify, mainSteps, parallel, decoder } = this.ms;
    const ortMs = prefill + draft + verify + mainSteps + parallel + decoder;
    return {
      prefillMs: prefill,
      draftMs: draft,
      verifyMs: verify,
      mainStepsMs: mainSteps,
      mainSteps: this.mainSteps,
      parallelMs: parallel,
      decoderMs: decoder,
      rfsqMs: this.rfsqMs,
      totalMs,
      ortMs,
      // Never negative (results.json refuses negative latencies), even where rounding would make it -1e-13.
      overheadMs: Math.max(0, totalMs - ortMs),
    };
  }
}

/**
 * The record of a chunk from a policy that keeps none (a scripted or remote policy without RSD
 * stages): only its wall time, as the caller measured it.
 */
export function wallTimeRecord(strategy: Strategy, totalMs: number, batchSize = 1): ChunkRecord {
  const zero = { prefillMs: 0, draftMs: 0, verifyMs: 0, mainStepsMs: 0, mainSteps: 0, parallelMs: 0, decoderMs: 0, rfsqMs: 0, ortMs: 0 };
  return { strategy, accept: null, threshold: null, batchSize, layers: null, draftLayers: 0, acceptedLayers: 0, accepted: [], agreement: [], latency: { ...zero, totalMs, overheadMs: totalMs }, deviation: null };
}
