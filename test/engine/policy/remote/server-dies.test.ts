import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRun } from '../../../../engine/eval/resolve.js';
import { runEvaluation } from '../../../../engine/eval/runner.js';
import { probeHealth } from '../../../../engine/policy/remote/health.js';
import { validateResults } from '../../../../engine/runs/results-schema.js';
import { NO_PROJECT_PYTHON, projectPython } from '../../project-python.js';
import { startStandin, type Standin } from './standin.js';

// A server that exits mid-episode (after its 3rd reply): the episode in flight and those after it
// end as errors naming the connection, the finished one is kept, and the run completes.
const python = projectPython();
if (!python) console.log(NO_PROJECT_PYTHON);

let server: Standin;
let tmp: string;
beforeAll(async () => {
  if (!python) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-remote-dies-'));
  server = await startStandin(python, ['--die-after', '3']);
}, 40_000);
afterAll(async () => {
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!python)('a policy server that dies mid-episode', () => {
  it('ends the episode in flight and the later ones as errors; the finished episode is stored', async () => {
    const run = await resolveRun({ tasks: [0], trials: 3, maxSteps: 10, workers: 1, policy: { kind: 'remote', url: server.url, profile: 'openpi-libero' } }, { settings: null, runsRoot: path.join(tmp, 'runs') });
    const report = await runEvaluation(run);
    expect(report.status).toBe('completed');
    const r = validateResults(JSON.parse(await readFile(path.join(report.run.dir, 'results.json'), 'utf8')));
    const byTrial = r.episodes.sort((a, b) => a.trial - b.trial);
    expect(byTrial.map((e) => e.outcome)).toEqual(['failure', 'error', 'error']);
    // Trial 1 got one chunk (the server's 3rd reply), then the server was gone.
    expect(byTrial[1]!.steps).toBe(5);
    for (const e of byTrial.slice(1)) expect(e.error).toMatch(/^PolicyConnectionError: (the policy server at ws:\/\/\S+ closed the connection|cannot reach the policy server at ws:\/\/\S+: ECONNREFUSED \(tried 3 times\))/);
    expect(byTrial[2]!.error).toMatch(/ECONNREFUSED \(tried 3 times\)/);
    expect(await probeHealth(server.url, 2_000)).toMatchObject({ ok: false, status: null, detail: 'ECONNREFUSED' });
  }, 120_000);
});
