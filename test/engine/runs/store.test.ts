import { mkdtemp, readFile, rm, writeFile, appendFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResultsError, validateResults } from '../../../engine/runs/results-schema.js';
import { EPISODES_FILE, RunStore, RunStoreError, defaultRunsRoot } from '../../../engine/runs/store.js';
import { config, episode } from './fixtures.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'rsd-runs-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('RunStore', () => {
  it('puts runs under <dataDir>/runs', () => {
    expect(defaultRunsRoot('/data')).toBe(path.join('/data', 'runs'));
  });

  it('creates, appends, finishes, lists and opens a run', async () => {
    const store = new RunStore(root);
    const run = await store.createRun(config());
    expect(run.id).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
    // The creator holds the run's writer.lock until it finishes (engine/runs/lock.ts).
    expect((await readdir(run.dir)).sort()).toEqual(['episodes.jsonl', 'run.json', 'trajectories', 'writer.lock']);
    expect(run.writing).toBe(true);
    const runJson = JSON.parse(await readFile(path.join(run.dir, 'run.json'), 'utf8')) as { status: string; versions: Record<string, string> };
    expect(runJson.status).toBe('running');
    expect(runJson.versions.node).toBe(process.versions.node);

    const name = await run.writeTrajectory(0, 0, { scene: 'once', steps: [] });
    expect(name).toBe('task00-trial000.json');
    await run.appendEpisode(episode(0, 0, 'success', { trajectory: name }));
    await run.appendEpisode(episode(0, 1, 'error'));
    await expect(run.appendEpisode(episode(0, 1, 'success'))).rejects.toThrow(/already recorded/);
    await expect(run.appendEpisode({ ...episode(0, 2, 'failure'), steps: -1 })).rejects.toThrow(/steps/);
    expect((await readFile(run.episodesFile, 'utf8')).trim().split('\n')).toHaveLength(2);

    const older = await store.createRun(config({ trials: 1 }), { now: new Date('2020-01-01T00:00:00Z') });
    await older.cancel();
    const results = await run.finish();
    expect(results.total).toMatchObject({ episodes: 2, successes: 1, errors: 1 });
    expect(run.writing).toBe(false);
    expect((await readdir(run.dir)).sort()).toEqual(['episodes.jsonl', 'results.json', 'run.json', 'trajectories']);
    expect(results.run?.status).toBe('completed');
    const onDisk = JSON.parse(await readFile(run.resultsFile, 'utf8')) as unknown;
    expect(validateResults(onDisk)).toEqual(results);

    const list = await store.list();
    expect(list.map((r) => [r.id, r.status, r.episodesDone])).toEqual([
      [run.id, 'completed', 2],
      [older.id, 'cancelled', 0],
    ]);
    expect(list[0]).toMatchObject({ suite: 'libero_spatial', decoding: 'speculative', bundle: 'test-bundle', episodesPlanned: 6 });

    const opened = await store.open(run.id);
    expect(opened.status).toBe('completed');
    expect(await opened.episodes()).toHaveLength(2);
    await expect(opened.appendEpisode(episode(1, 0, 'success'))).rejects.toThrow(/completed/);
    await expect(store.open('nope')).rejects.toThrow(RunStoreError);
  });

  it('cancel keeps what finished, and resume continues without redoing it', async () => {
    const store = new RunStore(root);
    const run = await store.createRun(config());
    await run.appendEpisode(episode(0, 0, 'success'));
    const cancelled = await run.cancel();
    expect(cancelled.run?.status).toBe('cancelled');
    expect(cancelled.total.episodes).toBe(1);
    const state = await store.resume(run.id);
    expect(state.run.status).toBe('running');
    expect(state.finished).toEqual([{ taskId: 0, trial: 0 }]);
    expect(state.remaining).toHaveLength(5);
    expect(state.dropped).toBeNull();
  });

  it('resume drops a truncated last line, says so, and appends cleanly after it', async () => {
    const store = new RunStore(root);
    const run = await store.createRun(config());
    await run.appendEpisode(episode(0, 0, 'success'));
    await run.appendEpisode(episode(0, 1, 'failure'));
    const partial = JSON.stringify(episode(0, 2, 'success')).slice(0, 40);
    await appendFile(path.join(run.dir, EPISODES_FILE), partial);
    await run.release(); // the writer is gone (lock.test.ts: a crashed one's lock is taken over)

    const state = await store.resume(run.id);
    expect(state.episodes.map((e) => e.trial)).toEqual([0, 1]);
    expect(state.dropped).toMatch(/line 3: dropped a truncated last line/);
    expect(state.remaining[0]).toEqual({ taskId: 0, trial: 2 });
    await state.run.appendEpisode(episode(0, 2, 'success'));
    await state.run.release();
    const again = await store.resume(run.id);
    expect(again.dropped).toBeNull();
    expect(again.episodes.map((e) => e.trial)).toEqual([0, 1, 2]);
  });

  it('refuses a corrupt line that is not the last', async () => {
    const store = new RunStore(root);
    const run = await store.createRun(config());
    await writeFile(run.episodesFile, '{"taskId": 0, bad\n' + JSON.stringify(episode(0, 1, 'success')) + '\n');
    await run.release();
    await expect(store.resume(run.id)).rejects.toThrow(/line 1: not valid JSON/);
  });

  it('exports and imports; a bad file is refused naming the first problem', async () => {
    const store = new RunStore(root);
    const run = await store.createRun(config());
    await run.appendEpisode(episode(0, 0, 'success'));
    await run.appendEpisode(episode(1, 0, 'error'));
    await run.finish();
    const file = path.join(root, 'export.json');
    const exported = await store.exportRun(run.id, file);

    const other = new RunStore(path.join(root, 'elsewhere'));
    const imported = await other.importResults(file);
    expect(imported.id).toBe(run.id);
    expect(imported.status).toBe('completed');
    expect(await imported.results()).toEqual(exported);

    const json = JSON.parse(await readFile(file, 'utf8')) as { episodes: Record<string, unknown>[]; config: Record<string, unknown> };
    json.episodes[1]!.outcome = 'crashed';
    await writeFile(file, JSON.stringify(json));
    const error = await other.importResults(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResultsError);
    expect((error as ResultsError).field).toBe('episodes[1].outcome');

    json.episodes[1]!.outcome = 'error';
    json.config.threshhold = 0.5;
    await writeFile(file, JSON.stringify(json));
    await expect(other.importResults(file)).rejects.toThrow(/^config\.threshhold: /);

    await writeFile(file, '{"formatVersion": 1, "run": nu');
    await expect(other.importResults(file)).rejects.toThrow(/not valid JSON/);
    expect(await other.list()).toHaveLength(1);
  });
});
