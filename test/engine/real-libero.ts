import { existsSync } from 'node:fs';
import path from 'node:path';
import { appRoot } from '../../engine/util/app-root.js';

/**
 * The interpreter with real LIBERO for the tests: $RSD_LIBERO_PYTHON, else the project's
 * `.libero-venv` (built by .ci/run from ../shared/libero-stack), else none: the caller skips with
 * `NO_REAL_LIBERO` printed.
 */
export function realLiberoPython(): string | null {
  const fromEnv = process.env.RSD_LIBERO_PYTHON;
  if (fromEnv) return fromEnv;
  const venv = path.join(appRoot(), '.libero-venv', 'bin', 'python');
  return existsSync(venv) ? venv : null;
}

export const NO_REAL_LIBERO =
  'skipped: no real LIBERO here (no $RSD_LIBERO_PYTHON and no .libero-venv; `bash ../shared/libero-stack/setup.sh .libero-venv` makes one where the project machines\' ../shared is present)';

/**
 * OFT's recorded frame of libero_spatial task 0, initial state 0, after the 10 wait steps
 * (openvla-oft's sample_libero_spatial_observation.pkl, docs/libero.md 4.2): the 8-D proprio.
 */
export const OFT_SAMPLE_STATE: readonly number[] = [-0.2112, -0.0111, 1.1742, 3.1409, -0.0028, -0.0877, 0.0387, -0.0387];
