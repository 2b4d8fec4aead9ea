import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_PROJECT_PYTHON, projectPython, pythonUnittests } from '../project-python.js';

// The policy server's own tests (python/policy_server/tests, unittest): msgpack_numpy, the
// protocol server with stand-in policies, and the project's checkpoint served from PyTorch
// (rebuilt from assets/bundles/default by training.from_bundle) against onnxruntime on the
// bundle's ONNX files. Run with the project's Python environment; skipped where there is none.
const python = projectPython();
if (!python) console.log(`test/engine/policy/python-policy-server.test.ts: ${NO_PROJECT_PYTHON}`);

describe.skipIf(!python)("the policy server's Python tests", () => {
  it('pass under unittest', () => {
    // A hang guard only: the suite takes seconds.
    const { status, output } = pythonUnittests(python!, path.join('policy_server', 'tests'), 240_000);
    expect(status, output).toBe(0);
    expect(output).toMatch(/Ran \d+ tests/);
    expect(output, 'no test may skip where the environment is present').not.toMatch(/skipped/);
  }, 300_000);
});
