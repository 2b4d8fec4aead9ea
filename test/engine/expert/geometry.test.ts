import { describe, expect, it } from 'vitest';
import { boxPrism, footprintGap, prismGap, type Prism, type RectPrism } from '../../../engine/expert/geometry.js';
import { chooseGrasp, GRASPS, heightProfile } from '../../../engine/expert/grasp-plan.js';
import { fixtureBoxes, handPrisms, heldPrisms, objectPrism } from '../../../engine/expert/scene-model.js';
import { fixtureDef } from '../../../engine/sim/embedded/assets/objects.js';

const rect = (cx: number, cy: number, hx: number, hy: number, yaw = 0, zMin = 0, zMax = 1): RectPrism => ({
  kind: 'rect', owner: 'r', cx, cy, ux: Math.cos(yaw), uy: Math.sin(yaw), hx, hy, zMin, zMax,
});
const circle = (cx: number, cy: number, r: number, zMin = 0, zMax = 1): Prism => ({ kind: 'circle', owner: 'c', cx, cy, r, zMin, zMax });

describe('prisms', () => {
  it('measures footprint gaps: circles exactly, rectangles by separating axes', () => {
    expect(footprintGap(circle(0, 0, 1), circle(3, 0, 1))).toBeCloseTo(1);
    expect(footprintGap(rect(0, 0, 1, 1), circle(3, 0, 1))).toBeCloseTo(1);
    expect(footprintGap(rect(0, 0, 1, 1), circle(2, 2, Math.SQRT2 / 2))).toBeCloseTo(Math.SQRT2 / 2);
    expect(footprintGap(rect(0, 0, 1, 1), rect(2.5, 0, 1, 1))).toBeCloseTo(0.5);
    expect(footprintGap(rect(0, 0, 1, 1), rect(1.5, 0, 1, 1))).toBeLessThan(0);
    // A square turned 45 degrees reaches sqrt(2) along x.
    expect(footprintGap(rect(0, 0, 1, 1, Math.PI / 4), rect(3, 0, 1, 1))).toBeCloseTo(2 - Math.SQRT2);
  });

  it('ignores footprints at heights that do not overlap', () => {
    expect(prismGap(circle(0, 0, 1, 0, 1), circle(0, 0, 1, 2, 3))).toBe(Infinity);
    expect(prismGap(circle(0, 0, 1, 0, 1), circle(0, 0, 1, 0.5, 3))).toBeLessThan(0);
  });

  it('keeps a yawed box as its rectangle and bounds a tilted one', () => {
    const yawed = boxPrism('b', { pos: [1, 2, 3], quat: [Math.cos(0.25), 0, 0, Math.sin(0.25)] }, [0.3, 0.2, 0.1]);
    expect(yawed).toMatchObject({ cx: 1, cy: 2, hx: 0.3, hy: 0.2, zMin: 2.9, zMax: 3.1 });
    expect(Math.atan2(yawed.uy, yawed.ux)).toBeCloseTo(0.5);
    const tilted = boxPrism('b', { pos: [0, 0, 0], quat: [Math.SQRT1_2, Math.SQRT1_2, 0, 0] }, [0.3, 0.2, 0.1]);
    expect(tilted.hy).toBeCloseTo(0.1);
    expect(tilted.zMax).toBeCloseTo(0.2);
  });

  it('places fixture boxes with their joints: an open drawer moves out along its slide', () => {
    const def = fixtureDef('wooden_cabinet')!;
    const pose = { pos: [0, 0, 0], quat: [1, 0, 0, 0] } as const;
    const closed = fixtureBoxes('cab', def, pose, [0, 0, 0]);
    const open = fixtureBoxes('cab', def, pose, [-0.15, 0, 0]);
    expect(open).toHaveLength(closed.length);
    const moved = closed.map((c, i) => open[i]!.cy - c.cy);
    expect(moved.filter((d) => Math.abs(d + 0.15) < 1e-9)).toHaveLength(9); // the top drawer's nine boxes
    expect(moved.filter((d) => d === 0)).toHaveLength(closed.length - 9);
  });

  it('bounds a tilted bowl lower than an upright one', () => {
    const upright = heldPrisms('bowl', 'akita_black_bowl', [0, 0, 1], [1, 0, 0, 0]);
    const tilted = heldPrisms('bowl', 'akita_black_bowl', [0, 0, 1], [Math.cos(0.13), Math.sin(0.13), 0, 0]);
    const low = (ps: Prism[]) => Math.min(...ps.map((p) => p.zMin));
    expect(low(upright)).toBeCloseTo(1.0016, 6);
    expect(low(tilted)).toBeLessThan(low(upright) - 0.004);
    expect(objectPrism('plate', 'plate', [0, 0, 0.9], [1, 0, 0, 0])).toMatchObject({ kind: 'circle', r: 0.068 });
  });
});

describe('grasp planning', () => {
  const table: Prism = rect(0, 0, 0.5, 0.6, 0, 0.85, 0.9);

  it('holds the bowl on the side away from a neighbour, keeping the hand yaw when it can', () => {
    const neighbour = objectPrism('ramekin', 'glazed_rim_porcelain_ramekin', [0, -0.12, 0.9], [1, 0, 0, 0]);
    const choice = chooseGrasp({
      object: [0, 0, 0.898], place: [0.3, 0, 0.905], yaw0: Math.PI / 2, spec: GRASPS.akita_black_bowl!, obstacles: [table, neighbour], base: [-0.66, 0, 0.9],
    });
    expect(choice.yawOffset).toBe(0);
    expect(choice.uy).toBeCloseTo(1); // the fingers come down on the +y side, away from the ramekin
    expect(choice.clearance).toBeGreaterThan(0.006);
  });

  it('rises over what lies ahead, but not over a neighbour it moves away from', () => {
    const body = [...handPrisms([0, 0, 0], 0, 1), circle(0, -0.047, 0.054, -0.035, 0.02)];
    const wall = rect(0.3, 0, 0.01, 0.2, 0, 0.9, 1.05);
    const over = heightProfile([0, 0], [0.6, 0], body, [table, wall]);
    expect(Math.max(...over.map((p) => p.z))).toBeCloseTo(1.05 + 0.012 + 0.035, 6);
    expect(over[0]!.z).toBeLessThan(1);
    const neighbour = circle(0, -0.16, 0.054, 0.9, 1.2);
    const away = heightProfile([0, 0], [0, 0.3], body, [table, neighbour], new Set([1]));
    expect(Math.max(...away.map((p) => p.z))).toBeLessThan(1);
    const towards = heightProfile([0, 0], [0, -0.3], body, [table, neighbour], new Set([1]));
    expect(Math.max(...towards.map((p) => p.z))).toBeGreaterThan(1.2);
  });
});
