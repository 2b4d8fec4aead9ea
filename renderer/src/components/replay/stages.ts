import type { EpisodeChunks } from '../../../../engine/api/schemas/results.js';
import type { DecodingStrategy } from '../../../../engine/api/schemas/run-config.js';
import type { TrajectoryChunk } from '../../../../engine/api/schemas/trajectory.js';

/**
 * A chunk's latency per decoding stage, for the stages a decoding kind has: speculative decoding
 * drafts, verifies and finishes with main steps; autoregressive decoding only runs main steps;
 * parallel decoding runs its parallel heads once and has none of the others. A stage the kind does
 * not have is `null` (shown as n/a, never as 0.00 ms).
 */
export interface StageTime {
  label: string;
  /** Milliseconds; null: this decoding has no such stage; undefined: it has one, but the run recorded no time for it. */
  ms: number | null | undefined;
}

const STAGES = [
  { label: 'draft', has: (d: DecodingStrategy) => d === 'speculative', ms: (c: TrajectoryChunk) => c.draftMs },
  { label: 'verify', has: (d: DecodingStrategy) => d === 'speculative', ms: (c: TrajectoryChunk) => c.verifyMs },
  { label: 'main steps', has: (d: DecodingStrategy) => d !== 'parallel', ms: (c: TrajectoryChunk) => c.mainStepsMs },
] as const;

/**
 * The stages of chunk `index` under `decoding`. The trajectory keeps draft, verify and main-step
 * times; the parallel heads' time is in the run's results (`recorded`, the episode's column-wise
 * chunks, in the same order as the trajectory's).
 */
export function chunkStages(decoding: DecodingStrategy, chunk: TrajectoryChunk, index: number, recorded: Pick<EpisodeChunks, 'latency'> | null): StageTime[] {
  const stages: StageTime[] = STAGES.map((s) => ({ label: s.label, ms: s.has(decoding) ? s.ms(chunk) : null }));
  stages.push({ label: 'parallel heads', ms: decoding === 'parallel' ? recorded?.latency.parallelMs[index] : null });
  return stages;
}

/** `draft 1.2` / `draft n/a` / `parallel heads not recorded`. */
export function stageText(s: StageTime): string {
  if (s.ms === null) return `${s.label} n/a`;
  if (s.ms === undefined) return `${s.label} not recorded`;
  return `${s.label} ${s.ms.toFixed(1)}`;
}
