import { describe, expect, it } from 'vitest';
import { encodeFloats, TrajectoryRecorder } from '../../../engine/runs/trajectory.js';
import { decodeFloats, decodeGoal, expandPoses } from '../../../engine/api/trajectory-codec.js';
import { Trajectory, TRAJECTORY_FORMAT } from '../../../engine/api/schemas/trajectory.js';

describe('trajectory codec', () => {
  it('round-trips float32 arrays through base64, checking lengths', () => {
    const values = [0, -1.5, 3.25, 1e-7, 65504];
    expect(Array.from(decodeFloats(encodeFloats(values)))).toEqual(Array.from(Float32Array.from(values)));
    expect(() => decodeFloats(encodeFloats(values), 4, 'poses')).toThrow('poses: 5 values, expected 4');
    expect(decodeFloats(encodeFloats(new Float32Array(100_000)))).toHaveLength(100_000);
  });

  it('stores only the bodies that moved, and expands them back to every body per row', () => {
    const recorder = new TrajectoryRecorder(3);
    const pose = (x: number) => [x, 0, 0, 1, 0, 0, 0];
    // Body 1 moves; bodies 0 and 2 stay.
    recorder.addState([...pose(0), ...pose(1), ...pose(2)], [0, 0, 0, 0, 0, 0, 0.04, -0.04]);
    recorder.addAction([1, 0, 0, 0, 0, 0, -1]);
    recorder.addState([...pose(0), ...pose(1.5), ...pose(2)], [0, 0, 0, 0, 0, 0, 0.03, -0.03]);
    const parts = recorder.finish();
    expect(parts.moving).toEqual([1]);
    const trajectory = Trajectory.parse({
      format: TRAJECTORY_FORMAT, taskId: 0, trial: 0, initIndex: 0, instruction: 'x', scene: 'scene-task00.json',
      outcome: 'failure', error: null, steps: 1, maxSteps: 1, ...parts, chunks: [],
    });
    const poses = expandPoses(trajectory);
    expect(Array.from(poses.subarray(0, 21))).toEqual([...pose(0), ...pose(1), ...pose(2)]);
    expect(Array.from(poses.subarray(21, 42))).toEqual([...pose(0), ...pose(1.5), ...pose(2)]);
  });

  const pose = [0, 0, 0, 1, 0, 0, 0];
  const proprio = [0, 0, 0, 0, 0, 0, 0.04, -0.04];
  const trajectoryOf = (parts: ReturnType<TrajectoryRecorder['finish']>, steps: number) =>
    Trajectory.parse({ format: TRAJECTORY_FORMAT, taskId: 0, trial: 0, initIndex: 0, instruction: 'x', scene: 'scene-task00.json', outcome: 'success', error: null, steps, maxSteps: 9, ...parts, chunks: [] });

  it("round-trips the goal atoms' truth per row through the file", () => {
    const recorder = new TrajectoryRecorder(1, ['On(bowl, plate)', 'Open(drawer)']);
    const rows = [[false, false], [false, true], [true, true]];
    rows.forEach((goal, t) => {
      if (t > 0) recorder.addAction([0, 0, 0, 0, 0, 0, -1]);
      recorder.addState(pose, proprio, goal);
    });
    const trajectory = trajectoryOf(recorder.finish(), 2);
    const parsed = Trajectory.parse(JSON.parse(JSON.stringify(trajectory)));
    const goal = decodeGoal(parsed)!;
    expect(goal.atoms).toEqual(['On(bowl, plate)', 'Open(drawer)']);
    expect(Array.from(goal.truth)).toEqual(rows.flat().map(Number));
  });

  it('keeps no goal rows when a row came without them, and refuses rows of the wrong width', () => {
    const recorder = new TrajectoryRecorder(1, ['On(bowl, plate)']);
    recorder.addState(pose, proprio); // row 0 never evaluated (no wait step)
    recorder.addAction([0, 0, 0, 0, 0, 0, -1]);
    recorder.addState(pose, proprio, [true]);
    const parts = recorder.finish();
    expect(parts.goal).toBeUndefined();
    expect(decodeGoal(trajectoryOf(parts, 1))).toBeNull();
    expect(() => new TrajectoryRecorder(1, ['On(bowl, plate)']).addState(pose, proprio, [true, false])).toThrow('goalAtoms: 2 truth values, the task\'s goal has 1 atoms');
  });

  it('checks the goal rows when decoding: their size and 0 or 1', () => {
    const atoms = ['On(bowl, plate)'];
    expect(() => decodeGoal({ steps: 2, goal: { atoms, truth: btoa('\x00\x01') } })).toThrow('goal.truth: 2 bytes, expected 3');
    expect(() => decodeGoal({ steps: 1, goal: { atoms, truth: btoa('\x00\x02') } })).toThrow('goal.truth: byte 1 is 2, expected 0 or 1');
    expect(() => decodeGoal({ steps: 1, goal: { atoms, truth: '%%' } })).toThrow('goal.truth: not base64');
  });
});
