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
