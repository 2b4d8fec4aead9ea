import { describe, expect, it } from 'vitest';
import { encodeFloats, TrajectoryRecorder } from '../../../engine/runs/trajectory.js';
import { decodeFloats, expandPoses } from '../../../engine/api/trajectory-codec.js';
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
});
