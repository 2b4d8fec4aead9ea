import type * as Ort from 'onnxruntime-node';
import { loadBundle, type ExecutionProviderRequest, type LoadedBundle } from '../bundle/bundle.js';
import { cameraRequests, ObservationEncoder, observationFeeds } from '../bundle/observation.js';
import { postprocessChunk } from '../bundle/processing.js';
import type { AcceptRule } from '../decoding/acceptance.js';
import { Decoder, DEFAULT_THRESHOLD, zeroLevelOf } from '../decoding/decoder.js';
import type { Strategy } from '../decoding/record.js';
import { InputError } from '../util/input-error.js';
import type { Policy, PolicyChunk, PolicyInput, PolicyMetadata, TaskContext } from './policy.js';

/**
 * A model bundle (docs/bundle-format.md) as a `Policy`: observations encoded for the bundle's
 * tensors, one batch of them decoded by the RSD engine (engine/decoding) with the chosen strategy,
 * the normalised chunk turned into env actions. The one place that chains those steps: the
 * runner, the expert's policy perturbation and `rsd bench eval` all hold it.
 */

export interface BundlePolicyOptions {
  dir: string;
  /** Default: speculative where the bundle has a draft, else its only strategy. */
  decoding?: Strategy;
  /** Speculative only; default `exact`. */
  accept?: AcceptRule;
  /** `threshold`'s tau; default 0.7. */
  threshold?: number;
  /** RFSQ layers decoded, D in 1..Q (autoregressive, speculative); default every layer. */
  layers?: number;
  ep?: ExecutionProviderRequest;
  /** The decoder's own random stream, for sampled decoding without per-input streams. */
  seed?: number;
  sessionOptions?: Omit<Ort.InferenceSession.SessionOptions, 'executionProviders'>;
}

/** Raised when the options ask what the bundle cannot do; `field` names the option. */
export class BundlePolicyError extends InputError {
  constructor(field: string, message: string) {
    super(field, message);
    this.name = 'BundlePolicyError';
  }
}

export class BundlePolicy implements Policy {
  readonly metadata: PolicyMetadata;
  private readonly encoders = new Map<string, ObservationEncoder>();

  private constructor(
    readonly bundle: LoadedBundle,
    private readonly decoder: Decoder,
    readonly strategy: Strategy,
    private readonly accept: AcceptRule | null,
    private readonly threshold: number | null,
    /** Layers decoded, or null for every layer. */
    private readonly layers: number | null,
  ) {
    const { manifest } = bundle;
    const obs = manifest.observation;
    const choice = bundle.epChoice;
    this.metadata = {
      kind: 'bundle',
      name: manifest.name,
      hash: `sha256:${bundle.hash}`,
      observation: {
        // The sizes the simulator renders (the runner passes them on); the encoder resamples to the tensors'.
        cameras: cameraRequests(manifest),
        proprio: obs.proprio.dim,
        objectPoses: obs.objectPoses.entities.length > 0,
        instruction: true,
      },
      action: { dim: manifest.action.dim, chunk: manifest.action.chunk },
      decoding: { strategy, accept, threshold, ...(layers !== null ? { depth: { layers, of: manifest.rfsq.layers } } : {}) },
      executionProvider: {
        requested: choice.requested,
        used: choice.chosen,
        reason: choice.attempts.length > 1 || choice.requested === 'auto' ? choice.attempts.map((a) => `${a.ep}: ${a.reason}`).join('; ') : null,
      },
    };
  }

  static async load(options: BundlePolicyOptions): Promise<BundlePolicy> {
    const bundle = await loadBundle(options.dir, { ep: options.ep ?? 'cpu', ...(options.sessionOptions ? { sessionOptions: options.sessionOptions } : {}) });
    try {
      const decoder = new Decoder(bundle, options.seed === undefined ? {} : { seed: options.seed });
      const supported = decoder.strategies();
      const strategy = options.decoding ?? (supported.includes('speculative') ? 'speculative' : supported[0]!);
      if (!supported.includes(strategy)) {
        throw new BundlePolicyError('decoding', `bundle "${bundle.manifest.name}" cannot decode "${strategy}": it supports ${supported.join(', ')}`);
      }
      const accept = strategy === 'speculative' ? (options.accept ?? 'exact') : null;
      const threshold = accept === 'threshold' ? (options.threshold ?? DEFAULT_THRESHOLD) : null;
      return new BundlePolicy(bundle, decoder, strategy, accept, threshold, checkedLayers(options.layers, bundle, strategy));
    } catch (error) {
      await bundle.release();
      throw error;
    }
  }

  check(tasks: readonly TaskContext[]): void {
    for (const task of tasks) this.encoder(task);
  }

  async inferBatch(inputs: readonly PolicyInput[], signal?: AbortSignal): Promise<PolicyChunk[]> {
    signal?.throwIfAborted();
    const { manifest } = this.bundle;
    const feeds = observationFeeds(manifest, inputs.map((input) => this.encoder(input.task).encode(input.observation)));
    const rngs = inputs.every((input) => input.rng) ? inputs.map((input) => input.rng!) : undefined;
    const chunks = await this.decoder.decodeBatch(feeds, {
      strategy: this.strategy,
      ...(this.accept ? { accept: this.accept } : {}),
      ...(this.threshold !== null ? { threshold: this.threshold } : {}),
      ...(this.layers !== null ? { layers: this.layers } : {}),
      ...(rngs ? { rng: rngs } : {}),
    });
    return chunks.map((chunk) => ({ actions: postprocessChunk(chunk.actionsNormalized, manifest.action), record: chunk.record, codes: chunk.codes }));
  }

  reset(): void {}

  close(): Promise<void> {
    return this.bundle.release();
  }

  /** One encoder per task: it maps the task's objects and instruction to the bundle's tensors. */
  private encoder(task: TaskContext): ObservationEncoder {
    const key = `${task.suite}\n${task.taskId}\n${task.instruction}\n${task.objects.join(',')}`;
    let encoder = this.encoders.get(key);
    if (!encoder) this.encoders.set(key, (encoder = new ObservationEncoder(this.bundle.manifest, task.objects, task.instruction)));
    return encoder;
  }
}

/**
 * The depth option against the bundle: an integer in 1..Q, fewer than Q only for autoregressive and
 * speculative decoding of odd level counts (engine/decoding/decoder.ts). Null: every layer (Q
 * asked is every layer too, and recorded as such).
 */
function checkedLayers(layers: number | undefined, bundle: LoadedBundle, strategy: Strategy): number | null {
  if (layers === undefined) return null;
  const { layers: Q, levels: L } = bundle.manifest.rfsq;
  const name = bundle.manifest.name;
  if (!(Number.isInteger(layers) && layers >= 1 && layers <= Q)) throw new BundlePolicyError('layers', `${layers} is not a depth of bundle "${name}": expected an integer in 1..${Q} (its RFSQ layers)`);
  if (layers === Q) return null;
  if (strategy === 'parallel') throw new BundlePolicyError('layers', `${layers} of ${Q}: parallel decoding decodes every layer in one run; fewer layers apply to autoregressive and speculative decoding`);
  if (zeroLevelOf(L) === null) throw new BundlePolicyError('layers', `${layers} of ${Q}: bundle "${name}" has an even level count (rfsq.levels = ${L}), so no level has value 0 for the layers left out`);
  return layers;
}
