import { describe, expect, it } from 'vitest';
import { atomName, evaluateAtom, evaluateGoal, evaluateGoalAtoms, goalAtoms, goalHolds, PredicateError } from '../../../engine/libero/predicates.js';
import type { Atom, Formula, Predicate } from '../../../engine/libero/task.js';
import type { Mat3, SiteFrame, Vec3, WorldQuery } from '../../../engine/libero/world.js';

interface FakeSite extends SiteFrame {
  parent: string | null;
  joints?: number[];
}

interface FakeWorld {
  bodies?: Record<string, Vec3>;
  sites?: Record<string, FakeSite>;
  contacts?: [string, string][];
  joints?: Record<string, number[]>;
  categories?: Record<string, string>;
}

/** A WorldQuery over plain data, failing like the real one on unknown names. */
function world(w: FakeWorld): WorldQuery {
  const known = <T>(table: Record<string, T> | undefined, name: string, what: string): T => {
    const value = table?.[name];
    if (value === undefined) throw new Error(`unknown ${what}: ${name}`);
    return value;
  };
  return {
    bodyPosition: (name) => known(w.bodies, name, 'body'),
    site: (name) => w.sites?.[name] ?? null,
    parentOfSite: (name) => known(w.sites, name, 'site').parent,
    inContact: (a, b) => (w.contacts ?? []).some(([x, y]) => (x === a && y === b) || (x === b && y === a)),
    jointPositions: (name) => w.sites?.[name]?.joints ?? known(w.joints, name, 'entity'),
    categoryOf: (name) => known(w.categories, name, 'entity'),
  };
}

const atom = (predicate: Predicate, ...args: string[]): Formula => ({ op: 'atom', atom: { predicate, args } });
const holds = (w: WorldQuery, predicate: Predicate, ...args: string[]) => evaluateGoal(atom(predicate, ...args), w);

const I: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
/** World-from-site rotation about z (MuJoCo's site_xmat, row-major). */
function rotZ(deg: number): Mat3 {
  const c = Math.cos((deg * Math.PI) / 180);
  const s = Math.sin((deg * Math.PI) / 180);
  return [c, -s, 0, s, c, 0, 0, 0, 1];
}

describe('On(a, b) between objects', () => {
  const stacked = (a: Vec3, contact = true) =>
    world({ bodies: { bowl: a, plate: [0.1, 0.2, 0.9] }, contacts: contact ? [['plate', 'bowl']] : [] });

  it('needs b at or below a', () => {
    expect(holds(stacked([0.1, 0.2, 0.92]), 'on', 'bowl', 'plate')).toBe(true);
    expect(holds(stacked([0.1, 0.2, 0.9]), 'on', 'bowl', 'plate')).toBe(true); // pos_b.z <= pos_a.z
    expect(holds(stacked([0.1, 0.2, 0.89]), 'on', 'bowl', 'plate')).toBe(false);
  });

  it('needs contact', () => {
    expect(holds(stacked([0.1, 0.2, 0.92], false), 'on', 'bowl', 'plate')).toBe(false);
  });

  it('needs the origins within 3 cm in xy, strictly', () => {
    expect(holds(stacked([0.1 + 0.0299, 0.2, 0.92]), 'on', 'bowl', 'plate')).toBe(true);
    expect(holds(stacked([0.1 + 0.0301, 0.2, 0.92]), 'on', 'bowl', 'plate')).toBe(false);
    expect(holds(stacked([0.1 + 0.021, 0.2 + 0.021, 0.92]), 'on', 'bowl', 'plate')).toBe(true); // 2.97 cm
    expect(holds(stacked([0.1 + 0.022, 0.2 + 0.022, 0.92]), 'on', 'bowl', 'plate')).toBe(false); // 3.11 cm
  });
});

describe('On(a, region)', () => {
  const zone = (mat: Mat3, halfSize: Vec3, parent: string | null = null): FakeSite => ({ pos: [0, 0, 1], mat, halfSize, parent });
  const at = (site: FakeSite, offset: Vec3, contacts: [string, string][] = []) =>
    world({ bodies: { bowl: [offset[0], offset[1], 1 + offset[2]] }, sites: { r: site }, contacts });

  it('uses R, not Rᵀ, on the offset: a rotated site answers as LIBERO does', () => {
    // At 30° about z, R·(0.06, 0.06) ≈ (0.022, 0.082) but Rᵀ·(0.06, 0.06) ≈ (0.082, 0.022).
    const wide = zone(rotZ(30), [0.1, 0.03, 0.007]);
    expect(holds(at(wide, [0.06, 0.06, 0.01]), 'on', 'bowl', 'r')).toBe(false); // Rᵀ (the site-frame offset) would pass
    const tall = zone(rotZ(30), [0.03, 0.1, 0.007]);
    expect(holds(at(tall, [0.06, 0.06, 0.01]), 'on', 'bowl', 'r')).toBe(true); // Rᵀ would fail
  });

  it('checks x and y against the half sizes, strictly', () => {
    const site = zone(I, [0.05, 0.02, 0.007]);
    expect(holds(at(site, [0.049, -0.019, 0.01]), 'on', 'bowl', 'r')).toBe(true);
    expect(holds(at(site, [0.051, 0, 0.01]), 'on', 'bowl', 'r')).toBe(false);
    expect(holds(at(site, [0, -0.021, 0.01]), 'on', 'bowl', 'r')).toBe(false);
  });

  it('accepts heights from size_z - 0.005 to size_z + 0.10, exclusive', () => {
    const site = zone(I, [0.05, 0.05, 0.007]);
    expect(holds(at(site, [0, 0, 0.0015]), 'on', 'bowl', 'r')).toBe(false); // below 0.002
    expect(holds(at(site, [0, 0, 0.0025]), 'on', 'bowl', 'r')).toBe(true);
    expect(holds(at(site, [0, 0, 0.106]), 'on', 'bowl', 'r')).toBe(true);
    expect(holds(at(site, [0, 0, 0.108]), 'on', 'bowl', 'r')).toBe(false); // above 0.107
  });

  it('needs the parent fixture to touch a, but not for a workspace zone', () => {
    const side = zone(I, [0.12, 0.09, 0.0015], 'wooden_cabinet_1');
    expect(holds(at(side, [0, 0, 0.05]), 'on', 'bowl', 'r')).toBe(false);
    expect(holds(at(side, [0, 0, 0.05], [['bowl', 'wooden_cabinet_1']]), 'on', 'bowl', 'r')).toBe(true);
    const tableZone = zone(I, [0.12, 0.09, 0.007], null);
    expect(holds(at(tableZone, [0, 0, 0.05]), 'on', 'bowl', 'r')).toBe(true);
  });
});

describe('In(a, region)', () => {
  const box = (mat: Mat3, halfSize: Vec3): FakeSite => ({ pos: [0, 0, 1], mat, halfSize, parent: 'basket_1' });
  const at = (site: FakeSite, offset: Vec3) => world({ bodies: { cup: [offset[0], offset[1], 1 + offset[2]] }, sites: { r: site } });

  it('is a strict box test with the bottom lowered by 1 cm', () => {
    const site = box(I, [0.05, 0.04, 0.03]);
    expect(holds(at(site, [0.049, -0.039, 0.029]), 'in', 'cup', 'r')).toBe(true);
    expect(holds(at(site, [0.051, 0, 0]), 'in', 'cup', 'r')).toBe(false);
    expect(holds(at(site, [0, 0, 0.031]), 'in', 'cup', 'r')).toBe(false);
    expect(holds(at(site, [0, 0, -0.035]), 'in', 'cup', 'r')).toBe(true); // within lb_z - 0.01
    expect(holds(at(site, [0, 0, -0.041]), 'in', 'cup', 'r')).toBe(false);
  });

  it('takes the half extents as |R @ size|, not the rotated box`s true extents', () => {
    // 30° about z: |R @ (0.1, 0.02, 0.05)| = (0.0766, 0.0673, 0.05); the true world extent in x is 0.0966.
    const site = box(rotZ(30), [0.1, 0.02, 0.05]);
    expect(holds(at(site, [0.075, 0, 0]), 'in', 'cup', 'r')).toBe(true);
    expect(holds(at(site, [0.085, 0, 0]), 'in', 'cup', 'r')).toBe(false);
    expect(holds(at(site, [0, 0.066, 0]), 'in', 'cup', 'r')).toBe(true);
    expect(holds(at(site, [0, 0.068, 0]), 'in', 'cup', 'r')).toBe(false);
  });

  it('needs a region as its second argument', () => {
    const w = world({ bodies: { cup: [0, 0, 1], basket_1: [0, 0, 1] } });
    expect(() => holds(w, 'in', 'cup', 'basket_1')).toThrow(/In: basket_1 is not a region/);
  });
});

describe('Open and Close', () => {
  const drawer = (top: number, middle = 0.005, bottom = 0.005) =>
    world({
      categories: { wooden_cabinet_1: 'wooden_cabinet', microwave_1: 'microwave', short_fridge_1: 'short_fridge' },
      joints: { wooden_cabinet_1: [top, middle, bottom], microwave_1: [-1.5], short_fridge_1: [2.1] },
      sites: {
        wooden_cabinet_1_top_region: { pos: [0, 0, 1], mat: I, halfSize: [0.03, 0.07, 0.1], parent: 'wooden_cabinet_1', joints: [top] },
        wooden_cabinet_1_top_side: { pos: [0, 0, 1.2], mat: I, halfSize: [0.12, 0.09, 0.001], parent: 'wooden_cabinet_1', joints: [] },
        main_table_plate_region: { pos: [0, 0, 0.9], mat: I, halfSize: [0.01, 0.01, 0.007], parent: null, joints: [] },
      },
    });

  it('WoodenCabinet: open below -0.14, closed above 0.0, on the region`s own drawer', () => {
    expect(holds(drawer(-0.15), 'open', 'wooden_cabinet_1_top_region')).toBe(true);
    expect(holds(drawer(-0.13), 'open', 'wooden_cabinet_1_top_region')).toBe(false);
    expect(holds(drawer(0.001), 'close', 'wooden_cabinet_1_top_region')).toBe(true);
    expect(holds(drawer(0.0), 'close', 'wooden_cabinet_1_top_region')).toBe(false);
    expect(holds(drawer(-0.15), 'close', 'wooden_cabinet_1_top_region')).toBe(false);
  });

  it('on the fixture: Open if any drawer is open, Close only if all are closed', () => {
    expect(holds(drawer(0.005, -0.15), 'open', 'wooden_cabinet_1')).toBe(true);
    expect(holds(drawer(0.005, -0.1), 'open', 'wooden_cabinet_1')).toBe(false);
    expect(holds(drawer(0.005), 'close', 'wooden_cabinet_1')).toBe(true);
    expect(holds(drawer(0.005, 0.005, -0.01), 'close', 'wooden_cabinet_1')).toBe(false);
    // The top drawer's region ignores the other drawers.
    expect(holds(drawer(0.005, 0.005, -0.15), 'close', 'wooden_cabinet_1_top_region')).toBe(true);
  });

  it('a region on a part without joints is never open and always closed, as in LIBERO', () => {
    expect(holds(drawer(-0.15), 'open', 'wooden_cabinet_1_top_side')).toBe(false);
    expect(holds(drawer(-0.15), 'close', 'wooden_cabinet_1_top_side')).toBe(true);
  });

  it('uses each category`s thresholds', () => {
    expect(holds(drawer(0), 'open', 'microwave_1')).toBe(true); // -1.5 < -1.3
    expect(holds(drawer(0), 'close', 'microwave_1')).toBe(false);
    expect(holds(drawer(0), 'open', 'short_fridge_1')).toBe(true); // 2.1 > 2.0
    expect(holds(drawer(0), 'close', 'short_fridge_1')).toBe(false);
  });

  it('rejects categories and regions it cannot evaluate', () => {
    const w = world({ categories: { basket_1: 'basket' }, joints: { basket_1: [] } });
    expect(() => holds(w, 'open', 'basket_1')).toThrow(/category basket/);
    expect(() => holds(drawer(0), 'close', 'main_table_plate_region')).toThrow(/main_table_plate_region/);
  });
});

describe('TurnOn and TurnOff', () => {
  const stove = (...button: number[]) =>
    world({
      categories: { flat_stove_1: 'flat_stove', wooden_cabinet_1: 'wooden_cabinet' },
      joints: { flat_stove_1: button, wooden_cabinet_1: [0] },
      sites: { flat_stove_1_cook_region: { pos: [0, 0, 1], mat: I, halfSize: [0.075, 0.075, 0.0025], parent: 'flat_stove_1', joints: [] } },
    });

  it('FlatStove: on at qpos >= 0.5, off below 0.0', () => {
    expect(holds(stove(0.5), 'turnon', 'flat_stove_1')).toBe(true);
    expect(holds(stove(0.49), 'turnon', 'flat_stove_1')).toBe(false);
    expect(holds(stove(-0.001), 'turnoff', 'flat_stove_1')).toBe(true);
    expect(holds(stove(0.0), 'turnoff', 'flat_stove_1')).toBe(false);
  });

  it('TurnOn: any joint; TurnOff: all joints', () => {
    expect(holds(stove(0, 0.6), 'turnon', 'flat_stove_1')).toBe(true);
    expect(holds(stove(-0.1, 0.6), 'turnoff', 'flat_stove_1')).toBe(false);
    expect(holds(stove(-0.1, -0.1), 'turnoff', 'flat_stove_1')).toBe(true);
  });

  it('errors on a region or a category without the affordance', () => {
    expect(() => holds(stove(1), 'turnon', 'flat_stove_1_cook_region')).toThrow(/TurnOn: flat_stove_1_cook_region is a region/);
    expect(() => holds(stove(1), 'turnon', 'wooden_cabinet_1')).toThrow(/category wooden_cabinet/);
  });
});

describe('Up', () => {
  it('is true at a height of 1.0 m or more', () => {
    const w = world({ bodies: { a: [0, 0, 1.0], b: [0, 0, 0.999] } });
    expect(holds(w, 'up', 'a')).toBe(true);
    expect(holds(w, 'up', 'b')).toBe(false);
  });
});

describe('formulas', () => {
  const w = world({ bodies: { a: [0, 0, 1.2], b: [0, 0, 0.5] }, categories: { a: 'basket' }, joints: { a: [] } });
  const yes = atom('up', 'a');
  const no = atom('up', 'b');

  it('And, Or, Not', () => {
    expect(evaluateGoal({ op: 'and', args: [yes, yes] }, w)).toBe(true);
    expect(evaluateGoal({ op: 'and', args: [yes, no] }, w)).toBe(false);
    expect(evaluateGoal({ op: 'and', args: [] }, w)).toBe(true);
    expect(evaluateGoal({ op: 'or', args: [no, yes] }, w)).toBe(true);
    expect(evaluateGoal({ op: 'or', args: [no, no] }, w)).toBe(false);
    expect(evaluateGoal({ op: 'not', arg: no }, w)).toBe(true);
    expect(evaluateGoal({ op: 'not', arg: { op: 'and', args: [yes, no] } }, w)).toBe(true);
  });

  it('reports a predicate it cannot evaluate even when an earlier atom is false', () => {
    expect(() => evaluateGoal({ op: 'and', args: [no, atom('open', 'a')] }, w)).toThrow(PredicateError);
    expect(() => evaluateGoal({ op: 'or', args: [yes, atom('open', 'a')] }, w)).toThrow(/Open: category basket/);
  });

  it('names an unknown predicate', () => {
    const bad = { predicate: 'stack', args: ['a', 'b'] } as unknown as Atom;
    expect(() => evaluateAtom(bad, w)).toThrow(/unknown predicate: stack/);
  });

  it('checks arity', () => {
    expect(() => evaluateAtom({ predicate: 'on', args: ['a'] }, w)).toThrow(/on takes 2/);
  });
});

describe("the goal's atoms (replay's goal strip)", () => {
  const both: Formula = { op: 'and', args: [atom('on', 'bowl', 'plate'), atom('on', 'cup', 'plate')] };
  const mixed: Formula = { op: 'or', args: [{ op: 'not', arg: atom('on', 'bowl', 'plate') }, { op: 'and', args: [atom('open', 'drawer'), atom('on', 'cup', 'plate')] }] };

  it("lists the atoms depth-first, left to right (LIBERO's goal_state order), named as LIBERO writes them", () => {
    expect(goalAtoms(both).map(atomName)).toEqual(['On(bowl, plate)', 'On(cup, plate)']);
    expect(goalAtoms(mixed).map(atomName)).toEqual(['On(bowl, plate)', 'Open(drawer)', 'On(cup, plate)']);
    expect(atomName({ predicate: 'turnon', args: ['flat_stove_1'] })).toBe('TurnOn(flat_stove_1)');
  });

  it('derives the goal from the atoms as evaluateGoal does, for every combination', () => {
    for (const f of [both, mixed]) {
      const n = goalAtoms(f).length;
      for (let bits = 0; bits < 1 << n; bits++) {
        const truth = Array.from({ length: n }, (_, i) => ((bits >> i) & 1) === 1);
        const expected = f === both ? truth.every(Boolean) : !truth[0] || (truth[1]! && truth[2]!);
        expect(goalHolds(f, truth)).toBe(expected);
      }
    }
    expect(() => goalHolds(both, [true])).toThrow(PredicateError);
    expect(() => goalHolds(both, [true, true, true])).toThrow('the goal has 2 atoms, 3 truth values given');
  });

  it('evaluates each atom once and agrees with evaluateGoal on a world', () => {
    const w = world({ bodies: { bowl: [0.1, 0.2, 0.92], cup: [0.5, 0.2, 0.92], plate: [0.1, 0.2, 0.9] }, contacts: [['plate', 'bowl'], ['plate', 'cup']] });
    let calls = 0;
    const counted: WorldQuery = { ...w, bodyPosition: (name) => (calls++, w.bodyPosition(name)) };
    const result = evaluateGoalAtoms(both, counted);
    expect(result).toEqual({ atoms: [true, false], success: false });
    expect(result.success).toBe(evaluateGoal(both, w));
    expect(calls).toBe(4); // two bodies per On atom, each atom once
  });
});
