import { describe, expect, it } from 'vitest';
import { gripperToEnv, normalizeQ99, postprocessChunk, ProcessingError, unnormalizeQ99, type ActionSpec, type GripperSpec, type Q99 } from '../../../engine/bundle/processing.js';
import { mulberry32 } from '../../../engine/util/random.js';

function expectProcessingError(fn: () => unknown, field: string, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProcessingError);
  expect((caught as ProcessingError).field).toBe(field);
  expect((caught as ProcessingError).message).toMatch(message);
}

/** Small deterministic PRNG in [0, 1). */
const prng = mulberry32;

const NORM3: Q99 = { kind: 'q99', q01: [0, -1, 5], q99: [2, 1, 9], mask: [true, true, false] };

describe('normalizeQ99', () => {
  it('maps [q01, q99] to [-1, 1] on masked dims, clips outside, leaves the rest', () => {
    // dim 0: 2 * 0.5 / 2 - 1 = -0.5; dim 1: 2 * 4 / 2 - 1 = 3, clipped to 1; dim 2 unmasked.
    const out = normalizeQ99([0.5, 3, 7], NORM3);
    expect(out[0]).toBeCloseTo(-0.5, 8);
    expect(out[1]).toBe(1);
    expect(out[2]).toBe(7);
    expect(normalizeQ99([-5, -1, 100], NORM3)).toEqual(new Float64Array([-1, -1, 100]));
  });

  it('uses the 1e-8 of OFT: a constant dimension does not divide by zero', () => {
    const flat: Q99 = { kind: 'q99', q01: [3], q99: [3], mask: [true] };
    // 2 * 1e-9 / 1e-8 - 1 = -0.8
    expect(normalizeQ99([3 + 1e-9], flat)[0]).toBeCloseTo(-0.8, 6);
    expect(normalizeQ99([3], flat)[0]).toBe(-1);
  });

  it('names the vector and both lengths on a mismatch, and the stats vector that disagrees', () => {
    expectProcessingError(() => normalizeQ99([1, 2], NORM3, 'proprio'), 'proprio', /proprio has 2 values but the q99 normalisation has 3/);
    expectProcessingError(() => normalizeQ99([1, 2, 3], { ...NORM3, mask: [true] }), 'mask', /mask has 1 values but q01 has 3/);
    expectProcessingError(() => normalizeQ99([1, 2, 3], { ...NORM3, q99: [1, 2] }), 'q99', /q99 has 2 values but q01 has 3/);
    expectProcessingError(() => normalizeQ99([1, Number.NaN, 3], NORM3, 'proprio'), 'proprio[1]', /not finite/);
  });
});

describe('unnormalizeQ99', () => {
  it('maps n to 0.5 (n + 1) (q99 - q01 + 1e-8) + q01 on masked dims', () => {
    const out = unnormalizeQ99([0, -1, 0.3], NORM3);
    expect(out[0]).toBe(0.5 * 1 * (2 + 1e-8)); // 1 + 5e-9
    expect(out[1]).toBe(-1); // n = -1 gives q01 exactly
    expect(out[2]).toBe(0.3); // unmasked
    expect(unnormalizeQ99([1, 1, 1], NORM3)[1]).toBe(1 + 1e-8);
  });

  it('names the vector on a length mismatch', () => {
    expectProcessingError(() => unnormalizeQ99([0, 0, 0, 0], NORM3, 'actions'), 'actions', /actions has 4 values but the q99 normalisation has 3/);
  });

  it('inverts normalizeQ99 on masked dims inside [q01, q99]', () => {
    // LIBERO-like proprio stats: eef position, axis-angle, two finger joints; the last dim unmasked.
    const norm: Q99 = {
      kind: 'q99',
      q01: [-0.4, -0.3, 0.9, 2.9, -0.8, -0.6, 0.001, -0.04],
      q99: [0.2, 0.35, 1.35, 3.3, 0.6, 0.3, 0.04, -0.001],
      mask: [true, true, true, true, true, true, true, false],
    };
    const rand = prng(7);
    for (let trial = 0; trial < 200; trial++) {
      const x = norm.q01.map((lo, i) => lo + rand() * (norm.q99[i]! - lo));
      const back = unnormalizeQ99(normalizeQ99(x, norm), norm);
      for (let i = 0; i < x.length; i++) {
        if (norm.mask[i]) expect(Math.abs(back[i]! - x[i]!)).toBeLessThan(1e-12);
        else expect(back[i]).toBe(x[i]);
      }
    }
  });
});

describe('gripper', () => {
  const OFT: GripperSpec = { index: 6, modelConvention: '1-open-0-close', binarize: true, invert: true };

  it('binarises and inverts as OFT: model 1 = open, 0 = close -> env -1 = open, +1 = close', () => {
    expect(gripperToEnv(0, OFT)).toBe(1);
    expect(gripperToEnv(0.49, OFT)).toBe(1);
    expect(gripperToEnv(0.51, OFT)).toBe(-1);
    expect(gripperToEnv(1, OFT)).toBe(-1);
    // sign(2 * 0.5 - 1) = sign(0) = 0, inverted to -0, as numpy gives: the Panda gripper moves by sign(), so it holds still.
    expect(gripperToEnv(0.5, OFT)).toBe(-0);
  });

  it('maps to [-1, 1] without binarising, and only inverts when asked', () => {
    expect(gripperToEnv(0.75, { ...OFT, binarize: false })).toBe(-0.5);
    expect(gripperToEnv(0.75, { ...OFT, binarize: false, invert: false })).toBe(0.5);
    expect(gripperToEnv(0.2, { ...OFT, invert: false })).toBe(-1);
  });
});

describe('postprocessChunk', () => {
  const action: ActionSpec = {
    dim: 7,
    chunk: 2,
    normalization: {
      kind: 'q99',
      q01: [-0.5, -1, 0, -0.2, -0.2, -0.4, 0],
      q99: [0.5, 1, 1, 0.2, 0.2, 0.4, 1],
      mask: [true, true, true, true, true, true, false],
    },
    gripper: { index: 6, modelConvention: '1-open-0-close', binarize: true, invert: true },
  };

  it('un-normalises dims 0-5 and turns the gripper into the env convention, step by step', () => {
    const normalized = new Float32Array([0, 1, -1, 0.5, -0.5, 0, 0.9, -1, 0, 1, 0, 1, -1, 0.2]);
    const env = postprocessChunk(normalized, action);
    expect(env).toBeInstanceOf(Float64Array);
    const expected = [0, 1, 0, 0.1, -0.1, 0, -1, -0.5, 0, 1, 0, 0.2, -0.4, 1];
    expect(env.length).toBe(expected.length);
    expected.forEach((v, i) => expect(env[i], `env[${i}]`).toBeCloseTo(v, 7));
    // The gripper is exact: no normalisation on dim 6.
    expect(env[6]).toBe(-1);
    expect(env[13]).toBe(1);
  });

  it('refuses a chunk of the wrong length, naming both lengths', () => {
    expectProcessingError(() => postprocessChunk(new Float32Array(13), action), 'actions', /actions has 13 values but the manifest's chunk 2 x dim 7 needs 14/);
  });

  it('refuses stats of the wrong length and non-finite actions, by name', () => {
    const short = { ...action, normalization: { ...action.normalization, q01: [0, 0, 0, 0, 0, 0], q99: [1, 1, 1, 1, 1, 1], mask: [true, true, true, true, true, true] } };
    expectProcessingError(() => postprocessChunk(new Float32Array(14), short), 'action', /action has 7 values but the q99 normalisation has 6/);
    const bad = new Float32Array(14);
    bad[10] = Number.NaN;
    expectProcessingError(() => postprocessChunk(bad, action), 'actions[1][3]', /actions\[1\]\[3\] = NaN is not finite/);
  });
});
