import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../engine/onnx/random.js';

describe('SeededRandom', () => {
  it('repeats its sequence for a seed and differs across seeds', () => {
    const a = new SeededRandom(42).normals(64);
    expect(new SeededRandom(42).normals(64)).toEqual(a);
    expect(new SeededRandom(43).normals(64)).not.toEqual(a);
  });

  it('keeps its values stable (pinned so a change shows up as a changed model)', () => {
    const rng = new SeededRandom(1);
    expect([rng.next(), rng.next()]).toEqual([PINNED.uniform0, PINNED.uniform1]);
    expect(Array.from(new SeededRandom(1).normals(3))).toEqual(PINNED.normals);
  });

  it('draws uniforms in range and normals with the right moments', () => {
    const rng = new SeededRandom(7);
    const u = rng.uniforms(10_000, -2, 3);
    expect(u.every((x) => x >= -2 && x < 3)).toBe(true);
    const z = rng.normals(20_000, 2, 1);
    const mean = z.reduce((s, x) => s + x, 0) / z.length;
    const sd = Math.sqrt(z.reduce((s, x) => s + (x - mean) ** 2, 0) / z.length);
    expect(Math.abs(mean - 1)).toBeLessThan(0.05);
    expect(Math.abs(sd - 2)).toBeLessThan(0.05);
  });
});

// mulberry32(1) starts 0.6270739405881613, as the reference implementation does.
const PINNED = { uniform0: 0.6270739405881613, uniform1: 0.002735721180215478, normals: [1.4043388366699219, 0.024141617119312286, 1.2157546281814575] };
