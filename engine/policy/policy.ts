import type { DecodingDepth } from '../api/schemas/run-config.js';
import type { Random } from '../decoding/categorical.js';
import type { ChunkRecord } from '../decoding/record.js';
import type { Observation } from '../sim/simulator.js';

/**
 * The policy seam (docs/architecture.md "Seams"): what the runner, the expert's policy perturbation and the
 * benchmarks hold. Kinds: a model bundle run in-process by the RSD engine (bundle-policy.ts) and a
 * policy server speaking openpi's protocol (remote/remote-policy.ts). `BatchingPolicy` (batching.ts)
 * wraps any of them to batch the requests of parallel episodes.
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
  /**
   * The final RFSQ level indices, [layers x positions] layer-major, where the policy decodes codes
   * (a bundle; a server that sends `rsd.codes`): benchmarks compare them across policies.
   */
  codes?: Int32Array;
}

/**
 * Some items of a batch failed and others did not (a remote policy answers each item on its own
 * connection): `outcomes[i]` is item i's chunk or its error. `BatchingPolicy` ends only the failed
 * items' episodes; a caller that does not look treats it as the whole batch failing.
 */
export class PartialBatchError extends Error {
  constructor(readonly outcomes: readonly (PolicyChunk | Error)[]) {
    const failed = outcomes.filter((o): o is Error => o instanceof Error);
    super(`${failed.length} of ${outcomes.length} items failed: ${failed[0]?.message ?? ''}`);
    this.name = 'PartialBatchError';
  }
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
  /** `chunk`: the actions of each chunk that run; 0 when a server's replies decide it. */
  action: { dim: number; chunk: number };
  /** How it decodes, for the run's configuration. */
  decoding: { strategy: ChunkRecord['strategy']; accept: ChunkRecord['accept']; threshold: number | null; depth?: DecodingDepth };
  /** Where it runs: an execution provider of this machine, or `remote` (a policy server). */
  executionProvider: { requested: 'cpu' | 'webgpu' | 'cuda' | 'auto' | 'remote'; used: 'cpu' | 'webgpu' | 'cuda' | 'remote'; reason: string | null };
  /** A remote policy's server, as run configurations record it (absent for in-process kinds). */
  remote?: RemotePolicyInfo;
}

/** What results.json records of a policy server (engine/api/schemas/run-config.ts `policy`). */
export interface RemotePolicyInfo {
  url: string;
  /** The profile: a shipped profile's name or a profile file's path. */
  profile: string;
  /** The server's own name for itself (metadata `server`), its policy's name and hash, where it said them. */
  server: string | null;
  name: string | null;
  hash: string | null;
}

export interface Policy {
  readonly metadata: PolicyMetadata;
  /**
   * Refuses, with a named error, tasks it cannot act on (an instruction it was not trained on, an
   * object it observes that the task lacks), before any episode runs.
   */
  check(tasks: readonly TaskContext[]): void;
  /**
   * One chunk per input, in order. An aborted signal rejects with the signal's reason. A policy
   * that can fail one item alone rejects with PartialBatchError.
   */
  inferBatch(inputs: readonly PolicyInput[], signal?: AbortSignal): Promise<PolicyChunk[]>;
  /** Before a run's episodes start: a stateful policy forgets what it held (openpi's `reset`). */
  reset(): void;
  close(): Promise<void>;
}
