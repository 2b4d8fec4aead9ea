import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { EpisodeRun } from '../../../engine/expert/episodes.js';
import { runExpertPool } from '../../../engine/expert/pool.js';
import { haveLibero, LIBERO, liberoEpisodes } from './liberos.js';

describe.skipIf(!haveLibero)('the expert pool', () => {
  it('runs 4 episodes on 2 workers and returns every result, in completion order', async () => {
    const episodes = [...liberoEpisodes(0, [0, 1]), ...liberoEpisodes(8, [0, 1])];
    const seen: number[] = [];
    const report = await runExpertPool(episodes, { workers: 2, onResult: (_run, p) => seen.push(p.done) });
    expect(report).toMatchObject({ workers: 2, cancelled: false });
    expect(seen).toEqual([1, 2, 3, 4]);
    const key = (r: EpisodeRun) => `${r.result.taskId}/${r.result.initIndex}`;
    expect(report.runs.map(key).sort()).toEqual(['0/0', '0/1', '8/0', '8/1']);
    expect(report.runs.every((r) => r.result.outcome === 'success')).toBe(true);
  }, 60_000);

  it('reports a dead worker as an error for its episode only, and goes on', async () => {
    const episodes = liberoEpisodes(2, [0, 1, 2]);
    const report = await runExpertPool(episodes, { workers: 2, workerModule: new URL('./crashing-worker.ts', import.meta.url) });
    const byInit = new Map(report.runs.map((r) => [r.result.initIndex, r.result]));
    expect(byInit.size).toBe(3);
    expect(byInit.get(1)).toMatchObject({ outcome: 'error', error: expect.stringMatching(/worker running libero_spatial task 2 init 1 died: exit code 7/) });
    expect(byInit.get(0)?.outcome).toBe('success');
    expect(byInit.get(2)?.outcome).toBe('success');
  }, 60_000);

  it('stops when aborted, returning what finished', async () => {
    const episodes = liberoEpisodes(0, [0, 1, 2, 3, 4, 5]);
    const abort = new AbortController();
    const report = await runExpertPool(episodes, { workers: 1, signal: abort.signal, onResult: () => abort.abort() });
    expect(report.cancelled).toBe(true);
    expect(report.runs).toHaveLength(1);
  }, 60_000);

  it('starts its workers outside vitest too, as the CLI runs the engine (tsx registered by bin/rsd.mjs)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['test/engine/expert/pool-smoke.mjs', LIBERO, '1', '2', '0,9']);
    const out = JSON.parse(stdout) as { workers: number; perTask: { taskId: number; successes: number }[] };
    expect(out.workers).toBe(2);
    expect(out.perTask).toEqual([expect.objectContaining({ taskId: 0, successes: 1 }), expect.objectContaining({ taskId: 9, successes: 1 })]);
  }, 60_000);
});
