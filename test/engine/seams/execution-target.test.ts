import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalEvent } from '../../../engine/api/schemas/eval-events.js';
import { writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { resolveRun } from '../../../engine/eval/resolve.js';
import { validateResults } from '../../../engine/runs/results-schema.js';
import { RunStore } from '../../../engine/runs/store.js';
import { LocalTarget } from '../../../engine/targets/local.js';
import { ChildProcessTarget } from './child-process-target.js';

// The same resolved run on the local target and on a target that runs it in a child process and
// ingests what comes back: the two runs read the same.
let tmp: string;
let bundle: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-targets-'));
  bundle = path.join(tmp, 'tiny');
  await writeSyntheticBundle(bundle, 'tiny', 1);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('execution targets', () => {
  it('a run executed in a child process and ingested reads like the same run executed locally', async () => {
    const runsRoot = path.join(tmp, 'runs');
    const run = await resolveRun({ tasks: [0], trials: 3, maxSteps: 16, workers: 2, policy: { kind: 'bundle', dir: bundle, decoding: 'autoregressive' } }, { settings: null, runsRoot });
    const local = await new LocalTarget().start(run, undefined, () => undefined);
    const events: EvalEvent[] = [];
    const child = new ChildProcessTarget();
    const remote = await child.start(run, undefined, (e) => events.push(e));

    expect(child.pid).not.toBe(process.pid);
    expect(remote.status).toBe('completed');
    expect(remote.run.dir.startsWith(runsRoot)).toBe(true);
    const a = validateResults(JSON.parse(await readFile(path.join(local.run.dir, 'results.json'), 'utf8')));
    const b = validateResults(JSON.parse(await readFile(path.join(remote.run.dir, 'results.json'), 'utf8')));
    const outcomes = (r: typeof a) => r.episodes.map((e) => [e.taskId, e.trial, e.outcome, e.steps, e.chunks.draftLayers.length]);
    expect(outcomes(b)).toEqual(outcomes(a));
    expect(b.config.bundle).toEqual(a.config.bundle);
    expect((await readdir(remote.run.trajectoriesDir)).sort()).toEqual((await readdir(local.run.trajectoriesDir)).sort());
    // Same executed actions, episode by episode (greedy decoding, seeded simulator).
    for (const name of ['task00-trial000.json', 'task00-trial002.json']) {
      const actions = async (dir: string) => (JSON.parse(await readFile(path.join(dir, 'trajectories', name), 'utf8')) as { actions: string }).actions;
      expect(await actions(remote.run.dir)).toBe(await actions(local.run.dir));
    }
    // Events name the local run, and arrive as the episodes are ingested.
    expect(new Set(events.map((e) => e.runId))).toEqual(new Set([remote.run.id]));
    expect(events.filter((e) => e.type === 'episode-finished')).toHaveLength(3);
    expect((await new RunStore(runsRoot).list()).map((r) => r.id).sort()).toEqual([local.run.id, remote.run.id].sort());
  }, 120_000);
});
