import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateResults } from '../../../engine/runs/results-schema.js';
import { RunStore } from '../../../engine/runs/store.js';
import { config, episode } from './fixtures.js';

const child = fileURLToPath(new URL('./child-appender.ts', import.meta.url));

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'rsd-runs-kill-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Starts the appender and SIGKILLs it once it has reported `after` fsynced episodes. */
function appendUntilKilled(id: string, after: number): Promise<{ reported: string[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, root, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    const reported: string[] = [];
    let buffer = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('appended ')) reported.push(line.slice('appended '.length));
      if (reported.length >= after && proc.exitCode === null && !proc.killed) proc.kill('SIGKILL');
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    proc.on('error', reject);
    proc.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve({ reported, signal }) : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

describe('a run killed with SIGKILL mid-run', () => {
  it('resumes with every finished episode exactly once, and completes to a full, valid results file', async () => {
    const store = new RunStore(root);
    const cfg = config({ tasks: [0, 1, 2, 3], trials: 50 });
    const run = await store.createRun(cfg);
    await run.release(); // the children write it

    const first = await appendUntilKilled(run.id, 10);
    expect(first.signal).toBe('SIGKILL');
    // The killed child's writer.lock is stale (its pid is gone): taken over, and said so.
    const afterFirst = await store.resume(run.id);
    expect(afterFirst.takenOver).toMatch(/^took over writer\.lock of run \S+ from pid \d+ on host .*: that process is gone$/);
    const keys = afterFirst.episodes.map((e) => `${e.taskId}/${e.trial}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of first.reported) expect(keys).toContain(k);
    expect(keys.length).toBeLessThan(200);
    expect(afterFirst.remaining.length + keys.length).toBe(200);

    // A second crash, then the rest in this process.
    await afterFirst.run.release();
    const second = await appendUntilKilled(run.id, 10);
    const afterSecond = await store.resume(run.id);
    expect(afterSecond.takenOver).toMatch(/that process is gone/);
    const keys2 = afterSecond.episodes.map((e) => `${e.taskId}/${e.trial}`);
    expect(new Set(keys2).size).toBe(keys2.length);
    for (const k of [...first.reported, ...second.reported]) expect(keys2).toContain(k);
    expect(keys2.slice(0, keys.length)).toEqual(keys);

    for (const { taskId, trial } of afterSecond.remaining) await afterSecond.run.appendEpisode(episode(taskId, trial, 'success'));
    const results = await afterSecond.run.finish();
    expect(results.total.episodes).toBe(200);
    expect(new Set(results.episodes.map((e) => `${e.taskId}/${e.trial}`)).size).toBe(200);
    expect(results.tasks.map((t) => t.episodes)).toEqual([50, 50, 50, 50]);
    expect(() => validateResults(JSON.parse(JSON.stringify(results)))).not.toThrow();
  });
});
