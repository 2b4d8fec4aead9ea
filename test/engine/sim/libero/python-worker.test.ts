import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appRoot } from '../../../../engine/util/app-root.js';
import { NO_REAL_LIBERO, realLiberoPython } from '../../real-libero.js';

// The Python worker's own tests (python/libero_bridge/tests, unittest) against real LIBERO: its
// frames, the OFT state after the wait steps, and reset's fixture draws bit for bit against OFT's
// sequence of resets. Run with the interpreter that has LIBERO; skipped where there is none.
const python = realLiberoPython();
if (!python) console.log(`test/engine/sim/libero/python-worker.test.ts: ${NO_REAL_LIBERO}`);

describe.skipIf(!python)("the LIBERO worker's Python tests", () => {
  it('pass under unittest', () => {
    const root = appRoot();
    const run = spawnSync(python!, ['-m', 'unittest', 'discover', '-s', path.join('python', 'libero_bridge', 'tests')], { cwd: root, encoding: 'utf8', timeout: 240_000 });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(output).toMatch(/Ran \d+ tests/);
    expect(output, 'no test may skip where LIBERO is present').not.toMatch(/skipped/);
  }, 300_000);
});
