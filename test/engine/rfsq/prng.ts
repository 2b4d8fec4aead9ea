// The project's seeded generator, so property tests are reproducible (never Math.random).
export { mulberry32 } from '../../../engine/util/random.js';

export function uniform(rand: () => number, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

/**
 * Latents that reach every corner of the quantizer: mostly wide normals (tails far past +-1),
 * some exact edges, zeros, tiny values and huge values.
 */
export function wideLatents(rand: () => number, n: number): Float32Array {
  const specials = [0, -0, 1, -1, 1e-30, -1e-30, 0.5, -0.5, 40, -40, 1e30, -1e30];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.05) out[i] = specials[Math.floor(rand() * specials.length)]!;
    else out[i] = normal(rand) * (r < 0.5 ? 0.5 : 3);
  }
  return out;
}

function normal(rand: () => number): number {
  // Box-Muller; 1 - u keeps log's argument in (0, 1].
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export function randomCodes(rand: () => number, levels: readonly number[], n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * levels[i % levels.length]!);
  return out;
}
