import { describe, expect, it } from 'vitest';
import type { FidelityEpisode } from '../../../engine/api/schemas/fidelity.js';
import { compareTracks, fidelityStats, movedObjectIndex, outcomeOf, summarizeEpisodes, valueAt, roundMetres } from '../../../engine/fidelity/compare.js';
import { inversePose, quatAngle, referenceFixtures } from '../../../engine/fidelity/fixtures.js';
import type { Track } from '../../../engine/fidelity/track.js';
import { projectTask } from '../../../engine/libero/project-tasks.js';
import { compose, axisAngleQuat, type Pose } from '../../../engine/expert/geometry.js';

// The fidelity report's arithmetic on synthetic tracks (engine/fidelity/compare.ts, fixtures.ts).

/** A track of `states` states, 2 objects, 2 wait steps: the grip site moves along x by `dx` per state, object o sits at (o, 0, z(t)). */
function track(states: number, { dx = 0.01, z = (t: number) => 0.9 + 0 * t, success = null as number | null, outcome = undefined as Track['outcome'] | undefined } = {}): Track {
  const t: Track = { objects: 2, waitSteps: 2, eef: [], objectPositions: [], success: [], outcome: 'failure', successStep: null, error: null };
  for (let s = 0; s < states; s++) {
    t.eef.push(dx * s, 0, 1);
    for (let o = 0; o < 2; o++) t.objectPositions.push(o, 0, z(s));
    if (s > 0) t.success.push(success !== null && s >= success);
  }
  if (success !== null) {
    t.outcome = 'success';
    t.successStep = success - 2;
  }
  if (outcome) t.outcome = outcome;
  return t;
}

describe('compareTracks', () => {
  it('is exactly zero for identical tracks', () => {
    const d = compareTracks(track(8), track(8), 0);
    expect(d.eefError).toEqual(new Array(8).fill(0));
    expect(d.objectError).toEqual(new Array(8).fill(0));
    expect(d).toMatchObject({ comparedSteps: 7, eefMax: 0, objectMax: 0, finalObjectError: 0 });
  });

  it('measures the grip-site distance per state and the worst object, over the states both have', () => {
    // B's grip site moves 0.02 per state against A's 0.01; B's object 1... both objects rise 1 mm per state in B.
    const a = track(10);
    const b = track(6, { dx: 0.02, z: (t) => 0.9 + 0.001 * t });
    const d = compareTracks(a, b, 1);
    expect(d.comparedSteps).toBe(5);
    expect(d.eefError).toHaveLength(6);
    d.eefError.forEach((e, t) => expect(e).toBeCloseTo(0.01 * t, 12));
    d.objectError.forEach((e, t) => expect(e).toBeCloseTo(0.001 * t, 12));
    expect(d.eefMax).toBeCloseTo(0.05, 12);
    expect(d.objectMax).toBeCloseTo(0.005, 12);
    // The moved object at the last common state (5).
    expect(d.finalObjectError).toBeCloseTo(0.005, 12);
  });

  it('takes the largest error over objects, and no final error without a moved object', () => {
    const a = track(3);
    const b = track(3);
    b.objectPositions[3 * (2 * 2 + 1) + 1] = 0.03; // object 1, state 2: 3 cm off in y
    b.objectPositions[3 * (2 * 2 + 0) + 0] = 0.01; // object 0, state 2: 1 cm off in x
    const d = compareTracks(a, b, null);
    expect(d.objectError).toEqual([0, 0, 0.03]);
    expect(d.finalObjectError).toBeNull();
  });

  it('refuses tracks of different scenes and copes with an empty one', () => {
    expect(() => compareTracks(track(2), { ...track(2), objects: 3 }, 0)).toThrow(/2 and 3 objects/);
    const empty: Track = { ...track(0), outcome: 'error', error: 'boom' };
    expect(compareTracks(track(4), empty, 0)).toMatchObject({ eefError: [], comparedSteps: 0, eefMax: 0, finalObjectError: null });
  });
});

describe('outcomes and checkpoints', () => {
  it('counts policy steps after the wait steps', () => {
    expect(outcomeOf(track(8, { success: 6 }))).toEqual({ outcome: 'success', steps: 5, successStep: 4, error: null });
    expect(outcomeOf(track(8))).toEqual({ outcome: 'failure', steps: 5, successStep: null, error: null });
    expect(outcomeOf(track(1))).toMatchObject({ steps: 0 });
  });

  it('reads a series at policy step k (state waitSteps + k) and at its end', () => {
    const series = [0, 1, 2, 3, 4, 5];
    expect(valueAt(series, 2, 0)).toBe(2);
    expect(valueAt(series, 2, 3)).toBe(5);
    expect(valueAt(series, 2, 4)).toBeNull();
    expect(valueAt(series, 2, 'end')).toBe(5);
    expect(valueAt([], 2, 'end')).toBeNull();
  });

  it('names the goal\'s first argument as the moved object (the bowl in libero_spatial)', () => {
    const task = projectTask('libero_spatial', 0);
    expect(task.objects[movedObjectIndex(task)!]!.name).toBe('akita_black_bowl_1');
  });

  it('keeps metres to 0.1 um and zeros exact', () => {
    expect(roundMetres(0)).toBe(0);
    expect(roundMetres(0.001234567891)).toBe(0.0012346);
  });
});

/** A synthetic episode row with series; `agree` from the outcomes. */
function episode(taskId: number, e: boolean, r: boolean, eef: number[], extra: Partial<FidelityEpisode> = {}): FidelityEpisode {
  const outcome = (ok: boolean) => ({ outcome: ok ? ('success' as const) : ('failure' as const), steps: eef.length - 3, successStep: ok ? eef.length - 3 : null, error: null });
  return {
    source: 'expert',
    fixtures: 'default',
    taskId,
    initIndex: 0,
    embedded: outcome(e),
    reference: outcome(r),
    agree: e === r,
    comparedSteps: eef.length - 1,
    eefMax: Math.max(...eef),
    objectMax: Math.max(...eef) * 2,
    finalObjectError: eef.at(-1)! * 3,
    fixtureOffsets: [
      { fixture: 'wooden_cabinet_1', body: 'wooden_cabinet_1', position: 0.01, angle: 0 },
      { fixture: 'flat_stove_1', body: null, position: null, angle: null },
    ],
    eefError: eef,
    objectError: eef.map((x) => 2 * x),
    ...extra,
  };
}

describe('fidelityStats and summarizeEpisodes', () => {
  // Wait steps 2, checkpoints 0 and 1: states 2 and 3.
  const episodes = [
    episode(0, true, true, [0, 0, 0.001, 0.002, 0.003]),
    episode(0, true, false, [0, 0, 0.003, 0.004]),
    episode(0, false, false, [0, 0, 0.005]),
    episode(1, true, true, [0, 0, 0.002, 0.006, 0.01, 0.02], { source: 'bundle' }),
  ];

  it('gives agreement, successes, and median / p90 errors at each checkpoint over the episodes that reach it', () => {
    const s = fidelityStats(episodes.slice(0, 3), 2, [0, 1]);
    expect(s).toMatchObject({ episodes: 3, successesEmbedded: 2, successesReference: 1, agreements: 2 });
    expect(s.agreement).toBeCloseTo(2 / 3, 12);
    expect(s.eef.map((x) => x.checkpoint)).toEqual([0, 1, 'end']);
    expect(s.eef[0]).toMatchObject({ n: 3, median: 0.003 });
    expect(s.eef[0]!.p90).toBeCloseTo(0.0046, 12);
    expect(s.eef[1]).toMatchObject({ n: 2 });
    expect(s.eef[1]!.median).toBeCloseTo(0.003, 12);
    expect(s.eef[2]).toMatchObject({ n: 3, median: 0.004 });
    expect(s.object[2]).toMatchObject({ n: 3, median: 0.008 });
    expect(s.finalObjectMedian).toBeCloseTo(0.012, 12);
    expect(s.fixtureOffsetMedian).toBe(0.01);
  });

  it('is empty but well-formed over no episodes', () => {
    const s = fidelityStats([], 10);
    expect(s).toMatchObject({ episodes: 0, agreement: null, finalObjectMedian: null, fixtureOffsetMedian: null });
    expect(s.eef.every((x) => x.n === 0 && x.median === null && x.p90 === null)).toBe(true);
  });

  it('groups by source and fixture mode, tasks in the given order, leaving out empty groups', () => {
    const groups = summarizeEpisodes(episodes, { sources: ['bundle', 'expert'], fixtures: ['default', 'reference'], tasks: [1, 0] }, 2, [0]);
    expect(groups.map((g) => [g.source, g.fixtures, g.tasks.map((t) => t.taskId), g.total.episodes])).toEqual([
      ['bundle', 'default', [1], 1],
      ['expert', 'default', [0], 3],
    ]);
  });
});

describe('reference fixtures', () => {
  const yaw = (a: number) => axisAngleQuat([0, 0, 1], a);
  const root: Pose = { pos: [0.03, -0.27, 0.905], quat: yaw(2.69) };
  const drawerLocal: Pose = { pos: [0.05, 0, 0.1], quat: [1, 0, 0, 0] };
  const burnerLocal: Pose = { pos: [0.01, 0.02, 0.03], quat: yaw(0.3) };
  const stove: Pose = { pos: [-0.41, -0.14, 0.905], quat: [1, 0, 0, 0] };
  const frames = (bodies: [string, Pose][]) => ({ bodies: bodies.map(([n]) => n), poses: bodies.flatMap(([, p]) => [...p.pos, ...p.quat]) });

  it('inverts poses and measures angles between orientations', () => {
    const p = compose(root, inversePose(root));
    p.pos.forEach((x) => expect(x).toBeCloseTo(0, 12));
    expect(p.quat[0]).toBeCloseTo(1, 12);
    expect(quatAngle(yaw(0.1), yaw(0.35))).toBeCloseTo(0.25, 12);
    expect(quatAngle(yaw(0.1), [-yaw(0.1)[0], -yaw(0.1)[1], -yaw(0.1)[2], -yaw(0.1)[3]])).toBeCloseTo(0, 6);
  });

  it('reads a root body directly, and a root without one through a child body and its offset in the embedded scene', () => {
    const embedded = frames([
      ['wooden_cabinet_1', root],
      ['wooden_cabinet_1_cabinet_top', compose(root, drawerLocal)],
      ['flat_stove_1_burner', compose(stove, burnerLocal)],
    ]);
    // The reference drew other poses: cabinet 2 cm along x, turned 0.05 rad; stove 1 cm along y.
    const movedRoot: Pose = { pos: [0.05, -0.27, 0.905], quat: yaw(2.74) };
    const movedStove: Pose = { pos: [-0.41, -0.13, 0.905], quat: [1, 0, 0, 0] };
    const reference = frames([
      ['world', { pos: [0, 0, 0], quat: [1, 0, 0, 0] }],
      ['flat_stove_1_burner', compose(movedStove, burnerLocal)],
      ['wooden_cabinet_1', movedRoot],
    ]);
    const found = referenceFixtures(['wooden_cabinet_1', 'flat_stove_1', 'basket_1'], reference, embedded, { wooden_cabinet_1: root, flat_stove_1: stove, basket_1: stove });
    found.placement.wooden_cabinet_1!.pos.forEach((x, i) => expect(x).toBeCloseTo(movedRoot.pos[i]!, 12));
    found.placement.flat_stove_1!.pos.forEach((x, i) => expect(x).toBeCloseTo(movedStove.pos[i]!, 12));
    expect(quatAngle(found.placement.wooden_cabinet_1!.quat, movedRoot.quat)).toBeCloseTo(0, 6);
    expect(found.placement.basket_1).toBeUndefined();
    expect(found.offsets.map((o) => [o.fixture, o.body])).toEqual([
      ['wooden_cabinet_1', 'wooden_cabinet_1'],
      ['flat_stove_1', 'flat_stove_1_burner'],
      ['basket_1', null],
    ]);
    expect(found.offsets[0]!.position).toBeCloseTo(0.02, 12);
    expect(found.offsets[0]!.angle).toBeCloseTo(0.05, 6);
    expect(found.offsets[1]!.position).toBeCloseTo(0.01, 12);
    expect(found.offsets[2]).toEqual({ fixture: 'basket_1', body: null, position: null, angle: null });
  });

  it("takes robosuite's <fixture>_main root body when the reference names it so", () => {
    const embedded = frames([['wooden_cabinet_1', root]]);
    const reference = frames([['wooden_cabinet_1_main', { pos: [0.04, -0.26, 0.905], quat: yaw(2.7) }]]);
    const found = referenceFixtures(['wooden_cabinet_1'], reference, embedded, { wooden_cabinet_1: root });
    expect(found.offsets[0]!.body).toBe('wooden_cabinet_1_main');
    expect(found.placement.wooden_cabinet_1!.pos).toEqual([0.04, -0.26, 0.905]);
  });
});
