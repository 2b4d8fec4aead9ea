/**
 * Finite scalar quantization (FSQ, Mentzer et al., arXiv 2309.15505): each channel c is rounded to
 * one of L = levels[c] values. See docs/rfsq.md 1.
 *
 * Convention implemented (per channel, L levels):
 *
 *   half_l = (L - 1)(1 + eps) / 2,  eps = 1e-3        lucidrains' (1 + eps); Google's notebook has 1 - eps
 *   offset = 0.5 if L is even, else 0
 *   shift  = atanh(offset / half_l)                   atanh, not the paper's tan (lucidrains #94/#95)
 *   bound 'tanh':  y = tanh(z + shift) * half_l
 *   bound 'clamp': y = clamp(z * (L - 1)/2, -(L - 1)/2, (L - 1)/2)     linear inside |z| <= 1, no shift
 *   level index    i = round(y - offset) + floor(L/2)   in 0..L-1; round half to even, as numpy/torch
 *   value          v = (i - (L - 1)/2) / ((L - 1)/2)    in [-1, 1]
 *
 * Why this one:
 * - The level index is exactly lucidrains' code for the same z (`round(bound(z)) + L//2`), so the
 *   codes a policy is trained to predict mean the same thing here and in PyTorch.
 * - The value puts the L levels symmetrically on [-1, 1] with step 2/(L - 1): for even L they sit on
 *   the half-integer grid (v (L - 1)/2 is in Z + 1/2). lucidrains divides by L//2 instead, giving
 *   [-1, 1 - 2/L] for even L. The residual codec scales layer q by (L - 1)^-q, which only tiles the
 *   residual when the step is 2/(L - 1) and the values reach both ends; with lucidrains' even-L
 *   values the clamp codec stalls (L = 8: max error 0.23 after 8 layers, against 1.7e-7 here). For
 *   odd L the two conventions are the same, so docs/rfsq.md 4 (L = 7) applies unchanged.
 * - The cost of keeping the shift: z = 0 maps to the centre of the +1/(L - 1) cell, so with even L
 *   the tanh residual codec carries a bias (L = 8, 8 layers, uniform latent: max/mean error stalls
 *   at 0.197/0.038, against 0.119/0.012 without the shift; test/engine/rfsq/analysis.test.ts pins
 *   the first pair). Odd L has no shift; prefer it for 'tanh'.
 *
 * Channels beyond levels.length repeat the levels: channel c uses levels[c % levels.length].
 */
import { fail } from './errors.js';

export type Bound = 'tanh' | 'clamp';

export const FSQ_EPS = 1e-3;
/** Above this, eps (L - 1)/2 >= 1/2 and tanh's (1 + eps) overshoot would leave the outer cells. */
export const MAX_LEVELS = 1000;

/** Per-level constants, precomputed once: the hot loops read these. */
export interface LevelSpec {
  readonly levels: number;
  /** (L - 1)/2: the outermost grid point, and the value divisor. */
  readonly half: number;
  /** (L - 1)(1 + eps)/2. */
  readonly halfL: number;
  readonly offset: number;
  readonly shift: number;
  /** floor(L/2): added to the rounded code to make a level index. */
  readonly floorHalf: number;
}

export function levelSpec(L: number): LevelSpec {
  const halfL = ((L - 1) * (1 + FSQ_EPS)) / 2;
  const offset = L % 2 === 0 ? 0.5 : 0;
  return { levels: L, half: (L - 1) / 2, halfL, offset, shift: Math.atanh(offset / halfL), floorHalf: Math.floor(L / 2) };
}

/** Validates a levels list; errors name the entry (`levels[2] = 1 must be ...`). */
export function checkLevels(levels: unknown, field = 'levels'): number[] {
  if (!Array.isArray(levels) || levels.length === 0) fail(field, `${field} must be a non-empty array of level counts`);
  levels.forEach((L: unknown, i) => {
    if (typeof L !== 'number' || !Number.isInteger(L) || L < 2 || L > MAX_LEVELS) {
      fail(`${field}[${i}]`, `${field}[${i}] = ${String(L)} must be an integer in 2..${MAX_LEVELS}`);
    }
  });
  return [...(levels as number[])];
}

/** Round half to even (numpy's and torch's rule); Math.round rounds halves up. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The bounded value in grid units, where the level points are i - (L - 1)/2. */
export function boundScalar(z: number, spec: LevelSpec, bound: Bound): number {
  if (bound === 'tanh') return Math.tanh(z + spec.shift) * spec.halfL;
  return Math.min(spec.half, Math.max(-spec.half, z * spec.half));
}

export function levelIndexOf(z: number, spec: LevelSpec, bound: Bound): number {
  return roundHalfEven(boundScalar(z, spec, bound) - spec.offset) + spec.floorHalf;
}

export function levelValue(index: number, spec: LevelSpec): number {
  return (index - spec.half) / spec.half;
}

export interface Quantized {
  /** Level indices, 0..L-1 per channel. */
  codes: Int32Array;
  /** The quantized values, in [-1, 1]. */
  values: Float64Array;
}

export class Fsq {
  readonly levels: readonly number[];
  readonly boundKind: Bound;
  /** Mixed-radix place values: cumprod([1] + levels[:-1]); channel 0 is the least significant. */
  readonly basis: readonly number[];
  /** prod(levels); may exceed 2^53 for long level lists, in which case indexOf refuses. */
  readonly codebookSize: number;
  private readonly specs: LevelSpec[];

  constructor(levels: readonly number[], bound: Bound = 'tanh') {
    this.levels = checkLevels(levels);
    if (bound !== 'tanh' && bound !== 'clamp') fail('bound', `bound = ${String(bound)} must be 'tanh' or 'clamp'`);
    this.boundKind = bound;
    this.specs = this.levels.map(levelSpec);
    const basis: number[] = [];
    let size = 1;
    for (const L of this.levels) {
      basis.push(size);
      size *= L;
    }
    this.basis = basis;
    this.codebookSize = size;
  }

  get dim(): number {
    return this.levels.length;
  }

  spec(channel: number): LevelSpec {
    return this.specs[channel % this.specs.length]!;
  }

  /** Channel's bounded value in grid units (before rounding). */
  bound(z: number, channel: number): number {
    return boundScalar(z, this.spec(channel), this.boundKind);
  }

  /** Quantizes a vector whose length is a multiple of levels.length. */
  quantize(z: ArrayLike<number>): Quantized {
    if (z.length % this.dim !== 0) fail('z', `z has ${z.length} entries, not a multiple of levels.length = ${this.dim}`);
    const codes = new Int32Array(z.length);
    const values = new Float64Array(z.length);
    for (let c = 0; c < z.length; c++) {
      const x = z[c]!;
      if (!Number.isFinite(x)) fail(`z[${c}]`, `z[${c}] = ${x} is not finite`);
      const spec = this.spec(c);
      const index = levelIndexOf(x, spec, this.boundKind);
      codes[c] = index;
      values[c] = levelValue(index, spec);
    }
    return { codes, values };
  }

  codesToValues(codes: ArrayLike<number>): Float64Array {
    const values = new Float64Array(codes.length);
    for (let c = 0; c < codes.length; c++) values[c] = levelValue(this.checkCode(codes, c), this.spec(c));
    return values;
  }

  /** Mixed-radix index of one code vector (length levels.length): sum_d codes[d] * basis[d]. */
  indexOf(codes: ArrayLike<number>): number {
    if (codes.length !== this.dim) fail('codes', `codes has ${codes.length} entries; expected levels.length = ${this.dim}`);
    this.checkIndexable();
    let index = 0;
    for (let d = 0; d < this.dim; d++) index += this.checkCode(codes, d) * this.basis[d]!;
    return index;
  }

  /** Inverse of indexOf: codes[d] = floor(index / basis[d]) % levels[d]. */
  codesOf(index: number): Int32Array {
    this.checkIndexable();
    if (!Number.isInteger(index) || index < 0 || index >= this.codebookSize) {
      fail('index', `index = ${index} is outside 0..${this.codebookSize - 1}`);
    }
    const codes = new Int32Array(this.dim);
    for (let d = 0; d < this.dim; d++) codes[d] = Math.floor(index / this.basis[d]!) % this.levels[d]!;
    return codes;
  }

  private checkCode(codes: ArrayLike<number>, c: number): number {
    const code = codes[c]!;
    const L = this.spec(c).levels;
    if (!Number.isInteger(code) || code < 0 || code >= L) fail(`codes[${c}]`, `codes[${c}] = ${code} is outside 0..${L - 1} (levels[${c % this.dim}] = ${L})`);
    return code;
  }

  private checkIndexable(): void {
    if (!Number.isSafeInteger(this.codebookSize)) fail('levels', `the codebook (${this.codebookSize} entries) is too large for exact integer indices`);
  }
}
