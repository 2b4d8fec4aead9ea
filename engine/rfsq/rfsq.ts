/**
 * Residual FSQ (docs/rfsq.md 2): layer q quantizes the residual left by layers 0..q-1 at
 * scale s_q, so coarse layers carry most of the latent and a prefix of layers decodes on its own.
 *
 *   r = x, x^ = 0
 *   for q in 0..layers-1:  i_q = fsq(r / s_q);  d_q = value(i_q) * s_q;  x^ += d_q;  r -= d_q
 *   decode(codes, k) = sum_{q<k} value(i_q) * s_q       (layers k.. contribute zero)
 *
 * Each latent scalar is coded independently, so channel c's codes depend only on latent[c].
 * Default scales: s_q = (L_c - 1)^-q per channel (as lucidrains' ResidualFSQ); with one level count
 * for every channel that is the (L-1)^-q of the manifest. Given scales apply per layer to all channels.
 *
 * Exactness: encode's reconstruction and decode add the same float64 terms (one table, value * s)
 * in the same order from 0, then round once to float32, so decode(encode(x).codes) === recon bit
 * for bit (docs/rfsq.md 3: verify decode(indices) equals the forward reconstruction).
 *
 * Layouts (row-major): latent [latentDim]; codes [layers x latentDim], codes[q * latentDim + c];
 * batches put items first: latents [n x latentDim], codes [n x layers x latentDim].
 */
import { fail, positiveInt } from './errors.js';
import { checkLevels, levelIndexOf, levelSpec, levelValue, type Bound, type LevelSpec } from './fsq.js';

export interface RfsqConfig {
  layers: number;
  /** Levels per channel; channel c uses levels[c % levels.length], so [7] means 7 everywhere. */
  levels: number[];
  latentDim: number;
  /** One scale per layer; default (L - 1)^-q per channel. */
  scales?: number[];
  bound: Bound;
}

export interface Encoded {
  codes: Int32Array;
  recon: Float32Array;
}

export interface DecodeBatchOptions {
  /** Layers stored per item in `codes` (a draft's coarse prefix stores fewer); default `layers`. */
  layersPresent?: number;
  /** Sum layers [0, upToLayer); default layersPresent. */
  upToLayer?: number;
  /** Written in place and returned (length n x latentDim), so a caller's loop allocates nothing. */
  out?: Float32Array;
}

export class Rfsq {
  readonly layers: number;
  readonly latentDim: number;
  readonly levels: readonly number[];
  readonly bound: Bound;
  private readonly specs: LevelSpec[];
  private readonly maxLevels: number;
  /** [layers x levels.length]: s_q per level group. */
  private readonly scales: Float64Array;
  /** [layers x levels.length x maxLevels]: value(i) * s_q, the one table encode and decode share. */
  private readonly terms: Float64Array;

  constructor(config: RfsqConfig) {
    if (typeof config !== 'object' || config === null) fail('config', 'config must be an object');
    this.layers = positiveInt('layers', config.layers);
    this.latentDim = positiveInt('latentDim', config.latentDim);
    this.levels = checkLevels(config.levels);
    const groups = this.levels.length;
    if (this.latentDim % groups !== 0) {
      fail('levels', `levels has ${groups} entries, which does not divide latentDim = ${this.latentDim} (channel c uses levels[c % ${groups}])`);
    }
    if (config.bound !== 'tanh' && config.bound !== 'clamp') fail('bound', `bound = ${String(config.bound)} must be 'tanh' or 'clamp'`);
    this.bound = config.bound;
    this.specs = this.levels.map(levelSpec);
    this.maxLevels = Math.max(...this.levels);

    const given = config.scales === undefined ? undefined : checkScales(config.scales, this.layers);
    this.scales = new Float64Array(this.layers * groups);
    this.terms = new Float64Array(this.layers * groups * this.maxLevels);
    for (let q = 0; q < this.layers; q++) {
      for (let g = 0; g < groups; g++) {
        const spec = this.specs[g]!;
        const s = given?.[q] ?? Math.pow(spec.levels - 1, -q);
        this.scales[q * groups + g] = s;
        for (let i = 0; i < spec.levels; i++) this.terms[(q * groups + g) * this.maxLevels + i] = levelValue(i, spec) * s;
      }
    }
  }

  /** Level count of a latent channel. */
  levelsOf(channel: number): number {
    return this.levels[channel % this.levels.length]!;
  }

  scale(layer: number, channel: number): number {
    return this.scales[layer * this.levels.length + (channel % this.levels.length)]!;
  }

  /** What level index `index` of `layer` adds to latent channel `channel`. */
  term(layer: number, channel: number, index: number): number {
    return this.terms[(layer * this.levels.length + (channel % this.levels.length)) * this.maxLevels + index]!;
  }

  encode(latent: ArrayLike<number>): Encoded {
    if (latent.length !== this.latentDim) fail('latent', `latent has ${latent.length} entries; expected latentDim = ${this.latentDim}`);
    const out = { codes: new Int32Array(this.layers * this.latentDim), recon: new Float32Array(this.latentDim) };
    this.encodeInto(latent, 1, out, false);
    return out;
  }

  /** latents [n x latentDim] -> codes [n x layers x latentDim], recon [n x latentDim]. */
  encodeBatch(latents: ArrayLike<number>, out?: Encoded): Encoded {
    const n = this.itemsOf(latents.length, this.latentDim, 'latents', 'latentDim');
    const target = out ?? { codes: new Int32Array(n * this.layers * this.latentDim), recon: new Float32Array(n * this.latentDim) };
    expectLength('out.codes', target.codes.length, n * this.layers * this.latentDim, 'n x layers x latentDim');
    expectLength('out.recon', target.recon.length, n * this.latentDim, 'n x latentDim');
    this.encodeInto(latents, n, target, true);
    return target;
  }

  /** codes [k x latentDim] with k <= layers (a coarse prefix decodes alone) -> latent [latentDim]. */
  decode(codes: ArrayLike<number>, upToLayer?: number): Float32Array {
    const present = codes.length / this.latentDim;
    if (!Number.isInteger(present) || present < 1 || present > this.layers) {
      fail('codes', `codes has ${codes.length} entries; expected k x latentDim (latentDim = ${this.latentDim}, k in 1..${this.layers})`);
    }
    const out = new Float32Array(this.latentDim);
    this.decodeInto(codes, 1, present, this.upTo(upToLayer, present), out, false);
    return out;
  }

  /** codes [n x layersPresent x latentDim] -> latents [n x latentDim]. */
  decodeBatch(codes: ArrayLike<number>, options: DecodeBatchOptions = {}): Float32Array {
    const present = options.layersPresent ?? this.layers;
    if (!Number.isInteger(present) || present < 1 || present > this.layers) fail('layersPresent', `layersPresent = ${present} must be an integer in 1..${this.layers}`);
    const n = this.itemsOf(codes.length, present * this.latentDim, 'codes', 'layersPresent x latentDim');
    const out = options.out ?? new Float32Array(n * this.latentDim);
    expectLength('out', out.length, n * this.latentDim, 'n x latentDim');
    this.decodeInto(codes, n, present, this.upTo(options.upToLayer, present), out, true);
    return out;
  }

  private encodeInto(latents: ArrayLike<number>, n: number, out: Encoded, batched: boolean): void {
    const { layers, latentDim: D, bound, maxLevels, scales, terms } = this;
    const groups = this.levels.length;
    for (let item = 0; item < n; item++) {
      const codeBase = item * layers * D;
      for (let c = 0; c < D; c++) {
        const x = latents[item * D + c]!;
        if (!Number.isFinite(x)) {
          const field = batched ? `latents[${item}][${c}]` : `latent[${c}]`;
          fail(field, `${field} = ${x} is not finite`);
        }
        const g = c % groups;
        const spec = this.specs[g]!;
        let residual = x;
        let sum = 0;
        for (let q = 0; q < layers; q++) {
          const index = levelIndexOf(residual / scales[q * groups + g]!, spec, bound);
          const term = terms[(q * groups + g) * maxLevels + index]!;
          out.codes[codeBase + q * D + c] = index;
          sum += term;
          residual -= term;
        }
        out.recon[item * D + c] = sum;
      }
    }
  }

  private decodeInto(codes: ArrayLike<number>, n: number, present: number, upTo: number, out: Float32Array, batched: boolean): void {
    const { latentDim: D, maxLevels, terms } = this;
    const groups = this.levels.length;
    for (let item = 0; item < n; item++) {
      const codeBase = item * present * D;
      for (let c = 0; c < D; c++) {
        const g = c % groups;
        const L = this.specs[g]!.levels;
        let sum = 0;
        for (let q = 0; q < upTo; q++) {
          const index = codes[codeBase + q * D + c]!;
          if (!(index >= 0 && index < L && Number.isInteger(index))) {
            const field = batched ? `codes[${item}][${q}][${c}]` : `codes[${q}][${c}]`;
            fail(field, `${field} = ${index} is outside 0..${L - 1} for ${batched ? `item ${item}, ` : ''}layer ${q}`);
          }
          sum += terms[(q * groups + g) * maxLevels + index]!;
        }
        out[item * D + c] = sum;
      }
    }
  }

  private upTo(upToLayer: number | undefined, present: number): number {
    const upTo = upToLayer ?? present;
    if (!Number.isInteger(upTo) || upTo < 0 || upTo > present) fail('upToLayer', `upToLayer = ${upTo} must be an integer in 0..${present} (the layers present)`);
    return upTo;
  }

  private itemsOf(length: number, stride: number, field: string, strideName: string): number {
    if (length % stride !== 0) fail(field, `${field} has ${length} entries, not a multiple of ${strideName} = ${stride}`);
    return length / stride;
  }
}

function checkScales(scales: unknown, layers: number): number[] {
  if (!Array.isArray(scales) || scales.length !== layers) {
    fail('scales', `scales must have one entry per layer (${layers}); got ${Array.isArray(scales) ? scales.length : typeof scales}`);
  }
  scales.forEach((s: unknown, q) => {
    if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0) fail(`scales[${q}]`, `scales[${q}] = ${String(s)} must be a finite number > 0`);
  });
  return scales as number[];
}

function expectLength(field: string, got: number, expected: number, what: string): void {
  if (got !== expected) fail(field, `${field} has ${got} entries; expected ${what} = ${expected}`);
}
