import { existsSync } from 'node:fs';
import path from 'node:path';
import { readBddlFile } from '../libero/bddl.js';
import { readInitStates } from '../libero/init-states.js';
import { LIBERO_DIR_ENV, liberoDir } from '../libero/libero-dir.js';
import { SUITES, taskNames, type SuiteName } from '../libero/suites.js';
import type { CheckFix } from '../api/checks.js';
import { message, type Check } from './types.js';

const chooseFolder: CheckFix = { kind: 'setting', setting: 'liberoDir', hint: 'A LIBERO checkout, or its data folder holding bddl_files/ and init_files/.' };

interface SuiteCount {
  suite: SuiteName;
  tasks: number;
  bddl: number;
  init: number;
  missing: string[];
  /** Of the first task with both files: its BDDL parsed, its initial states read. */
  sample: string | null;
}

function countSuite(dir: string, suite: SuiteName): SuiteCount {
  const names = taskNames(suite);
  const bddlOf = (n: string) => path.join(dir, 'bddl_files', suite, `${n}.bddl`);
  const initOf = (n: string) => path.join(dir, 'init_files', suite, `${n}.pruned_init`);
  const missing = names.flatMap((n) => [bddlOf(n), initOf(n)]).filter((f) => !existsSync(f));
  const complete = names.find((n) => existsSync(bddlOf(n)) && existsSync(initOf(n)));
  let sample: string | null = null;
  if (complete) {
    readBddlFile(bddlOf(complete)); // throws, naming the file, when it does not parse
    const states = readInitStates(initOf(complete));
    sample = `${states.rows} states × ${states.cols} values`;
  }
  return {
    suite,
    tasks: names.length,
    bddl: names.filter((n) => existsSync(bddlOf(n))).length,
    init: names.filter((n) => existsSync(initOf(n))).length,
    missing,
    sample,
  };
}

export const liberoFilesCheck: Check = {
  id: 'libero.files',
  title: 'LIBERO task files',
  group: 'simulator',
  purpose: "LIBERO's own task definitions (BDDL) and fixed initial states from your LIBERO checkout: every suite's tasks, evaluated on LIBERO's 50 initial states per task.",
  reads: ['liberoDir'],
  async run(ctx) {
    const chosen = ctx.settings.settings.liberoDir;
    const fromEnv = ctx.env[LIBERO_DIR_ENV];
    if (!chosen && !fromEnv) {
      return {
        status: 'not-configured',
        detail: `No LIBERO folder set (setting, or ${LIBERO_DIR_ENV}). The embedded simulator runs the project's own libero_spatial tasks without it; point it at a LIBERO checkout for the other suites and LIBERO's own files.`,
        fix: chooseFolder,
      };
    }
    const origin = chosen ? 'settings' : LIBERO_DIR_ENV;
    let dir: string;
    let counts: SuiteCount[];
    try {
      dir = liberoDir(chosen ?? undefined, ctx.env);
      counts = SUITES.map((s) => countSuite(dir, s));
    } catch (thrown) {
      return { status: 'fail', detail: `${message(thrown)}.`, fix: chooseFolder };
    }
    const lines = counts.map((c) => `${c.suite}: ${c.bddl}/${c.tasks} BDDL, ${c.init}/${c.tasks} init files${c.sample ? ` (${c.sample})` : ''}`);
    const missing = counts.flatMap((c) => c.missing);
    const head = `LIBERO task files in ${dir} (from ${origin}):`;
    if (missing.length === 0) return { status: 'pass', detail: [head, ...lines].join('\n') };
    const found = counts.some((c) => c.bddl + c.init > 0);
    const shown = missing.slice(0, 3).map((f) => path.relative(dir, f)).join(', ');
    return {
      status: found ? 'warn' : 'fail',
      detail: [head, ...lines, `${missing.length} files missing, e.g. ${shown}.`].join('\n'),
      fix: chooseFolder,
    };
  },
};
