import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalEvent } from '../../../engine/api/schemas/eval-events.js';
import type { EvalReport } from '../../../engine/eval/runner.js';
import { evaluate } from './evaluate.js';

// The evaluation workers' start path (engine/workers/spawn.ts, engine/eval/sim-pool.ts) changes
// nothing a run records: the same episodes give the same outcomes, steps and trajectories whether
// the workers start as before (through tsx, each compiling MuJoCo's WebAssembly) or from the cached
// bundle with MuJoCo compiled once in the runner's thread. Timings are left out of the comparison.
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-start-path-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const OLD_PATH = { RSD_WORKER_START: 'tsx', RSD_SHARE_MUJOCO: '0' };

async function run(name: string, env: Record<string, string>): Promise<{ report: EvalReport; logs: string[]; trajectories: Record<string, unknown> }> {
  const saved = Object.fromEntries(Object.keys(OLD_PATH).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const logs: string[] = [];
  try {
    const report = await evaluate({ runsRoot: path.join(tmp, name), tasks: [0, 1, 2], trials: 1, maxSteps: 40, workers: 2, onEvent: (e: EvalEvent) => void (e.type === 'log' && logs.push(`${e.level}: ${e.message}`)) });
    const dir = report.run.trajectoriesDir;
    const trajectories: Record<string, unknown> = {};
    for (const file of (await readdir(dir)).sort()) trajectories[file] = file.endsWith('.json') ? untimed(JSON.parse(await readFile(path.join(dir, file), 'utf8'))) : (await readFile(path.join(dir, file))).toString('base64');
    return { report, logs, trajectories };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** A record without its timings (wall times, per-stage latencies) and batch sizes, which vary run to run. */
function untimed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(untimed);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([k]) => !/Ms$|^latency$|^batchSize$/.test(k)).map(([k, v]) => [k, untimed(v)]));
  return value;
}

describe('evaluation workers: start path', () => {
  it('records the same episodes with the old start path (tsx, MuJoCo per worker) and the new one (bundle, MuJoCo shared)', async () => {
    const before = await run('before', OLD_PATH);
    const after = await run('after', {});

    expect(before.report.stats.fixed.workerStart).toBe('tsx');
    expect(before.logs).toContain('warn: workers start through tsx ($RSD_WORKER_START=tsx)');
    expect(after.report.stats.fixed.workerStart).toBe('bundle');
    expect(after.logs.filter((l) => l.includes('tsx'))).toEqual([]);

    const episodes = (r: EvalReport): unknown => untimed([...r.results.episodes].sort((a, b) => a.taskId - b.taskId || a.trial - b.trial));
    expect(after.report.results.episodes).toHaveLength(3);
    expect(episodes(after.report)).toEqual(episodes(before.report));
    expect(Object.keys(after.trajectories)).toEqual(Object.keys(before.trajectories));
    expect(Object.keys(after.trajectories).length).toBeGreaterThanOrEqual(3);
    expect(after.trajectories).toEqual(before.trajectories);

    // The fixed cost is measured (no timing asserted: the machine is shared).
    for (const { report } of [before, after]) {
      const f = report.stats.fixed;
      for (const v of [f.startMs, f.startCpuMs, f.endMs, f.endCpuMs, f.episodesMs]) expect(v).toBeGreaterThan(0);
    }
  }, 120_000);
});
