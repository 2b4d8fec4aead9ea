import type * as Ort from 'onnxruntime-node';
import { SeededRandom } from '../onnx/random.js';
import type { LoadedBundle } from '../bundle/bundle.js';
import type { Manifest } from '../bundle/manifest.js';
import { loadOnnxRuntime } from '../bundle/onnxruntime.js';
import { levelSpec, levelValue, Rfsq } from '../rfsq/index.js';
import { ACCEPT_RULES, Acceptor, type AcceptRule } from './acceptance.js';
import { argmaxRow, type Random } from './categorical.js';
import { checkFinite, DecodingError } from './errors.js';
import { layerwiseMain, type Feeds, type LayerwiseMain, type MainRun } from './layerwise.js';
import { STRATEGIES, StageClock, type ChunkRecord, type Strategy } from './record.js';

/**
 * Decodes action chunks from a loaded bundle with one of the strategies of docs/bundle-format.md
 * "Decoding": `parallel`, `autoregressive` (the honest baseline) or `speculative` (draft proposes
 * k coarse layers, one verify step scores them, the longest accepted prefix is kept, the main
 * model continues layer by layer).
 *
 * Greedy choices are argmax with ties to the first maximum (the lowest level). Under `stochastic`
 * the whole chunk is sampled: the draft proposes by sampling softmax(draft), and layers the main
 * model decodes itself are sampled from softmax(main), so the codes are distributed exactly as
 * sampling the main model layer by layer (its deviation is reported against greedy decoding).
 *
 * Batches (B > 1, e.g. parallel environments): every item accepts on its own. The verify step runs
 * for the whole batch; the cache is then cut back to the shortest kept prefix of the batch, and the
 * following steps run for all items together. An item whose prefix was longer already knows those
 * layers: its step outputs there are ignored and its known codes are fed (the recomputed cache
 * positions equal the cut ones), and it draws no random numbers there. So each item's codes are
 * those it would get alone (with one Random per item under `stochastic`); the batch pays the steps
 * of its least accepted item. The alternative, a cache per item, would cost one run per item.
 *
 * Depth (`layers` D < Q, the "anytime" mode): only layers 0..D-1 are decoded; layers D..Q-1 take
 * the level whose value is 0, so they add nothing to the latent. Autoregressive runs prefill + D
 * steps; speculative cuts the draft's proposals to min(k, D), verifies n = min(k + 1, D) positions
 * and steps up to layer D - 1. Exact at depth D equals autoregressive at depth D code for code.
 */

export interface DecodeOptions {
  strategy: Strategy;
  /** Speculative acceptance rule; default `exact`. */
  accept?: AcceptRule;
  /** `threshold`'s tau in [0, 1]; default 0.7. */
  threshold?: number;
  /** Layers the draft proposes, k: 1..draft.layers; default the manifest's draft.layers (cut to `layers`). */
  draftLayers?: number;
  /** RFSQ layers decoded, D: 1..Q (autoregressive, speculative); default Q. The rest take the zero level. */
  layers?: number;
  /**
   * Seeded uniform numbers for `stochastic`: one for the batch, or one per batch item (then each
   * item's result does not depend on what it was batched with). Default: the decoder's own stream.
   */
  rng?: Random | readonly Random[];
  /**
   * Also decode main-only greedy (autoregressive, extra runs outside the chunk's latency) and
   * record how many final codes differ. Default true for `threshold`, false otherwise.
   */
  checkDeviation?: boolean;
}

export interface DecodedChunk {
  /** [Q x P] level indices, layer-major. */
  codes: Int32Array;
  /** [P]: Σ_q scale_q · value(code_q). */
  latent: Float32Array;
  /** [C x 7]: the decoder's normalised actions (postprocessChunk makes env actions of them). */
  actionsNormalized: Float32Array;
  record: ChunkRecord;
}

export const DEFAULT_THRESHOLD = 0.7;

interface Resolved {
  strategy: Strategy;
  accept: AcceptRule;
  threshold: number;
  /** k, already cut to `layers`. */
  draftLayers: number;
  layers: number;
  checkDeviation: boolean;
}

/** Per-item outcome of the layer decoding (before the RFSQ decoder). */
interface Layers {
  /** [B x Q x P]. */
  codes: Int32Array;
  /** [B]: accepted prefix length per item (speculative). */
  accepted: Int32Array | null;
  /** [B x k]: per proposed layer, codes matching the main argmax / P. */
  agreement: Float64Array | null;
}

/** How a layer the main model decodes itself is chosen: code for logits row at `offset`, item b. */
type Pick = (logits: Float32Array, offset: number, b: number) => number;

export class Decoder {
  readonly manifest: Manifest;
  private readonly rfsq: Rfsq;
  private readonly main: LayerwiseMain | null;
  private readonly defaultRng: Random;
  private readonly Q: number;
  private readonly P: number;
  private readonly L: number;
  /** The level whose value is 0 (odd L), which layers past the decoded depth take; null for even L. */
  private readonly zeroLevel: number | null;

  constructor(
    readonly bundle: LoadedBundle,
    /** Seed of the decoder's own stream, used by `stochastic` when no rng is given. */
    options: { seed?: number } = {},
  ) {
    const m = (this.manifest = bundle.manifest);
    this.Q = m.rfsq.layers;
    this.P = m.rfsq.latentSize;
    this.L = m.rfsq.levels;
    this.rfsq = new Rfsq({ layers: this.Q, levels: [this.L], latentDim: this.P, scales: m.rfsq.scales, bound: m.rfsq.bound });
    this.main = layerwiseMain(bundle);
    this.zeroLevel = zeroLevelOf(this.L);
    this.defaultRng = new SeededRandom(options.seed ?? 0);
  }

  /** Strategies this bundle supports. */
  strategies(): Strategy[] {
    if (!this.main) return ['parallel'];
    return this.bundle.sessions.draft ? ['autoregressive', 'speculative'] : ['autoregressive'];
  }

  /** One chunk from an observation of batch 1. */
  async decodeChunk(obs: Feeds, options: DecodeOptions): Promise<DecodedChunk> {
    const batch = batchOf(obs);
    if (batch !== 1) throw new DecodingError('observation', `decodeChunk takes a batch of 1, got ${batch} (use decodeBatch)`);
    return (await this.decodeBatch(obs, options))[0]!;
  }

  /** One chunk per batch item, decoded in shared runs; every item gets its own record. */
  async decodeBatch(obs: Feeds, options: DecodeOptions): Promise<DecodedChunk[]> {
    const opts = this.resolve(options);
    const B = batchOf(obs);
    const rngOf = this.rngs(options.rng, B);
    const clock = new StageClock();
    const layers =
      opts.strategy === 'parallel' ? await this.parallel(obs, B, clock) : opts.strategy === 'autoregressive' ? await this.autoregressive(obs, B, opts.layers, clock) : await this.speculative(obs, B, opts, rngOf, clock);
    this.zeroPast(layers.codes, B, opts.layers);
    const { latents, actions } = await this.decodeCodes(layers.codes, B, clock);
    const latency = clock.finish();
    // Deviation is against main-only greedy decoding of the same depth.
    let greedy: Int32Array | null = null;
    if (opts.checkDeviation && opts.strategy === 'speculative') {
      greedy = (await this.autoregressive(obs, B, opts.layers, new StageClock())).codes;
      this.zeroPast(greedy, B, opts.layers);
    }

    const { Q, P } = this;
    const C7 = this.manifest.action.chunk * this.manifest.action.dim;
    const k = opts.strategy === 'speculative' ? opts.draftLayers : 0;
    return Array.from({ length: B }, (_, b): DecodedChunk => {
      const codes = layers.codes.slice(b * Q * P, (b + 1) * Q * P);
      const a = layers.accepted?.[b] ?? 0;
      let deviation: ChunkRecord['deviation'] = null;
      if (greedy) {
        let differing = 0;
        for (let i = 0; i < Q * P; i++) if (codes[i] !== greedy[b * Q * P + i]) differing++;
        deviation = { differs: differing > 0, codes: differing };
      }
      return {
        codes,
        latent: latents.slice(b * P, (b + 1) * P),
        actionsNormalized: actions.slice(b * C7, (b + 1) * C7),
        record: {
          strategy: opts.strategy,
          accept: opts.strategy === 'speculative' ? opts.accept : null,
          threshold: opts.strategy === 'speculative' && opts.accept === 'threshold' ? opts.threshold : null,
          batchSize: B,
          layers: opts.layers,
          draftLayers: k,
          acceptedLayers: a,
          accepted: Array.from({ length: k }, (_, j) => j < a),
          agreement: Array.from({ length: k }, (_, j) => layers.agreement![b * k + j]!),
          latency: { ...latency },
          deviation,
        },
      };
    });
  }

  // ---- strategies ----

  private async parallel(obs: Feeds, B: number, clock: StageClock): Promise<Layers> {
    const { main } = this.bundle.sessions;
    if (main.decoding !== 'parallel' || this.manifest.main.decoding !== 'parallel') {
      throw new DecodingError(`bundle "${this.manifest.name}"`, `parallel decoding needs a parallel main model; this bundle's main model is ${this.manifest.main.decoding} (use autoregressive or speculative)`);
    }
    const file = this.manifest.main.model;
    const out = await clock.run('parallel', file, () => main.parallel.run(obs));
    const logits = checkedLogits(out, file, [B, this.Q, this.P, this.L]);
    const codes = new Int32Array(B * this.Q * this.P);
    for (let i = 0; i < codes.length; i++) codes[i] = argmaxRow(logits, i * this.L, this.L);
    return { codes, accepted: null, agreement: null };
  }

  /** Prefill, then D steps of one layer each, greedy. */
  private async autoregressive(obs: Feeds, B: number, D: number, clock: StageClock): Promise<Layers> {
    const run = await this.layerwise('autoregressive').start(obs, B, clock);
    const codes = new Int32Array(B * this.Q * this.P);
    await this.continueLayers(run, codes, B, null, D, (logits, offset) => argmaxRow(logits, offset, this.L));
    return { codes, accepted: null, agreement: null };
  }

  private async speculative(obs: Feeds, B: number, opts: Resolved, rngOf: (b: number) => Random, clock: StageClock): Promise<Layers> {
    const main = this.layerwise('speculative');
    const draft = this.bundle.sessions.draft;
    const draftSpec = this.manifest.draft;
    if (!draft || !draftSpec) throw new DecodingError(`bundle "${this.manifest.name}"`, 'speculative decoding needs a draft model; this bundle has none (use autoregressive)');
    const { Q, P, L } = this;
    const k = opts.draftLayers;
    const D = opts.layers;
    const kD = draftSpec.layers;
    const acceptor = new Acceptor(opts.accept, P, L, opts.threshold);
    const stochastic = opts.accept === 'stochastic';
    const rng = (b: number) => (stochastic ? rngOf(b) : null);

    const run = await main.start(obs, B, clock);
    const draftOut = await clock.run('draft', draftSpec.model, () => draft.run(draftSpec.reads === 'main-hidden' ? { hidden: run.hidden! } : obs));
    const draftLogits = checkedLogits(draftOut, draftSpec.model, [B, kD, P, L]);
    const proposed = new Int32Array(B * k * P);
    for (let b = 0; b < B; b++) for (let j = 0; j < k; j++) for (let c = 0; c < P; c++) proposed[(b * k + j) * P + c] = acceptor.propose(draftLogits, ((b * kD + j) * P + c) * L, rng(b));

    // One step scores every proposal: position i predicts layer i reading proposal i - 1; with
    // k < D position k also gives the main model's layer k.
    const n = Math.min(k + 1, D);
    const inputs = new BigInt64Array(B * n * P);
    for (let b = 0; b < B; b++) for (let i = 1; i < n; i++) for (let c = 0; c < P; c++) inputs[(b * n + i) * P + c] = BigInt(proposed[(b * k + i - 1) * P + c]!);
    const verify = await run.step(inputs, n, 'verify');

    const codes = new Int32Array(B * Q * P);
    const accepted = new Int32Array(B);
    const agreement = new Float64Array(B * k);
    for (let b = 0; b < B; b++) {
      let a = k;
      for (let j = 0; j < k; j++) {
        const layer = { main: verify, mainOffset: (b * n + j) * P * L, draft: draftLogits, draftOffset: (b * kD + j) * P * L, proposed, proposedOffset: (b * k + j) * P };
        // Past the first rejection only agreement is measured: the rule decides (and draws) inside the prefix.
        if (a < k) {
          agreement[b * k + j] = acceptor.matches(layer) / P;
          continue;
        }
        const verdict = acceptor.judge(layer, rng(b), codes, (b * Q + j) * P);
        agreement[b * k + j] = verdict.matches / P;
        if (!verdict.accepted) a = j;
      }
      if (a === k && k < D) for (let c = 0; c < P; c++) codes[(b * Q + k) * P + c] = acceptor.pick(verify, ((b * n + k) * P + c) * L, rng(b));
      accepted[b] = a;
    }

    // Layers 0..a are final for each item; the batch continues from its shortest prefix.
    const shortest = accepted.reduce((m, a) => Math.min(m, a), k);
    if (shortest + 1 < D) {
      run.truncate(shortest + 1);
      await this.continueLayers(run, codes, B, accepted, D, (logits, offset, b) => acceptor.pick(logits, offset, rng(b)));
    }
    return { codes, accepted, agreement };
  }

  /**
   * Steps the main model one layer at a time from layer run.positions to D - 1. Item b already
   * knows layers 0..known[b]: those positions are fed its codes and their outputs are ignored.
   */
  private async continueLayers(run: MainRun, codes: Int32Array, B: number, known: Int32Array | null, D: number, pick: Pick): Promise<void> {
    const { Q, P, L } = this;
    for (let l = run.positions; l < D; l++) {
      const inputs = new BigInt64Array(B * P);
      if (l > 0) for (let b = 0; b < B; b++) for (let c = 0; c < P; c++) inputs[b * P + c] = BigInt(codes[(b * Q + l - 1) * P + c]!);
      const logits = await run.step(inputs, 1, 'mainSteps');
      for (let b = 0; b < B; b++) {
        if (known && l <= known[b]!) continue;
        for (let c = 0; c < P; c++) codes[(b * Q + l) * P + c] = pick(logits, (b * P + c) * L, b);
      }
    }
  }

  /** Layers D..Q-1 of every item take the zero level: they add nothing to the latent. */
  private zeroPast(codes: Int32Array, B: number, D: number): void {
    if (D === this.Q) return;
    const { Q, P } = this;
    for (let b = 0; b < B; b++) codes.fill(this.zeroLevel!, (b * Q + D) * P, (b + 1) * Q * P);
  }

  /** Codes to latents (TypeScript) to normalised actions (the bundle's decoder model). */
  private async decodeCodes(codes: Int32Array, B: number, clock: StageClock): Promise<{ latents: Float32Array; actions: Float32Array }> {
    const t = performance.now();
    const latents = this.rfsq.decodeBatch(codes);
    clock.rfsqMs += performance.now() - t;
    const { chunk, dim } = this.manifest.action;
    const latent = new (loadOnnxRuntime().Tensor)('float32', latents, [B, this.P]);
    const file = this.manifest.rfsq.decoder;
    const out = await clock.run('decoder', file, () => this.bundle.sessions.decoder.run({ latent }));
    const actions = out.actions!;
    const want = [B, chunk, dim];
    if (actions.dims.join() !== want.join()) throw new DecodingError(file, `output "actions" has dims [${actions.dims.join(', ')}], expected [${want.join(', ')}]`);
    checkFinite(actions.data as Float32Array, file, 'actions', actions.dims);
    return { latents, actions: actions.data as Float32Array };
  }

  // ---- options ----

  private layerwise(strategy: Strategy): LayerwiseMain {
    if (!this.main) throw new DecodingError(`bundle "${this.manifest.name}"`, `${strategy} decoding needs a layerwise main model; this bundle's main model is parallel (use parallel)`);
    return this.main;
  }

  private resolve(o: DecodeOptions): Resolved {
    if (!STRATEGIES.includes(o.strategy)) throw new DecodingError('strategy', `"${String(o.strategy)}" is not one of ${STRATEGIES.join(', ')}`);
    const accept = o.accept ?? 'exact';
    if (!ACCEPT_RULES.includes(accept)) throw new DecodingError('accept', `"${String(accept)}" is not one of ${ACCEPT_RULES.join(', ')}`);
    const threshold = o.threshold ?? DEFAULT_THRESHOLD;
    if (!(Number.isFinite(threshold) && threshold >= 0 && threshold <= 1)) throw new DecodingError('threshold', `${threshold} must be in [0, 1]`);
    const available = this.manifest.draft?.layers ?? 0;
    const draftLayers = o.draftLayers ?? available;
    if (o.strategy === 'speculative' && !(Number.isInteger(draftLayers) && draftLayers >= 1 && draftLayers <= available)) {
      throw new DecodingError('draftLayers', `${draftLayers} must be an integer in 1..${available} (the draft's layers)`);
    }
    const layers = this.resolveLayers(o.layers, o.strategy);
    return { strategy: o.strategy, accept, threshold, draftLayers: Math.min(draftLayers, layers), layers, checkDeviation: o.checkDeviation ?? accept === 'threshold' };
  }

  private resolveLayers(layers: number | undefined, strategy: Strategy): number {
    const { Q, L } = this;
    if (layers === undefined) return Q;
    if (!(Number.isInteger(layers) && layers >= 1 && layers <= Q)) throw new DecodingError('layers', `${layers} must be an integer in 1..${Q} (the bundle's RFSQ layers)`);
    if (layers === Q) return Q;
    if (strategy === 'parallel') throw new DecodingError('layers', `${layers} of ${Q}: decoding fewer layers applies to autoregressive and speculative decoding (parallel decodes every layer in one run)`);
    if (this.zeroLevel === null) throw new DecodingError('layers', `${layers} of ${Q}: the bundle's rfsq.levels = ${L} is even, so no level has value 0 for the layers left out; decode all ${Q} layers`);
    return layers;
  }

  private rngs(rng: DecodeOptions['rng'], B: number): (b: number) => Random {
    if (rng === undefined) return () => this.defaultRng;
    if (!Array.isArray(rng)) return () => rng as Random;
    if (rng.length !== B) throw new DecodingError('rng', `${rng.length} generators for a batch of ${B} (give one, or one per item)`);
    return (b) => rng[b]!;
  }
}

/** The level index whose value is 0: (L - 1)/2 for odd L (engine/rfsq/fsq.ts levelValue); null for even L. */
export function zeroLevelOf(L: number): number | null {
  const spec = levelSpec(L);
  for (let i = 0; i < L; i++) if (levelValue(i, spec) === 0) return i;
  return null;
}

/** The batch size shared by every observation tensor. */
export function batchOf(obs: Feeds): number {
  const entries = Object.entries(obs);
  if (entries.length === 0) throw new DecodingError('observation', 'no input tensors');
  const B = entries[0]![1].dims[0];
  for (const [name, t] of entries) {
    if (t.dims[0] !== B) throw new DecodingError('observation', `"${name}" has batch ${t.dims[0]}, "${entries[0]![0]}" has ${B}`);
  }
  if (!(B !== undefined && B >= 1)) throw new DecodingError('observation', `batch must be at least 1, got ${B}`);
  return B;
}

/** A model's `logits` output, checked for dims and finiteness. */
function checkedLogits(out: Ort.InferenceSession.ReturnType, file: string, want: number[]): Float32Array {
  const logits = out.logits!;
  if (logits.dims.join() !== want.join()) throw new DecodingError(file, `output "logits" has dims [${logits.dims.join(', ')}], expected [${want.join(', ')}]`);
  const data = logits.data as Float32Array;
  checkFinite(data, file, 'logits', logits.dims);
  return data;
}
