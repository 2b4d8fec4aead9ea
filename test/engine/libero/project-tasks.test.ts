import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBddlFile } from '../../../engine/libero/bddl.js';
import { LIBERO_DIR_ENV, liberoBddlPath, liberoDir, liberoInitStatesPath } from '../../../engine/libero/libero-dir.js';
import { projectTask, projectTaskPath } from '../../../engine/libero/project-tasks.js';
import { taskNames } from '../../../engine/libero/suites.js';
import type { TaskSpec } from '../../../engine/libero/task.js';

const LIBERO = path.resolve('../shared/libero');
const skip = !existsSync(LIBERO);
if (skip) console.log(`LIBERO's task files are absent (${LIBERO}): skipping the comparisons with them`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rsd-libero-dir-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Everything that matters to the simulation: all but where it came from and how :language is written. */
const facts = ({ file: _file, language, ...rest }: TaskSpec) => ({ ...rest, language: language.toLowerCase().replace(/\s+/g, ' ') });

describe("the project's libero_spatial definitions", () => {
  it('parse, one per task, named after the task', () => {
    for (let id = 0; id < 10; id++) {
      const t = projectTask('libero_spatial', id);
      expect(t.file).toBe(projectTaskPath('libero_spatial', id));
      expect(path.basename(t.file)).toBe(`${taskNames('libero_spatial')[id]}.bddl`);
      expect(t.goal).toEqual({ op: 'and', args: [{ op: 'atom', atom: { predicate: 'on', args: ['akita_black_bowl_1', 'plate_1'] } }] });
    }
    expect(projectTask('libero_spatial', 'pick_up_the_black_bowl_on_the_stove_and_place_it_on_the_plate').init[0]).toEqual({
      predicate: 'on', args: ['akita_black_bowl_1', 'flat_stove_1_cook_region'],
    });
  });

  it('refuse suites the project does not define, and say what to do', () => {
    expect(() => projectTask('libero_goal', 0)).toThrow("the project defines only libero_spatial tasks, not libero_goal: use LIBERO's own task files (set RSD_LIBERO_DIR)");
    expect(() => projectTask('libero_spatail', 0)).toThrow('did you mean libero_spatial?');
  });

  it.skipIf(skip)("equal LIBERO's tasks in every fact (regions, ranges, yaw, fixtures, objects and their order, init, goal)", () => {
    for (let id = 0; id < 10; id++) {
      const ours = projectTask('libero_spatial', id);
      const theirs = readBddlFile(liberoBddlPath('libero_spatial', id, LIBERO));
      expect(facts(ours), `task ${id}`).toEqual(facts(theirs));
    }
  });
});

describe("where LIBERO's files come from", () => {
  it('takes a configured folder first, else RSD_LIBERO_DIR, and accepts a LIBERO checkout', () => {
    const data = path.join(tmp, 'data');
    mkdirSync(path.join(data, 'bddl_files'), { recursive: true });
    const checkout = path.join(tmp, 'LIBERO');
    mkdirSync(path.join(checkout, 'libero', 'libero', 'bddl_files'), { recursive: true });
    expect(liberoDir(data, {})).toBe(data);
    expect(liberoDir(undefined, { [LIBERO_DIR_ENV]: data })).toBe(data);
    expect(liberoDir(checkout, { [LIBERO_DIR_ENV]: data })).toBe(path.join(checkout, 'libero', 'libero'));
  });

  it('says what is missing and which paths it tried', () => {
    expect(() => liberoDir(undefined, {})).toThrow(`LIBERO's task files are not configured: set ${LIBERO_DIR_ENV}`);
    const nowhere = path.join(tmp, 'nowhere');
    expect(() => liberoDir(undefined, { [LIBERO_DIR_ENV]: nowhere })).toThrow(`${LIBERO_DIR_ENV}=${nowhere} does not exist or is not a folder`);
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty);
    expect(() => liberoDir(empty, {})).toThrow(
      `the LIBERO folder ${empty} holds no LIBERO task files: tried ${path.join(empty, 'bddl_files')} and ${path.join(empty, 'libero', 'libero', 'bddl_files')}`,
    );
    const partial = path.join(tmp, 'partial');
    mkdirSync(path.join(partial, 'bddl_files', 'libero_spatial'), { recursive: true });
    writeFileSync(path.join(partial, 'bddl_files', 'libero_spatial', `${taskNames('libero_spatial')[0]}.bddl`), '');
    expect(liberoBddlPath('libero_spatial', 0, partial)).toBe(path.join(partial, 'bddl_files', 'libero_spatial', `${taskNames('libero_spatial')[0]}.bddl`));
    const init = path.join(partial, 'init_files', 'libero_spatial', `${taskNames('libero_spatial')[3]}.pruned_init`);
    expect(() => liberoInitStatesPath('libero_spatial', 3, partial)).toThrow(`LIBERO's initial-states file for libero_spatial task 3 is missing: ${init}`);
  });

  it.skipIf(skip)('resolves the shared LIBERO data folder by task id and by name', () => {
    const name = taskNames('libero_goal')[7]!;
    expect(liberoBddlPath('libero_goal', 7, LIBERO)).toBe(path.join(LIBERO, 'bddl_files', 'libero_goal', `${name}.bddl`));
    expect(liberoInitStatesPath('libero_goal', name, LIBERO)).toBe(path.join(LIBERO, 'init_files', 'libero_goal', `${name}.pruned_init`));
  });
});
