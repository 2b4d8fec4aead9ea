import { mulberry32, type Rng } from '../util/random.js';

/**
 * Seeded weights for generated models, so a bundle rebuilt from the same seed is byte-identical.
 * mulberry32 uses only 32-bit integer arithmetic; the normal draws use Box–Muller, whose
 * Math.log/cos/sin are V8's fdlibm ports and give the same bits on every platform. Values are
 * rounded to float32 as they are drawn, like the tensors they fill.
 */
export class SeededRandom {
  private readonly draw: Rng;
  private spare: number | undefined;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
    this.draw = mulberry32(seed);
  }

  /** Uniform in [0, 1), 32 bits of resolution (mulberry32). */
  next(): number {
    return this.draw();
  }

  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal. Box–Muller yields two draws; the second is kept for the next call. */
  normal(): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return z;
    }
    const u1 = 1 - this.next(); // (0, 1], so log never sees 0
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** `count` draws from N(mean, std²) as float32. */
  normals(count: number, std = 1, mean = 0): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** `count` draws from U[low, high) as float32. */
  uniforms(count: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.uniform(low, high);
    return out;
  }
}
