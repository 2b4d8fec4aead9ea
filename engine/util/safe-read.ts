import { constants, type Stats } from 'node:fs';
import { open, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from './input-error.js';

/**
 * Reading a file the user named, safely: only a regular file (a FIFO would block the open or the
 * read forever, /dev/zero would fill memory without end, a socket or a folder cannot be read), and
 * never more than the caller's limit, however the file changes while it is read.
 */

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** A file that is not a regular file, or is larger than its limit. */
export class UnsafeFileError extends InputError {
  constructor(
    readonly file: string,
    /** What is wrong, without the file's name: `is a FIFO (named pipe), not a regular file`. */
    readonly detail: string,
  ) {
    super(file, `${file} ${detail}`);
    this.name = 'UnsafeFileError';
  }
}

/** What a file system entry is, in words: `a FIFO (named pipe)`, `a character device`. */
export function describeKind(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** `1.5 MiB`, `4 GiB`, `812 bytes`. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', GiB], ['MiB', MiB], ['KiB', KiB]] as const) {
    if (n >= size) return `${Number((n / size).toFixed(1))} ${unit}`;
  }
  return `${n} bytes`;
}

/**
 * The bytes of `file`, which must be a regular file (symbolic links are followed) of at most
 * `limit` bytes. Refuses anything else with an UnsafeFileError before opening it, opens without
 * blocking and checks the opened file again (it may have been swapped since), and reads at most
 * `limit + 1` bytes, so a file that grows while it is read cannot exceed the limit either. Errors
 * of the file system itself (ENOENT, EACCES) are thrown as they are, for callers to word.
 */
export async function readFileSafely(file: string, limit: number): Promise<Buffer> {
  assertReadable(file, await stat(file), limit);
  // O_NONBLOCK: were the file swapped for a FIFO after the stat, the open would not wait for a writer.
  const handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = await handle.stat();
    assertReadable(file, st, limit);
    // The size the file says it has, read into a buffer of exactly that size; then whatever follows
    // (a file that grew, or one of /proc's that report size 0), in chunks, up to limit + 1 bytes.
    const first = Buffer.allocUnsafeSlow(st.size);
    let filled = 0;
    while (filled < first.length) {
      const { bytesRead } = await handle.read(first, filled, first.length - filled, filled);
      if (bytesRead === 0) return first.subarray(0, filled); // it shrank
      filled += bytesRead;
    }
    const more: Buffer[] = [];
    let total = filled;
    while (total <= limit) {
      const chunk = Buffer.allocUnsafeSlow(Math.min(64 * KiB, limit + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
      if (bytesRead === 0) break;
      more.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    if (total > limit) throw new UnsafeFileError(file, `is larger than ${formatBytes(limit)}, the most allowed for it (it grew while it was read)`);
    return more.length === 0 ? first : Buffer.concat([first, ...more]);
  } finally {
    await handle.close();
  }
}

/** readFileSafely as UTF-8 text. */
export async function readTextFileSafely(file: string, limit: number): Promise<string> {
  return (await readFileSafely(file, limit)).toString('utf8');
}

function assertReadable(file: string, st: Stats, limit: number): void {
  if (!st.isFile()) throw new UnsafeFileError(file, `is ${describeKind(st)}, not a regular file`);
  if (st.size > limit) throw new UnsafeFileError(file, `is ${st.size} bytes, larger than ${formatBytes(limit)}, the most allowed for it`);
}

// ---- folders to write into ----

/**
 * File systems of the kernel's own (statfs f_type), where a folder cannot be made or written:
 * `mkdir -p` loops forever under /proc (mkdir says ENOENT however often its parent is made).
 */
const PSEUDO_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
  [0x42494e4d, 'binfmt_misc'],
  [0x6e736673, 'nsfs'],
  [0x50495045, 'pipefs'],
  [0x534f434b, 'sockfs'],
  [0x62646576, 'bdev'],
  [0xde5e81e4, 'efivarfs'],
  [0x19800202, 'mqueue'],
  [0x67596969, 'rpc_pipefs'],
  [0x958458f6, 'hugetlbfs'],
]);

/**
 * Refuses a folder to write runs into that is not a folder on an ordinary file system, with an
 * InputError for `field`: an existing path must be a folder; a missing one's nearest existing
 * ancestor must be a folder; and that folder must not be on one of the kernel's pseudo file systems
 * (/proc, /sys, ...). Where statfs is not available, the file system is not checked.
 */
export async function assertWritableFolder(folder: string, field: string): Promise<void> {
  let at = path.resolve(folder);
  for (;;) {
    let st: Stats | null = null;
    try {
      st = await stat(at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new InputError(field, `${folder} cannot be used as a folder: ${(error as Error).message}`);
    }
    if (st) {
      if (!st.isDirectory()) {
        const which = at === path.resolve(folder) ? folder : `${folder}: ${at}`;
        throw new InputError(field, `${which} is ${describeKind(st)}, not a folder`);
      }
      break;
    }
    const parent = path.dirname(at);
    if (parent === at) return;
    at = parent;
  }
  let type: number;
  try {
    type = (await statfs(at)).type;
  } catch {
    return;
  }
  const name = PSEUDO_FILE_SYSTEMS.get(type);
  if (name) throw new InputError(field, `${folder} is on the kernel's ${name} file system (${at}), where files cannot be written: choose a folder on a disk`);
}
