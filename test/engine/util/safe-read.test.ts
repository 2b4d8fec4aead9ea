// Issue 15: reading user-named files and choosing a runs folder without hanging or filling memory.
// Every special file is refused from its stat, before it is opened, so nothing here can block.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvalError } from '../../../engine/eval/errors.js';
import { resolveRun } from '../../../engine/eval/resolve.js';
import { assertRunsRoot } from '../../../engine/eval/runs-root.js';
import { RunStore } from '../../../engine/runs/store.js';
import { SettingsStore } from '../../../engine/settings/store.js';
import { InputError } from '../../../engine/util/input-error.js';
import { readFileSafely, UnsafeFileError } from '../../../engine/util/safe-read.js';

let dir: string;
let fifo: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rsd-safe-read-'));
  fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readFileSafely', () => {
  it('reads a regular file, through a symbolic link too', async () => {
    await writeFile(path.join(dir, 'a.txt'), 'hello');
    await symlink(path.join(dir, 'a.txt'), path.join(dir, 'link'));
    expect((await readFileSafely(path.join(dir, 'link'), 5)).toString()).toBe('hello');
  });

  it.each([
    ['a FIFO', () => fifo, 'is a FIFO (named pipe), not a regular file'],
    ['/dev/zero', () => '/dev/zero', 'is a character device, not a regular file'],
    ['a folder', () => dir, 'is a folder, not a regular file'],
  ])('refuses %s, naming it', async (_, file, detail) => {
    const error = await readFileSafely(file(), 1024).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeFileError);
    expect(error).toMatchObject({ field: file(), detail, message: `${file()} ${detail}` });
  });

  it('refuses a symbolic link to /dev/zero', async () => {
    await symlink('/dev/zero', path.join(dir, 'zero'));
    await expect(readFileSafely(path.join(dir, 'zero'), 1024)).rejects.toThrow(`${path.join(dir, 'zero')} is a character device, not a regular file`);
  });

  it('refuses a file over its limit, by its size', async () => {
    await writeFile(path.join(dir, 'big'), 'x'.repeat(11));
    await expect(readFileSafely(path.join(dir, 'big'), 10)).rejects.toThrow('is 11 bytes, larger than 10 bytes, the most allowed for it');
    expect(await readFileSafely(path.join(dir, 'big'), 11)).toHaveLength(11);
  });

  it('reads at most limit + 1 bytes of a file whose size says less than it holds (/proc)', async () => {
    // /proc/self/status is a regular file of size 0 with some hundreds of bytes in it.
    await expect(readFileSafely('/proc/self/status', 16)).rejects.toThrow('/proc/self/status is larger than 16 bytes, the most allowed for it (it grew while it was read)');
    expect((await readFileSafely('/proc/self/status', 1024 * 1024)).toString()).toMatch(/^Name:/);
  });
});

describe('the files of the engine read through it', () => {
  it('runs import refuses a results file that is a FIFO', async () => {
    const store = new RunStore(path.join(dir, 'runs'));
    const error = await store.importResults(fifo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(`${fifo}: cannot be read (${fifo} is a FIFO (named pipe), not a regular file)`);
  });

  it('a settings.json that is a FIFO is a problem of the file, not a hang', async () => {
    const state = await new SettingsStore(fifo).read();
    expect(state.problem).toBe(`cannot be read: ${fifo} is a FIFO (named pipe), not a regular file`);
  });
});

describe('the runs root (--out)', () => {
  it('refuses a folder under /proc, where mkdir -p would loop forever', async () => {
    const error = await assertRunsRoot('/proc/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvalError);
    expect(error).toMatchObject({ field: 'out', message: "cannot write runs to /proc/x: /proc/x is on the kernel's proc file system (/proc), where files cannot be written: choose a folder on a disk" });
    await expect(resolveRun({}, { settings: null, runsRoot: '/proc/x/runs' })).rejects.toThrow(/^cannot write runs to \/proc\/x\/runs: .* proc file system/);
  });

  it('refuses a file, a FIFO or a device where the folder should be, or above it', async () => {
    await writeFile(path.join(dir, 'file'), '');
    await expect(assertRunsRoot(path.join(dir, 'file', 'runs'))).rejects.toThrow(`${path.join(dir, 'file', 'runs')}: ${path.join(dir, 'file')} is a regular file, not a folder`);
    await expect(assertRunsRoot(fifo)).rejects.toThrow(`cannot write runs to ${fifo}: ${fifo} is a FIFO (named pipe), not a folder`);
    await expect(assertRunsRoot('/dev/null')).rejects.toThrow('/dev/null is a character device, not a folder');
  });

  it('takes a folder that exists or can be made on a disk', async () => {
    await assertRunsRoot(dir);
    await assertRunsRoot(path.join(dir, 'not', 'yet'));
  });
});
