import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_PROJECT_PYTHON, projectPython, pythonUnittests } from '../project-python.js';

// The training package's own tests (python/training/tests, unittest): the RFSQ codec against the
// engine's, demonstration packing, the vision model's contract, and the deep-draft student of
// training.distill. Run with the project's Python environment; skipped where there is none.
const python = projectPython();
if (!python) console.log(`test/engine/training/python-training.test.ts: ${NO_PROJECT_PYTHON}`);

describe.skipIf(!python)("the training package's Python tests", () => {
  it('pass under unittest', () => {
    // A hang guard only: the suite takes about 20 s.
    const { status, output } = pythonUnittests(python!, path.join('training', 'tests'), 400_000);
    expect(status, output).toBe(0);
    expect(output).toMatch(/Ran \d+ tests/);
  }, 450_000);
});
