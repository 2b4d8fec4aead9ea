import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FidelityEpisode } from '../../../engine/api/schemas/fidelity.js';
import { FidelityReport } from '../../../engine/api/schemas/fidelity.js';
import { defaultBundleDir } from '../../../engine/bundle/default-bundle.js';
import { recordExpert, SETTLE_STEPS } from '../../../engine/fidelity/record.js';
import { replayActions } from '../../../engine/fidelity/replay.js';
import { runFidelity, type FidelityOptions } from '../../../engine/fidelity/run.js';
import { projectTask } from '../../../engine/libero/project-tasks.js';
import { NUM_WAIT_STEPS, WAIT_ACTION } from '../../../engine/libero/suites.js';
import { defaultFixturePose } from '../../../engine/sim/embedded/scene.js';
import { EmbeddedSimulator } from '../../../engine/sim/embedded/simulator.js';
import { initStatesFor } from '../../../engine/sim/init-source.js';

// Record and replay with the embedded simulator as its own reference (`rsd fidelity --sim
// embedded`): the replay of a recorded action sequence reproduces the recording exactly. Needs
// LIBERO's init files in ../shared/libero.

const LIBERO = path.resolve('../shared/libero');
const haveLibero = existsSync(path.join(LIBERO, 'init_files'));
if (!haveLibero) console.log(`fidelity self-check tests skipped: LIBERO's init files not found in ${LIBERO}`);

const options = (overrides: Partial<FidelityOptions> = {}): FidelityOptions => ({
  suite: 'libero_spatial',
  tasks: [0],
  initIndices: [0],
  initSource: { kind: 'libero', dir: LIBERO },
  sources: ['expert', 'bundle'],
  fixtures: ['default', 'reference'],
  maxSteps: 220,
  reference: { kind: 'embedded' },
  bundle: { kind: 'bundle', dir: defaultBundleDir(), ep: 'cpu' },
  seed: 7,
  closedLoop: null,
  ...overrides,
});

const zeros = (e: FidelityEpisode): boolean => e.eefError.every((x) => x === 0) && e.objectError.every((x) => x === 0);

describe.skipIf(!haveLibero)('fidelity self-check: embedded against embedded', () => {
  it('replays the expert\'s recorded actions, wait steps included, to the same states and the same success step', async () => {
    const task = projectTask('libero_spatial', 0);
    const init = initStatesFor('libero_spatial', 0, task.objects.length, { kind: 'libero', dir: LIBERO })[0]!;
    const source = await EmbeddedSimulator.create();
    const reference = await EmbeddedSimulator.create();
    try {
      const recording = await recordExpert(source, { suite: 'libero_spatial', taskId: 0, task, initIndex: 0, init }, 220);
      expect(recording.track.outcome).toBe('success');
      expect(recording.actions.slice(0, NUM_WAIT_STEPS)).toEqual(new Array(NUM_WAIT_STEPS).fill([...WAIT_ACTION]));
      // After its success the sequence goes on with SETTLE_STEPS wait actions (the arm still, the gripper opening).
      expect(recording.actions).toHaveLength(NUM_WAIT_STEPS + recording.track.successStep! + SETTLE_STEPS);
      expect(recording.actions.slice(-SETTLE_STEPS)).toEqual(new Array(SETTLE_STEPS).fill([...WAIT_ACTION]));
      const replayed = await replayActions(reference, task, init, recording.actions, { waitSteps: NUM_WAIT_STEPS, initIndex: 0 });
      // Bit for bit: the same physics from the same state under the same actions.
      expect(replayed).toEqual(recording.track);
      // A replay stops at its first success after the wait steps, as LIBERO's loop does.
      const longer = await replayActions(reference, task, init, [...recording.actions, [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1]], { waitSteps: NUM_WAIT_STEPS, initIndex: 0 });
      expect(longer.success).toHaveLength(recording.track.success.length);
    } finally {
      await source.close();
      await reference.close();
    }
  }, 30_000);

  it('reports exactly zero divergence and full agreement for the expert and the default bundle, with either fixture mode', async () => {
    const lines: number[] = [];
    const report = await runFidelity(options(), { onEpisode: ({ done }) => lines.push(done) });
    expect(FidelityReport.safeParse(report).success).toBe(true);
    expect(lines).toEqual([1, 2, 3, 4]);
    expect(report.status).toBe('completed');
    expect(report.reference).toEqual(report.embedded);
    expect(report.bundle).toMatchObject({ name: 'default', decoding: 'speculative' });
    expect(report.episodes.map((e) => [e.source, e.fixtures])).toEqual([
      ['expert', 'default'],
      ['expert', 'reference'],
      ['bundle', 'default'],
      ['bundle', 'reference'],
    ]);
    for (const e of report.episodes) {
      expect(e.embedded.outcome, `${e.source} ${e.fixtures}`).toBe('success');
      expect(e.reference).toEqual(e.embedded);
      expect(e.agree).toBe(true);
      expect(zeros(e)).toBe(true);
      expect(e.eefError).toHaveLength(e.comparedSteps + 1);
      expect(e.comparedSteps).toBe(NUM_WAIT_STEPS + e.embedded.successStep!);
      expect([e.eefMax, e.objectMax, e.finalObjectError]).toEqual([0, 0, 0]);
      // The reference's fixtures are the embedded defaults: read back exactly (the stove through its burner body).
      expect(e.fixtureOffsets).toEqual([
        { fixture: 'wooden_cabinet_1', body: 'wooden_cabinet_1', position: 0, angle: 0 },
        { fixture: 'flat_stove_1', body: 'flat_stove_1_burner', position: 0, angle: 0 },
      ]);
    }
    for (const g of report.groups) {
      expect(g.total).toMatchObject({ episodes: 1, agreements: 1, agreement: 1, finalObjectMedian: 0, fixtureOffsetMedian: 0 });
      expect(g.total.eef.filter((s) => s.n > 0).every((s) => s.median === 0 && s.p90 === 0)).toBe(true);
    }
  }, 30_000);

  it('shows fixture drift: a reference whose cabinet lies elsewhere diverges with the default fixtures, and not with its own', async () => {
    // Task 9's bowl starts on the cabinet: a cabinet 2 cm higher and 1 cm further along x seats it elsewhere.
    const task = projectTask('libero_spatial', 9);
    const cabinet = defaultFixturePose(task, task.fixtures.find((f) => f.name === 'wooden_cabinet_1')!);
    const moved = { pos: [cabinet.pos[0] + 0.01, cabinet.pos[1], cabinet.pos[2] + 0.02] as [number, number, number], quat: cabinet.quat };
    const report = await runFidelity(options({ tasks: [9], sources: ['expert'], maxSteps: 40 }), {
      createSimulator: () => EmbeddedSimulator.create({ fixturePlacement: { wooden_cabinet_1: moved } }),
    });
    const [byDefault, byReference] = report.episodes;
    expect(byDefault!.fixtures).toBe('default');
    expect(byDefault!.fixtureOffsets[0]!.position).toBeCloseTo(Math.hypot(0.01, 0.02), 6);
    expect(byDefault!.fixtureOffsets[1]!.position).toBe(0);
    expect(byDefault!.objectMax).toBeGreaterThan(0.01);
    expect(byDefault!.finalObjectError).toBeGreaterThan(0.01);
    expect(byReference!.fixtures).toBe('reference');
    expect(zeros(byReference!)).toBe(true);
    expect(byReference!.reference).toEqual(byReference!.embedded);
    expect(report.groups.map((g) => g.total.finalObjectMedian! > 0.01)).toEqual([true, false]);
  }, 30_000);
});
