import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatServedBench, runServedBench } from '../../../engine/bench/served-bench.js';
import { appRoot } from '../../../engine/util/app-root.js';
import { NO_PROJECT_PYTHON, projectPython } from '../project-python.js';

// The default bundle in-process against its own weights served from PyTorch by python/policy_server
// (rebuilt by training.from_bundle, which checks them against onnxruntime): the real server, the real
// client, one short episode of each phase.
const python = projectPython();
if (!python) console.log(NO_PROJECT_PYTHON);
const PY = path.join(appRoot(), 'python');

describe.skipIf(!python)('rsd bench served against python/policy_server', () => {
  let tmp = '';
  let server: ChildProcess | null = null;
  let url = '';

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-served-'));
    const ckpt = path.join(tmp, 'default.pt');
    const built = spawnSync(python!, ['-m', 'training.from_bundle', '--bundle', '../assets/bundles/default', '--out', ckpt, '--items', '4'], { cwd: PY, encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    server = spawn(python!, ['-m', 'policy_server', '--checkpoint', ckpt, '--port', '0', '--threads', '1'], { cwd: PY, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    url = await new Promise<string>((resolve, reject) => {
      server!.once('exit', (code) => reject(new Error(`the policy server exited (${code}): ${stderr}`)));
      createInterface({ input: server!.stdout! }).on('line', (line) => {
        const m = /^policy server listening on (ws:\/\/\S+)$/.exec(line);
        if (m) resolve(m[1]!);
      });
    });
  }, 120_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    await rm(tmp, { recursive: true, force: true });
  });

  it('finds the same codes on the same observations and the same outcome, and formats the report', async () => {
    const r = await runServedBench({ url, episodes: 1, maxSteps: 24, workers: 1 });
    expect(r.server.url).toBe(url);
    expect(r.decoding).toBe('speculative');
    // 24 steps of 8-action chunks: 3 chunks compared, every code equal (the ONNX check's tolerance is far below a code's margin).
    expect(r.codes.chunks).toBe(3);
    expect(r.codes.identicalChunks).toBe(3);
    expect(r.codes.identicalCodeShare).toBe(1);
    expect(r.codes.maxAbsActionDiff).toBeLessThan(1e-4);
    expect(r.outcomes.paired).toBe(1);
    expect(r.outcomes.sameOutcome).toBe(1);
    expect(r.outcomes.errorsServed).toBe(0);
    expect(r.latency.ratio).toBeGreaterThan(0);
    expect(formatServedBench(r)).toContain('3/3 chunks identical');
  }, 120_000);
});
