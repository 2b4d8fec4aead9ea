import { describe, expect, it } from 'vitest';
import { taskCaveats } from '../../../engine/api/known-issues.js';

describe('task caveats', () => {
  const libero = { backend: 'libero', version: 'LIBERO 0.1.0, robosuite 1.4.1, MuJoCo 3.14.0' };
  it("names libero_spatial task 5 in real LIBERO under MuJoCo 3.4 or later (LIBERO issue 141)", () => {
    const [caveat, ...rest] = taskCaveats('libero_spatial', [0, 5, 9], libero);
    expect(rest).toEqual([]);
    expect(caveat).toMatchObject({ suite: 'libero_spatial', taskId: 5 });
    expect(caveat!.note).toMatch(/^under MuJoCo 3\.14 the bowl settles tilted on the ramekin's rim.*LIBERO issue 141/);
    // A version string without MuJoCo's: the caveat, said for 3.4 or later.
    expect(taskCaveats('libero_spatial', [5], { backend: 'libero', version: 'LIBERO via python3' })[0]!.note).toMatch(/^under MuJoCo 3\.4 or later/);
  });

  it('says nothing for the embedded simulator, an older MuJoCo, other suites or runs without task 5', () => {
    expect(taskCaveats('libero_spatial', [5], { backend: 'embedded', version: 'MuJoCo 3.14.0' })).toEqual([]);
    expect(taskCaveats('libero_spatial', [5], { ...libero, version: 'LIBERO 0.1.0, robosuite 1.4.1, MuJoCo 3.3.2' })).toEqual([]);
    expect(taskCaveats('libero_goal', [5], libero)).toEqual([]);
    expect(taskCaveats('libero_spatial', [0, 4], libero)).toEqual([]);
  });
});
