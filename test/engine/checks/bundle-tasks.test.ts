// Issue 15: what `rsd check` says of bundles that `rsd eval` would refuse, and of special model files.
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckId } from '../../../engine/api/checks.js';
import { buildSyntheticBundle, writeSyntheticBundle } from '../../../engine/bundle/synthetic.js';
import { describeRefusals, taskFit } from '../../../engine/checks/bundle-tasks.js';
import { suiteTask, suiteTasks } from '../../../engine/libero/suites.js';
import { runChecks } from './helpers.js';

const BUNDLE_ROWS: CheckId[] = ['bundle.manifest', 'bundle.models', 'bundle.rfsq', 'bundle.draft'];

let root: string;
let tiny: string;
let copies = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'rsd-check-tasks-'));
  tiny = path.join(root, 'tiny');
  await writeSyntheticBundle(tiny, 'tiny', 1);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function editedCopy(edit: (m: Record<string, any>) => void): Promise<string> {
  const dir = path.join(root, `copy-${copies++}`);
  await cp(tiny, dir, { recursive: true });
  const file = path.join(dir, 'bundle.json');
  const m = JSON.parse(await readFile(file, 'utf8')) as Record<string, any>;
  edit(m);
  await writeFile(file, JSON.stringify(m));
  return dir;
}

const statuses = async (bundleDir: string) => {
  const { results } = await runChecks(BUNDLE_ROWS, { settings: { bundleDir } });
  return { results, status: Object.fromEntries(BUNDLE_ROWS.map((id) => [id, results.get(id)!.status])) };
};

describe("the Model bundle row checks the bundle's observations against the project's tasks, as eval does", () => {
  it('warns, naming the tasks, when the bundle lacks the instruction of some tasks', async () => {
    const missing = [suiteTask('libero_spatial', 3).instruction, suiteTask('libero_spatial', 7).instruction];
    const dir = await editedCopy((m) => {
      m.provenance = { recipe: 'test' };
      m.observation.instruction.instructions = suiteTasks('libero_spatial').map((t) => t.instruction).filter((s) => !missing.includes(s));
    });
    const { results, status } = await statuses(dir);
    expect(status['bundle.manifest']).toBe('warn');
    const detail = results.get('bundle.manifest')!.detail;
    expect(detail).toMatch(/ state-based observations\. It cannot act on libero_spatial tasks 3, 7 \(of 10\), which an evaluation would refuse \(task 3: was not trained on the instruction "[^"]+"; task 7: was not trained on the instruction "[^"]+"\)\.$/);
    expect(detail).toContain(`task 3: was not trained on the instruction "${missing[0]}"`);
    expect(detail).toContain(`task 7: was not trained on the instruction "${missing[1]}"`);
    // The models are fine: the rows after it still run.
    expect(status['bundle.models']).toBe('pass');
  });

  it('fails, with the setting to fix, when the bundle observes an object no task has', async () => {
    const dir = await editedCopy((m) => {
      m.observation.objectPoses.entities[1] = 'wooden_cabinet_9';
    });
    const { results, status } = await statuses(dir);
    expect(status['bundle.manifest']).toBe('fail');
    const row = results.get('bundle.manifest')!;
    expect(row.detail).toMatch(/ It cannot act on none of the 10 libero_spatial tasks, which an evaluation would refuse \(tasks 0, 1, 2, 3, 4, 5, 6, 7, 8, 9: observes "wooden_cabinet_9", which this task does not have\)\.$/);
    expect(row.fix).toMatchObject({ kind: 'setting', setting: 'bundleDir' });
  });

  it("names the tasks whose instructions the synthetic tiny preset was not made with (it knows 4 of libero_spatial's 10)", async () => {
    const { results, status } = await statuses(tiny);
    expect(status['bundle.manifest']).toBe('warn');
    expect(results.get('bundle.manifest')!.detail).toContain('It cannot act on libero_spatial tasks 2, 3, 4, 5, 6, 8 (of 10)');
  });
});

describe('vision bundles: tasks decided by the cameras the simulators render', () => {
  it('fits every task when its cameras are LIBERO\'s, and its instruction is text', () => {
    const { manifest } = buildSyntheticBundle('tiny-vision', 1);
    expect(describeRefusals(taskFit(manifest))).toBeNull();
  });

  it('refuses every task, naming the camera, when the bundle asks for one the simulators do not render', () => {
    const { manifest } = buildSyntheticBundle('tiny-vision', 1);
    manifest.observation.cameras[1]!.name = 'frontview';
    expect(describeRefusals(taskFit(manifest))).toMatch(/^It cannot act on none of the 10 libero_spatial tasks, which an evaluation would refuse \(tasks 0, 1, 2, 3, 4, 5, 6, 7, 8, 9: needs camera "frontview", which the simulators do not render \(they render agentview, robot0_eye_in_hand\)\)\./);
  });
});

describe('special model files fail the Bundle models row at once', () => {
  it('a model file that is a FIFO', async () => {
    const dir = await editedCopy(() => {});
    await unlink(path.join(dir, 'main_step.onnx'));
    execFileSync('mkfifo', [path.join(dir, 'main_step.onnx')]);
    const { results, status } = await statuses(dir);
    expect(status).toEqual({ 'bundle.manifest': 'warn', 'bundle.models': 'fail', 'bundle.rfsq': 'unknown', 'bundle.draft': 'unknown' });
    expect(results.get('bundle.models')!.detail).toBe('main_step.onnx: is a FIFO (named pipe), not a regular file');
  });

  it('a bundle.json that is a FIFO', async () => {
    const dir = await editedCopy(() => {});
    await unlink(path.join(dir, 'bundle.json'));
    execFileSync('mkfifo', [path.join(dir, 'bundle.json')]);
    const { results, status } = await statuses(dir);
    expect(status['bundle.manifest']).toBe('fail');
    expect(results.get('bundle.manifest')!.detail).toBe(`bundle.json: is a FIFO (named pipe), not a regular file (bundle folder ${dir}).`);
  });
});
