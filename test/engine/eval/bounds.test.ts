import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { boundedWorkers, maxStepsBound, maxWorkers } from '../../../engine/eval/bounds.js';
import { createEngineHost } from '../../../engine/host/handlers.js';

const GiB = 2 ** 30;

describe('run bounds from the machine', () => {
  it('workers: two per CPU, fewer when memory holds fewer, never below one', () => {
    expect(maxWorkers({ cpus: 2, availableBytes: 22 * GiB })).toEqual({ max: 4, reason: '2 CPUs x 2' });
    // (2 GiB - 400 MB for the engine) / 160 MB a worker = 10.
    expect(maxWorkers({ cpus: 64, availableBytes: 2 * GiB })).toEqual({ max: 10, reason: '2.0 GiB of memory available at ~160 MB a worker' });
    expect(maxWorkers({ cpus: 8, availableBytes: 0.1 * GiB }).max).toBe(1);
    expect(boundedWorkers(16, { cpus: 2, availableBytes: 22 * GiB })).toBe(4);
    expect(boundedWorkers(2, { cpus: 2, availableBytes: 22 * GiB })).toBe(2);
  });

  it('steps: ten times the suite limit', () => {
    expect(maxStepsBound('libero_spatial')).toBe(2200);
    expect(maxStepsBound('libero_10')).toBe(5200);
  });
});

describe('eval.start through the engine host refuses runs past the bounds', () => {
  let data: string;
  let bundle: string;
  beforeAll(async () => {
    data = await mkdtemp(path.join(os.tmpdir(), 'rsd-bounds-'));
    bundle = path.join(data, 'tiny');
    await writeSyntheticBundle(bundle, 'tiny-parallel', 1);
  });
  afterAll(async () => {
    await rm(data, { recursive: true, force: true });
  });

  const start = async (params: object) => {
    const host = createEngineHost('in-process', { dataDir: data });
    const reply = await host.handle(JSON.stringify({ id: 1, type: 'eval.start', params: { tasks: [0], trials: 1, maxSteps: 8, policy: { kind: 'bundle', dir: bundle }, ...params } }));
    expect(reply.ok).toBe(false);
    return (reply as { error: { kind: string; field?: string; message: string } }).error;
  };

  it('workers over the bound (256 past the schema, bound + 1 past the machine), naming params.workers', async () => {
    expect(await start({ workers: 256 })).toMatchObject({ kind: 'invalid-params', field: 'params.workers' });
    const over = maxWorkers().max + 1;
    // Past 64 the schema refuses first; below it the resolver, naming the machine's bound.
    expect(await start({ workers: Math.min(over, 64) })).toMatchObject({ kind: 'invalid-params', field: 'params.workers' });
    if (over <= 64) expect((await start({ workers: over })).message).toMatch(/at most \d+ on this machine/);
  });

  it('duplicated tasks, naming params.tasks', async () => {
    expect(await start({ tasks: [0, 0] })).toMatchObject({ kind: 'invalid-params', field: 'params.tasks', message: expect.stringContaining('more than once') });
  });

  it('steps and trials past the bounds, naming the field', async () => {
    expect(await start({ maxSteps: 5000 })).toMatchObject({ kind: 'invalid-params', field: 'params.maxSteps', message: expect.stringContaining('at most 2200') });
    expect(await start({ trials: 501 })).toMatchObject({ kind: 'invalid-params', field: 'params.trials' });
  });
});
