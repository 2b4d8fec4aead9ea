import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

// No test may read or write the user's own settings: each test file gets its own data folder (the
// CLI and servers it starts inherit it), and no LIBERO folder, LIBERO Python or bridge worker unless
// a test sets one. The folder is only named here: the settings store creates it on its first write,
// so a file that writes nothing (or whose tests are all skipped, which runs no afterAll) leaves
// nothing behind.
const dataDir = path.join(os.tmpdir(), `rsd-data-${randomBytes(6).toString('hex')}`);
process.env.RSD_DATA_DIR = dataDir;
delete process.env.RSD_LIBERO_DIR;
delete process.env.RSD_LIBERO_PYTHON;
delete process.env.RSD_LIBERO_WORKER;
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
