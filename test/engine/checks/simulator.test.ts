// The simulator rows: MuJoCo and the embedded scene for real, LIBERO's files from ../shared/libero.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from './helpers.js';

const LIBERO = path.resolve('../shared/libero');
const haveLibero = existsSync(LIBERO);
if (!haveLibero) console.log(`LIBERO file checks skipped: ${LIBERO} not found`);

describe('sim.mujoco', () => {
  it('passes with the version the WebAssembly module reports', async () => {
    const row = await runCheck('sim.mujoco');
    expect(row).toMatchObject({ status: 'pass', title: 'Embedded MuJoCo' });
    expect(row.detail).toMatch(/^MuJoCo 3\.14\.0 \(@mujoco\/mujoco 3\.14\.0, WebAssembly\) loaded in \d+ ms\.$/);
  });
});

describe('sim.scene', () => {
  it("compiles, resets and steps the project's libero_spatial scene", async () => {
    const row = await runCheck('sim.scene');
    expect(row.status).toBe('pass');
    expect(row.detail).toMatch(/^libero_spatial task 0 \("pick up the black bowl between the plate and the ramekin and place it on the plate"\): scene compiled \(nq 48, nv 43, 5 objects\), reset and stepped once under OSC control in \d+ ms\.$/);
  });
});

describe('libero.files', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'rsd-prereq-libero-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is not configured without a setting or RSD_LIBERO_DIR, says what it is for, and offers the setting', async () => {
    const row = await runCheck('libero.files');
    expect(row.status).toBe('not-configured');
    expect(row.detail).toMatch(/^No LIBERO folder set \(setting, or RSD_LIBERO_DIR\)\. The embedded simulator runs the project's own libero_spatial tasks without it/);
    expect(row.fix).toMatchObject({ kind: 'setting', setting: 'liberoDir' });
  });

  it.skipIf(!haveLibero)("passes on a full LIBERO data folder, counting every suite's BDDL and init files", async () => {
    const row = await runCheck('libero.files', { settings: { liberoDir: LIBERO } });
    expect(row.status).toBe('pass');
    expect(row.detail.split('\n')).toEqual([
      `LIBERO task files in ${LIBERO} (from settings):`,
      'libero_spatial: 10/10 BDDL, 10/10 init files (50 states × 92 values)',
      'libero_object: 10/10 BDDL, 10/10 init files (50 states × 110 values)',
      'libero_goal: 10/10 BDDL, 10/10 init files (50 states × 79 values)',
      'libero_10: 10/10 BDDL, 10/10 init files (50 states × 123 values)',
      'libero_90: 90/90 BDDL, 90/90 init files (50 states × 77 values)',
    ]);
  });

  it.skipIf(!haveLibero)('reads RSD_LIBERO_DIR when no folder is set, and finds the data folder inside a checkout', async () => {
    const checkout = path.join(root, 'LIBERO');
    await mkdir(path.join(checkout, 'libero', 'libero'), { recursive: true });
    await cp(LIBERO, path.join(checkout, 'libero', 'libero'), { recursive: true });
    const row = await runCheck('libero.files', { env: { RSD_LIBERO_DIR: checkout } });
    expect(row.status).toBe('pass');
    expect(row.detail.split('\n')[0]).toBe(`LIBERO task files in ${path.join(checkout, 'libero', 'libero')} (from RSD_LIBERO_DIR):`);
  });

  it.skipIf(!haveLibero)('warns about a partial folder, counting what is missing', async () => {
    const partial = path.join(root, 'partial');
    for (const kind of ['bddl_files', 'init_files']) await cp(path.join(LIBERO, kind, 'libero_spatial'), path.join(partial, kind, 'libero_spatial'), { recursive: true });
    const row = await runCheck('libero.files', { settings: { liberoDir: partial } });
    expect(row.status).toBe('warn');
    expect(row.detail).toContain('libero_spatial: 10/10 BDDL, 10/10 init files (50 states × 92 values)');
    expect(row.detail).toContain('libero_object: 0/10 BDDL, 0/10 init files');
    expect(row.detail).toMatch(/\n240 files missing, e\.g\. bddl_files\/libero_object\/pick_up_the_alphabet_soup_and_place_it_in_the_basket\.bddl, /);
  });

  it('fails on a folder without LIBERO task files, naming where it looked', async () => {
    const empty = path.join(root, 'empty');
    await mkdir(empty, { recursive: true });
    const row = await runCheck('libero.files', { settings: { liberoDir: empty } });
    expect(row.status).toBe('fail');
    expect(row.detail).toMatch(/^the LIBERO folder .*empty holds no LIBERO task files: tried .*empty\/bddl_files and .*empty\/libero\/libero\/bddl_files\.$/);
    expect(row.fix).toMatchObject({ kind: 'setting', setting: 'liberoDir' });
  });

  it('fails on an unreadable BDDL file, naming it', async () => {
    const bad = path.join(root, 'bad');
    await mkdir(path.join(bad, 'bddl_files', 'libero_goal'), { recursive: true });
    await writeFile(path.join(bad, 'bddl_files', 'libero_goal', 'open_the_middle_drawer_of_the_cabinet.bddl'), '(define (problem');
    await mkdir(path.join(bad, 'init_files', 'libero_goal'), { recursive: true });
    await writeFile(path.join(bad, 'init_files', 'libero_goal', 'open_the_middle_drawer_of_the_cabinet.pruned_init'), 'not a zip');
    const row = await runCheck('libero.files', { settings: { liberoDir: bad } });
    expect(row.status).toBe('fail');
    expect(row.detail).toContain('open_the_middle_drawer_of_the_cabinet.bddl');
  });
});
