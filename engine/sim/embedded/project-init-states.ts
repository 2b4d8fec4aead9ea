import { readFileSync } from 'node:fs';
import path from 'node:path';
import { mountedPanda } from './assets/panda.js';
import type { EmbeddedPhysics } from './physics.js';
import { buildScene } from './scene.js';
import { appRoot } from '../../util/app-root.js';
import { type RejectReason, type SampleResult, mulberry32At, sampleInitStateDetailed } from './init-sampler.js';
import { type InitState, InitStatesError, splitInitState } from '../../libero/init-states.js';
import { projectTask } from '../../libero/project-tasks.js';
import { suiteTask } from '../../libero/suites.js';
import type { TaskSpec } from '../../libero/task.js';

/**
 * The project's own initial states (assets/libero/init_states/<suite>/<task>.bin), made by
 * scripts/make-init-states.ts with engine/libero/init-sampler.ts: per task, an EVALUATION split
 * (what `rsd expert` and policy evaluation run) and a separate DEMONSTRATION pool (where the
 * scripted expert's training demonstrations start), so a model is never evaluated on a start it
 * was shown.
 *
 * Seeds and disjointness. Row i of a split is sampled from the mulberry32 stream of the split's
 * seed, started ROW_STRIDE * i draws in (`mulberry32At`), so any row can be regenerated alone.
 * Task t's eval seed is EVAL_SEED_BASE + t, its demo seed that plus 2^31. mulberry32's state is a
 * counter advancing by an odd constant, so the demo stream IS the eval stream advanced by 2^31
 * draws: eval rows read draws [0, 50 * 2^20) of it, demo rows [2^31, 2^31 + 100 * 2^20); a row
 * uses fewer than 2^20 draws (the generator checks), so the two pools never share a random number.
 *
 * File format: the 8 ASCII bytes `RSDSTATE`, a uint32 little-endian header length H, H bytes of
 * UTF-8 JSON (`InitStatesHeader`, padded with spaces so the rows start 8-byte aligned), then the
 * rows as float64 little-endian, each robosuite's flattened `[time, qpos(nq), qvel(nv)]` as in
 * LIBERO's `.pruned_init` files: the splits' rows in header order (eval, then demo).
 */

export type InitSplit = 'eval' | 'demo';

export const INIT_SPLITS: Readonly<Record<InitSplit, { rows: number; seedBase: number }>> = {
  eval: { rows: 50, seedBase: 0x5eed0000 },
  demo: { rows: 100, seedBase: (0x5eed0000 + 2 ** 31) >>> 0 },
};

/** Draws reserved for one row: row i starts at position i * ROW_STRIDE of its split's stream. */
export const ROW_STRIDE = 2 ** 20;

export const MAGIC = 'RSDSTATE';
export const FORMAT_VERSION = 1;

export interface InitStatesHeader {
  format: 'rsd-init-states';
  formatVersion: number;
  suite: string;
  task: string;
  taskId: number;
  nq: number;
  nv: number;
  /** 1 + nq + nv. */
  cols: number;
  splits: { name: InitSplit; rows: number; seed: number; rowStride: number }[];
  generator: { version: number; script: string; settleSteps: number; waitSteps: number };
  /** The MuJoCo build the states were settled with (`EmbeddedPhysics.version`). */
  mujoco: string;
  /** Attempts and rejections per split (informational). */
  stats?: Record<string, { attempts: number; rejections: Record<RejectReason, number> }>;
}

export interface InitStatesFile {
  file: string;
  header: InitStatesHeader;
  rows: number;
  cols: number;
  /** Row-major float64, `rows * cols` values. */
  data: Float64Array;
}

/** The seed of a task's split. */
export function splitSeed(taskId: number, split: InitSplit): number {
  return (INIT_SPLITS[split].seedBase + taskId) >>> 0;
}

export function projectInitStatesPath(suite: string, task: number | string, root: string = appRoot()): string {
  const t = suiteTask(suite, task);
  return path.join(root, 'assets', 'libero', 'init_states', t.suite, `${t.name}.bin`);
}

/** The qpos and qvel sizes of a task's embedded scene (docs/scene-conventions.md). */
export function sceneDims(task: TaskSpec): { nq: number; nv: number } {
  let nq = 9;
  let nv = 9;
  for (const e of buildScene(task, mountedPanda()).entities) {
    if (e.kind === 'object') {
      nq += 7 * e.joints.length;
      nv += 6 * e.joints.length;
    } else {
      nq += e.joints.length;
      nv += e.joints.length;
    }
  }
  return { nq, nv };
}

/** The project's initial states of a task's split, each a fresh copy. */
export function projectInitStates(suite: string, task: number | string, split: InitSplit, root?: string): InitState[] {
  if (!Object.hasOwn(INIT_SPLITS, split)) throw new Error(`unknown initial-state split "${String(split)}": use eval or demo`);
  const t = suiteTask(suite, task);
  const file = projectInitStatesPath(t.suite, t.id, root);
  const dims = sceneDims(projectTask(t.suite, t.id, root));
  const states = readProjectInitStatesFile(file, { suite: t.suite, task: t.name, ...dims });
  const rows = splitRows(states, split);
  return rows.map((row) => splitInitState(row, states.header));
}

/** The rows of one split, as copies. */
export function splitRows(states: InitStatesFile, split: InitSplit): Float64Array[] {
  let first = 0;
  for (const s of states.header.splits) {
    if (s.name === split) {
      return Array.from({ length: s.rows }, (_, i) => states.data.slice((first + i) * states.cols, (first + i + 1) * states.cols));
    }
    first += s.rows;
  }
  throw new InitStatesError(states.file, `has no ${split} split (it has ${states.header.splits.map((s) => s.name).join(', ')})`);
}

/**
 * Reads a project init-state file. With `expected`, checks that it belongs to that task and that
 * its shape is the scene's: errors name the file, the expected and the actual shape.
 */
export function readProjectInitStatesFile(file: string, expected?: { suite: string; task: string; nq: number; nv: number }): InitStatesFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new InitStatesError(file, `cannot read the project's initial states: ${(error as Error).message} (regenerate them with npx tsx scripts/make-init-states.ts)`);
  }
  const states = decodeInitStates(bytes, file);
  if (expected) {
    const { header } = states;
    if (header.suite !== expected.suite || header.task !== expected.task) {
      throw new InitStatesError(file, `holds initial states of ${header.suite} task ${header.task}, not of ${expected.suite} task ${expected.task}`);
    }
    const cols = 1 + expected.nq + expected.nv;
    if (header.nq !== expected.nq || header.nv !== expected.nv) {
      throw new InitStatesError(
        file,
        `initial states have shape (${states.rows}, ${states.cols}) = 1 + nq ${header.nq} + nv ${header.nv}, expected (${states.rows}, ${cols}) = 1 + nq ${expected.nq} + nv ${expected.nv} for the task's scene`,
      );
    }
    for (const split of Object.keys(INIT_SPLITS) as InitSplit[]) {
      const s = header.splits.find((x) => x.name === split);
      const want = INIT_SPLITS[split].rows;
      if (!s || s.rows !== want) throw new InitStatesError(file, `the ${split} split has ${s ? s.rows : 'no'} rows, expected ${want}`);
    }
  }
  return states;
}

export function decodeInitStates(bytes: Uint8Array, file: string): InitStatesFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = new TextDecoder().decode(bytes.subarray(0, MAGIC.length));
  if (bytes.length < 12 || magic !== MAGIC) throw new InitStatesError(file, `not a project init-state file (no ${MAGIC} header)`);
  const headerLength = view.getUint32(8, true);
  const start = 12 + headerLength;
  if (start > bytes.length) throw new InitStatesError(file, `truncated: the header says ${headerLength} bytes, the file has ${bytes.length - 12} after the magic`);
  let header: InitStatesHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, start))) as InitStatesHeader;
  } catch (error) {
    throw new InitStatesError(file, `its header is not JSON: ${(error as Error).message}`);
  }
  if (header.format !== 'rsd-init-states' || header.formatVersion !== FORMAT_VERSION) {
    throw new InitStatesError(file, `format ${String(header.format)} version ${String(header.formatVersion)}; this build reads rsd-init-states version ${FORMAT_VERSION}`);
  }
  const cols = header.cols;
  if (cols !== 1 + header.nq + header.nv) throw new InitStatesError(file, `header cols ${cols} is not 1 + nq ${header.nq} + nv ${header.nv}`);
  const rows = header.splits.reduce((n, s) => n + s.rows, 0);
  const dataBytes = bytes.length - start;
  if (dataBytes !== rows * cols * 8) {
    const actual = dataBytes % (cols * 8) === 0 ? `(${dataBytes / (cols * 8)}, ${cols})` : `${dataBytes / 8} values`;
    throw new InitStatesError(file, `holds ${actual} float64 values, the header says shape (${rows}, ${cols})`);
  }
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat64(start + 8 * i, true);
  return { file, header, rows, cols, data };
}

/** The bytes of an init-state file: `rows` in the header's split order. */
export function encodeInitStates(header: InitStatesHeader, rows: readonly Float64Array[]): Uint8Array {
  const expectedRows = header.splits.reduce((n, s) => n + s.rows, 0);
  if (rows.length !== expectedRows) throw new Error(`${rows.length} rows for a header of ${expectedRows}`);
  for (const r of rows) if (r.length !== header.cols) throw new Error(`a row of ${r.length} values for ${header.cols} columns`);
  let json = JSON.stringify(header);
  while ((12 + new TextEncoder().encode(json).length) % 8 !== 0) json += ' ';
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(12 + head.length + rows.length * header.cols * 8);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, head.length, true);
  out.set(head, 12);
  let offset = 12 + head.length;
  for (const r of rows) {
    for (const v of r) {
      view.setFloat64(offset, v, true);
      offset += 8;
    }
  }
  return out;
}

/** Flattens a state as robosuite's MjSimState.flatten: `[time, qpos, qvel]`. */
export function flattenInitState(state: InitState): Float64Array {
  const row = new Float64Array(1 + state.qpos.length + state.qvel.length);
  row[0] = state.time;
  row.set(state.qpos, 1);
  row.set(state.qvel, 1 + state.qpos.length);
  return row;
}

export interface GeneratedRow extends SampleResult {
  /** Random numbers the row used (must stay below ROW_STRIDE). */
  draws: number;
}

/** Row `index` of a task's split, exactly as scripts/make-init-states.ts makes it. */
export function generateProjectInitState(sim: EmbeddedPhysics, task: TaskSpec, taskId: number, split: InitSplit, index: number): GeneratedRow {
  const { rows } = INIT_SPLITS[split];
  if (!Number.isInteger(index) || index < 0 || index >= rows) throw new RangeError(`${split} row ${index} does not exist: the split has ${rows} (0..${rows - 1})`);
  const stream = mulberry32At(splitSeed(taskId, split), index * ROW_STRIDE);
  let draws = 0;
  const rng = (): number => {
    draws++;
    return stream();
  };
  const result = sampleInitStateDetailed(sim, task, rng);
  if (draws >= ROW_STRIDE) throw new Error(`${task.file}: ${split} row ${index} used ${draws} random draws, more than its window of ${ROW_STRIDE}: the pools could overlap`);
  return { ...result, draws };
}
