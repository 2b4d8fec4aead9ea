/** Uniform in [0, 1). */
export type Rng = () => number;

/** mulberry32's increment: its state after n draws from seed s is s + n * MULBERRY32_STEP (mod 2^32). */
export const MULBERRY32_STEP = 0x6d2b79f5;

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator), the project's one seeded source of randomness:
 * only 32-bit integer arithmetic, so the same seed gives the same draws everywhere. Its state is a
 * counter with a 2^32-long cycle, so a stream can start at any position of another (`mulberry32At`).
 */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + MULBERRY32_STEP) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The stream of `seed` advanced by `position` draws (any integer in [0, 2^32)). */
export function mulberry32At(seed: number, position: number): Rng {
  if (!Number.isInteger(position) || position < 0 || position >= 2 ** 32) throw new RangeError(`stream position ${position} is not in [0, 2^32)`);
  // (seed + position * STEP) mod 2^32: Math.imul multiplies modulo 2^32.
  const offset = Math.imul(position >>> 0, MULBERRY32_STEP) >>> 0;
  return mulberry32((seed + offset) >>> 0);
}
