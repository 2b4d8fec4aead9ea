import { FIDELITY_FORMAT, type ClosedLoopPairing, type FidelityEpisode, type FidelityReport } from '../../../engine/api/schemas/fidelity.js';
import { CHECKPOINTS, summarizeEpisodes } from '../../../engine/fidelity/compare.js';

/**
 * A small fidelity report with known numbers, for the page's tests: libero_spatial tasks 0 and 1,
 * two initial states, the expert with both fixture modes, real LIBERO as the reference. Errors grow
 * 0.1 mm per env step (default fixtures) or 0.05 mm (reference fixtures); task 1 init 1 disagrees
 * with the default fixtures (embedded success, LIBERO failure).
 */
export function fidelityReport(overrides: Partial<FidelityReport> = {}): FidelityReport {
  const episodes: FidelityEpisode[] = [];
  for (const fixtures of ['default', 'reference'] as const) {
    for (const taskId of [0, 1]) {
      for (const initIndex of [0, 1]) {
        const steps = 120;
        const rate = fixtures === 'default' ? 1e-4 : 5e-5;
        const series = Array.from({ length: 10 + steps + 1 }, (_, t) => Number((rate * t).toFixed(7)));
        const disagree = fixtures === 'default' && taskId === 1 && initIndex === 1;
        episodes.push({
          source: 'expert',
          fixtures,
          taskId,
          initIndex,
          embedded: { outcome: 'success', steps, successStep: steps, error: null },
          reference: disagree ? { outcome: 'failure', steps, successStep: null, error: null } : { outcome: 'success', steps, successStep: steps, error: null },
          agree: !disagree,
          comparedSteps: 10 + steps,
          eefMax: series.at(-1)!,
          objectMax: 2 * series.at(-1)!,
          finalObjectError: 0.004,
          fixtureOffsets: [
            { fixture: 'wooden_cabinet_1', body: 'wooden_cabinet_1', position: 0.012, angle: 0.02 },
            { fixture: 'flat_stove_1', body: 'flat_stove_1_burner', position: 0.003, angle: 0 },
          ],
          eefError: series,
          objectError: series.map((x) => 2 * x),
        });
      }
    }
  }
  const closedLoop: ClosedLoopPairing = {
    embeddedRun: { id: '20261201-100000-aaaaaa', status: 'completed', backend: 'embedded', version: 'MuJoCo 3.14.0', bundle: 'default' },
    referenceRun: { id: '20261201-110000-bbbbbb', status: 'completed', backend: 'libero', version: 'LIBERO 0.1.0 (robosuite 1.4.1, MuJoCo 3.3.2)', bundle: 'default' },
    paired: 20,
    unpaired: 0,
    tasks: [
      { taskId: 0, n: 10, successesA: 10, successesB: 9, rateA: 1, rateB: 0.9, difference: -0.1, onlyA: 1, onlyB: 0, pValue: 1 },
      { taskId: 1, n: 10, successesA: 9, successesB: 7, rateA: 0.9, rateB: 0.7, difference: -0.2, onlyA: 2, onlyB: 0, pValue: 0.5 },
    ],
    total: { n: 20, successesA: 19, successesB: 16, rateA: 0.95, rateB: 0.8, difference: -0.15, onlyA: 3, onlyB: 0, pValue: 0.25 },
    configDifferences: [],
  };
  return {
    format: FIDELITY_FORMAT,
    id: '20261202-120000000-cccccc',
    createdAt: '2026-12-02T12:00:00.000Z',
    status: 'completed',
    suite: 'libero_spatial',
    tasks: [0, 1],
    initIndices: [0, 1],
    initStates: { source: 'libero', location: '/data/LIBERO' },
    sources: ['expert'],
    fixtures: ['default', 'reference'],
    waitSteps: 10,
    maxSteps: 220,
    checkpoints: [...CHECKPOINTS],
    embedded: { backend: 'embedded', version: 'MuJoCo 3.14.0' },
    reference: { backend: 'libero', version: 'LIBERO 0.1.0 (robosuite 1.4.1, MuJoCo 3.3.2)' },
    bundle: null,
    versions: { workbench: '0.1.0', node: '22.12.0', mujoco: '3.14.0' },
    machine: { os: 'linux 6', arch: 'x64', cpuModel: 'test', cpus: 2, memoryBytes: 1024, node: '22.12.0' },
    wallMs: 60_000,
    groups: summarizeEpisodes(episodes, { sources: ['expert'], fixtures: ['default', 'reference'], tasks: [0, 1] }, 10),
    closedLoop,
    episodes,
    ...overrides,
  };
}
