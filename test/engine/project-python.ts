import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { appRoot } from '../../engine/util/app-root.js';

/**
 * The interpreter of the project's Python environment for the tests (the policy server, its
 * stand-ins): $RSD_PYTHON, else `.venv` (made by `bash scripts/python-env.sh`, which .ci/run runs),
 * else none: the caller skips with `NO_PROJECT_PYTHON` printed.
 */
export function projectPython(): string | null {
  const fromEnv = process.env.RSD_PYTHON;
  if (fromEnv) return fromEnv;
  const venv = path.join(appRoot(), '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : null;
}

export const NO_PROJECT_PYTHON =
  'skipped: no project Python environment (no $RSD_PYTHON and no .venv; `bash scripts/python-env.sh` makes one from python/requirements.txt)';

/** `python -m unittest discover` of `start` (a folder under python/, e.g. `training/tests`), run from python/: its exit status and output. */
export function pythonUnittests(python: string, start: string, timeoutMs: number): { status: number | null; output: string } {
  const run = spawnSync(python, ['-m', 'unittest', 'discover', '-s', start, '-t', '.'], { cwd: path.join(appRoot(), 'python'), encoding: 'utf8', timeout: timeoutMs });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}
