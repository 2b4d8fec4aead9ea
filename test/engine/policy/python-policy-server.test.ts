import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appRoot } from '../../../engine/util/app-root.js';
import { NO_PROJECT_PYTHON, projectPython } from '../project-python.js';

// The policy server's own tests (python/policy_server/tests, unittest): msgpack_numpy, the
// protocol server with stand-in policies, and the project's checkpoint served from PyTorch
// (rebuilt from assets/bundles/default by training.from_bundle) against onnxruntime on the
// bundle's ONNX files. Run with the project's Python environment; skipped where there is none.
const python = projectPython();
if (!python) console.log(`test/engine/policy/python-policy-server.test.ts: ${NO_PROJECT_PYTHON}`);

describe.skipIf(!python)("the policy server's Python tests", () => {
  it('pass under unittest', () => {
    const run = spawnSync(python!, ['-m', 'unittest', 'discover', '-s', path.join('policy_server', 'tests'), '-t', '.'], {
      cwd: path.join(appRoot(), 'python'),
      encoding: 'utf8',
      // A hang guard only: the suite takes seconds.
      timeout: 240_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(output).toMatch(/Ran \d+ tests/);
    expect(output, 'no test may skip where the environment is present').not.toMatch(/skipped/);
  }, 300_000);
});
