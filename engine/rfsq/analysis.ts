/**
 * Tokenizer diagnostics for reports (docs/rfsq.md 4 and 6.4): reconstruction error against the
 * number of layers decoded, code usage per layer, and whether decoding the codes gives back the
 * encoder's own reconstruction.
 */
import { fail } from './errors.js';
import type { Encoded, Rfsq } from './rfsq.js';

export interface DepthError {
  /** Layers decoded: 1 means L0 alone, `layers` the full code. */
  layers: number;
  maxAbs: number;
  meanAbs: number;
  rms: number;
}

export interface LayerUsage {
  layer: number;
  /** counts[i]: how often level index i was used (length = the largest level count). */
  counts: number[];
  fractions: number[];
  /** exp(entropy) of the usage: L when uniform, 1 when one code is always used. */
  perplexity: number;
  /** Share of codes at a channel's first or last level: saturation shows here first. */
  edgeFraction: number;
}

export interface RfsqReport {
  items: number;
  latentDim: number;
  errorByDepth: DepthError[];
  codeUsage: LayerUsage[];
  /** decode(codes) reproduced the encoder's reconstruction bit for bit. */
  roundTripExact: boolean;
}

/**
 * Error of every prefix decode against the latents, measured on the float32 latents the decoder
 * would be given. Pass `encoded` to reuse an earlier encodeBatch of the same latents.
 */
export function errorByDepth(codec: Rfsq, latents: Float32Array, encoded: Encoded = codec.encodeBatch(latents)): DepthError[] {
  const decoded = new Float32Array(latents.length);
  const rows: DepthError[] = [];
  for (let k = 1; k <= codec.layers; k++) {
    codec.decodeBatch(encoded.codes, { upToLayer: k, out: decoded });
    let max = 0;
    let sum = 0;
    let sumSq = 0;
    for (let j = 0; j < latents.length; j++) {
      const e = Math.abs(latents[j]! - decoded[j]!);
      if (e > max) max = e;
      sum += e;
      sumSq += e * e;
    }
    const count = Math.max(1, latents.length);
    rows.push({ layers: k, maxAbs: max, meanAbs: sum / count, rms: Math.sqrt(sumSq / count) });
  }
  return rows;
}

/** Usage histograms of codes [n x layers x latentDim], one per layer. */
export function codeUsage(codec: Rfsq, codes: Int32Array): LayerUsage[] {
  const { layers, latentDim: D } = codec;
  if (codes.length % (layers * D) !== 0) fail('codes', `codes has ${codes.length} entries, not a multiple of layers x latentDim = ${layers * D}`);
  const n = codes.length / (layers * D);
  const width = Math.max(...codec.levels);
  const usage: LayerUsage[] = [];
  for (let q = 0; q < layers; q++) {
    const counts = new Array<number>(width).fill(0);
    let edges = 0;
    for (let item = 0; item < n; item++) {
      for (let c = 0; c < D; c++) {
        const index = codes[(item * layers + q) * D + c]!;
        const L = codec.levelsOf(c);
        if (index < 0 || index >= L) fail(`codes[${item}][${q}][${c}]`, `codes[${item}][${q}][${c}] = ${index} is outside 0..${L - 1} for item ${item}, layer ${q}`);
        counts[index]!++;
        if (index === 0 || index === L - 1) edges++;
      }
    }
    const total = Math.max(1, n * D);
    const fractions = counts.map((k) => k / total);
    const entropy = -fractions.reduce((h, p) => (p > 0 ? h + p * Math.log(p) : h), 0);
    usage.push({ layer: q, counts, fractions, perplexity: Math.exp(entropy), edgeFraction: edges / total });
  }
  return usage;
}

/** Everything above for latents [n x latentDim], from one encode. */
export function analyzeRfsq(codec: Rfsq, latents: Float32Array): RfsqReport {
  const encoded = codec.encodeBatch(latents);
  const decoded = codec.decodeBatch(encoded.codes);
  return {
    items: latents.length / codec.latentDim,
    latentDim: codec.latentDim,
    errorByDepth: errorByDepth(codec, latents, encoded),
    codeUsage: codeUsage(codec, encoded.codes),
    roundTripExact: sameBits(decoded, encoded.recon),
  };
}

/** Bitwise equality of two float32 arrays (so -0 vs 0 and NaN payloads count as differences). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
