import type { Random } from '../decoding/categorical.js';
import type { ChunkRecord } from '../decoding/record.js';
import type { Observation } from '../sim/simulator.js';

/**
 * The policy seam (docs/architecture.md "Seams"): what the runner, the expert's policy perturbation and the
 * benchmarks hold. Kinds: a model bundle run in-process by the RSD engine (bundle-policy.ts);
 * later a remote policy server. `BatchingPolicy` (batching.ts) wraps any of them to batch the
 * requests of parallel episodes.
 */

/** The task an observation comes from: what a policy needs besides the observation. */
export interface TaskContext {
  suite: string;
  taskId: number;
  instruction: string;
  /** The task's objects in the order the simulator reports their poses. */
  objects: readonly string[];
}

export interface PolicyInput {
  observation: Observation;
  task: TaskContext;
  /** The episode's random stream, for sampled decoding: an item's actions then do not depend on its batch. */
  rng?: Random;
}

export interface PolicyChunk {
  /** [chunk x dim] env actions, row-major. */
  actions: Float64Array;
  /** What decoding this chunk did, where the policy has such a record (the RSD engine's stages). */
  record: ChunkRecord | null;
}

/** What a policy needs and gives, and what results.json records of it. */
export interface PolicyMetadata {
  /** The kind, as run configurations name it. */
  kind: string;
  name: string;
  /** A content hash or server identity: two runs with the same hash ran the same policy. */
  hash: string;
  observation: {
    cameras: readonly { name: string; width: number; height: number }[];
    proprio: number;
    objectPoses: boolean;
    instruction: boolean;
  };
  action: { dim: number; chunk: number };
  /** How it decodes, for the run's configuration. */
  decoding: { strategy: ChunkRecord['strategy']; accept: ChunkRecord['accept']; threshold: number | null };
  executionProvider: { requested: 'cpu' | 'webgpu' | 'cuda' | 'auto'; used: 'cpu' | 'webgpu' | 'cuda'; reason: string | null };
}

export interface Policy {
  readonly metadata: PolicyMetadata;
  /**
   * Refuses, with a named error, tasks it cannot act on (an instruction it was not trained on, an
   * object it observes that the task lacks), before any episode runs.
   */
  check(tasks: readonly TaskContext[]): void;
  /** One chunk per input, in order. An aborted signal rejects with the signal's reason. */
  inferBatch(inputs: readonly PolicyInput[], signal?: AbortSignal): Promise<PolicyChunk[]>;
  /** Before a run's episodes start: a stateful policy forgets what it held (openpi's `reset`). */
  reset(): void;
  close(): Promise<void>;
}
