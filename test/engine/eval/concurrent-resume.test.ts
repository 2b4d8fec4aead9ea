import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { acquireRunLock, LOCK_FILE } from '../../../engine/runs/lock.js';
import { validateResults } from '../../../engine/runs/results-schema.js';

// Issue 15, "a run folder has one writer": two `rsd eval --resume RUN` at once must not both write
// the run. Nothing here depends on timing: the refusal is forced by holding the lock from this
// process, and the racing pair is checked by invariants that hold whichever way the race goes.
const bin = fileURLToPath(new URL('../../../bin/rsd.mjs', import.meta.url));
let tmp: string;
let root: string;
let id: string;
let dir: string;
let complete: string; // episodes.jsonl of the uninterrupted run
const PLANNED = ['0/0', '0/1', '0/2', '0/3', '1/0', '1/1', '1/2', '1/3'];

interface Exit {
  pid: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

function rsd(args: string[]): { pid: number; done: Promise<Exit> } {
  const proc = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const done = once(proc, 'exit').then(([code]) => ({ pid: proc.pid!, code: code as number | null, stdout, stderr }));
  return { pid: proc.pid!, done };
}

const resume = () => rsd(['eval', '--resume', id, '--out', root, '--json']);

/** The run as a kill -9 after its first three episodes leaves it: three lines, status running, no results.json. */
async function interrupt(): Promise<void> {
  const lines = complete.split('\n').filter((l) => l.trim());
  await writeFile(path.join(dir, 'episodes.jsonl'), lines.slice(0, 3).join('\n') + '\n');
  const meta = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(path.join(dir, 'run.json'), JSON.stringify({ ...meta, status: 'running', finishedAt: null }, null, 2) + '\n');
  await rm(path.join(dir, 'results.json'), { force: true });
}

/** Every planned (task, trial) exactly once in episodes.jsonl, and the run's own export accepted. */
async function expectWhole(): Promise<void> {
  const keys = (await readFile(path.join(dir, 'episodes.jsonl'), 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { taskId: number; trial: number })
    .map((e) => `${e.taskId}/${e.trial}`);
  expect([...keys].sort()).toEqual(PLANNED);
  const file = path.join(tmp, 'export.json');
  const exported = await rsd(['runs', 'export', id, file, '--runs', root]).done;
  expect(exported.stderr).toBe('');
  expect(exported.code).toBe(0);
  expect(validateResults(JSON.parse(await readFile(file, 'utf8'))).total.episodes).toBe(8);
  expect(await readdir(dir)).not.toContain(LOCK_FILE);
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rsd-eval-lock-'));
  const bundle = path.join(tmp, 'tiny');
  await writeSyntheticBundle(bundle, 'tiny', 1);
  root = path.join(tmp, 'runs');
  const first = await rsd(['eval', '--bundle', bundle, '--tasks', '0,1', '--trials', '4', '--max-steps', '40', '--workers', '2', '--out', root, '--json']).done;
  expect(first.code).toBe(0);
  id = (await readdir(root)).find((n) => !n.startsWith('.'))!;
  dir = path.join(root, id);
  complete = await readFile(path.join(dir, 'episodes.jsonl'), 'utf8');
}, 120_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('rsd eval --resume of a run another process writes', () => {
  it('is refused with exit 2 naming the holder, changing nothing; once the lock is released it completes', async () => {
    await interrupt();
    const before = await Promise.all(['episodes.jsonl', 'run.json'].map((f) => readFile(path.join(dir, f), 'utf8')));
    const lock = await acquireRunLock(dir, { runId: id, command: 'rsd eval --resume (the test)' });
    try {
      const refused = await resume().done;
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(
        `rsd eval: --resume: run ${id} is being written by pid ${process.pid} on host ${os.hostname()} since ${lock.holder.startedAt} (rsd eval --resume (the test)); wait for it to finish or cancel it\n`,
      );
      expect(JSON.parse(refused.stdout)).toMatchObject({ error: { kind: 'RunLockedError', field: 'run' } });
      expect(await Promise.all(['episodes.jsonl', 'run.json'].map((f) => readFile(path.join(dir, f), 'utf8')))).toEqual(before);
    } finally {
      await lock.release();
    }
    const resumed = await resume().done;
    expect(resumed.stderr).not.toMatch(/Error|being written/);
    expect(resumed.code).toBe(0);
    await expectWhole();
  }, 120_000);

  it('two at once: never both write; the loser, if they overlap, names the winner', async () => {
    await interrupt();
    const a = resume();
    const b = resume();
    const exits = await Promise.all([a.done, b.done]);
    for (const [i, exit] of exits.entries()) {
      const other = exits[1 - i]!;
      expect([0, 2]).toContain(exit.code);
      if (exit.code === 2) {
        expect(other.code).toBe(0);
        expect(exit.stderr).toMatch(new RegExp(`^rsd eval: --resume: run ${id} is being written by pid ${other.pid} on host .* \\(rsd eval --resume ${id} --out .*\\); wait for it to finish or cancel it\\n$`));
      }
    }
    expect(exits.some((e) => e.code === 0)).toBe(true);
    await expectWhole();
  }, 120_000);

  it('takes over the lock of a writer killed with SIGKILL, saying so in the run log', async () => {
    await interrupt();
    const victim = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
    const pid = victim.pid!;
    await acquireRunLock(dir, { runId: id, pid, command: 'rsd eval --resume (killed)' });
    victim.kill('SIGKILL');
    await once(victim, 'exit');
    const resumed = await resume().done;
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`warning: took over writer.lock of run ${id} from pid ${pid} on host ${os.hostname()}`);
    expect(resumed.stderr).toContain(', rsd eval --resume (killed)): that process is gone\n');
    await expectWhole();
  }, 120_000);
});
