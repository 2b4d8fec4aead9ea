import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  instructionFromTaskName, MAX_STEPS, NUM_WAIT_STEPS, suiteName, suiteTask, suiteTasks, SUITES, taskNames, WAIT_ACTION,
} from '../../../engine/libero/suites.js';

const LIBERO = path.resolve('../shared/libero');
const skip = !existsSync(LIBERO);
if (skip) console.log(`LIBERO's task_order.json is absent (${LIBERO}): skipping the test that reads it`);

/** docs/libero.md 1.2: what the policy sees for libero_spatial, in task_id order. */
const SPATIAL_INSTRUCTIONS = [
  'pick up the black bowl between the plate and the ramekin and place it on the plate',
  'pick up the black bowl next to the ramekin and place it on the plate',
  'pick up the black bowl from table center and place it on the plate',
  'pick up the black bowl on the cookie box and place it on the plate',
  'pick up the black bowl in the top drawer of the wooden cabinet and place it on the plate',
  'pick up the black bowl on the ramekin and place it on the plate',
  'pick up the black bowl next to the cookie box and place it on the plate',
  'pick up the black bowl on the stove and place it on the plate',
  'pick up the black bowl next to the plate and place it on the plate',
  'pick up the black bowl on the wooden cabinet and place it on the plate',
];

/** LIBERO's grab_language_from_filename, transcribed literally, as an independent check. */
function grabLanguageFromFilename(x: string): string {
  let language: string;
  if (x[0] !== undefined && x[0] === x[0].toUpperCase() && /[A-Z]/.test(x[0])) {
    language = (x.includes('SCENE10') ? x.slice(x.indexOf('SCENE') + 8) : x.slice(x.indexOf('SCENE') + 7)).split('_').join(' ');
  } else language = x.split('_').join(' ');
  return language.slice(0, language.indexOf('.bddl'));
}

describe('suites', () => {
  it('has the evaluation constants of OpenVLA-OFT', () => {
    expect(SUITES).toEqual(['libero_spatial', 'libero_object', 'libero_goal', 'libero_10', 'libero_90']);
    expect(MAX_STEPS).toEqual({ libero_spatial: 220, libero_object: 280, libero_goal: 300, libero_10: 520, libero_90: 400 });
    expect(NUM_WAIT_STEPS).toBe(10);
    expect(WAIT_ACTION).toEqual([0, 0, 0, 0, 0, 0, -1]);
    expect(SUITES.map((s) => taskNames(s).length)).toEqual([10, 10, 10, 10, 90]);
  });

  it('derives the libero_spatial instructions of docs/libero.md 1.2', () => {
    expect(suiteTasks('libero_spatial').map((t) => t.instruction)).toEqual(SPATIAL_INSTRUCTIONS);
  });

  it("derives every instruction as LIBERO's grab_language_from_filename does (scene prefixes dropped)", () => {
    for (const suite of SUITES) {
      for (const t of suiteTasks(suite)) expect(t.instruction, t.name).toBe(grabLanguageFromFilename(`${t.name}.bddl`));
    }
    expect(instructionFromTaskName('KITCHEN_SCENE10_close_the_top_drawer_of_the_cabinet')).toBe('close the top drawer of the cabinet');
    expect(instructionFromTaskName('LIVING_ROOM_SCENE2_put_both_the_alphabet_soup_and_the_tomato_sauce_in_the_basket')).toBe(
      'put both the alphabet soup and the tomato sauce in the basket',
    );
  });

  it('finds a task by id or by name', () => {
    expect(suiteTask('libero_goal', 7)).toEqual({ suite: 'libero_goal', id: 7, name: 'turn_on_the_stove', instruction: 'turn on the stove', maxSteps: 300 });
    expect(suiteTask('libero_goal', 'turn_on_the_stove').id).toBe(7);
  });

  it('suggests the nearest name when a suite or task is misspelt', () => {
    expect(() => suiteName('libero_spatail')).toThrow("unknown suite 'libero_spatail'; did you mean libero_spatial?");
    expect(() => suiteName('LIBERO_10')).toThrow('did you mean libero_10?');
    expect(() => suiteName('robocasa')).toThrow("unknown suite 'robocasa'; suites: libero_spatial, libero_object, libero_goal, libero_10, libero_90");
    expect(() => suiteTask('libero_goal', 'turn_on_stove')).toThrow("libero_goal has no task 'turn_on_stove'; did you mean turn_on_the_stove?");
    expect(() => suiteTask('libero_spatial', 10)).toThrow('libero_spatial has no task 10: its 10 tasks have ids 0..9');
    expect(() => suiteTask('libero_spatial', 1.5)).toThrow('has no task 1.5');
  });
});

describe.skipIf(skip)("LIBERO's task_order.json", () => {
  it('lists the same suites and task names in the same order', () => {
    const order = JSON.parse(readFileSync(path.join(LIBERO, 'task_order.json'), 'utf8')) as Record<string, string[]>;
    expect(Object.keys(order).sort()).toEqual([...SUITES].sort());
    for (const suite of SUITES) expect(taskNames(suite), suite).toEqual(order[suite]);
  });
});
