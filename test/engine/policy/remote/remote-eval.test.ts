import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Trajectory } from '../../../../engine/api/schemas/trajectory.js';
import { resolveResume, resolveRun } from '../../../../engine/eval/resolve.js';
import { runEvaluation } from '../../../../engine/eval/runner.js';
import { RunStore } from '../../../../engine/runs/store.js';
import { validateResults } from '../../../../engine/runs/results-schema.js';
import { NO_PROJECT_PYTHON, projectPython } from '../../project-python.js';
import { RSD_SERVER_METADATA, startStandin, type Standin } from './standin.js';

// Whole runs of a policy server on the embedded simulator: each failure of the server ends only
// the episode it happened in, as an error naming it, and every other episode is stored.
const python = projectPython();
if (!python) console.log(NO_PROJECT_PYTHON);

let server: Standin;
let tmp: string;
beforeAll(async () => {
  if (!python) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-remote-eval-'));
  server = await startStandin(python);
}, 40_000);
afterAll(async () => {
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const results = async (dir: string) => validateResults(JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')));

describe.skipIf(!python)('rsd eval with a policy server (the openpi stand-in)', () => {
  it('each failure ends its own episode as a named error; the run completes and the other episodes are stored', async () => {
    const record = path.join(tmp, 'faults.jsonl');
    // One worker, so requests come in episode order: 2 per good episode (10 steps, 5 actions a chunk).
    // trial 0: #1 #2 | 1: #3 nan | 2: #4 error | 3: #5 hang | 4: #6 no actions | 5: #7, #8 1-D actions | 6: #9 #10
    await server.configure({ faults: '3:nan,4:error,5:hang,6:missing-actions,8:actions-1d', record });
    const run = await resolveRun(
      { tasks: [0], trials: 7, maxSteps: 10, workers: 1, policy: { kind: 'remote', url: server.url, profile: 'openpi-libero', timeoutMs: 1_500 } },
      { settings: null, runsRoot: path.join(tmp, 'runs') },
    );
    const report = await runEvaluation(run);
    expect(report.status).toBe('completed');
    const r = await results(report.run.dir);
    expect(r.config).toMatchObject({
      decoding: 'parallel',
      bundle: { name: 'standin-policy', hash: server.url },
      executionProvider: { requested: 'remote', used: 'remote' },
      policy: { kind: 'remote', url: server.url, profile: 'openpi-libero', server: 'openpi-standin', name: 'standin-policy', hash: null },
    });
    const byTrial = r.episodes.sort((a, b) => a.trial - b.trial);
    expect(byTrial.map((e) => e.outcome)).toEqual(['failure', 'error', 'error', 'error', 'error', 'error', 'failure']);
    expect(byTrial[1]!.error).toMatch(/^PolicyReplyError: the reply's "actions" has NaN at \[1, 2\]/);
    expect(byTrial[2]!.error).toMatch(/^PolicyServerError: the policy server at ws:\/\/\S+ failed: RuntimeError: the stand-in's policy failed on purpose/);
    expect(byTrial[3]!.error).toMatch(/^PolicyTimeoutError: the policy server at ws:\/\/\S+ did not answer within 1500 ms/);
    expect(byTrial[4]!.error).toMatch(/^PolicyReplyError: the reply has no "actions"/);
    expect(byTrial[5]!.error).toMatch(/^PolicyReplyError: the reply's "actions" has shape \[70\]/);
    expect(byTrial.map((e) => e.steps)).toEqual([10, 0, 0, 0, 0, 5, 10]);
    expect(r.total).toMatchObject({ episodes: 7, errors: 5 });
    expect(byTrial[0]!.chunks.latency.totalMs).toHaveLength(2);
    // The images the server got: 224 x 224 uint8, both cameras, every request.
    const got = (await readFile(record, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { arrays: Record<string, { dtype: string; shape: number[] }> });
    expect(got).toHaveLength(10);
    for (const g of got) {
      expect(g.arrays['observation/image']).toMatchObject({ dtype: '|u1', shape: [224, 224, 3] });
      expect(g.arrays['observation/wrist_image']).toMatchObject({ dtype: '|u1', shape: [224, 224, 3] });
      expect(g.arrays['observation/state']).toMatchObject({ dtype: '<f4', shape: [8] });
    }
  }, 120_000);

  it('with parallel episodes batched together, a failing request ends only its own episode', async () => {
    await server.configure({ faults: '2:nan' });
    const run = await resolveRun({ tasks: [0], trials: 4, maxSteps: 10, workers: 2, policy: { kind: 'remote', url: server.url } }, { settings: null, runsRoot: path.join(tmp, 'runs-parallel') });
    const report = await runEvaluation(run, { batchWindowMs: 50 });
    const r = await results(report.run.dir);
    expect(r.total).toMatchObject({ episodes: 4, errors: 1 });
    expect(r.episodes.filter((e) => e.outcome === 'failure')).toHaveLength(3);
    expect(r.errors[0]!.error).toMatch(/^PolicyReplyError: the reply's "actions" has NaN/);
  }, 120_000);

  it("keeps a server's rsd records in results and trajectories, and a cancelled run resumes against the same server", async () => {
    await server.configure({ rsd: true, metadata: RSD_SERVER_METADATA });
    const runsRoot = path.join(tmp, 'runs-rsd');
    const run = await resolveRun({ tasks: [0], trials: 3, maxSteps: 12, workers: 1, policy: { kind: 'remote', url: server.url } }, { settings: null, runsRoot });
    const stop = new AbortController();
    const first = await runEvaluation(run, { signal: stop.signal, onEvent: (e) => e.type === 'episode-finished' && stop.abort() });
    expect(first.status).toBe('cancelled');
    const info = (await new RunStore(runsRoot).open(first.run.id)).info;
    expect(info.config.policy).toEqual({ kind: 'remote', url: server.url, profile: 'rsd-server', server: 'rsd-policy-server', name: 'standin-rsd', hash: 'sha256:5a1d' });
    expect(info.policyTimeoutMs).toBe(60_000);
    expect(info.bundleDir).toBeUndefined();

    const resumed = await resolveResume(first.run.id, { runsRoot, workers: 1 });
    expect(resumed.policy).toEqual({ kind: 'remote', url: server.url, profile: 'rsd-server', timeoutMs: 60_000 });
    const second = await runEvaluation(resumed);
    expect(second.status).toBe('completed');
    const r = await results(second.run.dir);
    expect(r.config).toMatchObject({ decoding: 'speculative', accept: 'threshold', threshold: 0.7, bundle: { name: 'standin-rsd', hash: 'sha256:5a1d' } });
    expect(r.total).toMatchObject({ episodes: 3, errors: 0 });
    // 12 steps, whole chunks of 10: two chunks an episode, each drafting 3 layers and accepting 2.
    for (const e of r.episodes) expect(e.chunks).toMatchObject({ draftLayers: [3, 3], acceptedLayers: [2, 2] });
    expect(r.acceptance.speculativeChunks).toBe(6);
    const trajectory = Trajectory.parse(JSON.parse(await readFile(path.join(second.run.trajectoriesDir, r.episodes[0]!.trajectory!), 'utf8')));
    expect(trajectory.chunks.map((c) => [c.executed, c.draftLayers, c.acceptedLayers, c.note])).toEqual([
      [10, 3, 2, 'stand-in record'],
      [2, 3, 2, 'stand-in record'],
    ]);
  }, 120_000);

  it('refuses to resume when the server now serves other weights', async () => {
    await server.configure({ metadata: { ...RSD_SERVER_METADATA, decoding: undefined } });
    const runsRoot = path.join(tmp, 'runs-swap');
    const stop = new AbortController();
    const run = await resolveRun({ tasks: [0], trials: 2, maxSteps: 5, workers: 1, policy: { kind: 'remote', url: server.url } }, { settings: null, runsRoot });
    const first = await runEvaluation(run, { signal: stop.signal, onEvent: (e) => e.type === 'episode-finished' && stop.abort() });
    await server.configure({ metadata: { ...RSD_SERVER_METADATA, decoding: undefined, hash: 'sha256:other' } });
    await expect(runEvaluation(await resolveResume(first.run.id, { runsRoot, workers: 1 }))).rejects.toThrow(/the policy served at ws:\/\/\S+ changed since run \S+ started \(sha256:other, the run has sha256:5a1d\)/);
  }, 120_000);
});
