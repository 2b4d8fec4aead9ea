import { appendFile, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IngestError, type IngestBatch } from '../../../engine/runs/ingest.js';
import type { EpisodeRecord } from '../../../engine/api/schemas/results.js';
import { SCENE_FORMAT } from '../../../engine/api/schemas/scene.js';
import { TRAJECTORY_FORMAT, type Trajectory } from '../../../engine/api/schemas/trajectory.js';
import { validateResults } from '../../../engine/runs/results-schema.js';
import { RunStore, type Run } from '../../../engine/runs/store.js';
import { encodeFloats, sceneFileName } from '../../../engine/runs/trajectory.js';
import { writeFileAtomic } from '../../../engine/util/atomic-write.js';
import { CameraRecorder } from '../../../engine/runs/camera-file.js';
import { config, episode } from './fixtures.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'rsd-ingest-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const BODIES = 3;
const name = (taskId: number, trial: number) => `task${String(taskId).padStart(2, '0')}-trial${String(trial).padStart(3, '0')}.json`;

/** A trajectory that agrees with the record: arrays of the lengths its steps and bodies give. */
function trajectoryFor(e: EpisodeRecord, overrides: Partial<Trajectory> = {}): Trajectory {
  const moving = [1];
  return {
    format: TRAJECTORY_FORMAT,
    taskId: e.taskId,
    trial: e.trial,
    initIndex: e.initIndex,
    instruction: 'pick up the bowl',
    scene: sceneFileName(e.taskId),
    outcome: e.outcome,
    error: e.error,
    steps: e.steps,
    maxSteps: 220,
    bodies: BODIES,
    initialPoses: encodeFloats(new Float32Array(BODIES * 7).fill(0.5)),
    moving,
    poses: encodeFloats(new Float32Array((e.steps + 1) * moving.length * 7)),
    proprio: encodeFloats(new Float32Array((e.steps + 1) * 8)),
    actions: encodeFloats(new Float32Array(e.steps * 7)),
    chunks: e.chunks.draftLayers.map((k, i) => ({
      step: 8 * i,
      executed: 8,
      draftLayers: k,
      acceptedLayers: e.chunks.acceptedLayers[i]!,
      agreement: [1, 0.5],
      totalMs: e.chunks.latency.totalMs[i]!,
      draftMs: 1,
      verifyMs: 1,
      mainStepsMs: 1,
      batchSize: 1,
      deviates: null,
    })),
    ...overrides,
  };
}

function scene(taskId: number) {
  return { format: SCENE_FORMAT, taskId, description: { task: `task ${taskId}`, bodies: ['table', 'bowl', 'plate'], geoms: [], meshes: [] } };
}

/** Episodes of task `taskId` with their trajectories (none for an errored one) and the task's scene. */
function batchOf(taskId: number, outcomes: [number, EpisodeRecord['outcome']][], withScene = true): IngestBatch & { episodes: EpisodeRecord[]; trajectories: Record<string, Trajectory> } {
  const episodes = outcomes.map(([trial, outcome]) => episode(taskId, trial, outcome, outcome === 'error' ? {} : { trajectory: name(taskId, trial) }));
  const trajectories = Object.fromEntries(episodes.filter((e) => e.trajectory).map((e) => [e.trajectory!, trajectoryFor(e)]));
  return { episodes, trajectories, ...(withScene ? { scenes: { [sceneFileName(taskId)]: scene(taskId) } } : {}) };
}

/** Every file under a folder, by relative path, with its bytes. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = (await readFile(file)).toString('base64');
  }
  return out;
}

async function refused(run: Run, batch: unknown, field: string, message: RegExp): Promise<IngestError> {
  const before = await snapshot(run.dir);
  const error = await run.ingest(batch as IngestBatch, 'target-a').then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, field).toBeInstanceOf(IngestError);
  const e = error as IngestError;
  expect(e.field).toBe(field);
  expect(e.source).toBe('target-a');
  expect(e.message).toMatch(/^ingest from target-a: /);
  expect(e.message).toContain(`${field}: `);
  expect(e.message).toMatch(message);
  expect(await snapshot(run.dir)).toEqual(before);
  return e;
}

describe('Run.ingest', () => {
  it('takes a valid batch: episodes, trajectories and the scene; finish() counts them', async () => {
    const store = new RunStore(root);
    const run = await store.createRun(config());
    const batch = batchOf(0, [
      [0, 'success'],
      [1, 'failure'],
      [2, 'error'],
    ]);
    expect(await run.ingest(batch, 'target-a')).toEqual({ added: 3 });

    const lines = (await readFile(run.episodesFile, 'utf8')).split('\n');
    expect(lines).toEqual([...batch.episodes.map((e) => JSON.stringify(e)), '']);
    expect(await run.episodes()).toEqual(batch.episodes);
    expect((await readdir(run.trajectoriesDir)).sort()).toEqual([sceneFileName(0), name(0, 0), name(0, 1)]);
    expect(JSON.parse(await readFile(run.trajectoryPath(0, 1), 'utf8'))).toEqual(batch.trajectories[name(0, 1)]);
    expect(JSON.parse(await readFile(path.join(run.trajectoriesDir, sceneFileName(0)), 'utf8'))).toEqual(scene(0));
    expect(run.isFinished(0, 2)).toBe(true);

    const results = await run.finish();
    expect(results.total).toMatchObject({ episodes: 3, successes: 1, failures: 1, errors: 1 });
    expect(results.tasks[0]).toMatchObject({ taskId: 0, episodes: 3 });
    expect(validateResults(JSON.parse(await readFile(run.resultsFile, 'utf8')))).toEqual(results);
    const listed = (await store.list())[0]!;
    expect(listed).toMatchObject({ id: run.id, status: 'completed', episodesDone: 3 });
  });

  it('a second batch continues, beside local episodes; resume sees them all', async () => {
    const store = new RunStore(root);
    const run = await store.createRun(config());
    await run.ingest(batchOf(0, [[0, 'success']]), 'target-a');
    await run.appendEpisode(episode(0, 1, 'failure'));
    // Task 0's scene is in the run now: a later batch of task 0 needs none.
    expect(await run.ingest(batchOf(0, [[2, 'success']], false), 'target-a')).toEqual({ added: 1 });
    expect(await run.ingest(batchOf(1, [[0, 'success'], [1, 'success']]), 'target-b')).toEqual({ added: 2 });
    expect(await run.ingest({ episodes: [] }, 'target-a')).toEqual({ added: 0 });
    expect((await run.episodes()).map((e) => [e.taskId, e.trial])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
    ]);

    await run.release(); // the writer ends without finishing: the run can be resumed
    const state = await store.resume(run.id);
    expect(state.finished).toHaveLength(5);
    expect(state.remaining).toEqual([{ taskId: 1, trial: 2 }]);
    await state.run.ingest(batchOf(1, [[2, 'failure']], false), 'target-a');
    const results = await state.run.finish();
    expect(results.total).toMatchObject({ episodes: 6, successes: 4, failures: 2 });
  });

  it('refuses a bad batch, writing nothing, naming the source, the episode and the field', async () => {
    const store = new RunStore(root);
    const run = await store.createRun(config());
    await run.ingest(batchOf(0, [[0, 'success']]), 'target-a');
    const good = () => batchOf(0, [[1, 'success']], false);

    // Episode records.
    let e = await refused(run, batchOf(0, [[0, 'failure']], false), 'episodes[0].trial', /already recorded in run/);
    expect(e.episode).toEqual({ taskId: 0, trial: 0 });
    expect(e.message).toContain('task 0 trial 0: ');
    e = await refused(run, batchOf(0, [[1, 'success'], [2, 'success'], [1, 'failure']], false), 'episodes[2].trial', /appears twice in the batch \(also episodes\[0\]\)/);
    expect(e.episode).toEqual({ taskId: 0, trial: 1 });
    await refused(run, batchOf(5, [[0, 'success']]), 'episodes[0].taskId', /task 5 is not in run .*'s configuration \(tasks 0, 1\)/);
    await refused(run, batchOf(0, [[3, 'success']], false), 'episodes[0].trial', /trial 3 is out of range: run .* has 3 trials per task/);
    const bad = good();
    bad.episodes[0] = { ...bad.episodes[0]!, steps: -1 };
    e = await refused(run, bad, 'episodes[0].steps', />=0|too small|non-?negative/i);
    expect(e.episode).toEqual({ taskId: 0, trial: 1 });
    await refused(run, { ...good(), episodes: [{ ...good().episodes[0], extra: 1 }] }, 'episodes[0].extra', /unrecognized/i);
    await refused(run, { ...good(), episodes: [{ ...good().episodes[0], outcome: 'error' }] }, 'episodes[0].error', /needs its message/);
    await refused(run, { ...good(), episodes: [{ ...good().episodes[0], steps: 221 }] }, 'episodes[0].steps', /more than the run's maxSteps \(220\)/);
    const negative = good();
    negative.episodes[0]!.chunks.latency.decoderMs[1] = -2;
    await refused(run, negative, 'episodes[0].chunks.latency.decoderMs[1]', />=0|too small|non-?negative/i);
    // The checks a results file's episodes get against its configuration (episodeConfigIssues): no drafted layers unless speculative.
    const parallel = await store.createRun(config({ decoding: 'parallel', accept: null, threshold: null }));
    await refused(parallel, good(), 'episodes[0].chunks.draftLayers[0]', /drafted 2 layers, but parallel decoding drafts none/);
    await refused(run, { ...good(), episodes: 'nope' }, 'episodes', /array/);

    // Trajectories.
    await refused(run, { ...good(), trajectories: {} }, 'episodes[0].trajectory', /names task00-trial001\.json, which the batch does not hold/);
    await refused(run, { ...good(), episodes: [{ ...good().episodes[0], trajectory: '../../run.json' }] }, 'episodes[0].trajectory', /the trajectory of task 0 trial 1 is "task00-trial001\.json"/);
    const t = name(0, 1);
    const withTrajectory = (overrides: Partial<Trajectory> | Record<string, unknown>) => ({ ...good(), trajectories: { [t]: { ...good().trajectories[t], ...overrides } } });
    await refused(run, withTrajectory({ outcome: 'failure' }), `trajectories["${t}"].outcome`, /is "failure", the episode record says "success"/);
    await refused(run, withTrajectory({ steps: 99 }), `trajectories["${t}"].steps`, /is 99, the episode record says 100/);
    await refused(run, withTrajectory({ trial: 2 }), `trajectories["${t}"].trial`, /is 2, the episode record says 1/);
    await refused(run, withTrajectory({ format: 'rsd-trajectory/0' }), `trajectories["${t}"].format`, /rsd-trajectory\/1/);
    await refused(run, withTrajectory({ maxSteps: 300 }), `trajectories["${t}"].maxSteps`, /maxSteps is 220/);
    await refused(run, withTrajectory({ actions: encodeFloats(new Float32Array(7)) }), `trajectories["${t}"].actions`, /7 values, expected 700 \(steps x 7\)/);
    await refused(run, withTrajectory({ chunks: [] }), `trajectories["${t}"].chunks`, /has 0 chunks, the episode record 2/);
    await refused(run, withTrajectory({ goal: { atoms: ['On(bowl_1, plate_1)'], truth: btoa('\x01') } }), `trajectories["${t}"].goal`, /goal\.truth: 1 bytes, expected 101 .*0 or 1/);
    await refused(run, withTrajectory({ goal: { atoms: [], truth: '' } }), `trajectories["${t}"].goal.atoms`, /at least 1|too small|>=1/i);
    await refused(run, { ...good(), trajectories: { ...good().trajectories, [name(0, 2)]: good().trajectories[t] } }, `trajectories["${name(0, 2)}"]`, /no episode of the batch names/);

    // Scenes.
    await refused(run, batchOf(1, [[0, 'success']], false), `trajectories["${name(1, 0)}"].scene`, /scene-task01\.json is neither in the batch nor in run/);
    await refused(run, { ...batchOf(1, [[0, 'success']]), scenes: { [sceneFileName(1)]: { ...scene(1), format: 'rsd-scene/0' } } }, `scenes["${sceneFileName(1)}"].format`, /rsd-scene\/1/);
    await refused(run, { ...batchOf(1, [[0, 'success']]), scenes: { [sceneFileName(1)]: scene(0) } }, `scenes["${sceneFileName(1)}"].taskId`, /named scene-task00\.json, not scene-task01\.json/);
    await refused(run, { ...batchOf(1, [[0, 'success']]), scenes: { [sceneFileName(1)]: { ...scene(1), description: { ...scene(1).description, bodies: ['one'] } } } }, `trajectories["${name(1, 0)}"].bodies`, /is 3, scene-task01\.json describes 1 bodies/);

    // One bad episode after good ones: none of them is taken.
    const mixed = batchOf(1, [[0, 'success'], [1, 'failure'], [2, 'success']]);
    mixed.trajectories[name(1, 2)] = trajectoryFor(mixed.episodes[2]!, { outcome: 'failure' });
    await refused(run, mixed, `trajectories["${name(1, 2)}"].outcome`, /episode record says "success"/);

    expect(await run.episodes()).toHaveLength(1);
    expect(await run.ingest(good(), 'target-a')).toEqual({ added: 1 });
  });

  it('refuses a run that is not running, and of two batches racing for an episode takes one', async () => {
    const store = new RunStore(root);
    const run = await store.createRun(config());
    const results = await Promise.allSettled([run.ingest(batchOf(0, [[0, 'success']]), 'a'), run.ingest(batchOf(0, [[1, 'success'], [0, 'failure']]), 'b')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected')!;
    expect(rejected.reason).toBeInstanceOf(IngestError);
    expect((rejected.reason as IngestError).message).toMatch(/task 0 trial 0: episodes\[\d\]\.trial: task 0 trial 0 is already recorded/);
    expect((await run.episodes()).filter((e) => e.taskId === 0 && e.trial === 0)).toHaveLength(1);

    await run.cancel();
    const before = await snapshot(run.dir);
    await expect(run.ingest(batchOf(1, [[0, 'success']]), 'a')).rejects.toThrow(/ingest from a: \(run\): run .* is cancelled: no more episodes \(resume it first\)/);
    expect(await snapshot(run.dir)).toEqual(before);
  });
});

describe('Run.ingest with camera images', () => {
  const VIEWS = [
    { name: 'agentview', width: 16, height: 16 },
    { name: 'robot0_eye_in_hand', width: 8, height: 8 },
  ];
  /** An episode whose trajectory names its camera file, and the file (real JPEGs of flat pictures). */
  async function withCameras(steps: number) {
    const batch = batchOf(0, [[1, 'failure']]);
    const e = { ...batch.episodes[0]!, steps };
    const recorder = new CameraRecorder(VIEWS, 80);
    for (let t = 0; t <= steps; t++) recorder.add(Object.fromEntries(VIEWS.map((v) => [v.name, { width: v.width, height: v.height, channels: 3, data: new Uint8Array(v.width * v.height * 3).fill(10 * t) }])));
    const file = await recorder.finish();
    const cameras = { file: 'task00-trial001.mcap', encoding: 'jpeg' as const, quality: 80, views: VIEWS, frames: steps + 1, bytes: file.bytes.length };
    return { ...batch, episodes: [e], trajectories: { [name(0, 1)]: trajectoryFor(e, { cameras }) }, cameras: { 'task00-trial001.mcap': file.bytes } };
  }

  it('takes the camera file a trajectory names, checked image by image, and writes it beside the trajectory', async () => {
    const run = await new RunStore(root).createRun(config());
    const batch = await withCameras(4);
    expect(await run.ingest(batch, 'target-a')).toEqual({ added: 1 });
    expect(new Uint8Array(await readFile(path.join(run.trajectoriesDir, 'task00-trial001.mcap')))).toEqual(batch.cameras['task00-trial001.mcap']);
  });

  it('refuses a missing, mismatched, corrupt or unnamed camera file, naming the file and what is wrong', async () => {
    const run = await new RunStore(root).createRun(config());
    const good = await withCameras(4);
    const bytes = good.cameras['task00-trial001.mcap'];
    const traj = good.trajectories[name(0, 1)]!;
    const at = 'trajectories["task00-trial001.json"]';
    await refused(run, { ...good, cameras: {} }, `${at}.cameras.file`, /names task00-trial001\.mcap, which the batch does not hold/);
    await refused(run, { ...good, trajectories: { [name(0, 1)]: { ...traj, cameras: { ...traj.cameras!, file: 'task00-trial002.mcap' } } } }, `${at}.cameras.file`, /the camera file of task 0 trial 1 is "task00-trial001\.mcap"/);
    await refused(run, { ...good, cameras: { 'task00-trial001.mcap': bytes.subarray(0, 200) } }, 'cameras["task00-trial001.mcap"]', /200 bytes; the trajectory says \d+/);
    const cut = bytes.slice(0, bytes.length - 30);
    await refused(run, { ...good, trajectories: { [name(0, 1)]: { ...traj, cameras: { ...traj.cameras!, bytes: cut.length } } }, cameras: { 'task00-trial001.mcap': cut } }, 'cameras["task00-trial001.mcap"]', /not a readable MCAP file/);
    const wide = { ...traj.cameras!, views: [{ ...VIEWS[0]!, width: 32 }, VIEWS[1]!] };
    await refused(run, { ...good, trajectories: { [name(0, 1)]: { ...traj, cameras: wide } } }, 'cameras["task00-trial001.mcap"] /cameras/agentview[0]', /a 16x16 JPEG; the camera records 32x16/);
    await refused(run, { ...good, cameras: { ...good.cameras, 'task00-trial005.mcap': bytes } }, 'cameras["task00-trial005.mcap"]', /no trajectory of the batch names this camera file/);
  });
});

describe('Run.ingestFolder', () => {
  /** A target's scratch run: its own store, config and machine; episodes written as the runner does. */
  async function scratchRun(tasks = [0, 1]) {
    const scratch = new RunStore(path.join(root, 'scratch'));
    const run = await scratch.createRun(config({ tasks, machine: { os: 'linux 5', arch: 'x64', cpuModel: 'remote', cpus: 16, memoryBytes: 1 << 30, node: '22.0.0' }, executionProvider: { requested: 'auto', used: 'cuda', reason: null } }));
    const add = async (taskId: number, trial: number, outcome: EpisodeRecord['outcome']) => {
      const e = episode(taskId, trial, outcome, outcome === 'error' ? {} : { trajectory: name(taskId, trial) });
      const sceneFile = path.join(run.trajectoriesDir, sceneFileName(taskId));
      await writeFileAtomic(sceneFile, JSON.stringify(scene(taskId)));
      if (e.trajectory) await run.writeTrajectory(taskId, trial, trajectoryFor(e));
      await run.appendEpisode(e);
      return e;
    };
    return { run, add };
  }

  it('takes only the episodes not yet in the run, the files byte for byte, and leaves a line in flight', async () => {
    const store = new RunStore(path.join(root, 'runs'));
    const run = await store.createRun(config());
    const { run: source, add } = await scratchRun();
    const e00 = await add(0, 0, 'success');
    await add(0, 1, 'error');
    expect(await run.ingestFolder(source.dir)).toEqual({ added: 2, skipped: 0, dropped: null });
    expect(await run.episodes()).toEqual(await source.episodes());
    expect(await readFile(run.trajectoryPath(0, 0), 'utf8')).toBe(await readFile(source.trajectoryPath(0, 0), 'utf8'));
    expect(await readFile(path.join(run.trajectoriesDir, sceneFileName(0)), 'utf8')).toBe(JSON.stringify(scene(0)));

    // Nothing new: nothing written.
    const before = await snapshot(run.dir);
    expect(await run.ingestFolder(source.dir)).toEqual({ added: 0, skipped: 2, dropped: null });
    expect(await snapshot(run.dir)).toEqual(before);

    // The run ran one itself; the folder has it too, and more, and a line being written.
    await run.appendEpisode(episode(1, 0, 'failure'));
    await add(1, 0, 'failure');
    await add(1, 1, 'success');
    const partial = JSON.stringify(episode(1, 2, 'success')).slice(0, 50);
    await appendFile(source.episodesFile, partial);
    const third = await run.ingestFolder(source.dir, 'child 4242');
    expect(third).toMatchObject({ added: 1, skipped: 3 });
    expect(third.dropped).toMatch(/episodes\.jsonl line 5: left a last line that is not complete yet/);
    expect(await run.episodes()).toHaveLength(4);
    expect((await run.episodes()).find((e) => e.taskId === 1 && e.trial === 0)!.trajectory).toBeNull(); // the run's own, kept

    // The line completes: the next call takes it.
    await writeFile(source.episodesFile, (await readFile(source.episodesFile, 'utf8')).slice(0, -partial.length));
    await add(1, 2, 'success');
    expect(await run.ingestFolder(source.dir)).toEqual({ added: 1, skipped: 4, dropped: null });
    const results = await run.finish();
    expect(results.total).toMatchObject({ episodes: 5, successes: 3, failures: 1, errors: 1 });
    expect(results.episodes[0]).toEqual(e00);
  });

  it('refuses a folder whose configuration, records or files disagree, naming the file and field', async () => {
    const store = new RunStore(path.join(root, 'runs'));
    const run = await store.createRun(config());
    const check = async (dir: string, field: string, message: RegExp) => {
      const before = await snapshot(run.dir);
      const error = await run.ingestFolder(dir, 'child').then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(IngestError);
      expect((error as IngestError).field).toBe(field);
      expect((error as IngestError).message).toMatch(message);
      expect(await snapshot(run.dir)).toEqual(before);
    };

    await check(path.join(root, 'nowhere'), 'run.json', /ingest from child: run\.json: .* is not a run folder/);
    const other = await new RunStore(path.join(root, 'other')).createRun(config({ bundle: { name: 'test-bundle', hash: 'sha256:def' } }));
    await check(other.dir, 'run.json.config.bundle', /is \{"name":"test-bundle","hash":"sha256:def"\}, this run's is/);

    const { run: source, add } = await scratchRun([0]);
    await add(0, 0, 'success');
    await unlink(source.trajectoryPath(0, 0));
    await check(source.dir, 'episodes.jsonl:1.trajectory', /task 0 trial 0: episodes\.jsonl:1\.trajectory: names task00-trial000\.json, which trajectories\/ does not hold/);
    await writeFile(source.trajectoryPath(0, 0), JSON.stringify(trajectoryFor(episode(0, 0, 'failure', { trajectory: name(0, 0) }))));
    await check(source.dir, 'trajectories/task00-trial000.json.outcome', /is "failure", the episode record says "success"/);
    await writeFile(source.episodesFile, '{"taskId": 0,\n' + JSON.stringify(episode(0, 1, 'error')) + '\n');
    await check(source.dir, 'episodes.jsonl:1', /ingest from child: episodes\.jsonl:1: not valid JSON/);
    await writeFile(source.episodesFile, JSON.stringify(episode(0, 1, 'error', { wallMs: -1 })) + '\n');
    await check(source.dir, 'episodes.jsonl:1.wallMs', /task 0 trial 1: /);
    expect(await run.episodes()).toEqual([]);
  });
});
