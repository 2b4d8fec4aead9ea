/**
 * A LIBERO task as parsed from BDDL (LIBERO's own files, or the project's definitions). Names are
 * lower-cased as LIBERO's tokenizer does; region names carry their target as a prefix
 * (`main_table_plate_region`, `wooden_cabinet_1_top_region`), as LIBERO's get_regions does.
 */
export interface Region {
  /** Full name, prefixed with its target: `main_table_plate_region`. */
  name: string;
  /** The name as written in the BDDL: `plate_region`. */
  localName: string;
  /** The fixture or table it belongs to: `main_table`, `wooden_cabinet_1`. */
  target: string;
  /** `(x_min y_min x_max y_max)` boxes relative to the target's workspace; empty for regions defined by the target's model (cabinet drawers, cook region). */
  ranges: [number, number, number, number][];
  /** `(:yaw_rotation ((min max)))`, radians, when given. */
  yawRotation: [number, number][];
}

export interface Entity {
  name: string;
  category: string;
}

export type Predicate = 'on' | 'in' | 'open' | 'close' | 'turnon' | 'turnoff' | 'up';

export interface Atom {
  predicate: Predicate;
  args: string[];
}

export type Formula =
  | { op: 'atom'; atom: Atom }
  | { op: 'and' | 'or'; args: Formula[] }
  | { op: 'not'; arg: Formula };

export interface TaskSpec {
  /** Where it was read from, for error messages. */
  file: string;
  /** `libero_tabletop_manipulation`, `libero_floor_manipulation`, ... (lower-cased). */
  problem: string;
  domain: string;
  /** The BDDL `(:language ...)` line, as written. */
  language: string;
  regions: Region[];
  fixtures: Entity[];
  objects: Entity[];
  objectsOfInterest: string[];
  init: Atom[];
  goal: Formula;
}
