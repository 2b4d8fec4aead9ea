import type * as Ort from 'onnxruntime-node';
import type { LoadedBundle, Session } from '../bundle/bundle.js';
import { loadOnnxRuntime } from '../bundle/onnxruntime.js';
import { checkFinite, DecodingError } from './errors.js';
import type { StageClock } from './record.js';

/**
 * A layerwise main model behind one interface, with or without a KV cache (docs/bundle-format.md
 * "Models"), so the strategies are written once. A run holds one chunk's state: the positions
 * decoded so far (position i predicts layer i and reads layer i - 1's codes).
 */

export type Feeds = Record<string, Ort.Tensor>;

export interface MainRun {
  /** The prefill's `hidden` [B, H] (a draft reading main-hidden needs it); null without a cache. */
  readonly hidden: Ort.Tensor | null;
  /** Positions in the state; the next step's first position predicts this layer. */
  readonly positions: number;
  /**
   * Predicts the next n layers: `inputs` [B, n, P] holds the codes each new position reads (the
   * previous layer's; ignored for layer 0). Returns the new positions' logits [B, n, P, L].
   */
  step(inputs: BigInt64Array, n: number, stage: 'verify' | 'mainSteps'): Promise<Float32Array>;
  /** Keeps the first `positions` positions (drops the rejected tail of a verify step). */
  truncate(positions: number): void;
}

export interface LayerwiseMain {
  start(obs: Feeds, batch: number, clock: StageClock): Promise<MainRun>;
}

export function layerwiseMain(bundle: LoadedBundle): LayerwiseMain | null {
  const { main } = bundle.sessions;
  const m = bundle.manifest;
  if (main.decoding !== 'layerwise' || m.main.decoding !== 'layerwise') return null;
  const sizes = { P: m.rfsq.latentSize, L: m.rfsq.levels, stepFile: m.main.step };
  if (main.kvCache) {
    const prefill = main.prefill;
    const prefillFile = m.main.prefill!;
    return {
      async start(obs, batch, clock) {
        const out = await clock.run('prefill', prefillFile, () => prefill.run(obs));
        const key = out.past_key!;
        const hidden = out.hidden ?? null;
        if (hidden) checkFinite(hidden.data as Float32Array, prefillFile, 'hidden', hidden.dims);
        return new CachedRun(main.step, sizes, batch, clock, key, out.past_value!, hidden);
      },
    };
  }
  return { start: async (obs, batch, clock) => new UncachedRun(main.step, sizes, batch, clock, obs) };
}

interface Sizes {
  P: number;
  L: number;
  stepFile: string;
}

/** Logits [B, n, P, L] of a step, checked for shape and finiteness. */
function stepLogits(out: Ort.InferenceSession.ReturnType, s: Sizes, batch: number, n: number): Float32Array {
  const logits = out.logits!;
  const want = [batch, n, s.P, s.L];
  if (logits.dims.join() !== want.join()) throw new DecodingError(s.stepFile, `output "logits" has dims [${logits.dims.join(', ')}], expected [${want.join(', ')}]`);
  const data = logits.data as Float32Array;
  checkFinite(data, s.stepFile, 'logits', logits.dims);
  return data;
}

function int64(data: BigInt64Array, dims: number[]): Ort.Tensor {
  return new (loadOnnxRuntime().Tensor)('int64', data, dims);
}

/** layer_ids [B, n]: first, first + 1, .. for every item. */
function layerIds(batch: number, first: number, n: number): Ort.Tensor {
  const ids = new BigInt64Array(batch * n);
  for (let b = 0; b < batch; b++) for (let i = 0; i < n; i++) ids[b * n + i] = BigInt(first + i);
  return int64(ids, [batch, n]);
}

class CachedRun implements MainRun {
  positions = 0;
  /** Context length of the prefill (T0): the cache holds T0 + positions. */
  private readonly t0: number;

  constructor(
    private readonly session: Session,
    private readonly s: Sizes,
    private readonly batch: number,
    private readonly clock: StageClock,
    private key: Ort.Tensor,
    private value: Ort.Tensor,
    readonly hidden: Ort.Tensor | null,
  ) {
    this.t0 = key.dims[2]!;
  }

  async step(inputs: BigInt64Array, n: number, stage: 'verify' | 'mainSteps'): Promise<Float32Array> {
    const feeds = { codes: int64(inputs, [this.batch, n, this.s.P]), layer_ids: layerIds(this.batch, this.positions, n), past_key: this.key, past_value: this.value };
    const out = await this.clock.run(stage, this.s.stepFile, () => this.session.run(feeds));
    const logits = stepLogits(out, this.s, this.batch, n);
    this.key = out.present_key!;
    this.value = out.present_value!;
    this.positions += n;
    const T = this.t0 + this.positions;
    if (this.key.dims[2] !== T || this.value.dims[2] !== T) throw new DecodingError(this.s.stepFile, `output "present_key"/"present_value" has ${this.key.dims[2]}/${this.value.dims[2]} cache positions, expected T + n = ${T}`);
    return logits;
  }

  truncate(positions: number): void {
    if (positions === this.positions) return;
    this.key = cutCache(this.key, this.t0 + positions);
    this.value = cutCache(this.value, this.t0 + positions);
    this.positions = positions;
  }
}

/** The first `length` positions of a cache [B, K, T, D] along T (a copy: ORT tensors are dense). */
export function cutCache(t: Ort.Tensor, length: number): Ort.Tensor {
  const [B, K, T, D] = t.dims as [number, number, number, number];
  if (length > T) throw new Error(`cutCache: cannot keep ${length} of ${T} positions`);
  const src = t.data as Float32Array;
  const out = new Float32Array(B * K * length * D);
  for (let bk = 0; bk < B * K; bk++) out.set(src.subarray(bk * T * D, bk * T * D + length * D), bk * length * D);
  return new (loadOnnxRuntime().Tensor)('float32', out, [B, K, length, D]);
}

/** Without a cache every step re-reads the observation and the whole code prefix from layer 0. */
class UncachedRun implements MainRun {
  positions = 0;
  readonly hidden = null;
  /** [B, positions, P]: the codes each decoded position read. */
  private prefix = new BigInt64Array(0);

  constructor(
    private readonly session: Session,
    private readonly s: Sizes,
    private readonly batch: number,
    private readonly clock: StageClock,
    private readonly obs: Feeds,
  ) {}

  async step(inputs: BigInt64Array, n: number, stage: 'verify' | 'mainSteps'): Promise<Float32Array> {
    const { batch: B, s } = this;
    const total = this.positions + n;
    const row = s.P;
    const all = new BigInt64Array(B * total * row);
    for (let b = 0; b < B; b++) {
      all.set(this.prefix.subarray(b * this.positions * row, (b + 1) * this.positions * row), b * total * row);
      all.set(inputs.subarray(b * n * row, (b + 1) * n * row), (b * total + this.positions) * row);
    }
    const feeds = { ...this.obs, codes: int64(all, [B, total, row]), layer_ids: layerIds(B, 0, total) };
    const out = await this.clock.run(stage, this.s.stepFile, () => this.session.run(feeds));
    const logits = stepLogits(out, s, B, total);
    // Only the new positions' logits are wanted.
    const span = s.P * s.L;
    const fresh = new Float32Array(B * n * span);
    for (let b = 0; b < B; b++) fresh.set(logits.subarray((b * total + this.positions) * span, (b + 1) * total * span), b * n * span);
    this.prefix = all;
    this.positions = total;
    return fresh;
  }

  truncate(positions: number): void {
    if (positions === this.positions) return;
    const { batch: B } = this;
    const row = this.s.P;
    const kept = new BigInt64Array(B * positions * row);
    for (let b = 0; b < B; b++) kept.set(this.prefix.subarray(b * this.positions * row, (b * this.positions + positions) * row), b * positions * row);
    this.prefix = kept;
    this.positions = positions;
  }
}
