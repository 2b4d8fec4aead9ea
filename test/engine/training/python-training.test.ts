import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appRoot } from '../../../engine/util/app-root.js';
import { NO_PROJECT_PYTHON, projectPython } from '../project-python.js';

// The training package's own tests (python/training/tests, unittest): the RFSQ codec against the
// engine's, demonstration packing, the vision model's contract, and the deep-draft student of
// training.distill. Run with the project's Python environment; skipped where there is none.
const python = projectPython();
if (!python) console.log(`test/engine/training/python-training.test.ts: ${NO_PROJECT_PYTHON}`);

describe.skipIf(!python)("the training package's Python tests", () => {
  it('pass under unittest', () => {
    const run = spawnSync(python!, ['-m', 'unittest', 'discover', '-s', path.join('training', 'tests'), '-t', '.'], {
      cwd: path.join(appRoot(), 'python'),
      encoding: 'utf8',
      // A hang guard only: the suite takes about 20 s.
      timeout: 400_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(output).toMatch(/Ran \d+ tests/);
  }, 450_000);
});
