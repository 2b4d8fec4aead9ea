import { describe, expect, it } from 'vitest';
import { Fsq, FSQ_EPS, roundHalfEven, type Bound } from '../../../engine/rfsq/index.js';
import { expectRfsqError } from './expect-error.js';
import { mulberry32, randomCodes, uniform, wideLatents } from './prng.js';

const BOUNDS: Bound[] = ['tanh', 'clamp'];
const LEVEL_COUNTS = [2, 3, 5, 6, 7, 8];

describe('FSQ bound and round', () => {
  it('keeps codes in 0..L-1 for odd and even L, both bounds, over wide latents', () => {
    const z = wideLatents(mulberry32(1), 20_000);
    for (const L of LEVEL_COUNTS) {
      for (const bound of BOUNDS) {
        const { codes, values } = new Fsq([L], bound).quantize(z);
        const bad = z.filter((_, i) => !(codes[i]! >= 0 && codes[i]! <= L - 1 && Math.abs(values[i]!) <= 1));
        expect([...bad], `L=${L} ${bound}: latents coded out of range`).toEqual([]);
        // The wide latents saturate both ends: every level is reachable.
        expect(new Set(codes).size).toBe(L);
      }
    }
  });

  it('rounds to the nearest grid point of the bounded value', () => {
    const z = wideLatents(mulberry32(2), 5_000);
    for (const L of LEVEL_COUNTS) {
      for (const bound of BOUNDS) {
        const fsq = new Fsq([L], bound);
        const { codes } = fsq.quantize(z);
        // Grid points in the bound's units are i - (L - 1)/2.
        const far = z.filter((x, i) => Math.abs(fsq.bound(x, 0) - (codes[i]! - (L - 1) / 2)) > 0.5 + 1e-12);
        expect([...far], `L=${L} ${bound}: not rounded to the nearest level`).toEqual([]);
      }
    }
  });

  it('puts even-L values on the half-integer grid and odd-L values on the integer grid, symmetric on [-1, 1]', () => {
    for (const L of LEVEL_COUNTS) {
      const fsq = new Fsq([L]);
      const all = Array.from({ length: L }, (_, i) => i);
      const values = fsq.codesToValues(all);
      expect(values[0]).toBe(-1);
      expect(values[L - 1]).toBe(1);
      for (let i = 0; i < L; i++) {
        const units = (values[i]! * (L - 1)) / 2;
        const frac = units - Math.floor(units);
        expect(frac, `L=${L} level ${i}: ${units}`).toBeCloseTo(L % 2 === 0 ? 0.5 : 0, 12);
        expect(values[i]! + values[L - 1 - i]!).toBeCloseTo(0, 15);
      }
    }
    expect([...new Fsq([7]).codesToValues([0, 1, 2, 3, 4, 5, 6])]).toEqual([-1, -2 / 3, -1 / 3, 0, 1 / 3, 2 / 3, 1]);
    expect([...new Fsq([8]).codesToValues([0, 3, 4, 7])]).toEqual([-1, -1 / 7, 1 / 7, 1]);
  });

  it('gives the level index of docs/rfsq.md 1 (lucidrains), with the atanh shift for even L', () => {
    const z = wideLatents(mulberry32(3), 5_000);
    for (const L of LEVEL_COUNTS) {
      // Written out independently of the module: bound(z) = tanh(z + shift) * half_l - offset.
      const halfL = ((L - 1) * (1 + FSQ_EPS)) / 2;
      const offset = L % 2 === 0 ? 0.5 : 0;
      const shift = Math.atanh(offset / halfL);
      const expected = Array.from(z, (x) => Math.round(Math.tanh(x + shift) * halfL - offset) + Math.floor(L / 2));
      expect([...new Fsq([L]).quantize(z).codes], `L=${L}`).toEqual(expected);
    }
    // z = 0 sits at the centre of a cell: lucidrains' code 0, i.e. level L//2.
    expect(new Fsq([8]).quantize([0]).codes[0]).toBe(4);
    expect(new Fsq([8]).bound(0, 0)).toBeCloseTo(0.5, 12);
  });

  it('matches the docs/rfsq.md 4.2 check for L = 7 (no shift; clamp maps z * 3 linearly)', () => {
    const z = uniform(mulberry32(4), 5_000, -3, 3);
    expect([...new Fsq([7], 'tanh').quantize(z).codes]).toEqual(Array.from(z, (x) => Math.round(Math.tanh(x) * 3 * (1 + FSQ_EPS)) + 3));
    expect([...new Fsq([7], 'clamp').quantize(z).codes]).toEqual(Array.from(z, (x) => Math.round(Math.min(3, Math.max(-3, x * 3))) + 3));
  });

  it('never uses the edge levels of L = 7 under tanh for |z| <= 1 (tanh(1) * 3.003 = 2.287 < 2.5)', () => {
    const fsq = new Fsq([7], 'tanh');
    expect(fsq.bound(1, 0)).toBeCloseTo(Math.tanh(1) * 3.003, 12);
    const { codes } = fsq.quantize(uniform(mulberry32(5), 20_000, -1, 1));
    expect(codes.includes(0)).toBe(false);
    expect(codes.includes(6)).toBe(false);
  });

  it('breaks ties to even as numpy and torch do', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, 3, -3]);
    // clamp, L = 5: y = 2z, so z = 0.25 -> 0.5 -> 0 and z = 0.75 -> 1.5 -> 2 (np.round).
    expect([...new Fsq([5], 'clamp').quantize([0.25, 0.75, -0.25, -0.75]).codes]).toEqual([2, 4, 2, 0]);
  });
});

describe('FSQ mixed-radix index', () => {
  it('uses basis cumprod([1] + L[:-1]) and is a bijection onto 0..prod(L)-1', () => {
    const fsq = new Fsq([8, 6, 5]);
    expect(fsq.basis).toEqual([1, 8, 48]);
    expect(fsq.codebookSize).toBe(240);
    const seen = new Set<number>();
    for (let a = 0; a < 8; a++) {
      for (let b = 0; b < 6; b++) {
        for (let c = 0; c < 5; c++) {
          const index = fsq.indexOf([a, b, c]);
          expect(index).toBe(a + 8 * b + 48 * c);
          expect([...fsq.codesOf(index)]).toEqual([a, b, c]);
          seen.add(index);
        }
      }
    }
    expect(seen.size).toBe(240);
  });

  it('round-trips random codes and indices for the FSQ paper level sets', () => {
    const rand = mulberry32(6);
    const sets: [number[], number][] = [
      [[8, 6, 5], 240],
      [[8, 5, 5, 5], 1000],
      [[7, 5, 5, 5, 5], 4375],
      [[8, 8, 8, 6, 5], 15360],
      [[8, 8, 8, 5, 5, 5], 64000],
    ];
    for (const [levels, size] of sets) {
      const fsq = new Fsq(levels);
      expect(fsq.codebookSize).toBe(size);
      for (let t = 0; t < 2_000; t++) {
        const codes = randomCodes(rand, levels, levels.length);
        expect(fsq.codesOf(fsq.indexOf(codes))).toEqual(codes);
        const index = Math.floor(rand() * size);
        expect(fsq.indexOf(fsq.codesOf(index))).toBe(index);
      }
    }
  });
});

describe('FSQ errors name the field', () => {
  it('refuses bad levels', () => {
    expectRfsqError(() => new Fsq([]), 'levels', /non-empty/);
    expectRfsqError(() => new Fsq([7, 1]), 'levels[1]', /levels\[1\] = 1 must be an integer in 2\.\.1000/);
    expectRfsqError(() => new Fsq([7, 2.5]), 'levels[1]', /= 2.5/);
    expectRfsqError(() => new Fsq([7], 'soft' as Bound), 'bound', /'tanh' or 'clamp'/);
  });

  it('refuses bad codes, indices and inputs', () => {
    const fsq = new Fsq([8, 6, 5]);
    expectRfsqError(() => fsq.codesToValues([0, 6, 0]), 'codes[1]', /codes\[1\] = 6 is outside 0\.\.5/);
    expectRfsqError(() => fsq.indexOf([0, 0]), 'codes', /expected levels.length = 3/);
    expectRfsqError(() => fsq.indexOf([0, 1.5, 0]), 'codes[1]', /= 1.5/);
    expectRfsqError(() => fsq.codesOf(240), 'index', /outside 0\.\.239/);
    expectRfsqError(() => fsq.codesOf(-1), 'index', /outside/);
    expectRfsqError(() => fsq.quantize([0, Number.NaN, 0]), 'z[1]', /not finite/);
    expectRfsqError(() => fsq.quantize([0, 0]), 'z', /multiple of levels.length = 3/);
    expectRfsqError(() => new Fsq([1000, 1000, 1000, 1000, 1000, 1000]).indexOf([0, 0, 0, 0, 0, 0]), 'levels', /too large/);
  });
});
