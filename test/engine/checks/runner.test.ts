// The runner with checks written for the test: ordering, progress, kept results, time limits.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChecksProgress, type CheckId } from '../../../engine/api/checks.js';
import { ChecksRunner } from '../../../engine/checks/runner.js';
import type { Check, Outcome } from '../../../engine/checks/types.js';
import { SettingsStore } from '../../../engine/settings/store.js';

let dir: string;
let store: SettingsStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rsd-runner-'));
  store = new SettingsStore(path.join(dir, 'settings.json'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fake(id: CheckId, run: Check['run']): Check {
  return { id, title: `Title of ${id}`, group: 'app', purpose: `What ${id} is for`, reads: [], run };
}
const passing = (id: CheckId, ms = 0, log?: string[]) =>
  fake(id, async () => {
    log?.push(`start ${id}`);
    await delay(ms);
    log?.push(`end ${id}`);
    return { status: 'pass', detail: `${id} ok` } satisfies Outcome;
  });

describe('ChecksRunner', () => {
  it('lists every check with no result before the first run', () => {
    const runner = new ChecksRunner({ checks: [passing('ep.cpu'), passing('sim.mujoco')], settings: store });
    expect(runner.list()).toEqual([
      { id: 'ep.cpu', title: 'Title of ep.cpu', group: 'app', purpose: 'What ep.cpu is for', reads: [], result: null, running: false },
      { id: 'sim.mujoco', title: 'Title of sim.mujoco', group: 'app', purpose: 'What sim.mujoco is for', reads: [], result: null, running: false },
    ]);
  });

  it('runs in the list order, sends started and finished for each with done of total, and keeps the results', async () => {
    const runner = new ChecksRunner({ checks: [passing('ep.cpu'), passing('ep.webgpu'), passing('sim.mujoco')], settings: store });
    const progress: ChecksProgress[] = [];
    const runningSeen: boolean[] = [];

    const results = await runner.run(['sim.mujoco', 'ep.cpu'], (p) => {
      progress.push(ChecksProgress.parse(p));
      if (p.phase === 'started') runningSeen.push(runner.list().find((r) => r.id === p.id)!.running);
    });

    expect(results.map((r) => r.id)).toEqual(['ep.cpu', 'sim.mujoco']);
    expect(progress.map((p) => [p.phase, p.id, p.done, p.total])).toEqual([
      ['started', 'ep.cpu', 0, 2],
      ['finished', 'ep.cpu', 1, 2],
      ['started', 'sim.mujoco', 1, 2],
      ['finished', 'sim.mujoco', 2, 2],
    ]);
    expect(runningSeen).toEqual([true, true]);
    const listed = runner.list();
    expect(listed.map((r) => r.result?.status ?? null)).toEqual(['pass', null, 'pass']);
    expect(listed.every((r) => !r.running)).toBe(true);
    expect(listed[0]!.result).toMatchObject({ id: 'ep.cpu', title: 'Title of ep.cpu', detail: 'ep.cpu ok', durationMs: expect.any(Number), checkedAt: expect.any(String) });
  });

  it('re-checks one row, replacing only its result', async () => {
    let count = 0;
    const runner = new ChecksRunner({ checks: [fake('ep.cpu', async () => ({ status: 'pass', detail: `run ${++count}` })), passing('sim.mujoco')], settings: store });
    await runner.run(undefined, () => {});
    const before = runner.list()[1]!.result;

    await runner.run(['ep.cpu'], () => {});

    expect(runner.list()[0]!.result?.detail).toBe('run 2');
    expect(runner.list()[1]!.result).toBe(before);
  });

  it('runs one run at a time: a second waits for the first', async () => {
    const log: string[] = [];
    const runner = new ChecksRunner({ checks: [passing('ep.cpu', 30, log), passing('ep.webgpu', 5, log)], settings: store });
    await Promise.all([runner.run(['ep.cpu'], () => {}), runner.run(['ep.webgpu'], () => {})]);
    expect(log).toEqual(['start ep.cpu', 'end ep.cpu', 'start ep.webgpu', 'end ep.webgpu']);
  });

  it('reports a check that runs out of time as unknown, aborts its signal, and goes on', async () => {
    let aborted = false;
    const hanging = fake('ep.webgpu', (_ctx, signal) => new Promise<Outcome>(() => signal.addEventListener('abort', () => (aborted = true))));
    const runner = new ChecksRunner({ checks: [hanging, passing('sim.mujoco')], settings: store, timeoutMs: 50 });

    const results = await runner.run(undefined, () => {});

    expect(results.map((r) => r.status)).toEqual(['unknown', 'pass']);
    expect(results[0]!.detail).toMatch(/^Did not finish within 0\.05 s, so its result is unknown\./);
    expect(aborted).toBe(true);
  });

  it('reports a check that throws as unknown (a bug in the check, not a verdict on the machine)', async () => {
    const runner = new ChecksRunner({
      checks: [
        fake('ep.cpu', async () => {
          throw new Error('boom');
        }),
      ],
      settings: store,
    });
    const [result] = await runner.run(undefined, () => {});
    expect(result).toMatchObject({ status: 'unknown', detail: 'The check could not run: boom' });
  });

  it('gives the checks of a run one shared value, disposed once when the run ends', async () => {
    const events: string[] = [];
    const sharing = (id: CheckId) =>
      fake(id, async (ctx) => {
        const value = await ctx.shared('thing', async () => (events.push('make'), 42), () => void events.push('dispose'));
        events.push(`${id} got ${value}`);
        return { status: 'pass', detail: '' };
      });
    const runner = new ChecksRunner({ checks: [sharing('bundle.models'), sharing('bundle.rfsq')], settings: store });

    await runner.run(undefined, () => {});
    expect(events).toEqual(['make', 'bundle.models got 42', 'bundle.rfsq got 42', 'dispose']);

    await runner.run(['bundle.rfsq'], () => {});
    expect(events.slice(4)).toEqual(['make', 'bundle.rfsq got 42', 'dispose']); // a new run makes its own
  });

  it('reads the settings at the start of each run', async () => {
    const seen: string[] = [];
    const runner = new ChecksRunner({ checks: [fake('bundle.draft', async (ctx) => (seen.push(ctx.settings.settings.decoding), { status: 'pass', detail: '' }))], settings: store });
    await runner.run(undefined, () => {});
    await store.update({ decoding: 'parallel' });
    await runner.run(undefined, () => {});
    expect(seen).toEqual(['speculative', 'parallel']);
  });

  it('keeps running when a progress listener throws', async () => {
    const runner = new ChecksRunner({ checks: [passing('ep.cpu')], settings: store });
    const results = await runner.run(undefined, () => {
      throw new Error('listener broke');
    });
    expect(results[0]!.status).toBe('pass');
  });
});
