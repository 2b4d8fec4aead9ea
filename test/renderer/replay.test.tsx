// Replay in jsdom against the real engine in this process: the timeline's logic, the controller that
// turns (trajectory, cursor) into poses, the scene's geometry and cameras (three.js math runs without
// WebGL), and the page with its picker, timeline controls and plots. jsdom has no WebGL: the 3D view
// says so, and everything else still follows the episode.
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as THREE from 'three';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createClient } from '../../engine/api/client.js';
import { inProcessTransport } from '../../engine/api/transports/in-process.js';
import { createEngineHost } from '../../engine/host/handlers.js';
import { writeSyntheticBundle } from '../../engine/bundle/synthetic.js';
import { LATENCY_STAGES, type EpisodeRecord, type Results } from '../../engine/api/schemas/results.js';
import { RunStore } from '../../engine/runs/store.js';
import { sceneFileName } from '../../engine/runs/trajectory.js';
import { Trajectory } from '../../engine/api/schemas/trajectory.js';
import { App } from '../../renderer/src/App.js';
import { AGENTVIEW, applyAgentview, applyOrbit, defaultOrbit, orbitFromCamera, TABLE_CENTRE } from '../../renderer/src/components/replay/camera-rig.js';
import { chunkIndexAt, decodeEpisode, orderFailedFirst, outcomeShort, outcomeText } from '../../renderer/src/components/replay/episode.js';
import { posesAt } from '../../renderer/src/components/replay/frame.js';
import { buildScene, geomGeometry } from '../../renderer/src/components/replay/geometry.js';
import { gripperBody, parseScene, type ReplayScene, type SceneGeom } from '../../renderer/src/components/replay/scene.js';
import { advance, clampCursor, CONTROL_HZ, isSpeed, secondsAt, SPEEDS, startPlaying, stepAt, stepCursor } from '../../renderer/src/components/replay/timeline.js';
import { StoreProvider } from '../../renderer/src/store/context.js';
import { createAppStore, type AppStore } from '../../renderer/src/store/index.js';

const MAX_STEPS = 24;

let bundles: string;
let dataDir: string;
/** A real evaluation: task 0, trials 0 and 1, both with trajectories. */
let real: { id: string; dir: string; results: Results; scene: unknown; trajectories: Trajectory[] };
/** A run made here with one episode of each outcome (trial 2 errored before writing a trajectory), the newest. */
let mixedId: string;
/** The real run's results imported from text: episodes name trajectories that are not in its folder. */
let importedId: string;
const teardowns: (() => void)[] = [];

const noChunks = (): EpisodeRecord['chunks'] => ({ draftLayers: [], acceptedLayers: [], latency: Object.fromEntries(LATENCY_STAGES.map((s) => [s, []])) as unknown as EpisodeRecord['chunks']['latency'] });

beforeAll(async () => {
  bundles = await mkdtemp(path.join(os.tmpdir(), 'rsd-replay-bundles-'));
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rsd-replay-data-'));
  await writeSyntheticBundle(path.join(bundles, 'tiny'), 'tiny', 1);
  const runsRoot = path.join(dataDir, 'runs');
  // The CLI in its own process: the runner's worker threads need Node's URL, which jsdom's replaces here.
  await promisify(execFile)(process.execPath, ['bin/rsd.mjs', 'eval', '--bundle', path.join(bundles, 'tiny'), '--tasks', '0', '--trials', '2', '--max-steps', String(MAX_STEPS), '--workers', '1', '--out', runsRoot, '--json']);
  const store = new RunStore(runsRoot);
  const [summary] = await store.list();
  const run = await store.open(summary!.id);
  const report = { run, results: await run.results() };
  const dir = run.dir;
  const read = async (file: string) => JSON.parse(await readFile(path.join(dir, 'trajectories', file), 'utf8')) as unknown;
  real = {
    id: report.run.id,
    dir,
    results: report.results,
    scene: ((await read(sceneFileName(0))) as { description: unknown }).description,
    trajectories: await Promise.all(report.results.episodes.map(async (e) => Trajectory.parse(await read(e.trajectory!)))),
  };

  // One episode of each outcome, made from the real ones; created a minute later, so it is the newest run.
  const created = new Date(Date.parse(report.run.info.createdAt) + 60_000);
  const mixed = await store.createRun({ ...report.results.config, trials: 3 }, { now: created });
  const [e0, e1] = report.results.episodes as [EpisodeRecord, EpisodeRecord];
  await copyFile(path.join(dir, 'trajectories', sceneFileName(0)), path.join(mixed.trajectoriesDir, sceneFileName(0)));
  await mixed.writeTrajectory(0, 0, { ...real.trajectories[0], outcome: 'success' });
  // A policy server's note on the second chunk (an rsd record's `note`), as a served run records it.
  await mixed.writeTrajectory(0, 1, { ...real.trajectories[1]!, chunks: real.trajectories[1]!.chunks.map((c, i) => (i === 1 ? { ...c, note: 'the draft cannot save time for this model' } : c)) });
  await mixed.appendEpisode({ ...e0, outcome: 'success', error: null });
  await mixed.appendEpisode({ ...e1, outcome: 'failure', error: null });
  await mixed.appendEpisode({ taskId: 0, trial: 2, initIndex: 2, outcome: 'error', steps: 12, wallMs: 80, error: 'simulator unstable: NaN in qacc at step 12', trajectory: null, chunks: noChunks() });
  await mixed.finish();
  mixedId = mixed.id;

  const client = createClient(inProcessTransport(createEngineHost('in-process', { dataDir, env: {} })));
  importedId = (await client.call('runs.import', { text: JSON.stringify(report.results), name: 'results.json' })).id;
  client.close();
}, 120_000);
afterAll(async () => {
  await rm(bundles, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});
beforeEach(() => {
  window.history.replaceState(null, '', '/#/replay');
});
afterEach(() => {
  teardowns.splice(0).forEach((t) => t());
});

/** A store on the real engine with the runs above. */
function engineStore(): AppStore {
  const store = createAppStore();
  teardowns.push(store.getState().attach(createClient(inProcessTransport(createEngineHost('in-process', { dataDir, env: {} })))));
  return store;
}

function renderReplay(store: AppStore = engineStore()) {
  render(
    <StoreProvider store={store}>
      <App />
    </StoreProvider>,
  );
  return { store, user: userEvent.setup() };
}

const readyEpisode = (store: AppStore) => {
  const e = store.getState().replayEpisode;
  if (e.status !== 'ready') throw new Error(`episode is ${e.status}`);
  return e;
};

// ---- pure parts ----

describe('timeline', () => {
  test('speeds run from 0.25x to 4x', () => {
    expect(SPEEDS).toEqual([0.25, 0.5, 1, 2, 4]);
    expect(isSpeed(2)).toBe(true);
    expect(isSpeed(3)).toBe(false);
  });

  test('playing moves 20 steps per second of wall time at 1x, scaled by the speed', () => {
    expect(CONTROL_HZ).toBe(20);
    expect(advance({ cursor: 0, playing: true }, 1000, 220, 1, false)).toEqual({ cursor: 20, playing: true });
    expect(advance({ cursor: 10, playing: true }, 1000, 220, 0.25, false)).toEqual({ cursor: 15, playing: true });
    expect(advance({ cursor: 10, playing: true }, 500, 220, 4, false)).toEqual({ cursor: 50, playing: true });
  });

  test('at the end it stops on the last step, or wraps to the start when looping', () => {
    expect(advance({ cursor: 58, playing: true }, 500, 60, 1, false)).toEqual({ cursor: 60, playing: false });
    expect(advance({ cursor: 58, playing: true }, 500, 60, 1, true)).toEqual({ cursor: 8, playing: true });
    expect(advance({ cursor: 30, playing: false }, 500, 60, 1, true)).toEqual({ cursor: 30, playing: false });
    expect(advance({ cursor: 0, playing: true }, 500, 0, 1, true)).toEqual({ cursor: 0, playing: false });
  });

  test('play from the end starts again at the beginning', () => {
    expect(startPlaying(60, 60)).toEqual({ cursor: 0, playing: true });
    expect(startPlaying(12.5, 60)).toEqual({ cursor: 12.5, playing: true });
  });

  test('single steps land on whole steps and stay inside the episode', () => {
    expect(stepCursor(3, 1, 60)).toBe(4);
    expect(stepCursor(3, -1, 60)).toBe(2);
    expect(stepCursor(3.4, 1, 60)).toBe(4);
    expect(stepCursor(3.4, -1, 60)).toBe(3);
    expect(stepCursor(0, -1, 60)).toBe(0);
    expect(stepCursor(60, 1, 60)).toBe(60);
  });

  test('the cursor is clamped, shown as its whole step, and timed at 20 Hz', () => {
    expect(clampCursor(-3, 60)).toBe(0);
    expect(clampCursor(99, 60)).toBe(60);
    expect(clampCursor(Number.NaN, 60)).toBe(0);
    expect(stepAt(2.9999999, 60)).toBe(3);
    expect(stepAt(2.5, 60)).toBe(2);
    expect(secondsAt(30)).toBe(1.5);
  });
});

describe('episodes', () => {
  test('failed first, then errors, then successes; by task and trial within each', () => {
    const list = [
      { outcome: 'success', taskId: 0, trial: 0 },
      { outcome: 'error', taskId: 0, trial: 3 },
      { outcome: 'failure', taskId: 1, trial: 0 },
      { outcome: 'failure', taskId: 0, trial: 2 },
      { outcome: 'success', taskId: 0, trial: 1 },
    ] as const;
    expect(orderFailedFirst(list).map((e) => `${e.outcome} ${e.taskId}/${e.trial}`)).toEqual(['failure 0/2', 'failure 1/0', 'error 0/3', 'success 0/0', 'success 0/1']);
  });

  test('the outcome is said plainly', () => {
    expect(outcomeText({ outcome: 'success', steps: 87, error: null, maxSteps: 220 })).toBe('Success at step 87');
    expect(outcomeText({ outcome: 'failure', steps: 220, error: null, maxSteps: 220 })).toBe('Failure: ran out of steps at the maximum of 220');
    expect(outcomeText({ outcome: 'error', steps: 12, error: 'worker died', maxSteps: 220 })).toBe('Error at step 12: worker died');
    expect(outcomeShort({ outcome: 'failure', steps: 220, error: null, maxSteps: 220 })).toBe('failure, ran out at 220 steps');
  });

  test('the chunk at a step: 8 actions each, the last one cut short by the end of the episode', () => {
    const chunk = (step: number, executed: number) => ({ step, executed, draftLayers: 3, acceptedLayers: 2, agreement: [], totalMs: 1, draftMs: 0, verifyMs: 0, mainStepsMs: 0, batchSize: 1, deviates: null });
    const chunks = [chunk(0, 8), chunk(8, 8), chunk(16, 4)];
    expect([0, 7, 8, 15, 16, 19, 20].map((s) => chunkIndexAt(chunks, s))).toEqual([0, 0, 1, 1, 2, 2, -1]);
    expect(chunkIndexAt([], 3)).toBe(-1);
  });

  test("a real trajectory decodes to (steps + 1) rows of every body's pose, proprio and the actions", () => {
    const t = real.trajectories[0]!;
    const e = decodeEpisode(real.id, t);
    expect(e.steps).toBe(MAX_STEPS);
    expect(e.poses).toHaveLength((MAX_STEPS + 1) * t.bodies * 7);
    expect(e.proprio).toHaveLength((MAX_STEPS + 1) * 8);
    expect(e.actions).toHaveLength(MAX_STEPS * 7);
    expect(e.chunks.map((c) => c.step)).toEqual([0, 8, 16]);
    expect(() => decodeEpisode(real.id, { ...t, steps: t.steps + 1 })).toThrow(/poses: \d+ values, expected \d+/);
  });
});

describe('poses between recorded rows', () => {
  // Two bodies, two rows: body 0 moves 1 m along x and turns 90 degrees about z; body 1 stays.
  const s = Math.SQRT1_2;
  const poses = Float32Array.from([0, 0, 1, 1, 0, 0, 0, 5, 5, 5, 1, 0, 0, 0, 1, 0, 1, s, 0, 0, s, 5, 5, 5, 1, 0, 0, 0]);
  const out = new Float32Array(14);

  test('whole rows are copied; half way is the midpoint and half the turn', () => {
    expect([...posesAt(poses, 2, 2, 1, out)]).toEqual([...poses.subarray(14)]);
    posesAt(poses, 2, 2, 0.5, out);
    expect(out[0]).toBeCloseTo(0.5);
    expect(out[2]).toBeCloseTo(1);
    const half = Math.PI / 8; // a 45 degree turn about z, as wxyz
    expect(out[3]).toBeCloseTo(Math.cos(half));
    expect(out[6]).toBeCloseTo(Math.sin(half));
    expect([...out.subarray(7)]).toEqual([5, 5, 5, 1, 0, 0, 0]);
  });

  test('takes the short way round when the next quaternion has the other sign', () => {
    const flipped = Float32Array.from(poses);
    for (let k = 17; k < 21; k++) flipped[k] = -flipped[k]!;
    posesAt(flipped, 2, 2, 0.5, out);
    expect(Math.abs(out[3]!)).toBeCloseTo(Math.cos(Math.PI / 8));
  });

  test('a cursor past either end holds the first or last row', () => {
    expect([...posesAt(poses, 2, 2, -4, out)]).toEqual([...poses.subarray(0, 14)]);
    expect([...posesAt(poses, 2, 2, 9, out)]).toEqual([...poses.subarray(14)]);
  });
});

describe('scene description', () => {
  test("the run's real scene passes, with the gripper to follow", () => {
    const scene = parseScene(real.scene);
    expect(scene.bodies.length).toBe(real.trajectories[0]!.bodies);
    expect(scene.bodies[gripperBody(scene)]).toBe('gripper0_right_gripper');
    expect(new Set(scene.geoms.map((g) => g.type))).toEqual(new Set(['plane', 'box', 'cylinder', 'capsule', 'mesh']));
  });

  test('a bad one is refused naming its first problem', () => {
    const scene = real.scene as ReplayScene;
    expect(() => parseScene({ ...scene, geoms: [{ ...scene.geoms[0]!, body: 999 }] })).toThrow(/^scene description: geoms\.0\.body: body 999 of \d+$/);
    expect(() => parseScene({ ...scene, meshes: scene.meshes.map((m, i) => (i === 0 ? { vertices: [0, 0, 0], faces: [0, 1, 2] } : m)) })).toThrow(/meshes\.0\.faces: a face refers past the 1 vertices/);
    expect(() => parseScene({ task: 'x' })).toThrow(/^scene description: bodies: /);
  });
});

describe('geometry (three.js, no WebGL needed)', () => {
  const geom = (type: SceneGeom['type'], size: [number, number, number], extra: Partial<SceneGeom> = {}): SceneGeom => ({ body: 0, type, size, pos: [0, 0, 0], quat: [1, 0, 0, 0], rgba: [1, 0, 0, 1], ...extra });
  const extent = (g: THREE.BufferGeometry) => {
    g.computeBoundingBox();
    const size = g.boundingBox!.getSize(new THREE.Vector3());
    return [size.x, size.y, size.z].map((v) => Math.round(v * 1000) / 1000);
  };

  test("MuJoCo sizes are half-sizes and radii; cylinders and capsules run along z; planes lie flat", () => {
    expect(extent(geomGeometry(geom('box', [0.1, 0.2, 0.3]), []))).toEqual([0.2, 0.4, 0.6]);
    expect(extent(geomGeometry(geom('sphere', [0.05, 0, 0]), []))).toEqual([0.1, 0.1, 0.1]);
    expect(extent(geomGeometry(geom('ellipsoid', [0.1, 0.2, 0.3]), []))).toEqual([0.2, 0.4, 0.6]);
    expect(extent(geomGeometry(geom('cylinder', [0.05, 0.4, 0]), []))).toEqual([0.1, 0.1, 0.8]);
    expect(extent(geomGeometry(geom('capsule', [0.05, 0.4, 0]), []))).toEqual([0.1, 0.1, 0.9]);
    expect(extent(geomGeometry(geom('plane', [3, 2, 0.1]), []))).toEqual([6, 4, 0]);
    const tetra = { vertices: [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1], faces: [0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3] };
    const mesh = geomGeometry(geom('mesh', [0, 0, 0], { mesh: 0 }), [tetra]);
    expect(mesh.getAttribute('position').count).toBe(12);
    expect(mesh.getAttribute('normal').count).toBe(12);
  });

  test('the real scene: a group per body, geoms merged per body and colour, local poses applied', () => {
    const scene = parseScene(real.scene);
    const built = buildScene(scene);
    expect(built.bodies.map((g) => g.name)).toEqual(scene.bodies);
    const meshes = built.bodies.flatMap((g) => g.children.filter((c): c is THREE.Mesh => c instanceof THREE.Mesh));
    expect(meshes.length).toBeLessThan(scene.geoms.length / 1.5);
    // The table top (a box of half-sizes 0.5 x 0.6 x 0.025 at the body's origin) and its legs below it.
    const table = built.bodies[scene.bodies.indexOf('main_table')]!;
    const box = new THREE.Box3().setFromObject(table);
    expect(box.max.z).toBeCloseTo(0.025, 3);
    expect(box.min.z).toBeLessThan(-0.8);
    // Shadows: the room (world body) takes them, everything else casts them too.
    const world = built.bodies[scene.bodies.indexOf('world')]!;
    expect(world.children.filter((c) => c instanceof THREE.Mesh).every((m) => !m.castShadow && m.receiveShadow)).toBe(true);
    expect(table.children.every((m) => (m as THREE.Mesh).castShadow)).toBe(true);
    built.dispose();
  });
});

describe('cameras (z up)', () => {
  const project = (camera: THREE.PerspectiveCamera, p: THREE.Vector3) => {
    camera.updateMatrixWorld();
    return p.clone().project(camera);
  };

  test("the agent view looks at the table from the front and above, back towards the robot, upright", () => {
    const camera = new THREE.PerspectiveCamera(AGENTVIEW.fovy, 1, 0.01, 30);
    applyAgentview(camera);
    const forward = new THREE.Vector3(0, 0, -1).applyQuaternion(camera.quaternion);
    const up = new THREE.Vector3(0, 1, 0).applyQuaternion(camera.quaternion);
    expect(forward.x).toBeLessThan(-0.3); // towards the robot at x = -0.66
    expect(forward.z).toBeLessThan(-0.3); // down at the table
    expect(up.z).toBeGreaterThan(0.3); // not upside down
    const table = project(camera, TABLE_CENTRE);
    expect(Math.abs(table.x)).toBeLessThan(0.2);
    expect(Math.abs(table.y)).toBeLessThan(1);
    // The robot's base (x = -0.66, on the table's height) is above the table's centre in the picture.
    expect(project(camera, new THREE.Vector3(-0.66, 0, 0.9)).y).toBeGreaterThan(table.y);
    // Orbiting from it turns around the table top where the view meets it.
    expect(orbitFromCamera(camera).target.z).toBeCloseTo(0.9, 5);
  });

  test('an orbit looks at its target from above, z up', () => {
    const camera = new THREE.PerspectiveCamera(45, 1.6, 0.01, 30);
    const orbit = defaultOrbit();
    applyOrbit(camera, orbit);
    expect(camera.position.z).toBeGreaterThan(orbit.target.z);
    expect(camera.position.distanceTo(orbit.target)).toBeCloseTo(orbit.distance, 6);
    const centre = project(camera, orbit.target);
    expect(Math.abs(centre.x)).toBeLessThan(1e-6);
    expect(Math.abs(centre.y)).toBeLessThan(1e-6);
    expect(new THREE.Vector3(0, 1, 0).applyQuaternion(camera.quaternion).z).toBeGreaterThan(0);
  });
});

// ---- the slice on the real engine ----

describe('replay slice', { timeout: 30_000 }, () => {
  test('lists runs, opens the newest with its episodes failed first, and loads the first one with a trajectory', async () => {
    const store = engineStore();
    await store.getState().loadReplayRuns();

    const s = store.getState();
    expect(s.replayRuns?.map((r) => r.id)).toContain(real.id);
    expect(s.replayRuns?.[0]?.id).toBe(mixedId);
    const run = s.replayRun;
    expect(run.status === 'ready' && run.episodes.map((e) => `${e.outcome} ${e.trial}`)).toEqual(['failure 1', 'error 2', 'success 0']);
    const ready = readyEpisode(store);
    expect([ready.taskId, ready.trial]).toEqual([0, 1]);
    expect(ready.episode.poses).toHaveLength((MAX_STEPS + 1) * ready.scene.bodies.length * 7);
    expect(ready.scene.bodies).toContain('gripper0_right_gripper');
    // The goal strip's rows, as the engine recorded them: one atom, a row per state.
    expect(ready.episode.goal?.atoms).toEqual(['On(akita_black_bowl_1, plate_1)']);
    expect(ready.episode.goal?.truth).toHaveLength(MAX_STEPS + 1);
  });

  test('the navigation target preselects its run and episode', async () => {
    const store = engineStore();
    store.getState().openReplay({ runId: real.id, taskId: 0, trial: 0 });
    await store.getState().loadReplayRuns();

    expect(store.getState().replayRun).toMatchObject({ status: 'ready', runId: real.id });
    expect(readyEpisode(store)).toMatchObject({ taskId: 0, trial: 0 });
    // Applied once: the user's next pick stays.
    await store.getState().selectReplayEpisode(0, 1);
    await store.getState().loadReplayRuns();
    expect(readyEpisode(store)).toMatchObject({ taskId: 0, trial: 1 });
  });

  test('an errored episode without a trajectory says so, with its error', async () => {
    const store = engineStore();
    await store.getState().selectReplayRun(mixedId);
    await store.getState().selectReplayEpisode(0, 2);

    const e = store.getState().replayEpisode;
    expect(e.status).toBe('unavailable');
    expect(e.status === 'unavailable' && e.message).toBe(
      'This episode ended in an error before a trajectory was written, so there is nothing to replay. The error: simulator unstable: NaN in qacc at step 12',
    );
  });

  test('imported results: the run has no trajectories in its folder', async () => {
    const store = engineStore();
    await store.getState().selectReplayRun(importedId);

    expect(store.getState().replayRun).toMatchObject({ status: 'ready', trajectories: 'missing' });
    expect(store.getState().replayEpisode.status).toBe('none');
  });

  test('an unknown run fails with the engine message', async () => {
    const store = engineStore();
    await store.getState().selectReplayRun('no-such-run');
    const run = store.getState().replayRun;
    expect(run.status).toBe('failed');
    expect(run.status === 'failed' && run.message).toMatch(/no-such-run/);
  });

  test('runs that appear later are picked up: on eval.event, and by Refresh', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'rsd-replay-later-'));
    const host = createEngineHost('in-process', { dataDir: empty, env: {} });
    const store = createAppStore();
    teardowns.push(store.getState().attach(createClient(inProcessTransport(host))));
    const off = store.getState().followReplayRuns();
    await store.getState().loadReplayRuns();
    expect(store.getState().replayRuns).toEqual([]);

    // A run lands in the store and the engine says it finished.
    await cp(real.dir, path.join(empty, 'runs', real.id), { recursive: true });
    const progress = { done: 2, total: 2, successes: 0, errors: 0, perTask: [], episodesPerMinute: null, etaSeconds: null, chunkMedianMs: null, elapsedSeconds: 1 };
    host.emit('eval.event', { type: 'run-finished', runId: real.id, status: 'completed', error: null, progress });
    await waitFor(() => expect(readyEpisode(store)).toMatchObject({ taskId: 0, trial: 0 }));
    expect(store.getState().replayRun).toMatchObject({ runId: real.id });
    off();

    // Refresh keeps the episode and the cursor.
    store.getState().seekReplay(7);
    await store.getState().refreshReplayRuns();
    expect(readyEpisode(store)).toMatchObject({ trial: 0 });
    expect(store.getState().replayCursor).toBe(7);
    await rm(empty, { recursive: true, force: true });
  });

  test('the later pick wins when two episodes load at once', async () => {
    const store = engineStore();
    await store.getState().selectReplayRun(real.id);
    await Promise.all([store.getState().selectReplayEpisode(0, 0), store.getState().selectReplayEpisode(0, 1)]);
    expect(readyEpisode(store)).toMatchObject({ trial: 1 });
  });

  test('timeline actions: play, advance, stop at the end or loop, single steps, speed', async () => {
    const store = engineStore();
    await store.getState().selectReplayRun(real.id);
    const seen: number[] = [];
    const off = store.getState().subscribeReplayCursor((c) => seen.push(c));
    const g = () => store.getState();

    g().setReplayPlaying(true);
    g().advanceReplay(500); // 10 steps at 1x
    expect(g().replayCursor).toBe(10);
    g().setReplaySpeed(2);
    g().advanceReplay(1000); // 40 more: past the end of 24
    expect([g().replayCursor, g().replayPlaying]).toEqual([MAX_STEPS, false]);
    g().setReplayLoop(true);
    g().toggleReplayPlaying(); // from the end: starts over
    expect([g().replayCursor, g().replayPlaying]).toEqual([0, true]);
    g().advanceReplay(650); // 26 steps at 2x: wraps to 2
    expect(g().replayCursor).toBeCloseTo(2, 6);
    g().stepReplay(1);
    expect([g().replayCursor, g().replayPlaying]).toEqual([3, false]);
    g().seekReplay(100);
    expect(g().replayCursor).toBe(MAX_STEPS);
    off();
    g().seekReplay(1);
    expect(seen.slice(0, 3)).toEqual([0, 10, MAX_STEPS]);
    expect(seen.at(-1)).toBe(MAX_STEPS);
  });
});

// ---- the page ----

describe('Replay page', { timeout: 30_000 }, () => {
  test('picker with failed episodes first; the episode, its outcome, the timeline and plots; no WebGL said plainly', async () => {
    const { store, user } = renderReplay();

    expect(await screen.findByRole('heading', { level: 1, name: 'Replay' })).toBeInTheDocument();
    const runSelect = await screen.findByRole('combobox', { name: 'Run' });
    await waitFor(() => expect(runSelect).toHaveValue(mixedId));
    const outcome = await screen.findByTestId('replay-outcome');
    const episodeSelect = screen.getByRole('combobox', { name: 'Episode' });
    expect(episodeSelect).toHaveValue('0/1');
    const groups = within(episodeSelect).getAllByRole('group');
    expect(groups.map((g) => g.getAttribute('label'))).toEqual(['Failed (1)', 'Errors (1)', 'Succeeded (1)']);
    expect(within(episodeSelect).getAllByRole('option').map((o) => o.textContent)).toEqual([
      `Task 0 · trial 1 · failure, ran out at ${MAX_STEPS} steps`,
      'Task 0 · trial 2 · error at step 12 · no trajectory',
      `Task 0 · trial 0 · success at step ${MAX_STEPS}`,
    ]);

    expect(outcome).toHaveTextContent(`Failure: ran out of steps at the maximum of ${MAX_STEPS}`);
    expect(outcome).toHaveTextContent(real.trajectories[1]!.instruction);
    expect(screen.getByTestId('replay-no-webgl')).toHaveTextContent('3D view unavailable. This browser has no WebGL');

    // Plots (uPlot; jsdom draws none, so each shows its data table): translation, rotation, gripper, draft layers and latency, per step.
    const plotBox = screen.getByTestId('replay-plots');
    const plots = within(plotBox).getAllByRole('img');
    expect(plots.map((p) => p.getAttribute('aria-label'))).toEqual([
      'Translation actions x, y, z', 'Rotation actions roll, pitch, yaw', 'Gripper command (−1 open, +1 close) and finger positions', 'Draft layers per chunk, proposed and accepted', 'Chunk latency',
    ]);
    const table = (name: string) => within(plotBox).getByRole('table', { name: `${name}: data` });
    expect(within(table('Translation actions x, y, z')).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['step', 'x', 'y', 'z']);
    expect(within(table('Gripper command (−1 open, +1 close) and finger positions')).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['step', 'command', 'left finger', 'right finger']);
    const layers = within(table('Draft layers per chunk, proposed and accepted')).getAllByRole('row').slice(1);
    expect(layers).toHaveLength(MAX_STEPS + 1);
    // Each chunk's figures hold over its steps (chunks start at 0, 8, 16: 3 layers proposed).
    expect(layers.slice(0, 9).map((r) => r.children[1]!.textContent)).toEqual(Array(9).fill('3.000'));
    expect(new Set(layers.slice(0, 8).map((r) => r.children[2]!.textContent)).size).toBe(1);
    expect(within(table('Chunk latency')).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['step', 'chunk total']);

    // Step forward, then play: the readout, slider and plot cursors follow.
    const readout = screen.getByTestId('replay-step');
    expect(readout).toHaveTextContent(`step 0 / ${MAX_STEPS} · 0.00 s`);
    await user.click(screen.getByRole('button', { name: 'Step forward' }));
    expect(readout).toHaveTextContent(`step 1 / ${MAX_STEPS} · 0.05 s`);
    expect(screen.getByTestId('replay-chunk')).toHaveTextContent(/^#1 of 3, steps 0–7: accepted \d of 3 draft layers · /);
    // 19-5: the stages this decoding has (speculative: no parallel heads, said as n/a), chunk marks under the scrubber, the CSV export.
    expect(screen.getByTestId('replay-stages')).toHaveTextContent(/^speculative: draft \d+\.\d · verify \d+\.\d · main steps \d+\.\d · parallel heads n\/a$/);
    expect(within(screen.getByTestId('replay-marks')).getAllByText(/^#\d+$/).map((m) => m.textContent)).toEqual(['#1', '#2', '#3']);
    expect(screen.getByRole('button', { name: 'Export CSV' })).toBeEnabled();
    expect(screen.queryByTestId('replay-chunk-note')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Play' }));
    expect(store.getState().replayPlaying).toBe(true);
    act(() => store.getState().advanceReplay(500));
    expect(readout).toHaveTextContent(`step 11 / ${MAX_STEPS}`);
    expect(screen.getByTestId('replay-chunk')).toHaveTextContent(/^#2 of 3, steps 8–15: /);
    expect(screen.getByTestId('replay-chunk-note')).toHaveTextContent('the draft cannot save time for this model');
    const slider = screen.getByRole('slider', { name: 'Timeline' });
    expect(slider).toHaveValue('11');
    expect(plotBox).toHaveAttribute('data-step', '11');
    await user.click(screen.getByRole('button', { name: 'Pause' }));
    expect(store.getState().replayPlaying).toBe(false);

    // Scrub, speed, loop.
    fireEvent.change(slider, { target: { value: '20.5' } });
    expect(store.getState().replayCursor).toBe(20.5);
    expect(readout).toHaveTextContent(`step 20 / ${MAX_STEPS}`);
    await user.selectOptions(screen.getByRole('combobox', { name: 'Speed' }), '0.25');
    expect(store.getState().replaySpeed).toBe(0.25);
    await user.click(screen.getByRole('checkbox', { name: 'Loop' }));
    expect(store.getState().replayLoop).toBe(true);

    // Keys: space plays and pauses, arrows step.
    fireEvent.keyDown(document.body, { key: ' ' });
    expect(store.getState().replayPlaying).toBe(true);
    fireEvent.keyDown(document.body, { key: 'ArrowLeft' });
    expect([store.getState().replayCursor, store.getState().replayPlaying]).toEqual([20, false]);

    // Camera modes are buttons that say which one is on.
    await user.click(screen.getByRole('button', { name: 'Agent view' }));
    expect(store.getState().replayCamera).toBe('agentview');
    expect(screen.getByRole('button', { name: 'Agent view' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByRole('button', { name: 'Orbit' })).toHaveAttribute('aria-pressed', 'false');
  });

  test('an errored episode without a trajectory, and a run without trajectories, say so', async () => {
    const { user } = renderReplay();
    const episodeSelect = await screen.findByRole('combobox', { name: 'Episode' });
    await screen.findByTestId('replay-outcome');

    await user.selectOptions(episodeSelect, '0/2');
    const unavailable = await screen.findByTestId('replay-unavailable');
    expect(unavailable).toHaveTextContent('Error at step 12: simulator unstable: NaN in qacc at step 12');
    expect(unavailable).toHaveTextContent('This episode ended in an error before a trajectory was written, so there is nothing to replay.');
    expect(screen.queryByRole('slider', { name: 'Timeline' })).toBeNull();

    await user.selectOptions(screen.getByRole('combobox', { name: 'Run' }), importedId);
    expect(await screen.findByRole('heading', { level: 2, name: 'This run has no trajectories' })).toBeInTheDocument();
    expect(screen.getByText(/results imported from a file carry no trajectories/)).toBeInTheDocument();
  });

  test('with no runs at all: what the page is for, and where runs come from', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'rsd-replay-empty-'));
    const store = createAppStore();
    teardowns.push(store.getState().attach(createClient(inProcessTransport(createEngineHost('in-process', { dataDir: empty, env: {} })))));
    renderReplay(store);

    expect(await screen.findByRole('heading', { level: 2, name: 'No episode to replay' })).toBeInTheDocument();
    expect(screen.getByText(/No runs yet: start an evaluation on the Run page/)).toBeInTheDocument();
    await rm(empty, { recursive: true, force: true });
  });
});
