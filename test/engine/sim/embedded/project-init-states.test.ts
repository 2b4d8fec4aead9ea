import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATOR_VERSION } from '../../../../engine/sim/embedded/init-sampler.js';
import {
  INIT_SPLITS,
  type InitStatesHeader,
  ROW_STRIDE,
  encodeInitStates,
  flattenInitState,
  generateProjectInitState,
  projectInitStates,
  projectInitStatesPath,
  readProjectInitStatesFile,
  sceneDims,
  splitRows,
  splitSeed,
} from '../../../../engine/sim/embedded/project-init-states.js';
import { projectTask } from '../../../../engine/libero/project-tasks.js';
import { suiteTask } from '../../../../engine/libero/suites.js';
import { EmbeddedPhysics } from '../../../../engine/sim/embedded/physics.js';

const SUITE = 'libero_spatial';
const TASK_IDS = Array.from({ length: 10 }, (_, i) => i);
const key = (row: ArrayLike<number>): string => Array.from(row).join(',');

describe("the project's libero_spatial initial states", () => {
  it.each(TASK_IDS)('task %i: 50 eval and 100 demo states of the scene shape, time 0, qvel 0, sharing no state', (id) => {
    const evalStates = projectInitStates(SUITE, id, 'eval');
    const demoStates = projectInitStates(SUITE, id, 'demo');
    expect(evalStates).toHaveLength(50);
    expect(demoStates).toHaveLength(100);
    for (const s of [...evalStates, ...demoStates]) {
      expect(s.qpos).toHaveLength(48);
      expect(s.qvel).toHaveLength(43);
      expect(s.time).toBe(0);
      expect(s.qvel.every((v) => v === 0)).toBe(true);
      expect(s.qpos.every(Number.isFinite)).toBe(true);
    }
    const evalKeys = new Set(evalStates.map((s) => key(s.qpos)));
    expect(evalKeys.size).toBe(50);
    const demoKeys = new Set(demoStates.map((s) => key(s.qpos)));
    expect(demoKeys.size).toBe(100);
    for (const k of demoKeys) expect(evalKeys.has(k)).toBe(false);
    // Objects differ between pools, not only the whole vector: no demo bowl starts where an eval bowl does.
    const bowl = (s: { qpos: Float64Array }) => key(s.qpos.subarray(9, 12));
    const evalBowls = new Set(evalStates.map(bowl));
    expect(demoStates.some((s) => evalBowls.has(bowl(s)))).toBe(false);
  });

  it('records the documented seeds, the generator and the MuJoCo build in each file', () => {
    for (const id of TASK_IDS) {
      const { name } = suiteTask(SUITE, id);
      const states = readProjectInitStatesFile(projectInitStatesPath(SUITE, id));
      const h = states.header;
      expect(h.task).toBe(name);
      expect([h.nq, h.nv, h.cols]).toEqual([48, 43, 92]);
      expect(h.splits).toEqual([
        { name: 'eval', rows: 50, seed: splitSeed(id, 'eval'), rowStride: ROW_STRIDE },
        { name: 'demo', rows: 100, seed: splitSeed(id, 'demo'), rowStride: ROW_STRIDE },
      ]);
      expect(splitSeed(id, 'demo')).toBe((splitSeed(id, 'eval') + 2 ** 31) >>> 0);
      expect(h.generator.version).toBe(GENERATOR_VERSION);
      expect(h.mujoco).toBe('3.14.0');
    }
  });

  it('returns fresh copies: changing one state does not change the next read', () => {
    const a = projectInitStates(SUITE, 2, 'eval');
    const before = a[0]!.qpos[9];
    a[0]!.qpos[9] = 123;
    expect(projectInitStates(SUITE, 2, 'eval')[0]!.qpos[9]).toBe(before);
  });

  describe('regenerating rows with their documented seeds', () => {
    let sim: EmbeddedPhysics;
    beforeAll(async () => {
      // the scene the files were generated in (scripts/make-init-states.ts): before contact pruning
      sim = await EmbeddedPhysics.create({ contactPruning: false });
    });

    it.each([
      [0, 'eval', 0],
      [0, 'demo', 99],
      [4, 'eval', 49],
      [5, 'demo', 0],
    ] as const)('task %i %s row %i reproduces the stored row', (id, split, index) => {
      const task = projectTask(SUITE, id);
      const stored = splitRows(readProjectInitStatesFile(projectInitStatesPath(SUITE, id)), split)[index]!;
      const fresh = flattenInitState(generateProjectInitState(sim, task, id, split, index).state);
      expect(fresh).toHaveLength(stored.length);
      let worst = 0;
      for (let k = 0; k < stored.length; k++) worst = Math.max(worst, Math.abs(fresh[k]! - stored[k]!));
      expect(worst).toBeLessThanOrEqual(1e-12);
    });
  });
});

describe('init-state files of the wrong shape', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rsd-init-states-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const header = (nq: number, nv: number): InitStatesHeader => ({
    format: 'rsd-init-states',
    formatVersion: 1,
    suite: SUITE,
    task: suiteTask(SUITE, 0).name,
    taskId: 0,
    nq,
    nv,
    cols: 1 + nq + nv,
    splits: [
      { name: 'eval', rows: INIT_SPLITS.eval.rows, seed: 1, rowStride: ROW_STRIDE },
      { name: 'demo', rows: INIT_SPLITS.demo.rows, seed: 2, rowStride: ROW_STRIDE },
    ],
    generator: { version: GENERATOR_VERSION, script: 'test', settleSteps: 15, waitSteps: 10 },
    mujoco: '3.14.0',
  });
  const rows = (cols: number, n = 150) => Array.from({ length: n }, () => new Float64Array(cols));

  it('names the file, the expected and the actual shape', () => {
    const file = path.join(dir, 'short.bin');
    writeFileSync(file, encodeInitStates(header(47, 43), rows(91)));
    const expected = { suite: SUITE, task: suiteTask(SUITE, 0).name, ...sceneDims(projectTask(SUITE, 0)) };
    expect(expected.nq).toBe(48);
    let message = '';
    try {
      readProjectInitStatesFile(file, expected);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(file);
    expect(message).toContain('shape (150, 91)');
    expect(message).toContain('expected (150, 92)');
    expect(message).toMatch(/nq 47 \+ nv 43.*nq 48 \+ nv 43/);
  });

  it('refuses rows that do not match the header, and a file of another task', () => {
    const truncated = path.join(dir, 'truncated.bin');
    const bytes = encodeInitStates(header(48, 43), rows(92));
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 92 * 8));
    expect(() => readProjectInitStatesFile(truncated)).toThrow(/holds \(149, 92\) float64 values, the header says shape \(150, 92\)/);
    const other = path.join(dir, 'other.bin');
    writeFileSync(other, bytes);
    expect(() => readProjectInitStatesFile(other, { suite: SUITE, task: suiteTask(SUITE, 1).name, nq: 48, nv: 43 })).toThrow(/not of libero_spatial task pick_up_the_black_bowl_next_to_the_ramekin/);
    expect(() => encodeInitStates(header(48, 43), rows(92, 10))).toThrow(/10 rows for a header of 150/);
  });
});
