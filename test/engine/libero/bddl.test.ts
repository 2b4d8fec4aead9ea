import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BddlError, parseBddl, readBddlFile } from '../../../engine/libero/bddl.js';
import type { Formula } from '../../../engine/libero/task.js';

const LIBERO = path.resolve('../shared/libero');
const skip = !existsSync(LIBERO);
if (skip) console.log(`LIBERO's task files are absent (${LIBERO}): skipping the tests that read them`);

const bddl = (suite: string, task: string) => path.join(LIBERO, 'bddl_files', suite, `${task}.bddl`);

function allBddlFiles(): string[] {
  const root = path.join(LIBERO, 'bddl_files');
  return readdirSync(root).flatMap((suite) =>
    readdirSync(path.join(root, suite))
      .filter((f) => f.endsWith('.bddl'))
      .map((f) => path.join(root, suite, f)),
  );
}

function ops(f: Formula): string[] {
  if (f.op === 'atom') return [f.atom.predicate];
  if (f.op === 'not') return ['not', ...ops(f.arg)];
  return [f.op, ...f.args.flatMap(ops)];
}

describe.skipIf(skip)("LIBERO's BDDL files", () => {
  it('parses every file of every suite', () => {
    const files = allBddlFiles();
    const failures: string[] = [];
    for (const file of files) {
      try {
        readBddlFile(file);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
    expect(failures).toEqual([]);
    expect(files.length).toBe(130);
  });

  it('reads libero_spatial task 0: prefixed regions, ranges, yaw, fixtures, objects, goal', () => {
    const t = readBddlFile(bddl('libero_spatial', 'pick_up_the_black_bowl_between_the_plate_and_the_ramekin_and_place_it_on_the_plate'));
    expect(t.problem).toBe('libero_tabletop_manipulation');
    expect(t.domain).toBe('robosuite');
    expect(t.language).toBe('Pick the akita black bowl between the plate and the ramekin and place it on the plate');
    expect(t.regions.map((r) => r.name)).toEqual([
      'main_table_plate_region', 'main_table_next_to_plate_region', 'main_table_box_region', 'main_table_next_to_box_region',
      'main_table_between_plate_ramekin_region', 'main_table_ramekin_region', 'main_table_next_to_ramekin_region',
      'main_table_table_center', 'main_table_table_front', 'main_table_cabinet_region', 'main_table_stove_region',
      'wooden_cabinet_1_top_region', 'wooden_cabinet_1_middle_region', 'wooden_cabinet_1_bottom_region',
      'wooden_cabinet_1_top_side', 'flat_stove_1_cook_region',
    ]);
    const region = (name: string) => t.regions.find((r) => r.name === name)!;
    expect(region('main_table_plate_region')).toEqual({
      name: 'main_table_plate_region', localName: 'plate_region', target: 'main_table', ranges: [[0.05, 0.19, 0.07, 0.21]], yawRotation: [],
    });
    expect(region('main_table_cabinet_region').ranges).toEqual([[0.02, -0.28, 0.04, -0.26]]);
    expect(region('main_table_cabinet_region').yawRotation).toEqual([[2.6613777765410678, 2.7242096296128633]]);
    expect(region('wooden_cabinet_1_top_region')).toMatchObject({ localName: 'top_region', target: 'wooden_cabinet_1', ranges: [] });
    expect(t.fixtures).toEqual([
      { name: 'main_table', category: 'table' },
      { name: 'wooden_cabinet_1', category: 'wooden_cabinet' },
      { name: 'flat_stove_1', category: 'flat_stove' },
    ]);
    expect(t.objects).toEqual([
      { name: 'akita_black_bowl_1', category: 'akita_black_bowl' },
      { name: 'akita_black_bowl_2', category: 'akita_black_bowl' },
      { name: 'cookies_1', category: 'cookies' },
      { name: 'glazed_rim_porcelain_ramekin_1', category: 'glazed_rim_porcelain_ramekin' },
      { name: 'plate_1', category: 'plate' },
    ]);
    expect(t.objectsOfInterest).toEqual(['akita_black_bowl_1', 'plate_1']);
    expect(t.init[0]).toEqual({ predicate: 'on', args: ['akita_black_bowl_1', 'main_table_between_plate_ramekin_region'] });
    expect(t.init).toHaveLength(7);
    expect(t.goal).toEqual({ op: 'and', args: [{ op: 'atom', atom: { predicate: 'on', args: ['akita_black_bowl_1', 'plate_1'] } }] });
  });

  it('reads libero_spatial task 4: the bowl In the open top drawer', () => {
    const t = readBddlFile(bddl('libero_spatial', 'pick_up_the_black_bowl_in_the_top_drawer_of_the_wooden_cabinet_and_place_it_on_the_plate'));
    expect(t.init).toContainEqual({ predicate: 'open', args: ['wooden_cabinet_1_top_region'] });
    expect(t.init).toContainEqual({ predicate: 'in', args: ['akita_black_bowl_1', 'wooden_cabinet_1_top_region'] });
  });

  it('reads a libero_goal TurnOn goal and regions named in :obj_of_interest', () => {
    const t = readBddlFile(bddl('libero_goal', 'turn_on_the_stove'));
    expect(t.goal).toEqual({ op: 'and', args: [{ op: 'atom', atom: { predicate: 'turnon', args: ['flat_stove_1'] } }] });
    const drawer = readBddlFile(bddl('libero_goal', 'open_the_middle_drawer_of_the_cabinet'));
    expect(drawer.objectsOfInterest).toEqual(['wooden_cabinet_1_middle_region']);
  });

  it('reads libero_10 goals with several atoms (Turnon + On, In + Close)', () => {
    const stove = readBddlFile(bddl('libero_10', 'KITCHEN_SCENE3_turn_on_the_stove_and_put_the_moka_pot_on_it'));
    expect(stove.problem).toBe('libero_kitchen_tabletop_manipulation');
    expect(ops(stove.goal)).toEqual(['and', 'turnon', 'on']);
    const drawer = readBddlFile(bddl('libero_10', 'KITCHEN_SCENE4_put_the_black_bowl_in_the_bottom_drawer_of_the_cabinet_and_close_it'));
    expect(ops(drawer.goal)).toEqual(['and', 'close', 'in']);
  });

  it('finds no Or or Not in any LIBERO goal (every goal is one And of atoms)', () => {
    const predicates = new Set<string>();
    for (const file of allBddlFiles()) {
      const [top, ...rest] = ops(readBddlFile(file).goal);
      expect(top, file).toBe('and');
      rest.forEach((p) => predicates.add(p));
    }
    expect([...predicates].sort()).toEqual(['close', 'in', 'on', 'open', 'turnoff', 'turnon']);
  });

  it('keeps :language as written (LIBERO lower-cases it)', () => {
    const file = bddl('libero_spatial', 'pick_up_the_black_bowl_on_the_cookie_box_and_place_it_on_the_plate');
    expect(readFileSync(file, 'utf8')).toContain('(:language Pick the akita black bowl on the cookies box and place it on the plate)');
    expect(readBddlFile(file).language).toBe('Pick the akita black bowl on the cookies box and place it on the plate');
  });
});

/** A small valid task to mutate. */
const GOOD = `; a comment (with parentheses) is ignored
(define (problem Test_Problem)
  (:domain robosuite)
  (:language Put the Bowl
     on the plate)
  (:regions
    (plate_region (:target main_table) (:ranges ((0 0 0.1 0.1) (0.2 0.2 0.3 0.3))) (:yaw_rotation ((0 1.5))))
    (top_region (:target wooden_cabinet_1)))
  (:fixtures main_table - table wooden_cabinet_1 - wooden_cabinet)
  (:objects Bowl_1 bowl_2 - bowl plate_1 - plate)
  (:obj_of_interest bowl_1)
  (:init (On bowl_1 main_table_plate_region) (Open wooden_cabinet_1_top_region))
  (:goal (And (On bowl_1 plate_1) (Or (Not (Open wooden_cabinet_1_top_region)) (In bowl_2 wooden_cabinet_1_top_region))))
)
`;

function errorOf(text: string, file = 'bad.bddl'): BddlError {
  try {
    parseBddl(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(BddlError);
    return error as BddlError;
  }
  throw new Error('expected a BddlError');
}

describe('parseBddl', () => {
  it('parses nested And/Or/Not, several range boxes, comments, and lower-cases all but :language', () => {
    const t = parseBddl(GOOD, 'good.bddl');
    expect(t.file).toBe('good.bddl');
    expect(t.problem).toBe('test_problem');
    expect(t.language).toBe('Put the Bowl on the plate');
    expect(t.objects[0]).toEqual({ name: 'bowl_1', category: 'bowl' });
    expect(t.regions[0]).toEqual({
      name: 'main_table_plate_region', localName: 'plate_region', target: 'main_table',
      ranges: [[0, 0, 0.1, 0.1], [0.2, 0.2, 0.3, 0.3]], yawRotation: [[0, 1.5]],
    });
    expect(t.goal).toEqual({
      op: 'and',
      args: [
        { op: 'atom', atom: { predicate: 'on', args: ['bowl_1', 'plate_1'] } },
        {
          op: 'or',
          args: [
            { op: 'not', arg: { op: 'atom', atom: { predicate: 'open', args: ['wooden_cabinet_1_top_region'] } } },
            { op: 'atom', atom: { predicate: 'in', args: ['bowl_2', 'wooden_cabinet_1_top_region'] } },
          ],
        },
      ],
    });
  });

  it('names the file, line and predicate for an unknown predicate', () => {
    const e = errorOf(GOOD.replace('(On bowl_1 plate_1)', '(Onto bowl_1 plate_1)'));
    expect(e.message).toMatch(/^bad\.bddl:13: unknown predicate 'onto' in :goal/);
    expect(e.message).toContain('allowed: on, in, open, close, turnon, turnoff, up');
  });

  it('names an unknown object in the goal', () => {
    const e = errorOf(GOOD.replace('(On bowl_1 plate_1)', '(On bowl_1 plate_9)'));
    expect(e.message).toMatch(/^bad\.bddl:13: unknown object or region 'plate_9' in :goal: \(on bowl_1 plate_9\)/);
  });

  it('names an unknown region in init (regions are known by their prefixed names)', () => {
    const e = errorOf(GOOD.replace('(On bowl_1 main_table_plate_region)', '(On bowl_1 plate_region)'));
    expect(e.message).toMatch(/^bad\.bddl:12: unknown object or region 'plate_region' in :init/);
  });

  it('reports unbalanced parentheses either way', () => {
    expect(errorOf(GOOD.replace('(:domain robosuite)', '(:domain robosuite'), 'x.bddl').message).toMatch(/^x\.bddl:\d+: unbalanced parentheses: '\(' opened here is never closed/);
    expect(errorOf(GOOD + ')', 'x.bddl').message).toMatch(/^x\.bddl:15: unbalanced parentheses: '\)' without a matching '\('/);
  });

  it('reports a missing section', () => {
    expect(errorOf(GOOD.replace(/\(:goal .*\n/, '')).message).toMatch(/^bad\.bddl:2: missing section \(:goal \.\.\.\)/);
    expect(errorOf(GOOD.replace(/\(:objects .*\n/, '')).message).toContain('missing section (:objects ...)');
  });

  it('reports wrong arity, bad numbers, untyped names, repeated categories and unknown sections', () => {
    expect(errorOf(GOOD.replace('(On bowl_1 plate_1)', '(On bowl_1)')).message).toContain("'on' takes 2 argument(s), found 1");
    expect(errorOf(GOOD.replace('0.1 0.1)', '0.1 abc)')).message).toContain("expected a number, found 'abc'");
    expect(errorOf(GOOD.replace('0.1 0.1)', '0.1)')).message).toContain('expected 4 numbers');
    expect(errorOf(GOOD.replace('plate_1 - plate)', 'plate_1)')).message).toContain("'plate_1' has no category");
    expect(errorOf(GOOD.replace('plate_1 - plate)', 'plate_1 - bowl)')).message).toContain("category 'bowl' appears twice");
    expect(errorOf(GOOD.replace('(:obj_of_interest', '(:objs_of_interest')).message).toContain("unknown section ':objs_of_interest'");
    expect(errorOf(GOOD.replace('(top_region (:target wooden_cabinet_1))', '(top_region)')).message).toContain("region 'top_region' has no (:target ...)");
    expect(errorOf(GOOD.replace('bowl_2 - bowl', 'bowl_2 plate_1 - bowl')).message).toContain("'plate_1' is declared twice");
  });
});
