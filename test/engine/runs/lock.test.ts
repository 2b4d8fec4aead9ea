import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireRunLock, LOCK_FILE, pidAlive, readRunLock, RunLockedError } from '../../../engine/runs/lock.js';
import { RunStore } from '../../../engine/runs/store.js';
import { InputError } from '../../../engine/util/input-error.js';
import { config, episode } from './fixtures.js';

let root: string;
const children: ChildProcess[] = [];
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'rsd-runs-lock-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(root, { recursive: true, force: true });
});

/** Another live process on this host: a `node -e` that sleeps until killed. */
async function sleeper(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30); process.stdout.write("up\\n")'], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  await once(child.stdout!, 'data');
  return child as ChildProcess & { pid: number };
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = await sleeper();
  child.kill('SIGKILL');
  await once(child, 'exit');
  return child.pid;
}

describe('acquireRunLock', () => {
  it('acquires, refuses a second writer naming the holder, and releases', async () => {
    const lock = await acquireRunLock(root, { runId: 'r1', command: 'rsd eval --resume r1' });
    expect(lock.held).toBe(true);
    expect(lock.takenOver).toBeNull();
    const onDisk = JSON.parse(await readFile(path.join(root, LOCK_FILE), 'utf8')) as Record<string, unknown>;
    expect(onDisk).toEqual({ pid: process.pid, hostname: os.hostname(), startedAt: lock.holder.startedAt, command: 'rsd eval --resume r1' });
    expect(await readRunLock(root)).toEqual(lock.holder);

    // Even in the same process: the engine host's eval.resume and a second one are two writers.
    const refused = await acquireRunLock(root, { runId: 'r1' }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(RunLockedError);
    expect(refused).toBeInstanceOf(InputError);
    expect((refused as RunLockedError).field).toBe('run');
    expect((refused as Error).message).toBe(`run r1 is being written by pid ${process.pid} on host ${os.hostname()} since ${lock.holder.startedAt} (rsd eval --resume r1); wait for it to finish or cancel it`);

    await lock.release();
    expect(lock.held).toBe(false);
    expect(await readdir(root)).toEqual([]);
    await lock.release(); // idempotent
    const next = await acquireRunLock(root);
    expect(next.takenOver).toBeNull();
    await next.release();
  });

  it('of writers racing for the lock, exactly one gets it', async () => {
    const settled = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => acquireRunLock(root, { command: `writer ${i}` })));
    const won = settled.filter((s) => s.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const s of settled) if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(RunLockedError);
  });

  it('takes over a stale lock whose pid is gone, saying whose it was', async () => {
    const pid = await deadPid();
    expect(pidAlive(pid)).toBe(false);
    const stale = await acquireRunLock(root, { runId: 'r2', pid, command: 'rsd eval --resume r2' });
    // (the stand-in's lock is left behind, as a kill -9 leaves it)
    void stale;
    const lock = await acquireRunLock(root, { runId: 'r2' });
    expect(lock.takenOver).toBe(`took over writer.lock of run r2 from pid ${pid} on host ${os.hostname()} (since ${stale.holder.startedAt}, rsd eval --resume r2): that process is gone`);
    expect((await readRunLock(root))?.pid).toBe(process.pid);
    expect((await readdir(root)).sort()).toEqual([LOCK_FILE]); // nothing left aside
    // The dead writer's release (it never comes, but) must not remove the new holder's lock.
    await stale.release();
    expect((await readRunLock(root))?.pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a lock file a crash left empty', async () => {
    await writeFile(path.join(root, LOCK_FILE), '');
    const lock = await acquireRunLock(root, { runId: 'r3' });
    expect(lock.takenOver).toMatch(/^took over writer\.lock of run r3: it was left unreadable .* by a writer that crashed$/);
    await lock.release();
  });

  it('refuses a lock held by another live process, naming it; takes it over once that process is gone', async () => {
    const child = await sleeper();
    expect(pidAlive(child.pid)).toBe(true);
    await acquireRunLock(root, { runId: 'r4', pid: child.pid, command: 'rsd eval --resume r4 --out /x' });
    await expect(acquireRunLock(root, { runId: 'r4' })).rejects.toThrow(new RegExp(`^run r4 is being written by pid ${child.pid} on host ${os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} since \\S+ \\(rsd eval --resume r4 --out /x\\); wait for it to finish or cancel it$`));
    expect((await readRunLock(root))?.pid).toBe(child.pid); // the refused writer changed nothing

    child.kill('SIGKILL');
    await once(child, 'exit');
    const lock = await acquireRunLock(root, { runId: 'r4' });
    expect(lock.takenOver).toMatch(new RegExp(`from pid ${child.pid} .*that process is gone`));
    await lock.release();
  });

  it('never takes over a lock from another host (its pid cannot be checked)', async () => {
    const pid = await deadPid();
    await acquireRunLock(root, { runId: 'r5', pid, hostname: 'elsewhere', command: 'rsd eval' });
    await expect(acquireRunLock(root, { runId: 'r5' })).rejects.toThrow(`run r5 is being written by pid ${pid} on host elsewhere`);
    await expect(acquireRunLock(root, { runId: 'r5' })).rejects.toThrow(`if that process is gone, delete ${path.join(root, LOCK_FILE)}`);
  });
});

describe('the run store and writer.lock', () => {
  it('createRun and resume hold the lock; a second resume is refused; finish, cancel and release give it back', async () => {
    const store = new RunStore(root);
    const run = await store.createRun(config({ tasks: [0], trials: 3 }), { command: 'creator' });
    expect((await readRunLock(run.dir))?.command).toBe('creator');
    await expect(store.resume(run.id)).rejects.toThrow(RunLockedError);
    await expect(store.resume(run.id)).rejects.toThrow(/\(creator\)/);
    await run.appendEpisode(episode(0, 0, 'success'));
    await run.cancel();
    expect(await readRunLock(run.dir)).toBeNull();
    await expect(run.appendEpisode(episode(0, 1, 'success'))).rejects.toThrow(/cancelled/);

    const first = await store.resume(run.id, { command: 'first' });
    await expect(store.resume(run.id)).rejects.toThrow(/\(first\)/);
    // The refused resume changed nothing: still the first writer's run, still running.
    expect((await store.open(run.id)).status).toBe('running');
    await first.run.appendEpisode(episode(0, 1, 'failure'));
    await first.run.release();
    await expect(first.run.appendEpisode(episode(0, 2, 'success'))).rejects.toThrow(/released the run/);

    const second = await store.resume(run.id);
    expect(second.takenOver).toBeNull();
    expect(second.remaining).toEqual([{ taskId: 0, trial: 2 }]);
    await second.run.ingest({ episodes: [episode(0, 2, 'success')] }, 'target');
    const results = await second.run.finish();
    expect(results.total.episodes).toBe(3);
    expect(await readRunLock(run.dir)).toBeNull();
  });

  it('a run opened to read neither writes nor locks, and the lock does not confuse list, export or import', async () => {
    const store = new RunStore(root);
    const run = await store.createRun(config({ tasks: [0], trials: 2 }), { id: 'held' });
    await run.appendEpisode(episode(0, 0, 'success'));
    const opened = await store.open('held');
    await expect(opened.appendEpisode(episode(0, 1, 'success'))).rejects.toThrow(/run held was opened for reading: resume it to write/);
    await expect(opened.ingest({ episodes: [episode(0, 1, 'success')] }, 'target')).rejects.toThrow(/opened for reading/);
    expect((await store.list()).map((r) => [r.id, r.status, r.episodesDone])).toEqual([['held', 'running', 1]]);
    const file = path.join(root, '..', `${path.basename(root)}-export.json`);
    try {
      const exported = await store.exportRun('held', file);
      expect(exported.total.episodes).toBe(1);
      const other = new RunStore(path.join(root, 'elsewhere'));
      const imported = await other.importResults(file);
      expect(await readdir(imported.dir)).not.toContain(LOCK_FILE);
      expect((await other.list()).map((r) => r.episodesDone)).toEqual([1]);
    } finally {
      await rm(file, { force: true });
    }
    expect((await readRunLock(run.dir))?.pid).toBe(process.pid); // reading took nothing from the writer
    await run.release();
  });
});
