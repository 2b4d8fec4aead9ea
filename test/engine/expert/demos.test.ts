import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeDemo, DemoRecorder, encodeDemo, readDemos } from '../../../engine/expert/demos.js';
import { runExpertEpisode } from '../../../engine/expert/episodes.js';
import { EmbeddedSimulator } from '../../../engine/sim/embedded/simulator.js';
import { haveLibero, liberoEpisodes } from './liberos.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rsd-demos-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('demonstration files', () => {
  it('round-trips an episode through a JSON line (arrays as float32)', () => {
    const rec = new DemoRecorder(2);
    rec.add([1, 2, 3, 0.1, 0.2, 0.3, 0.04, -0.04], [1, 2, 3, 1, 0, 0, 0, 4, 5, 6, 0, 1, 0, 0], [0.5, -1, 1, 0, 0, 0, -1]);
    rec.add([1.5, 2, 3, 0.1, 0.2, 0.3, 0.01, -0.01], [1, 2, 3, 1, 0, 0, 0, 4, 5, 6, 0, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1]);
    const demo = rec.finish({ suite: 'libero_spatial', taskId: 0, taskName: 't', instruction: 'do it', initIndex: 3, initSource: 'libero', objects: ['a', 'b'], outcome: 'failure' });
    const line = encodeDemo(demo);
    expect(line).not.toContain('\n');
    const back = decodeDemo(line);
    expect(back).toEqual(demo);
    expect(back.proprio[3]).toBe(Math.fround(0.1));
  });

  it('refuses rows of the wrong size and lines of another format, naming them', () => {
    expect(() => new DemoRecorder(1).add([1, 2], [0, 0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1])).toThrow(/2\/7\/7 values, expected 8\/7\/7/);
    expect(() => decodeDemo('{"format":"other"}')).toThrow(/not an rsd-demo\/1 line/);
  });

  it.skipIf(!haveLibero)('records every policy step of an expert episode, and reads it back from a file', async () => {
    const sim = await EmbeddedSimulator.create();
    const [episode] = liberoEpisodes(8, [2]);
    const { result, demo } = await runExpertEpisode(sim, episode!, { record: true });
    expect(result.outcome).toBe('success');
    expect(demo).toMatchObject({ taskId: 8, initIndex: 2, outcome: 'success', steps: result.steps });
    expect(demo!.instruction).toBe('pick up the black bowl next to the plate and place it on the plate');
    expect(demo!.objects).toEqual(episode!.task.objects.map((o) => o.name));
    expect(demo!.objectPoses).toHaveLength(result.steps * 7 * 5);
    const file = path.join(dir, 'demos.jsonl');
    writeFileSync(file, encodeDemo(demo!) + '\n\n' + encodeDemo(demo!) + '\n');
    const back = await readDemos(file);
    expect(back).toHaveLength(2);
    expect(back[1]).toEqual(demo);
    // The hand comes in open and sets the bowl down still holding it (the goal holds on contact).
    expect(back[0]!.actions[6]).toBe(-1);
    expect(back[0]!.actions[7 * (demo!.steps - 1) + 6]).toBe(1);
  });
});
