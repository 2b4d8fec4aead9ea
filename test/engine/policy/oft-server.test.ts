import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appRoot } from '../../../engine/util/app-root.js';
import { NO_PROJECT_PYTHON, projectPython } from '../project-python.js';

// The OFT + RFSQ policy's Python tests (python/policy_server/oft/tests, unittest): the seed's
// checkpoint layouts, named loader errors, acceptance by agreement, decode vs reconstruction, and
// infer end to end on a random tiny Llama stand-in for the 7B backbone (CPU, seconds).
const python = projectPython();
if (!python) console.log(`test/engine/policy/oft-server.test.ts: ${NO_PROJECT_PYTHON}`);

describe.skipIf(!python)("the OFT policy's Python tests", () => {
  it('pass under unittest', () => {
    const run = spawnSync(python!, ['-m', 'unittest', 'discover', '-s', path.join('policy_server', 'oft', 'tests'), '-t', '.'], {
      cwd: path.join(appRoot(), 'python'),
      encoding: 'utf8',
      timeout: 240_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(output).toMatch(/Ran \d+ tests/);
    expect(output).not.toMatch(/skipped/);
  }, 300_000);
});
