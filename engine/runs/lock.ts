import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../util/input-error.js';

/**
 * A run folder has one writer (docs/evaluation.md "The run store"): whoever creates a run, resumes
 * it or ingests episodes into it holds `<run>/writer.lock` for as long as it writes. The file is
 * created with O_EXCL (`open(…, 'wx')`), so of two processes that try at once exactly one gets it,
 * and holds `{pid, hostname, startedAt, command}` so that the one refused can say who writes.
 *
 * A lock whose process is gone (its pid is not alive on this host: a kill -9, a power cut) is
 * stale: the next writer takes it over and says so (RunLock.takenOver, logged by the runner).
 * A lock from another host cannot be checked and is never taken over. Readers (runs list, show,
 * export, results) take no lock and ignore the file.
 */

export const LOCK_FILE = 'writer.lock';

/** What writer.lock holds. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** The command that writes (`rsd eval --resume 2026…`, `engine host eval.resume`). */
  command: string;
}

/** A second writer of a run folder, refused: names the holder. An input error (CLI exit 2, engine host invalid-params). */
export class RunLockedError extends InputError {
  constructor(
    readonly runId: string,
    readonly holder: LockHolder,
    readonly file: string,
  ) {
    super('run', `run ${runId} is being written by pid ${holder.pid} on host ${holder.hostname} since ${holder.startedAt} (${holder.command}); wait for it to finish or cancel it${holder.hostname === os.hostname() ? '' : `; if that process is gone, delete ${file}`}`);
    this.name = 'RunLockedError';
  }
}

/** The command line of this process, for the lock: `rsd eval --resume ID` for the CLI. */
export function currentCommand(): string {
  const script = process.argv[1] ? path.basename(process.argv[1]) : path.basename(process.execPath);
  const name = /^rsd(\.[cm]?js)?$/.test(script) ? 'rsd' : script;
  return [name, ...process.argv.slice(2)].join(' ');
}

/** Whether a process with this pid runs on this host (EPERM: it does, as another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const json = JSON.parse(text) as Partial<LockHolder> | null;
    if (!json || typeof json !== 'object') return null;
    if (!Number.isInteger(json.pid) || typeof json.hostname !== 'string' || typeof json.startedAt !== 'string' || typeof json.command !== 'string') return null;
    return { pid: json.pid!, hostname: json.hostname, startedAt: json.startedAt, command: json.command };
  } catch {
    return null;
  }
}

/** The holder of a run folder's lock, or null when none is held (or the file cannot be read as one). Takes nothing. */
export async function readRunLock(dir: string): Promise<LockHolder | null> {
  const text = await readFile(path.join(dir, LOCK_FILE), 'utf8').catch(() => null);
  return text === null ? null : parseHolder(text);
}

/** A held writer.lock; release() (idempotent) removes it if it is still this holder's. */
export class RunLock {
  private released = false;

  constructor(
    readonly file: string,
    readonly holder: LockHolder,
    /** The file's exact text, to tell this holder's lock from another's. */
    private readonly text: string,
    /** Set when a stale lock was taken over: a sentence for the run's log. */
    readonly takenOver: string | null,
  ) {}

  get held(): boolean {
    return !this.released;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    // Remove only our own lock: never one another writer took over after ours was judged stale.
    const current = await readFile(this.file, 'utf8').catch(() => null);
    if (current === this.text) await unlink(this.file).catch(() => undefined);
  }
}

export interface AcquireOptions {
  /** The run's id, for messages (default the folder's name). */
  runId?: string;
  command?: string;
  now?: Date;
  /** Who holds the lock (default this process); tests stand in for another writer. */
  pid?: number;
  hostname?: string;
}

const isCode = (error: unknown, code: string): boolean => (error as NodeJS.ErrnoException | undefined)?.code === code;

/**
 * Takes `<dir>/writer.lock`, or throws RunLockedError naming the live holder. A stale lock (its pid
 * not alive on this host, or a file a crash left empty or unreadable) is taken over: RunLock.takenOver says whose.
 */
export async function acquireRunLock(dir: string, options: AcquireOptions = {}): Promise<RunLock> {
  const runId = options.runId ?? path.basename(dir);
  const file = path.join(dir, LOCK_FILE);
  const holder: LockHolder = {
    pid: options.pid ?? process.pid,
    hostname: options.hostname ?? os.hostname(),
    startedAt: (options.now ?? new Date()).toISOString(),
    command: options.command ?? currentCommand(),
  };
  const text = JSON.stringify(holder) + '\n';
  let takenOver: string | null = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      return new RunLock(file, holder, text, takenOver);
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw error;
    }
    const existing = await readFile(file, 'utf8').catch((error: unknown) => {
      if (isCode(error, 'ENOENT')) return null; // released meanwhile: try again
      throw error;
    });
    if (existing === null) continue;
    let current = parseHolder(existing);
    if (!current && existing.trim() === '') {
      // Created by `wx` but not written yet, or left so by a crash between the two: look once more.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const again = await readFile(file, 'utf8').catch(() => null);
      if (again === null || again !== existing) continue;
      current = null;
    }
    if (current && (current.hostname !== os.hostname() || pidAlive(current.pid))) throw new RunLockedError(runId, current, file);
    // Stale: move it aside (atomic: of two takers, one moves it), check it is the one judged stale, drop it.
    const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await rename(file, aside);
    } catch (error) {
      if (isCode(error, 'ENOENT')) continue;
      throw error;
    }
    const moved = await readFile(aside, 'utf8').catch(() => null);
    if (moved !== existing) {
      // Another writer took the stale lock over between our read and the move: give its lock back.
      await link(aside, file).catch(() => undefined);
      await unlink(aside).catch(() => undefined);
      continue;
    }
    await unlink(aside).catch(() => undefined);
    takenOver = current
      ? `took over ${LOCK_FILE} of run ${runId} from pid ${current.pid} on host ${current.hostname} (since ${current.startedAt}, ${current.command}): that process is gone`
      : `took over ${LOCK_FILE} of run ${runId}: it was left unreadable (${JSON.stringify(existing.slice(0, 40))}) by a writer that crashed`;
  }
  const last = await readRunLock(dir);
  if (last) throw new RunLockedError(runId, last, file);
  throw new Error(`cannot take ${file}: other writers keep taking it`);
}
