import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Results, type EpisodeRecord } from '../../../engine/api/schemas/results.js';
import { RunConfig } from '../../../engine/api/schemas/run-config.js';
import { writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { emptyChunks, ResultsError, summarize, validateResults } from '../../../engine/runs/results-schema.js';
import { RunStore } from '../../../engine/runs/store.js';
import { appRoot } from '../../../engine/util/app-root.js';
import { evaluate } from '../eval/evaluate.js';
import { config } from './fixtures.js';

// Issue 15, "Bad input accepted": a results file whose aggregates agree with its episodes but whose
// episodes or configuration break what a run can produce is refused on import (`rsd runs import`,
// runs.import), naming the field, and leaves the run store as it was. The base file comes from a
// real run of the engine's test bundle (speculative decoding), with one episode turned into an
// error as the runner records one (steps 0, no trajectory, no chunks).

let tmp: string;
let base: Results;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-import-invariants-'));
  const bundle = path.join(tmp, 'tiny');
  await writeSyntheticBundle(bundle, 'tiny', 1);
  const report = await evaluate({ bundleDir: bundle, tasks: [0, 1], trials: 2, maxSteps: 12, workers: 1, runsRoot: path.join(tmp, 'runs'), decoding: 'speculative', accept: 'threshold', threshold: 0.5 });
  const real = validateResults(JSON.parse(await readFile(report.run.resultsFile, 'utf8')));
  const episodes = real.episodes.map((e, i): EpisodeRecord => (i === real.episodes.length - 1 ? { ...e, outcome: 'error', steps: 0, error: 'the worker died', trajectory: null, chunks: emptyChunks() } : e));
  base = JSON.parse(JSON.stringify(summarize(real.config, episodes, real.run))) as Results;
}, 120_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

type Mutable = { config: Record<string, unknown> & { tasks: number[] }; episodes: (EpisodeRecord & Record<string, unknown>)[] };

/** The base file with `mutate` applied to its config and episodes, its aggregates re-derived so only the mutation is wrong. */
function fileWith(mutate: (r: Mutable) => void): string {
  const r = structuredClone(base) as unknown as Mutable & Results;
  mutate(r);
  return JSON.stringify(summarize(r.config as unknown as RunConfig, r.episodes, r.run));
}

/** Index of (task, trial) in a file's episodes (summarize orders them). */
const indexOf = (text: string, taskId: number, trial: number): number => (JSON.parse(text) as Results).episodes.findIndex((e) => e.taskId === taskId && e.trial === trial);

async function refused(text: string, field: string | ((text: string) => string), message: RegExp): Promise<void> {
  const root = path.join(tmp, `store-${Math.random().toString(36).slice(2)}`);
  const store = new RunStore(root);
  await store.createRun(config(), { id: 'existing' });
  const before = (await readdir(root)).sort();
  const error = await store.importResultsText(text, 'bad.json').catch((e: unknown) => e);
  const want = typeof field === 'string' ? field : field(text);
  expect(error, `import should be refused at ${want}`).toBeInstanceOf(ResultsError);
  expect((error as ResultsError).field).toBe(want);
  expect((error as ResultsError).message).toMatch(message);
  expect((await readdir(root)).sort()).toEqual(before);
  expect((await store.list()).map((r) => r.id)).toEqual(['existing']);
}

describe('import refuses what no run produces (issue 15)', () => {
  it('imports the unmutated file (a real run with an errored episode)', async () => {
    expect(base.config.decoding).toBe('speculative');
    expect(base.episodes.some((e) => e.chunks.draftLayers.some((k) => k > 0))).toBe(true);
    expect(base.episodes.at(-1)).toMatchObject({ outcome: 'error', steps: 0, trajectory: null });
    const store = new RunStore(path.join(tmp, 'store-good'));
    const run = await store.importResultsText(JSON.stringify(base), 'good.json');
    expect(await run.results()).toEqual(base);
  });

  it('refuses a negative latency, naming the chunk', async () => {
    const text = fileWith((r) => {
      r.episodes[0]!.chunks.latency.totalMs[1] = -4;
    });
    await refused(text, 'episodes[0].chunks.latency.totalMs[1]', />=\s*0|too small|non-?negative/i);
    await refused(
      fileWith((r) => {
        r.episodes[1]!.chunks.latency.overheadMs[0] = -0.001;
      }),
      'episodes[1].chunks.latency.overheadMs[0]',
      />=\s*0|too small/i,
    );
  });

  it('refuses a negative wall time', async () => {
    await refused(
      fileWith((r) => {
        r.episodes[0]!.wallMs = -1;
      }),
      'episodes[0].wallMs',
      />=\s*0|too small/i,
    );
  });

  it('refuses steps above config.maxSteps', async () => {
    const text = fileWith((r) => {
      r.episodes[2]!.steps = 13;
    });
    await refused(text, 'episodes[2].steps', /13 steps is more than the run's maxSteps \(12\)/);
  });

  it('refuses a task outside config.tasks', async () => {
    const text = fileWith((r) => {
      r.episodes[0]!.taskId = 5;
      r.episodes[0]!.trajectory = null;
    });
    await refused(text, (t) => `episodes[${indexOf(t, 5, 0)}].taskId`, /task 5 is not in the run's configuration \(tasks 0, 1\)/);
  });

  it('refuses a trial at or above config.trials', async () => {
    const text = fileWith((r) => {
      r.episodes[1]!.trial = 2;
      r.episodes[1]!.initIndex = 2;
      r.episodes[1]!.trajectory = null;
    });
    await refused(text, (t) => `episodes[${indexOf(t, 0, 2)}].trial`, /trial 2 is out of range: the run has 2 trials per task/);
  });

  it('refuses a task listed twice in config.tasks', async () => {
    await refused(
      fileWith((r) => {
        r.config.tasks = [0, 1, 0];
      }),
      'config.tasks[2]',
      /task 0 is listed twice \(also tasks\[0\]\)/,
    );
  });

  it('refuses drafted layers when decoding is not speculative', async () => {
    const text = fileWith((r) => {
      Object.assign(r.config, { decoding: 'parallel', accept: null, threshold: null });
    });
    const first = (JSON.parse(text) as Results).episodes.findIndex((e) => e.chunks.draftLayers.some((k) => k > 0));
    const chunk = (JSON.parse(text) as Results).episodes[first]!.chunks.draftLayers.findIndex((k) => k > 0);
    await refused(text, `episodes[${first}].chunks.draftLayers[${chunk}]`, /parallel decoding drafts none/);
    // The same file with chunks that draft nothing is fine.
    const none = fileWith((r) => {
      Object.assign(r.config, { decoding: 'autoregressive', accept: null, threshold: null });
      for (const e of r.episodes) e.chunks.draftLayers = e.chunks.acceptedLayers = e.chunks.draftLayers.map(() => 0);
    });
    expect(validateResults(JSON.parse(none)).config.decoding).toBe('autoregressive');
  });

  it('refuses speculative decoding without an acceptance rule, a rule without it, and a stray threshold', async () => {
    await refused(
      fileWith((r) => {
        Object.assign(r.config, { accept: null, threshold: null });
      }),
      'config.accept',
      /speculative decoding needs an acceptance rule/,
    );
    await refused(
      fileWith((r) => {
        Object.assign(r.config, { decoding: 'parallel', accept: 'exact', threshold: null });
        for (const e of r.episodes) e.chunks.draftLayers = e.chunks.acceptedLayers = e.chunks.draftLayers.map(() => 0);
      }),
      'config.accept',
      /must be null with parallel decoding/,
    );
    await refused(
      fileWith((r) => {
        Object.assign(r.config, { accept: 'exact', threshold: 0.5 });
      }),
      'config.threshold',
      /must be null unless accept is threshold/,
    );
    await refused(
      fileWith((r) => {
        Object.assign(r.config, { accept: 'threshold', threshold: null });
      }),
      'config.threshold',
      /needs its tau/,
    );
  });

  it('holds for every reader: the schemas refuse the same (RunConfig, Results)', () => {
    expect(RunConfig.safeParse(config({ tasks: [1, 1] })).success).toBe(false);
    expect(RunConfig.safeParse(config({ decoding: 'autoregressive' })).success).toBe(false);
    expect(RunConfig.safeParse(config()).success).toBe(true);
    // A depth is fewer layers than the bundle has, and parallel decoding has none.
    expect(RunConfig.safeParse(config({ depth: { layers: 3, of: 8 } })).success).toBe(true);
    expect(RunConfig.safeParse(config({ depth: { layers: 8, of: 8 } })).success).toBe(false);
    expect(RunConfig.safeParse(config({ decoding: 'parallel', accept: null, threshold: null, depth: { layers: 3, of: 8 } })).error?.issues.map((i) => i.path.join('.'))).toEqual(['depth']);
    const bad = JSON.parse(
      fileWith((r) => {
        r.episodes[0]!.steps = 99;
      }),
    ) as unknown;
    expect(Results.safeParse(bad).success).toBe(false);
    expect(Results.safeParse(base).success).toBe(true);
  });
});

describe('real runs satisfy the rules', () => {
  it('a parallel run of the default parallel bundle drafts no layers and imports', async () => {
    const report = await evaluate({ bundleDir: path.join(appRoot(), 'assets', 'bundles', 'default-parallel'), tasks: [0], trials: 1, maxSteps: 8, workers: 1, runsRoot: path.join(tmp, 'runs-parallel'), decoding: 'parallel' });
    const text = await readFile(report.run.resultsFile, 'utf8');
    const results = validateResults(JSON.parse(text));
    expect(results.config).toMatchObject({ decoding: 'parallel', accept: null, threshold: null });
    expect(results.episodes.flatMap((e) => e.chunks.draftLayers).every((k) => k === 0)).toBe(true);
    expect(results.episodes.every((e) => e.steps <= results.config.maxSteps)).toBe(true);
    await new RunStore(path.join(tmp, 'store-parallel')).importResultsText(text, 'parallel.json');
  }, 120_000);
});
