import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalEvent } from '../../../engine/api/schemas/eval-events.js';
import { RunMeta } from '../../../engine/api/schemas/runs.js';
import { writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { evaluate } from './evaluate.js';

// Progress within episodes (`episodes-progress`) and the active time a resume goes on from. The
// synthetic bundle's untrained policy runs every episode to its step limit: 24 steps are 3 chunks of 8.
let tmp: string;
let bundle: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-progress-'));
  bundle = path.join(tmp, 'tiny');
  await writeSyntheticBundle(bundle, 'tiny', 1);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

type StepsEvent = Extract<EvalEvent, { type: 'episodes-progress' }>;
const stepsEvents = (events: EvalEvent[]): StepsEvent[] => events.filter((e): e is StepsEvent => e.type === 'episodes-progress');

describe('episodes-progress', () => {
  it('with no throttle: one event per chunk, naming the running episode and its steps of the limit', async () => {
    const events: EvalEvent[] = [];
    await evaluate({ bundleDir: bundle, tasks: [0], trials: 2, maxSteps: 24, workers: 1, runsRoot: path.join(tmp, 'runs-each'), progressIntervalMs: 0, onEvent: (e) => events.push(e) });
    const steps = stepsEvents(events);
    expect(steps).toHaveLength(6);
    expect(steps.map((e) => e.episodes.map((r) => `${r.taskId}/${r.trial}:${r.steps}/${r.maxSteps}`).join(' '))).toEqual(['0/0:0/24', '0/0:8/24', '0/0:16/24', '0/1:0/24', '0/1:8/24', '0/1:16/24']);
    // Elapsed time never goes back.
    const elapsed = steps.map((e) => e.elapsedSeconds);
    expect(elapsed).toEqual([...elapsed].sort((a, b) => a - b));
  }, 60_000);

  it('throttled: however many chunks, no more events than the interval allows (one, with an endless interval)', async () => {
    const events: EvalEvent[] = [];
    await evaluate({ bundleDir: bundle, tasks: [0], trials: 2, maxSteps: 24, workers: 1, runsRoot: path.join(tmp, 'runs-throttled'), progressIntervalMs: Infinity, onEvent: (e) => events.push(e) });
    expect(stepsEvents(events)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'episode-finished')).toHaveLength(2);
  }, 60_000);

  it('counts successes, failures and errors per task, and a resumed run’s elapsed time goes on from its earlier session’s', async () => {
    const runsRoot = path.join(tmp, 'runs-resume');
    const controller = new AbortController();
    const first = await evaluate({
      bundleDir: bundle,
      tasks: [0, 1],
      trials: 1,
      maxSteps: 16,
      workers: 1,
      runsRoot,
      signal: controller.signal,
      onEvent: (e) => e.type === 'episode-finished' && controller.abort(),
    });
    expect(first.status).toBe('cancelled');
    const meta = RunMeta.parse(JSON.parse(await readFile(path.join(first.run.dir, 'run.json'), 'utf8')));
    expect(meta.activeSeconds).toBeGreaterThan(0);

    const events: EvalEvent[] = [];
    await evaluate({ resume: first.run.id, runsRoot, onEvent: (e) => events.push(e) });
    const started = events.find((e) => e.type === 'run-started');
    expect(started?.type === 'run-started' && started.progress.elapsedSeconds).toBeGreaterThanOrEqual(meta.activeSeconds!);
    const finished = events.at(-1)!;
    expect(finished.type).toBe('run-finished');
    if (finished.type !== 'run-finished') return;
    expect(finished.progress.perTask).toEqual([
      { taskId: 0, done: 1, total: 1, successes: 0, failures: 1, errors: 0 },
      { taskId: 1, done: 1, total: 1, successes: 0, failures: 1, errors: 0 },
    ]);
    const after = RunMeta.parse(JSON.parse(await readFile(path.join(first.run.dir, 'run.json'), 'utf8')));
    // The second session's time is added to the first's.
    expect(after.activeSeconds).toBeGreaterThan(meta.activeSeconds!);
  }, 60_000);
});
