import { describe, expect, it } from 'vitest';
import type { EpisodeRecord, Results } from '../../../engine/api/schemas/results.js';
import type { RunConfig } from '../../../engine/api/schemas/run-config.js';
import { pairRuns, PairingError } from '../../../engine/fidelity/closed-loop.js';
import { summarize } from '../../../engine/runs/results-schema.js';
import { config, episode } from '../runs/fixtures.js';

// The closed-loop half of the fidelity report: two finished eval runs, one per backend, paired
// (engine/fidelity/closed-loop.ts over engine/eval/compare.ts).

type Outcome = EpisodeRecord['outcome'];
const S: Outcome = 'success';
const F: Outcome = 'failure';

const libero = { source: 'libero' as const, location: '/data/libero' };

function run(id: string, backend: string, outcomes: Record<number, Outcome[]>, overrides: Partial<RunConfig> = {}, status: 'completed' | 'cancelled' = 'completed'): Results {
  const tasks = Object.keys(outcomes).map(Number);
  const episodes = tasks.flatMap((t) => outcomes[t]!.map((o, trial) => episode(t, trial, o)));
  const c = config({ tasks, trials: outcomes[tasks[0]!]!.length, simulator: { backend, version: backend === 'embedded' ? 'MuJoCo 3.14.0' : 'LIBERO 0.1.0' }, initStates: libero, ...overrides });
  return summarize(c, episodes, { id, status, createdAt: '2026-12-01T10:00:00.000Z', finishedAt: '2026-12-01T11:00:00.000Z' });
}

describe('pairRuns', () => {
  const embedded = run('emb', 'embedded', { 0: [S, S, S, S, F], 1: [S, S, S, S, S] });
  const reference = run('lib', 'libero', { 0: [S, F, F, F, F], 1: [S, S, S, S, F] }, { initStates: { source: 'libero', location: '/elsewhere/libero' } });

  it('pairs by (task, trial) and gives success in each backend with McNemar per task and overall', () => {
    const p = pairRuns(embedded, reference, 'libero');
    expect(p.embeddedRun).toEqual({ id: 'emb', status: 'completed', backend: 'embedded', version: 'MuJoCo 3.14.0', bundle: 'test-bundle' });
    expect(p.referenceRun).toMatchObject({ id: 'lib', backend: 'libero' });
    expect(p.paired).toBe(10);
    expect(p.unpaired).toBe(0);
    expect(p.tasks[0]).toMatchObject({ taskId: 0, n: 5, successesA: 4, successesB: 1, onlyA: 3, onlyB: 0 });
    // 3 discordant pairs all one way: 2 * (1/2)^3.
    expect(p.tasks[0]!.pValue).toBeCloseTo(0.25, 12);
    expect(p.total).toMatchObject({ n: 10, successesA: 9, successesB: 5, onlyA: 4, onlyB: 0 });
    expect(p.total.pValue).toBeCloseTo(0.125, 12);
    // The simulator differs on purpose; where LIBERO's files lie does not matter.
    expect(p.configDifferences).toEqual([]);
  });

  it('lets a self-check pair two embedded runs', () => {
    expect(pairRuns(embedded, run('emb2', 'embedded', { 0: [S, S, S, S, F], 1: [S, S, S, S, S] }), 'embedded').total).toMatchObject({ onlyA: 0, onlyB: 0, pValue: 1 });
  });

  it('refuses runs that cannot be paired, saying why, as --runs errors', () => {
    const refuse = (a: Results, b: Results, message: RegExp) => {
      let thrown: unknown;
      try {
        pairRuns(a, b, 'libero');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(PairingError);
      expect((thrown as PairingError).field).toBe('runs');
      expect((thrown as Error).message).toMatch(message);
    };
    refuse(reference, embedded, /the first run, lib, ran in the libero simulator; give the embedded run first/);
    refuse(embedded, run('x', 'embedded', { 0: [S], 1: [S] }), /the second run, x, ran in the embedded simulator, not libero/);
    refuse(embedded, run('x', 'libero', { 0: [S, S, S, S, S] }), /different tasks: 0,1 and 0/);
    refuse(embedded, run('x', 'libero', { 0: [S, S], 1: [S, S] }), /different trials per task: 5 and 2/);
    refuse(embedded, run('x', 'libero', { 0: [S, S, S, S, F], 1: [S, S, S, S, S] }, { initStates: { source: 'project', location: null } }), /different initial states: libero and project/);
    refuse(embedded, run('x', 'libero', { 0: [S, S, S, S, F], 1: [S, S, S, S, S] }, { bundle: { name: 'other', hash: 'sha256:def' } }), /different bundles/);
    refuse(embedded, run('x', 'libero', { 0: [S, S, S, S, F], 1: [S, S, S, S, S] }, { suite: 'libero_goal' }), /different suites/);
    refuse(embedded, run('x', 'libero', { 0: [S, S, S, S, F], 1: [S, S, S, S, S] }, {}, 'cancelled'), /run x is cancelled; pair finished runs/);
  });
});
