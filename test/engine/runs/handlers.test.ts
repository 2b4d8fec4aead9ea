import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../../engine/api/contract.js';
import { SCENE_FORMAT } from '../../../engine/api/schemas/scene.js';
import { createEngineHost } from '../../../engine/host/handlers.js';
import { writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { validateResults } from '../../../engine/runs/results-schema.js';
import { histogram } from '../../../engine/runs/handlers.js';
import { RunStore } from '../../../engine/runs/store.js';
import { sceneFileName } from '../../../engine/runs/trajectory.js';
import { config, episode } from './fixtures.js';

// The runs.* and eval.* requests through the real engine host (the same one `rsd serve` and the
// Electron engine host run), with a real evaluation of the engine's test bundle.
let data: string;
let bundle: string;
beforeAll(async () => {
  data = await mkdtemp(path.join(os.tmpdir(), 'rsd-runs-handlers-'));
  bundle = path.join(data, 'tiny');
  await writeSyntheticBundle(bundle, 'tiny', 1);
});
afterAll(async () => {
  await rm(data, { recursive: true, force: true });
});

function hostWithEvents() {
  const host = createEngineHost('in-process', { dataDir: data });
  const events: EventEnvelope[] = [];
  host.onEvent((e) => events.push(e));
  let id = 0;
  const call = async (type: string, params: unknown = {}) => {
    const reply = await host.handle(JSON.stringify({ id: ++id, type, params }));
    return reply;
  };
  const ok = async <T>(type: string, params: unknown = {}): Promise<T> => {
    const reply = await call(type, params);
    if (!reply.ok) throw new Error(`${type}: ${reply.error.message}`);
    return reply.result as T;
  };
  return { host, events, call, ok };
}

describe('runs.* and eval.* requests', () => {

  it('runs.cameras: an episode\'s camera rows through eval.start\'s recordCameras; named refusals without them', async () => {
    const { events, ok, call } = hostWithEvents();
    const recordCameras = [{ name: 'agentview', width: 64, height: 48 }];
    const { runId } = await ok<{ runId: string }>('eval.start', { tasks: [0], trials: 2, maxSteps: 10, workers: 1, recordCameras, policy: { kind: 'bundle', dir: bundle } });
    await expect.poll(() => events.some((e) => e.event === 'eval.event' && (e.payload as { type: string; runId: string }).type === 'run-finished' && (e.payload as { runId: string }).runId === runId), { timeout: 30_000 }).toBe(true);
    const page = await ok<{ views: unknown[]; frames: number; rows: { row: number; jpeg: string[] }[]; next: number | null }>('runs.cameras', { id: runId, taskId: 0, trial: 0, from: 0 });
    expect(page.views).toEqual(recordCameras);
    expect(page.frames).toBe(11);
    expect(page.rows.map((r) => r.row)).toEqual(Array.from({ length: 11 }, (_, i) => i));
    expect(page.next).toBeNull();
    expect(Buffer.from(page.rows[3]!.jpeg[0]!, 'base64').subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    // A camera file gone from the run's folder is named.
    await unlink(path.join(data, 'runs', runId, 'trajectories', 'task00-trial001.mcap'));
    const gone = await call('runs.cameras', { id: runId, taskId: 0, trial: 1, from: 0 });
    expect(gone).toMatchObject({ ok: false, error: { kind: 'invalid-params', field: 'cameras', message: `run ${runId} has no task00-trial001.mcap, which the trajectory of task 0 trial 1 names` } });
  });
  it('start a run, stream its events, and serve its results, trajectories and scene', async () => {
    const { events, ok } = hostWithEvents();
    const suites = await ok<{ suites: { tasks: { instruction: string }[] }[] }>('eval.suites');
    expect(suites.suites[0]!.tasks).toHaveLength(10);

    const { runId } = await ok<{ runId: string }>('eval.start', { tasks: [0], trials: 2, maxSteps: 16, workers: 1, policy: { kind: 'bundle', dir: bundle, decoding: 'speculative' } });
    await expect.poll(() => events.some((e) => e.event === 'eval.event' && (e.payload as { type: string }).type === 'run-finished'), { timeout: 30_000 }).toBe(true);
    const kinds = events.filter((e) => e.event === 'eval.event').map((e) => (e.payload as { type: string }).type);
    expect(kinds[0]).toBe('run-started');
    expect(kinds.filter((k) => k === 'episode-finished')).toHaveLength(2);
    expect(await ok('eval.status')).toEqual({ active: null });

    const list = await ok<{ runs: { id: string; status: string; active: boolean }[] }>('runs.list');
    expect(list.runs.find((r) => r.id === runId)).toMatchObject({ status: 'completed', active: false });

    const { results, latencyHistogram } = await ok<{ results: unknown; latencyHistogram: { counts: number[] } }>('runs.results', { id: runId });
    expect(validateResults(results).total.episodes).toBe(2);
    expect(latencyHistogram.counts.reduce((a, b) => a + b, 0)).toBe(4); // 2 episodes x 2 chunks

    const { trajectory } = await ok<{ trajectory: { steps: number; chunks: unknown[] } }>('runs.trajectory', { id: runId, taskId: 0, trial: 1 });
    expect(trajectory.steps).toBe(16);
    expect(trajectory.chunks).toHaveLength(2);
    const { scene } = await ok<{ scene: { bodies: string[]; geoms: unknown[] } }>('runs.scene', { id: runId, taskId: 0 });
    expect(scene.geoms.length).toBeGreaterThan(10);

    // The page names a file in the engine's exports folder (test/engine/runs/confined-paths.test.ts).
    const file = path.join(data, 'exports', 'exported.json');
    expect(await ok('runs.export', { id: runId, path: 'exported.json' })).toEqual({ path: file });
    const imported = await ok<{ id: string }>('runs.import', { text: await readFile(file, 'utf8'), name: 'exported.json' });
    expect(imported.id).not.toBe(runId); // the id is taken here, so the import gets its own
    const comparison = await ok<{ comparison: { paired: number; total: { n: number } } }>('runs.compare', { a: runId, b: imported.id });
    expect(comparison.comparison.paired).toBe(2);
  }, 60_000);

  it('refuse bad requests, naming the field', async () => {
    const { call } = hostWithEvents();
    const noTask = await call('eval.start', { tasks: [], trials: 2, policy: { kind: 'bundle', decoding: 'speculative' } });
    expect(noTask).toMatchObject({ ok: false, error: { kind: 'invalid-params', field: 'params.tasks' } });
    const badBundle = await call('eval.start', { tasks: [0], trials: 1, policy: { kind: 'bundle', decoding: 'speculative', dir: path.join(data, 'missing') } });
    expect(badBundle.ok).toBe(false);
    if (!badBundle.ok) expect(badBundle.error.message).toMatch(/no bundle.json in .*missing/);
    const badImport = await call('runs.import', { text: '{"formatVersion": 1}', name: 'bad.json' });
    expect(badImport.ok).toBe(false);
    if (!badImport.ok) expect(badImport.error.field).toBe('run');
    const noRun = await call('runs.results', { id: 'nope' });
    expect(noRun).toMatchObject({ ok: false, error: { field: 'params.id' } });
    const noTrajectory = await call('runs.trajectory', { id: 'nope', taskId: 0, trial: 0 });
    expect(noTrajectory.ok).toBe(false);
  });

  it('answer runs.compare and runs.scene with their schemas: runs on different suites are refused naming params.b, a broken scene file by its field', async () => {
    const { call } = hostWithEvents();
    const store = new RunStore(path.join(data, 'runs'));
    const spatial = await store.createRun(config({ tasks: [0], trials: 1 }), { id: 'typed-spatial' });
    await spatial.appendEpisode(episode(0, 0, 'success'));
    await spatial.finish();
    const object = await store.createRun(config({ suite: 'libero_object', tasks: [0], trials: 1 }), { id: 'typed-object' });
    await object.appendEpisode(episode(0, 0, 'failure'));
    await object.finish();

    const same = await call('runs.compare', { a: 'typed-spatial', b: 'typed-spatial' });
    expect(same).toMatchObject({ ok: true, result: { a: 'typed-spatial', b: 'typed-spatial', comparison: { suite: 'libero_spatial', paired: 1, total: { n: 1, pValue: 1 } } } });
    const refused = await call('runs.compare', { a: 'typed-spatial', b: 'typed-object' });
    expect(refused).toMatchObject({ ok: false, error: { kind: 'invalid-params', field: 'params.b', message: 'the runs are on different suites: A is libero_spatial, B is libero_object; paired comparison needs the same suite' } });

    // A geom that names a body the scene does not have: the schema's reference check refuses it.
    await mkdir(spatial.trajectoriesDir, { recursive: true });
    const geom = { body: 3, type: 'box', size: [1, 1, 1], pos: [0, 0, 0], quat: [1, 0, 0, 0], rgba: [1, 1, 1, 1] };
    await writeFile(path.join(spatial.trajectoriesDir, sceneFileName(0)), JSON.stringify({ format: SCENE_FORMAT, taskId: 0, description: { task: 't', bodies: ['table'], geoms: [geom], meshes: [] } }));
    const broken = await call('runs.scene', { id: 'typed-spatial', taskId: 0 });
    expect(broken).toMatchObject({ ok: false, error: { kind: 'invalid-params', field: 'scene', message: 'scene-task00.json: description.geoms[0].body: body 3 of 1' } });
    await writeFile(path.join(spatial.trajectoriesDir, sceneFileName(0)), JSON.stringify({ format: SCENE_FORMAT, taskId: 0, description: { task: 't', bodies: ['table'], geoms: [{ ...geom, body: 0 }], meshes: [] } }));
    expect(await call('runs.scene', { id: 'typed-spatial', taskId: 0 })).toMatchObject({ ok: true, result: { scene: { task: 't', bodies: ['table'], geoms: [{ ...geom, body: 0 }], meshes: [] } } });
  });

  it('cancel the active run, keeping what finished, and resume it', async () => {
    const { events, ok } = hostWithEvents();
    const { runId } = await ok<{ runId: string }>('eval.start', { tasks: [0, 1], trials: 2, maxSteps: 16, workers: 1, policy: { kind: 'bundle', dir: bundle, decoding: 'autoregressive' } });
    await expect.poll(() => events.some((e) => (e.payload as { type: string }).type === 'episode-finished'), { timeout: 30_000 }).toBe(true);
    expect(await ok('eval.cancel', { id: runId })).toEqual({ cancelled: true });
    const store = new RunStore(path.join(data, 'runs'));
    const cancelled = await store.open(runId);
    expect(cancelled.status).toBe('cancelled');
    const kept = (await cancelled.episodes()).length;
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(kept).toBeLessThan(4);

    events.length = 0;
    await ok('eval.resume', { id: runId });
    await expect.poll(() => events.some((e) => (e.payload as { type: string }).type === 'run-finished'), { timeout: 30_000 }).toBe(true);
    expect((await store.open(runId)).status).toBe('completed');
    expect(await (await store.open(runId)).episodes()).toHaveLength(4);
  }, 60_000);
});

describe('runs.rename, runs.note and runs.delete', () => {
  it('name and note a run in labels.json beside run.json; runs.list shows them; "" removes them', async () => {
    const { ok } = hostWithEvents();
    const store = new RunStore(path.join(data, 'runs'));
    const run = await store.createRun(config({ tasks: [0], trials: 1 }), { id: 'labelled' });
    await run.appendEpisode(episode(0, 0, 'success'));
    await run.finish();
    expect(await ok('runs.rename', { id: 'labelled', name: '  threshold sweep 0.7  ' })).toEqual({ id: 'labelled', labels: { name: 'threshold sweep 0.7' } });
    expect(await ok('runs.note', { id: 'labelled', note: 'first try\nseed 7' })).toEqual({ id: 'labelled', labels: { name: 'threshold sweep 0.7', note: 'first try\nseed 7' } });
    expect(JSON.parse(await readFile(path.join(data, 'runs', 'labelled', 'labels.json'), 'utf8'))).toEqual({ name: 'threshold sweep 0.7', note: 'first try\nseed 7' });
    const listed = (await ok<{ runs: { id: string }[] }>('runs.list')).runs.find((r) => r.id === 'labelled');
    expect(listed).toMatchObject({ name: 'threshold sweep 0.7', note: 'first try\nseed 7', successes: 1, episodesDone: 1, simulator: 'mujoco-wasm 3.3.8' });
    expect(await ok('runs.rename', { id: 'labelled', name: '' })).toEqual({ id: 'labelled', labels: { note: 'first try\nseed 7' } });
    // run.json, the run's record, is untouched.
    expect(JSON.parse(await readFile(path.join(data, 'runs', 'labelled', 'run.json'), 'utf8'))).not.toHaveProperty('name');
  });

  it('refuse a bad id or name, naming the field', async () => {
    const { call } = hostWithEvents();
    expect(await call('runs.rename', { id: 'no-such-run', name: 'x' })).toMatchObject({ ok: false, error: { kind: 'invalid-params', field: 'params.id' } });
    expect(await call('runs.rename', { id: '../etc', name: 'x' })).toMatchObject({ ok: false, error: { kind: 'invalid-params', field: 'params.id' } });
    expect(await call('runs.rename', { id: 'no-such-run', name: 'two\nlines' })).toMatchObject({ ok: false, error: { kind: 'invalid-params', field: 'params.name' } });
    expect(await call('runs.rename', { id: 'no-such-run', name: 'x'.repeat(101) })).toMatchObject({ ok: false, error: { kind: 'invalid-params', field: 'params.name' } });
    expect(await call('runs.note', { id: 'no-such-run', note: 'x'.repeat(2001) })).toMatchObject({ ok: false, error: { kind: 'invalid-params', field: 'params.note' } });
    expect(await call('runs.delete', { id: 'no-such-run' })).toMatchObject({ ok: false, error: { kind: 'invalid-params', field: 'params.id' } });
  });

  it('delete removes the run folder and its files; a run in progress (its writer.lock held) is refused and kept', async () => {
    const { ok, call } = hostWithEvents();
    const store = new RunStore(path.join(data, 'runs'));
    const writing = await store.createRun(config({ tasks: [0], trials: 2 }), { id: 'in-progress' });
    await writing.appendEpisode(episode(0, 0, 'success'));
    const refused = await call('runs.delete', { id: 'in-progress' });
    expect(refused).toMatchObject({ ok: false, error: { kind: 'invalid-params', field: 'params.id' } });
    if (!refused.ok) expect(refused.error.message).toMatch(/^run in-progress is being written by pid \d+/);
    expect((await store.open('in-progress')).status).toBe('running');
    await writing.finish();

    const dir = path.join(data, 'runs', 'in-progress');
    await writeFile(path.join(dir, 'trajectories', 'task00-trial000.json'), '{}');
    expect(await ok('runs.delete', { id: 'in-progress' })).toEqual({ id: 'in-progress', dir });
    await expect(readFile(path.join(dir, 'run.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readFile(path.join(dir, 'trajectories', 'task00-trial000.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await ok<{ runs: { id: string }[] }>('runs.list')).runs.map((r) => r.id)).not.toContain('in-progress');
  });
});

describe('histogram', () => {
  it('puts every value in one of the bins, the largest in the last', () => {
    const h = histogram([1, 2, 2, 3, 10], 3);
    expect(h.edges).toEqual([1, 4, 7, 10]);
    expect(h.counts).toEqual([4, 0, 1]);
    expect(histogram([])).toEqual({ edges: [], counts: [] });
  });
});

// Imported runs from fixtures show in the list like any other.
describe('runs.list with imported fixtures', () => {
  it('lists a run created from fixtures', async () => {
    const store = new RunStore(path.join(data, 'runs'));
    const run = await store.createRun(config({ tasks: [0], trials: 1 }));
    await run.appendEpisode(episode(0, 0, 'success'));
    await run.finish();
    const { ok } = hostWithEvents();
    const list = await ok<{ runs: { id: string }[] }>('runs.list');
    expect(list.runs.map((r) => r.id)).toContain(run.id);
  });
});
