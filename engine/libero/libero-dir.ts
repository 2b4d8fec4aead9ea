import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../util/input-error.js';
import { suiteTask } from './suites.js';

/**
 * Where LIBERO's own task files come from. The project never ships them: users point us at their
 * LIBERO checkout (or a copy of its data folder) by argument or by RSD_LIBERO_DIR.
 */

export const LIBERO_DIR_ENV = 'RSD_LIBERO_DIR';

/** Inside a LIBERO checkout the data folder is `libero/libero/` (LIBERO's get_libero_path). */
const CHECKOUT_SUBDIR = path.join('libero', 'libero');

/**
 * The folder holding `bddl_files/` and `init_files/`: `configured`, else $RSD_LIBERO_DIR. Either
 * may name that folder itself or a LIBERO checkout above it.
 */
export function liberoDir(configured?: string, env: NodeJS.ProcessEnv = process.env): string {
  const given = configured ?? env[LIBERO_DIR_ENV];
  if (given === undefined || given === '') {
    throw new InputError(
      'libero',
      `LIBERO's task files are not configured: set ${LIBERO_DIR_ENV} (or pass a folder) to a LIBERO checkout or to its data folder holding bddl_files/ and init_files/`,
    );
  }
  const dir = path.resolve(given);
  const source = configured !== undefined ? `the LIBERO folder ${dir}` : `${LIBERO_DIR_ENV}=${given}`;
  if (!isDir(dir)) throw new InputError('libero', `${source} does not exist or is not a folder`);
  const candidates = [dir, path.join(dir, CHECKOUT_SUBDIR)];
  const found = candidates.find((d) => isDir(path.join(d, 'bddl_files')));
  if (!found) {
    throw new InputError('libero', `${source} holds no LIBERO task files: tried ${candidates.map((d) => path.join(d, 'bddl_files')).join(' and ')}`);
  }
  return found;
}

/** `bddl_files/<suite>/<task>.bddl`; `task` is an id or a name. Throws naming the path when missing. */
export function liberoBddlPath(suite: string, task: number | string, configured?: string): string {
  return existing(suite, task, configured, 'bddl_files', '.bddl', 'BDDL file');
}

/** `init_files/<suite>/<task>.pruned_init` (the 50 states OFT evaluates on). */
export function liberoInitStatesPath(suite: string, task: number | string, configured?: string): string {
  return existing(suite, task, configured, 'init_files', '.pruned_init', 'initial-states file');
}

function existing(suite: string, task: number | string, configured: string | undefined, folder: string, ext: string, what: string): string {
  const t = suiteTask(suite, task);
  const file = path.join(liberoDir(configured), folder, t.suite, t.name + ext);
  if (!existsSync(file)) throw new InputError(file, `LIBERO's ${what} for ${t.suite} task ${t.id} is missing: ${file}`);
  return file;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
