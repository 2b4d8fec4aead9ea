import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_PROJECT_PYTHON, projectPython, pythonUnittests } from '../project-python.js';

// The OFT + RFSQ policy's Python tests (python/policy_server/oft/tests, unittest): the seed's
// checkpoint layouts, named loader errors, acceptance by agreement, decode vs reconstruction, and
// infer end to end on a random tiny Llama stand-in for the 7B backbone (CPU, seconds).
const python = projectPython();
if (!python) console.log(`test/engine/policy/oft-server.test.ts: ${NO_PROJECT_PYTHON}`);

describe.skipIf(!python)("the OFT policy's Python tests", () => {
  it('pass under unittest', () => {
    const { status, output } = pythonUnittests(python!, path.join('policy_server', 'oft', 'tests'), 240_000);
    expect(status, output).toBe(0);
    expect(output).toMatch(/Ran \d+ tests/);
    expect(output).not.toMatch(/skipped/);
  }, 300_000);
});
