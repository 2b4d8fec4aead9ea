import { beforeAll, describe, expect, it } from 'vitest';
import { projectTask } from '../../../../engine/libero/project-tasks.js';
import { WAIT_ACTION } from '../../../../engine/libero/suites.js';
import type { TaskSpec } from '../../../../engine/libero/task.js';
import { AGENTVIEW, EYE_IN_HAND } from '../../../../engine/sim/cameras.js';
import { EmbeddedPhysics, SimulationError } from '../../../../engine/sim/embedded/physics.js';
import { projectInitStates } from '../../../../engine/sim/embedded/project-init-states.js';
import type { CameraImage, InitState } from '../../../../engine/sim/simulator.js';

const SIZE = 64;
const CAMERAS = [AGENTVIEW, EYE_IN_HAND].map((name) => ({ name, width: SIZE, height: SIZE }));
const init = (row: number): InitState => projectInitStates('libero_spatial', 0, 'eval')[row]!;

/** Object 0 of libero_spatial task 0 is akita_black_bowl_1; its free joint follows the robot's 9 qpos. */
const BOWL_QPOS = 9;

function withBowlAt(state: InitState, xyz: readonly number[]): InitState {
  const qpos = Float64Array.from(state.qpos);
  qpos.set(xyz, BOWL_QPOS);
  return { ...state, qpos };
}

/** Centre (column, row) of the pixels that differ between two renders: where the moved object is. */
function changedCentroid(a: CameraImage, b: CameraImage): { col: number; row: number; pixels: number } {
  let col = 0;
  let row = 0;
  let pixels = 0;
  for (let p = 0; p < a.width * a.height; p++) {
    const d = Math.abs(a.data[3 * p]! - b.data[3 * p]!) + Math.abs(a.data[3 * p + 1]! - b.data[3 * p + 1]!) + Math.abs(a.data[3 * p + 2]! - b.data[3 * p + 2]!);
    if (d <= 12) continue;
    col += p % a.width;
    row += Math.floor(p / a.width);
    pixels++;
  }
  return { col: col / pixels, row: row / pixels, pixels };
}

describe('the embedded simulator renders LIBERO cameras', () => {
  let sim: EmbeddedPhysics;
  let task: TaskSpec;
  beforeAll(async () => {
    sim = await EmbeddedPhysics.create({ cameras: CAMERAS });
    task = projectTask('libero_spatial', 0);
  });

  it('gives each requested camera an RGB image of the requested size', () => {
    const obs = sim.reset(task, init(0));
    expect(Object.keys(obs.images).sort()).toEqual([AGENTVIEW, EYE_IN_HAND].sort());
    for (const image of Object.values(obs.images)) {
      expect([image.width, image.height, image.channels, image.data.length]).toEqual([SIZE, SIZE, 3, SIZE * SIZE * 3]);
      // Not a blank frame: a scene with a table, objects and a robot has many distinct colours.
      expect(new Set(Array.from({ length: SIZE * SIZE }, (_, p) => image.data.subarray(3 * p, 3 * p + 3).join())).size).toBeGreaterThan(50);
    }
  });

  it('is deterministic: the same state gives the same bytes, whatever was rendered before', async () => {
    const first = sim.reset(task, init(0)).images;
    for (let i = 0; i < 5; i++) sim.step([0.5, -0.3, 0.2, 0, 0, 0.1, 1]);
    sim.reset(task, init(3));
    const again = sim.reset(task, init(0)).images;
    const fresh = await EmbeddedPhysics.create({ cameras: CAMERAS });
    const other = fresh.reset(task, init(0)).images;
    fresh.close();
    for (const name of [AGENTVIEW, EYE_IN_HAND]) {
      expect(Buffer.from(again[name]!.data).equals(Buffer.from(first[name]!.data))).toBe(true);
      expect(Buffer.from(other[name]!.data).equals(Buffer.from(first[name]!.data))).toBe(true);
    }
    // And a different state gives different bytes.
    const moved = sim.step([0.8, 0, 0, 0, 0, 0, -1]).observation.images;
    expect(Buffer.from(moved[EYE_IN_HAND]!.data).equals(Buffer.from(first[EYE_IN_HAND]!.data))).toBe(false);
  });

  it('agentview is upright with camera-left at world y < 0 (LIBERO: the cabinet, at y < 0, is on the left before OFT mirrors it)', () => {
    const base = init(0);
    const away = sim.reset(task, withBowlAt(base, [0, 0, 5])).images[AGENTVIEW]!;
    const at = (x: number, y: number) => changedCentroid(away, sim.reset(task, withBowlAt(base, [x, y, 0.93])).images[AGENTVIEW]!);
    const left = at(0, -0.2);
    const right = at(0, 0.2);
    const near = at(0.15, 0);
    const far = at(-0.1, 0);
    for (const c of [left, right, near, far]) expect(c.pixels).toBeGreaterThan(5);
    expect(left.col).toBeLessThan(SIZE / 2);
    expect(right.col).toBeGreaterThan(SIZE / 2);
    // The camera stands at x = 0.66 looking back at the robot: nearer the robot is higher in the image.
    expect(far.row).toBeLessThan(near.row);
  });

  it('the wrist camera follows MuJoCo\'s camera frame: its +x axis is image right, +y is image up', () => {
    const base = init(0);
    sim.reset(task, base);
    const { pos, mat } = sim.cameraFrame(EYE_IN_HAND);
    const axis = (k: number) => [mat[k]!, mat[3 + k]!, mat[6 + k]!];
    // A point 0.25 m in front of the camera (it looks along -z), shifted along its x or y axis.
    const point = (dx: number, dy: number) => [0, 1, 2].map((i) => pos[i]! - 0.25 * axis(2)[i]! + dx * axis(0)[i]! + dy * axis(1)[i]!);
    const away = sim.reset(task, withBowlAt(base, [0, 0, 5])).images[EYE_IN_HAND]!;
    const at = (dx: number, dy: number) => changedCentroid(away, sim.reset(task, withBowlAt(base, point(dx, dy))).images[EYE_IN_HAND]!);
    const right = at(0.08, 0);
    const left = at(-0.08, 0);
    const up = at(0, 0.08);
    const down = at(0, -0.08);
    for (const c of [right, left, up, down]) expect(c.pixels).toBeGreaterThan(5);
    expect(right.col).toBeGreaterThan(SIZE / 2);
    expect(left.col).toBeLessThan(SIZE / 2);
    expect(up.row).toBeLessThan(SIZE / 2);
    expect(down.row).toBeGreaterThan(SIZE / 2);
  });

  it('renders nothing for a simulator asked for no cameras', async () => {
    const plain = await EmbeddedPhysics.create();
    expect(plain.reset(task, init(0)).images).toEqual({});
    expect(plain.step(WAIT_ACTION).observation.images).toEqual({});
    plain.close();
  });

  it('names a camera the scene does not have', async () => {
    const bad = await EmbeddedPhysics.create({ cameras: [{ name: 'frontview', width: 32, height: 32 }] });
    expect(() => bad.reset(task, init(0))).toThrow(SimulationError);
    expect(() => bad.reset(task, init(0))).toThrow(/no camera "frontview" \(it has .*agentview.*robot0_eye_in_hand/);
    bad.close();
  });
});
