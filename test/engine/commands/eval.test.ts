import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoot } from '../../../engine/util/app-root.js';

const run = promisify(execFile);
let data: string;
beforeAll(async () => {
  data = await mkdtemp(path.join(os.tmpdir(), 'rsd-eval-cli-'));
});
afterAll(async () => {
  await rm(data, { recursive: true, force: true });
});

describe('rsd eval', () => {
  it('takes the bundle and decoding saved in settings.json, as the app does', async () => {
    const parallel = path.join(appRoot(), 'assets', 'bundles', 'default-parallel');
    await mkdir(data, { recursive: true });
    await writeFile(path.join(data, 'settings.json'), JSON.stringify({ version: 1, bundleDir: parallel, liberoDir: null, decoding: 'parallel' }));
    const { stdout } = await run(process.execPath, ['bin/rsd.mjs', 'eval', '--tasks', '0', '--trials', '1', '--max-steps', '8', '--workers', '1', '--json'], { env: { ...process.env, RSD_DATA_DIR: data } });
    const report = JSON.parse(stdout) as { results: { config: { decoding: string; bundle: { name: string } } } };
    expect(report.results.config.decoding).toBe('parallel');
    expect(report.results.config.bundle.name).toBe('default-parallel');
  }, 120_000);
});
