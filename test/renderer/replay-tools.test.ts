// Replay's pure helpers for issue 19 item 5: the timeline's ticks and chunk marks, the per-stage
// read-out for each decoding kind, the per-step CSV export and the video's frame.
import * as THREE from 'three';
import { describe, expect, test } from 'vitest';
import { LATENCY_STAGES, type EpisodeChunks } from '../../engine/api/schemas/results.js';
import type { TrajectoryChunk } from '../../engine/api/schemas/trajectory.js';
import { CSV_HEADER, csvField, csvFileName, csvLine, episodeCsv, f32 } from '../../renderer/src/components/replay/csv.js';
import { applyOrbit, framingOrbit } from '../../renderer/src/components/replay/camera-rig.js';
import { gripTrail, type ReplayEpisode } from '../../renderer/src/components/replay/episode.js';
import { chunkStages, stageText } from '../../renderer/src/components/replay/stages.js';
import { timelineMarks } from '../../renderer/src/components/replay/timeline.js';
import { SCENE_TILE, tileWidth, videoContents, videoFileName, videoSize } from '../../renderer/src/components/replay/video-export.js';

const chunk = (step: number, executed: number, over: Partial<TrajectoryChunk> = {}): TrajectoryChunk => ({
  step, executed, draftLayers: 0, acceptedLayers: 0, agreement: [], totalMs: 10, draftMs: 0, verifyMs: 0, mainStepsMs: 0, batchSize: 1, deviates: null, ...over,
});

describe('timeline marks', () => {
  test('round step ticks, at most 12 labelled, and one numbered mark per chunk start', () => {
    const { ticks, chunks } = timelineMarks(60, [0, 8, 16, 24]);
    expect(ticks.map((t) => t.label)).toEqual(['0', '10', '20', '30', '40', '50', '60']);
    expect(ticks[3]!.at).toBe(0.5);
    expect(chunks.map((c) => [c.label, c.at, c.labelled])).toEqual([['#1', 0, true], ['#2', 8 / 60, true], ['#3', 16 / 60, true], ['#4', 0.4, true]]);
    expect(timelineMarks(220, []).ticks.map((t) => t.step)).toEqual([0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200, 220]);
  });

  test('many chunks: every one marked, only every n-th labelled; an empty episode has none', () => {
    const starts = Array.from({ length: 60 }, (_, i) => i * 8);
    const { chunks } = timelineMarks(480, starts);
    expect(chunks).toHaveLength(60);
    expect(chunks.filter((c) => c.labelled).map((c) => c.label)).toEqual(['#1', '#4', '#7', '#10', '#13', '#16', '#19', '#22', '#25', '#28', '#31', '#34', '#37', '#40', '#43', '#46', '#49', '#52', '#55', '#58']);
    expect(timelineMarks(0, [0])).toEqual({ ticks: [], chunks: [] });
  });
});

describe('per-stage read-out', () => {
  const latency = (over: Partial<Record<(typeof LATENCY_STAGES)[number], number[]>>): Pick<EpisodeChunks, 'latency'> => ({
    latency: { ...(Object.fromEntries(LATENCY_STAGES.map((s) => [s, [0, 0]])) as EpisodeChunks['latency']), ...over },
  });
  const c = chunk(8, 8, { draftMs: 1.25, verifyMs: 2.5, mainStepsMs: 3.75, draftLayers: 3, acceptedLayers: 2 });

  test('speculative: draft, verify and main steps; no parallel heads', () => {
    expect(chunkStages('speculative', c, 1, latency({})).map(stageText)).toEqual(['draft 1.3', 'verify 2.5', 'main steps 3.8', 'parallel heads n/a']);
  });
  test('autoregressive: only main steps', () => {
    expect(chunkStages('autoregressive', { ...c, draftMs: 0, verifyMs: 0 }, 1, null).map(stageText)).toEqual(['draft n/a', 'verify n/a', 'main steps 3.8', 'parallel heads n/a']);
  });
  test('parallel: the parallel heads from the results, n/a for the rest, never 0.00', () => {
    const zero = { ...c, draftMs: 0, verifyMs: 0, mainStepsMs: 0 };
    expect(chunkStages('parallel', zero, 1, latency({ parallelMs: [4, 5.5] })).map(stageText)).toEqual(['draft n/a', 'verify n/a', 'main steps n/a', 'parallel heads 5.5']);
    expect(chunkStages('parallel', zero, 1, null).map(stageText)).toEqual(['draft n/a', 'verify n/a', 'main steps n/a', 'parallel heads not recorded']);
  });
});

describe('CSV export', () => {
  test('fields are quoted only when they must be, with quotes doubled', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvLine([1, 'x,y', undefined])).toBe('1,"x,y",');
  });

  test('float32 values print as the shortest decimal that reads back the same', () => {
    expect(f32(Math.fround(0.1))).toBe(0.1);
    expect(f32(Math.fround(-1))).toBe(-1);
    expect(f32(undefined)).toBeNull();
  });

  test("one row per state: the step's action (none on the last), proprio, success where it ended, the chunk", () => {
    const steps = 3;
    const episode: ReplayEpisode = {
      runId: 'run-a', taskId: 2, trial: 1, initIndex: 1, instruction: 'put it, "there"', outcome: 'success', error: null, steps, maxSteps: 10, bodies: 0,
      poses: new Float32Array(0),
      proprio: Float32Array.from({ length: (steps + 1) * 8 }, (_, i) => i / 10),
      actions: Float32Array.from({ length: steps * 7 }, (_, i) => (i % 7 === 6 ? 1 : i / 100)),
      chunks: [chunk(0, 2, { draftLayers: 3, acceptedLayers: 2, totalMs: 12.5 }), chunk(2, 1, { totalMs: 9 })],
      cameras: null,
      goal: null,
    };
    const lines = episodeCsv(episode).split('\r\n');
    expect(lines).toHaveLength(steps + 3); // header, 4 rows, the final line end
    expect(lines.at(-1)).toBe('');
    expect(lines[0]!.split(',')).toEqual([...CSV_HEADER]);
    expect(lines[0]).toBe('step,action_x,action_y,action_z,action_roll,action_pitch,action_yaw,action_gripper,grip_x,grip_y,grip_z,grip_ax,grip_ay,grip_az,finger_left,finger_right,success,chunk_index,chunk_total_ms,draft_layers,accepted_layers');
    expect(lines[1]).toBe('0,0,0.01,0.02,0.03,0.04,0.05,1,0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0,0,12.5,3,2');
    expect(lines[3]!.split(',').slice(-5)).toEqual(['0', '1', '9', '0', '0']);
    // The final state: no action, no chunk; the episode succeeded here.
    expect(lines[4]!.split(',')).toEqual(['3', '', '', '', '', '', '', '', '2.4', '2.5', '2.6', '2.7', '2.8', '2.9', '3', '3.1', '1', '', '', '', '']);
    expect(csvFileName(episode)).toBe('run-a-task2-trial1.csv');

    // With goal rows: a column per atom (its name quoted, for the comma), 1 where it holds.
    const atoms = ['On(bowl_1, plate_1)', 'Open(drawer_1)'];
    const truth = Uint8Array.from([0, 0, 0, 1, 1, 1, 1, 1]);
    const withGoal = episodeCsv({ ...episode, goal: { atoms, truth } }).split('\r\n');
    expect(withGoal[0]).toBe(`${lines[0]},"goal On(bowl_1, plate_1)",goal Open(drawer_1)`);
    expect(withGoal.slice(1, 5).map((l) => l.split(',').slice(-2).join(' '))).toEqual(['0 0', '0 1', '1 1', '1 1']);
  });
});

describe('3D view helpers', () => {
  test("the gripper trail is the proprio's grip-site xyz per row", () => {
    const proprio = Float32Array.from({ length: 3 * 8 }, (_, i) => i);
    expect([...gripTrail({ proprio, steps: 2 })]).toEqual([0, 1, 2, 8, 9, 10, 16, 17, 18]);
  });

  test('the default camera frames the workspace: the whole box in view, from the front right and above', () => {
    // Table, objects and robot: about 1.6 m x 1.2 m x 1.2 m.
    const box = new THREE.Box3(new THREE.Vector3(-0.9, -0.6, 0), new THREE.Vector3(0.7, 0.6, 1.2));
    const orbit = framingOrbit(box, 45, 16 / 9);
    expect(orbit.target.toArray().map((v) => Number(v.toFixed(3)))).toEqual([-0.1, 0, 0.6]);
    const camera = new THREE.PerspectiveCamera(45, 16 / 9, 0.02, 30);
    const corners = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => new THREE.Vector3(i & 1 ? box.max.x : box.min.x, i & 2 ? box.max.y : box.min.y, i & 4 ? box.max.z : box.min.z));
    const allInView = (distance: number) => {
      applyOrbit(camera, { ...orbit, distance });
      camera.updateMatrixWorld(true);
      const frustum = new THREE.Frustum().setFromProjectionMatrix(new THREE.Matrix4().multiplyMatrices(camera.projectionMatrix, camera.matrixWorldInverse));
      return corners.every((c) => frustum.containsPoint(c));
    };
    expect(allInView(orbit.distance)).toBe(true);
    // Tight: a tenth closer and a corner is cut off.
    expect(allInView(orbit.distance * 0.9)).toBe(false);
    applyOrbit(camera, orbit);
    expect(camera.position.x).toBeGreaterThan(orbit.target.x);
    expect(camera.position.z).toBeGreaterThan(box.max.z);
    expect(framingOrbit(new THREE.Box3(), 45, 1).distance).toBe(2);
  });
});

describe('video export', () => {
  test('the frame holds the tiles side by side at 288 px, in even sizes', () => {
    // 3D view alone; with two 128x128 cameras (scaled to 288 square).
    expect(videoSize([SCENE_TILE.width])).toEqual({ width: 8 + 512 + 8, height: 28 + 288 + 24 });
    expect(videoSize([SCENE_TILE.width, tileWidth(128, 128), tileWidth(128, 128)])).toEqual({ width: 8 + 520 + 2 * 296, height: 340 });
    expect(tileWidth(320, 240)).toBe(384);
    expect(videoSize([tileWidth(3, 2)]).width % 2).toBe(0);
  });

  test('the button says what the video holds, and the file is named after the run, task and trial', () => {
    expect(videoContents(true, 2)).toBe('3D view + 2 cameras');
    expect(videoContents(true, 0)).toBe('3D view');
    expect(videoContents(false, 1)).toBe('1 camera');
    expect(videoContents(false, 0)).toBe('');
    expect(videoFileName({ runId: 'r1', taskId: 3, trial: 7 })).toBe('r1-task03-trial007.webm');
  });
});
