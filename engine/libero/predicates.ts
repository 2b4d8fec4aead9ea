import type { Atom, Formula, Predicate } from './task.js';
import type { Mat3, SiteFrame, Vec3, WorldQuery } from './world.js';

/**
 * LIBERO's goal predicates (envs/predicates/base_predicates.py, envs/object_states/
 * base_object_states.py, envs/objects/site_object.py, envs/objects/articulated_objects.py) with
 * their exact comparisons, quirks included: success must mean what it means in LIBERO.
 */

export class PredicateError extends Error {
  override name = 'PredicateError';
}

/** A joint-position test as LIBERO writes it: `qpos < value` etc. */
interface Threshold {
  op: '<' | '>' | '>=';
  value: number;
}

interface Articulation {
  open?: Threshold;
  close?: Threshold;
  turnOn?: Threshold;
  turnOff?: Threshold;
}

/**
 * Per-category thresholds from articulated_objects.py. LIBERO compares against max/min of its
 * `default_*_ranges`; these are those resolved values. Categories missing here (slide_cabinet,
 * window, faucet, basin_faucet) raise NotImplementedError in LIBERO, and an error here.
 */
export const ARTICULATIONS: Readonly<Record<string, Articulation>> = {
  wooden_cabinet: { open: { op: '<', value: -0.14 }, close: { op: '>', value: 0.0 } },
  white_cabinet: { open: { op: '<', value: -0.14 }, close: { op: '>', value: 0.0 } },
  microwave: { open: { op: '<', value: -1.3 }, close: { op: '>', value: -0.005 } },
  short_cabinet: { open: { op: '>', value: 0.1 }, close: { op: '<', value: 0.0 } },
  short_fridge: { open: { op: '>', value: 2.0 }, close: { op: '<', value: 0.0 } },
  flat_stove: { turnOn: { op: '>=', value: 0.5 }, turnOff: { op: '<', value: 0.0 } },
};

/** On(a, b) xy alignment of body origins, strict (ObjectState.check_ontop). */
export const ON_XY_TOLERANCE = 0.03;
/** Up(a): body (or site) height at or above this (base_predicates.Up). */
export const UP_HEIGHT = 1.0;

// ---------------------------------------------------------------------------------------------
// Formulas

/**
 * Evaluates a goal. And/Or evaluate every argument, as LIBERO's `_check_success` evaluates every
 * atom, so a predicate that cannot be evaluated is reported whatever the other atoms say.
 */
export function evaluateGoal(formula: Formula, world: WorldQuery): boolean {
  switch (formula.op) {
    case 'atom':
      return evaluateAtom(formula.atom, world);
    case 'not':
      return !evaluateGoal(formula.arg, world);
    case 'and':
      return formula.args.map((f) => evaluateGoal(f, world)).every(Boolean);
    case 'or':
      return formula.args.map((f) => evaluateGoal(f, world)).some(Boolean);
    default:
      throw new PredicateError(`unknown goal operator: ${(formula as { op: unknown }).op}`);
  }
}

/** The goal's atoms in the order LIBERO's `goal_state` lists them (depth-first, left to right): the goal strip's lanes. */
export function goalAtoms(formula: Formula): Atom[] {
  switch (formula.op) {
    case 'atom':
      return [formula.atom];
    case 'not':
      return goalAtoms(formula.arg);
    case 'and':
    case 'or':
      return formula.args.flatMap(goalAtoms);
    default:
      throw new PredicateError(`unknown goal operator: ${(formula as { op: unknown }).op}`);
  }
}

/** LIBERO's spelling of each predicate, for names people read. */
const PREDICATE_NAMES: Record<Predicate, string> = { on: 'On', in: 'In', open: 'Open', close: 'Close', turnon: 'TurnOn', turnoff: 'TurnOff', up: 'Up' };

/** `On(akita_black_bowl_1, plate_1)`. */
export function atomName(atom: Atom): string {
  const name = Object.hasOwn(PREDICATE_NAMES, atom.predicate) ? PREDICATE_NAMES[atom.predicate] : String(atom.predicate);
  return `${name}(${atom.args.join(', ')})`;
}

/**
 * Every atom's truth (in goalAtoms order) and the goal's, from one evaluation of each atom: what a
 * simulator reports per step (StepResult.goalAtoms) and the success it derives from them.
 */
export function evaluateGoalAtoms(formula: Formula, world: WorldQuery): { atoms: boolean[]; success: boolean } {
  const atoms = goalAtoms(formula).map((atom) => evaluateAtom(atom, world));
  return { atoms, success: goalHolds(formula, atoms) };
}

/** The goal's truth from its atoms' truths (goalAtoms order); a count that does not match is an error. */
export function goalHolds(formula: Formula, truth: readonly boolean[]): boolean {
  let next = 0;
  const walk = (f: Formula): boolean => {
    switch (f.op) {
      case 'atom': {
        if (next >= truth.length) throw new PredicateError(`the goal has more atoms than the ${truth.length} truth values given`);
        return truth[next++]!;
      }
      case 'not':
        return !walk(f.arg);
      case 'and':
        return f.args.map(walk).every(Boolean);
      case 'or':
        return f.args.map(walk).some(Boolean);
      default:
        throw new PredicateError(`unknown goal operator: ${(f as { op: unknown }).op}`);
    }
  };
  const holds = walk(formula);
  if (next !== truth.length) throw new PredicateError(`the goal has ${next} atoms, ${truth.length} truth values given`);
  return holds;
}

/** LIBERO's predicate names (lower-cased, as its tokenizer leaves them), arities and checks. */
const PREDICATES: Record<Predicate, { arity: 1 | 2; check: (world: WorldQuery, x: string, y: string) => boolean }> = {
  on: { arity: 2, check: on },
  in: { arity: 2, check: inside },
  open: { arity: 1, check: isOpen },
  close: { arity: 1, check: isClosed },
  turnon: { arity: 1, check: isTurnedOn },
  turnoff: { arity: 1, check: isTurnedOff },
  up: { arity: 1, check: isUp },
};

export function evaluateAtom(atom: Atom, world: WorldQuery): boolean {
  const { predicate, args } = atom;
  const entry = Object.hasOwn(PREDICATES, predicate) ? PREDICATES[predicate] : undefined;
  if (!entry) throw new PredicateError(`unknown predicate: ${String(predicate)}`);
  if (args.length !== entry.arity) {
    throw new PredicateError(`${predicate} takes ${entry.arity} argument(s), got ${args.length}: (${[predicate, ...args].join(' ')})`);
  }
  const [x, y] = args as [string, string];
  return entry.check(world, x, y);
}

// ---------------------------------------------------------------------------------------------
// Geometry: On, In, Up

/** On(a, b): `b.check_ontop(a)`, where b is an object/fixture or a region site. */
export function on(world: WorldQuery, a: string, b: string): boolean {
  const site = world.site(b);
  if (site) return onSite(world, a, b, site);
  const pa = world.bodyPosition(a);
  const pb = world.bodyPosition(b);
  return pb[2] <= pa[2] && world.inContact(b, a) && Math.hypot(pa[0] - pb[0], pa[1] - pb[1]) < ON_XY_TOLERANCE;
}

/**
 * SiteObject.under: the offset is multiplied by the site's xmat R itself, not Rᵀ, so for a rotated
 * site this is not the offset in the site's frame. LIBERO does it this way, so this does too. A site
 * that belongs to an object or fixture also needs that parent to touch a.
 */
function onSite(world: WorldQuery, a: string, region: string, site: SiteFrame): boolean {
  const p = world.bodyPosition(a);
  const d = mulMatVec(site.mat, [p[0] - site.pos[0], p[1] - site.pos[1], p[2] - site.pos[2]]);
  const [sx, sy, sz] = site.halfSize;
  const under = sz - 0.005 < d[2] && d[2] < sz + 0.1 && Math.abs(d[0]) < sx && Math.abs(d[1]) < sy;
  const parent = world.parentOfSite(region);
  return under && (parent === null || world.inContact(parent, a));
}

/**
 * In(a, region): SiteObject.in_box. The half extents are `|R @ size|` (not the box's true world
 * extents), the lower z bound is 1 cm lower, and the bounds are strict. A site's contact check is
 * always true in LIBERO, so only the geometry counts.
 */
export function inside(world: WorldQuery, a: string, region: string): boolean {
  const site = world.site(region);
  if (!site) throw new PredicateError(`In: ${region} is not a region; LIBERO's In needs a region site as its second argument`);
  const p = world.bodyPosition(a);
  const half = mulMatVec(site.mat, site.halfSize).map(Math.abs);
  for (let i = 0; i < 3; i++) {
    const lb = site.pos[i]! - half[i]! - (i === 2 ? 0.01 : 0);
    const ub = site.pos[i]! + half[i]!;
    if (!(p[i]! > lb && p[i]! < ub)) return false;
  }
  return true;
}

/** Up(x): the height of x's body, or of the site for a region. No goal uses it. */
export function isUp(world: WorldQuery, x: string): boolean {
  const z = (world.site(x)?.pos ?? world.bodyPosition(x))[2];
  return z >= UP_HEIGHT;
}

function mulMatVec(m: Mat3, v: Vec3): [number, number, number] {
  return [
    m[0] * v[0] + m[1] * v[1] + m[2] * v[2],
    m[3] * v[0] + m[4] * v[1] + m[5] * v[2],
    m[6] * v[0] + m[7] * v[1] + m[8] * v[2],
  ];
}

// ---------------------------------------------------------------------------------------------
// Joints: Open, Close, TurnOn, TurnOff

/** Open passes if any consulted joint is open (ObjectState/SiteObjectState.is_open). */
export function isOpen(world: WorldQuery, x: string): boolean {
  const { test, joints } = articulation(world, x, 'open', 'Open');
  return joints.some(test);
}

/** Close needs every consulted joint closed; a region on a part with no joint is vacuously closed, as in LIBERO. */
export function isClosed(world: WorldQuery, x: string): boolean {
  const { test, joints } = articulation(world, x, 'close', 'Close');
  return joints.every(test);
}

/** TurnOn passes if any joint is on (ObjectState.turn_on). LIBERO has no TurnOn for regions. */
export function isTurnedOn(world: WorldQuery, x: string): boolean {
  const { test, joints } = articulation(world, x, 'turnOn', 'TurnOn', false);
  return joints.some(test);
}

/** TurnOff needs every joint off (ObjectState.turn_off). */
export function isTurnedOff(world: WorldQuery, x: string): boolean {
  const { test, joints } = articulation(world, x, 'turnOff', 'TurnOff', false);
  return joints.every(test);
}

/**
 * The joints to test and the test. For a region (`wooden_cabinet_1_top_region`) the joints are
 * those on the site's body and the thresholds are its parent's; for an entity, all its joints.
 */
function articulation(
  world: WorldQuery,
  x: string,
  key: keyof Articulation,
  predicate: string,
  regionsAllowed = true,
): { test: (q: number) => boolean; joints: number[] } {
  let owner = x;
  if (world.site(x)) {
    if (!regionsAllowed) throw new PredicateError(`${predicate}: ${x} is a region; LIBERO evaluates ${predicate} on a fixture only`);
    const parent = world.parentOfSite(x);
    if (parent === null) throw new PredicateError(`${predicate}: region ${x} belongs to no object or fixture, so it has no joints`);
    owner = parent;
  }
  const category = world.categoryOf(owner);
  const threshold = ARTICULATIONS[category]?.[key];
  if (!threshold) throw new PredicateError(`${predicate}: category ${category} (of ${owner}) has no ${predicate} threshold in LIBERO`);
  return { test: compare(threshold), joints: world.jointPositions(x) };
}

function compare({ op, value }: Threshold): (q: number) => boolean {
  switch (op) {
    case '<':
      return (q) => q < value;
    case '>':
      return (q) => q > value;
    case '>=':
      return (q) => q >= value;
  }
}
