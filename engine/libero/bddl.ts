import { readFileSync } from 'node:fs';
import type { Atom, Entity, Formula, Predicate, Region, TaskSpec } from './task.js';

/**
 * BDDL (LIBERO's task files) to TaskSpec. The tokenizer follows LIBERO's `bddl.parsing.scan_tokens`
 * (`;` comments, everything lower-cased, parentheses and whitespace-separated words) but keeps
 * line numbers for errors and the `:language` text as written. The parser then checks what LIBERO
 * leaves to crash later: known predicates and arities, atoms naming declared objects/regions.
 */

export class BddlError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${detail}`);
    this.name = 'BddlError';
  }
}

/** Predicates and their arities (LIBERO's base_predicates; `Up` is defined but no goal uses it). */
const ARITY: Record<Predicate, number> = { on: 2, in: 2, open: 1, close: 1, turnon: 1, turnoff: 1, up: 1 };
const PREDICATES = Object.keys(ARITY) as Predicate[];

// ---------------------------------------------------------------------------------------------
// Tokens and trees

interface Word {
  kind: 'word';
  /** Lower-cased, as LIBERO sees it. */
  text: string;
  line: number;
  /** Offset just past the word in the source, for slicing `:language` as written. */
  end: number;
}

interface List {
  kind: 'list';
  items: Node[];
  line: number;
  /** Offset of the closing parenthesis. */
  close: number;
}

type Node = Word | List;

/** Blanks `;` comments out with spaces so offsets and line numbers stay those of the source. */
function stripComments(text: string): string {
  return text.replace(/;[^\n]*/g, (comment) => ' '.repeat(comment.length));
}

function tokenize(source: string, file: string): List {
  const top: List = { kind: 'list', items: [], line: 1, close: source.length };
  const stack: List[] = [top];
  let line = 1;
  const pattern = /\n|[()]|[^\s()]+/g;
  for (let m = pattern.exec(source); m !== null; m = pattern.exec(source)) {
    const token = m[0];
    const current = stack[stack.length - 1]!;
    if (token === '\n') line++;
    else if (token === '(') {
      const list: List = { kind: 'list', items: [], line, close: -1 };
      current.items.push(list);
      stack.push(list);
    } else if (token === ')') {
      if (stack.length === 1) throw new BddlError(file, line, "unbalanced parentheses: ')' without a matching '('");
      current.close = m.index;
      stack.pop();
    } else current.items.push({ kind: 'word', text: token.toLowerCase(), line, end: m.index + token.length });
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1]!;
    throw new BddlError(file, open.line, `unbalanced parentheses: '(' opened here is never closed (${stack.length - 1} missing ')')`);
  }
  return top;
}

/** A short rendering of a tree for error messages: `(on bowl_1 plate_1)`. */
function show(node: Node, depth = 0): string {
  if (node.kind === 'word') return node.text;
  if (depth > 1) return '(...)';
  const inner = node.items.map((item) => show(item, depth + 1)).join(' ');
  return `(${inner.length > 60 ? inner.slice(0, 57) + '...' : inner})`;
}

// ---------------------------------------------------------------------------------------------
// Parser

class Parser {
  constructor(
    readonly file: string,
    readonly source: string,
  ) {}

  fail(at: Node | number | undefined, detail: string): never {
    throw new BddlError(this.file, typeof at === 'number' || at === undefined ? at : at.line, detail);
  }

  word(node: Node | undefined, what: string, at: Node): string {
    if (node?.kind !== 'word') this.fail(node ?? at, `expected ${what}, found ${node ? show(node) : 'nothing'}`);
    return node.text;
  }

  list(node: Node | undefined, what: string, at: Node): List {
    if (node?.kind !== 'list') this.fail(node ?? at, `expected ${what}, found ${node ? show(node) : 'nothing'}`);
    return node;
  }

  number(node: Node | undefined, what: string, at: Node): number {
    const text = this.word(node, what, at);
    const value = Number(text);
    if (!Number.isFinite(value)) this.fail(node ?? at, `expected ${what}, found '${text}'`);
    return value;
  }

  /** `(:ranges ((x0 y0 x1 y1) ...))` and `(:yaw_rotation ((min max) ...))`: lists of n numbers. */
  tuples(attribute: List, n: number, what: string): number[][] {
    const body = this.list(attribute.items[1], `a list of ${what} after ${show(attribute.items[0]!)}`, attribute);
    if (attribute.items.length > 2) this.fail(attribute, `unexpected ${show(attribute.items[2]!)} after the ${what} list`);
    return body.items.map((item) => {
      const tuple = this.list(item, `(${what})`, body);
      if (tuple.items.length !== n) this.fail(tuple, `expected ${n} numbers (${what}), found ${show(tuple)}`);
      return tuple.items.map((x) => this.number(x, 'a number', tuple));
    });
  }

  region(node: Node): Region {
    const group = this.list(node, 'a region (name (:target ...) ...)', node);
    const localName = this.word(group.items[0], 'a region name', group);
    let target: string | undefined;
    const ranges: Region['ranges'] = [];
    const yawRotation: Region['yawRotation'] = [];
    for (const item of group.items.slice(1)) {
      const attribute = this.list(item, `an attribute of region '${localName}'`, group);
      const key = this.word(attribute.items[0], 'an attribute name', attribute);
      if (key === ':target') {
        if (attribute.items.length !== 2) this.fail(attribute, `region '${localName}': (:target name) takes one name`);
        target = this.word(attribute.items[1], 'a target name', attribute);
      } else if (key === ':ranges') {
        for (const r of this.tuples(attribute, 4, 'x_min y_min x_max y_max')) ranges.push(r as [number, number, number, number]);
      } else if (key === ':yaw_rotation') {
        for (const r of this.tuples(attribute, 2, 'min max')) yawRotation.push(r as [number, number]);
      } else if (key === ':rgba') {
        // Visual only (LIBERO's region colour, `(:rgba (r g b a))`): checked, not kept.
        const rgba = this.list(attribute.items[1], '(r g b a)', attribute);
        if (rgba.items.length !== 4 || attribute.items.length !== 2) this.fail(attribute, `region '${localName}': expected (:rgba (r g b a)), found ${show(attribute)}`);
        rgba.items.forEach((x) => this.number(x, 'a number', rgba));
      } else this.fail(attribute, `region '${localName}': unknown attribute '${key}' (allowed: :target, :ranges, :yaw_rotation, :rgba)`);
    }
    if (target === undefined) this.fail(group, `region '${localName}' has no (:target ...)`);
    // LIBERO names a region after its target (bddl_utils.get_regions), and atoms use that name.
    return { name: `${target}_${localName}`, localName, target, ranges, yawRotation };
  }

  /** `name1 name2 - category name3 - category2`, as :objects and :fixtures write them. */
  entities(group: List, section: string): Entity[] {
    const out: Entity[] = [];
    const categories = new Set<string>();
    let pending: string[] = [];
    for (let i = 1; i < group.items.length; i++) {
      const name = this.word(group.items[i], `a name in ${section}`, group);
      if (name !== '-') {
        pending.push(name);
        continue;
      }
      const category = this.word(group.items[++i], `a category after '-' in ${section}`, group);
      if (pending.length === 0) this.fail(group, `${section}: category '${category}' has no names before it`);
      // LIBERO keeps a dict category -> names, so a repeated category would silently drop names.
      if (categories.has(category)) this.fail(group, `${section}: category '${category}' appears twice (LIBERO keeps only the last group); list all its names in one group`);
      categories.add(category);
      for (const n of pending) out.push({ name: n, category });
      pending = [];
    }
    if (pending.length > 0) this.fail(group, `${section}: '${pending.join(' ')}' has no category (write '${pending.join(' ')} - <category>')`);
    return out;
  }

  atom(node: Node, known: Set<string>, where: string): Atom {
    const group = this.list(node, `a predicate (pred args...) in ${where}`, node);
    const head = this.word(group.items[0], `a predicate name in ${where}`, group);
    if (!(head in ARITY)) this.fail(group, `unknown predicate '${head}' in ${where}: ${show(group)} (allowed: ${PREDICATES.join(', ')})`);
    const predicate = head as Predicate;
    const args = group.items.slice(1).map((a) => this.word(a, `an object or region name in ${show(group)}`, group));
    if (args.length !== ARITY[predicate]) this.fail(group, `'${predicate}' takes ${ARITY[predicate]} argument(s), found ${args.length} in ${where}: ${show(group)}`);
    for (const arg of args) {
      if (!known.has(arg)) this.fail(group, `unknown object or region '${arg}' in ${where}: ${show(group)}`);
    }
    return { predicate, args };
  }

  formula(node: Node, known: Set<string>): Formula {
    const group = this.list(node, 'a goal formula', node);
    const head = group.items[0]?.kind === 'word' ? group.items[0].text : undefined;
    if (head === 'and' || head === 'or') return { op: head, args: group.items.slice(1).map((f) => this.formula(f, known)) };
    if (head === 'not') {
      if (group.items.length !== 2) this.fail(group, `'not' takes one formula, found ${group.items.length - 1}: ${show(group)}`);
      return { op: 'not', arg: this.formula(group.items[1]!, known) };
    }
    return { op: 'atom', atom: this.atom(group, known, ':goal') };
  }

  parse(root: List): TaskSpec {
    const define = root.items[0];
    if (root.items.length !== 1 || define?.kind !== 'list') this.fail(root.items[1] ?? define ?? 1, 'expected exactly one (define ...) form');
    if (this.word(define.items[0], "'define'", define) !== 'define') this.fail(define, `expected (define ...), found ${show(define)}`);

    const sections = new Map<string, List>();
    for (const item of define.items.slice(1)) {
      const group = this.list(item, 'a section such as (:objects ...)', define);
      const key = this.word(group.items[0], 'a section name', group);
      if (!SECTIONS.has(key)) this.fail(group, `unknown section '${key}' (allowed: ${[...SECTIONS].join(', ')})`);
      if (sections.has(key)) this.fail(group, `section '${key}' appears twice`);
      sections.set(key, group);
    }
    const section = (key: string): List => sections.get(key) ?? this.fail(define, `missing section (${key} ...)`);
    const optional = (key: string): List => sections.get(key) ?? { kind: 'list', items: [], line: define.line, close: -1 };

    const problemGroup = section('problem');
    const problem = this.word(problemGroup.items[1], 'a problem name', problemGroup);
    const domainGroup = section(':domain');
    const domain = this.word(domainGroup.items[1], 'a domain name', domainGroup);
    if (domain !== 'robosuite') this.fail(domainGroup, `domain '${domain}' is not 'robosuite' (LIBERO accepts only robosuite)`);

    const regions = optional(':regions').items.slice(1).map((r) => this.region(r));
    const fixtures = this.entities(section(':fixtures'), ':fixtures');
    const objects = this.entities(section(':objects'), ':objects');

    const known = new Set<string>();
    for (const { name } of [...fixtures, ...objects, ...regions]) {
      if (known.has(name)) this.fail(define, `'${name}' is declared twice (objects, fixtures and region names must be unique)`);
      known.add(name);
    }

    const interest = optional(':obj_of_interest');
    const objectsOfInterest = interest.items.slice(1).map((n) => {
      const name = this.word(n, 'a name in :obj_of_interest', interest);
      // libero_goal lists regions here too (e.g. wooden_cabinet_1_middle_region).
      if (!known.has(name)) this.fail(interest, `unknown object or region '${name}' in :obj_of_interest`);
      return name;
    });

    const init = section(':init').items.slice(1).map((a) => this.atom(a, known, ':init'));
    const goalGroup = section(':goal');
    if (goalGroup.items.length !== 2) this.fail(goalGroup, `(:goal ...) must hold exactly one formula, found ${goalGroup.items.length - 1}`);
    const goal = this.formula(goalGroup.items[1]!, known);

    return { file: this.file, problem, domain, language: this.language(sections.get(':language')), regions, fixtures, objects, objectsOfInterest, init, goal };
  }

  /** The words after `:language` up to its closing parenthesis, as written (whitespace collapsed). */
  language(group: List | undefined): string {
    if (group === undefined) return '';
    const head = group.items[0] as Word;
    return this.source.slice(head.end, group.close).replace(/\s+/g, ' ').trim();
  }
}

const SECTIONS = new Set(['problem', ':domain', ':language', ':regions', ':fixtures', ':objects', ':obj_of_interest', ':init', ':goal', ':requirements']);

/** Parses BDDL text; `file` names it in errors. Throws BddlError (file:line: what is wrong). */
export function parseBddl(text: string, file: string): TaskSpec {
  const source = stripComments(text);
  return new Parser(file, source).parse(tokenize(source, file));
}

export function readBddlFile(path: string): TaskSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read BDDL file ${path}: ${(error as Error).message}`);
  }
  return parseBddl(text, path);
}
