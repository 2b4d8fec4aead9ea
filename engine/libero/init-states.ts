import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { InputError } from '../util/input-error.js';

/**
 * LIBERO's fixed initial states (`init_files/<suite>/<task>.pruned_init`) read without Python.
 * Each file is a `torch.save` zip archive whose `<dir>/data.pkl` pickles one float64 NumPy array
 * (rows = episodes, columns = robosuite's flattened `[time, qpos, qvel]`). We read the zip's
 * central directory, then run a minimal unpickler that knows exactly the opcodes and callables
 * NumPy uses for one array and refuses anything else by name.
 */

export interface InitStates {
  rows: number;
  cols: number;
  /** Row-major float64, `rows * cols` values. */
  data: Float64Array;
}

export interface InitState {
  time: number;
  qpos: Float64Array;
  qvel: Float64Array;
}

export class InitStatesError extends InputError {
  constructor(file: string, detail: string) {
    super(file, `${file}: ${detail}`);
    this.name = 'InitStatesError';
  }
}

/** Reads a `.pruned_init` (or `.init`) file; with `expected`, checks `cols === 1 + nq + nv`. */
export function readInitStates(path: string, expected?: { nq: number; nv: number }): InitStates {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new InitStatesError(path, `cannot read initial states: ${(error as Error).message}`);
  }
  const states = parseInitStates(bytes, path);
  if (expected && states.cols !== 1 + expected.nq + expected.nv) {
    throw new InitStatesError(
      path,
      `initial states have shape (${states.rows}, ${states.cols}), expected (${states.rows}, ${1 + expected.nq + expected.nv}) = 1 + nq ${expected.nq} + nv ${expected.nv}: the task's scene does not match LIBERO's`,
    );
  }
  return states;
}

/** Parses the bytes of a torch.save zip holding one float64 array; `file` names it in errors. */
export function parseInitStates(bytes: Uint8Array, file: string): InitStates {
  const entries = readZip(bytes, file);
  const pickle = entries.find((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
  if (!pickle) throw new InitStatesError(file, `no data.pkl in the archive (entries: ${entries.map((e) => e.name).join(', ') || 'none'})`);
  return toStates(unpickle(pickle.data(), file), file);
}

/** Row `index` as a copy (the simulator may write into what it is given). */
export function initStateRow(states: InitStates, index: number): Float64Array {
  if (!Number.isInteger(index) || index < 0 || index >= states.rows) {
    throw new RangeError(`initial state ${index} does not exist: there are ${states.rows} (0..${states.rows - 1})`);
  }
  return states.data.slice(index * states.cols, (index + 1) * states.cols);
}

/** Splits a flattened robosuite state `[time, qpos(nq), qvel(nv)]`. */
export function splitInitState(row: Float64Array, dims: { nq: number; nv: number }): InitState {
  if (row.length !== 1 + dims.nq + dims.nv) {
    throw new RangeError(`a state row of ${row.length} values does not split into 1 + nq ${dims.nq} + nv ${dims.nv} = ${1 + dims.nq + dims.nv}`);
  }
  return { time: row[0]!, qpos: row.slice(1, 1 + dims.nq), qvel: row.slice(1 + dims.nq) };
}

// ---------------------------------------------------------------------------------------------
// Zip: central directory, stored or deflated entries, CRC-checked

interface ZipEntry {
  name: string;
  data(): Uint8Array;
}

function readZip(bytes: Uint8Array, file: string): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (detail: string): never => {
    throw new InitStatesError(file, `not a readable torch.save zip archive: ${detail}`);
  };
  // torch writes sizes in a data descriptor after each entry (local headers say 0), so the
  // central directory is the only reliable index. Its end record is within the last 64 KiB.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record (truncated or not a zip file)');
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  if (count === 0xffff || at === 0xffffffff) fail('zip64 archives are not supported');

  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) fail(`central directory entry ${i} is damaged`);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressed = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const local = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    entries.push({
      name,
      data: () => {
        if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50) fail(`local header of ${name} is damaged`);
        const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
        if (start + compressed > bytes.length) fail(`${name} is truncated`);
        const raw = bytes.subarray(start, start + compressed);
        let data: Uint8Array = raw;
        if (method === 8) {
          try {
            data = inflateRawSync(raw);
          } catch (error) {
            fail(`${name} does not inflate: ${(error as Error).message}`);
          }
        } else if (method !== 0) fail(`${name} uses compression method ${method} (only stored and deflate are supported)`);
        if (data.length !== size) fail(`${name} has ${data.length} bytes, the directory says ${size}`);
        if (crc32(data) !== crc) fail(`${name} fails its CRC check (corrupt file)`);
        return data;
      },
    });
  }
  return entries;
}

let crcTable: Uint32Array | undefined;

function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Unpickler: only what `pickle.dumps(np_float64_array, protocol=2)` produces

class Global {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get path(): string {
    return `${this.module}.${this.name}`;
  }
}

class DType {
  byteOrder = '=';
  constructor(readonly descr: string) {}
}

class NdArray {
  shape: number[] = [];
  dtype: DType | undefined;
  fortran = false;
  raw: Uint8Array | undefined;
}

type Value = null | boolean | number | string | Uint8Array | Value[] | Global | DType | NdArray;

/** Names of opcodes we do not support, so errors say which one a file used. */
const OTHER_OPCODES: Record<number, string> = {
  0x51: 'BINPERSID (torch tensor storage: this file holds torch tensors, not a NumPy array)',
  0x95: 'FRAME (pickle protocol 4+)', 0x8c: 'SHORT_BINUNICODE (protocol 4+)', 0x94: 'MEMOIZE (protocol 4+)',
  0x93: 'STACK_GLOBAL (protocol 4+)', 0x5d: 'EMPTY_LIST', 0x7d: 'EMPTY_DICT', 0x61: 'APPEND', 0x65: 'APPENDS',
  0x73: 'SETITEM', 0x75: 'SETITEMS', 0x4c: 'LONG', 0x8a: 'LONG1', 0x47: 'BINFLOAT', 0x81: 'NEWOBJ',
  0x6f: 'OBJ', 0x69: 'INST', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x56: 'UNICODE', 0x53: 'STRING',
};

const NUMPY_RECONSTRUCT = new Set(['numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct']);

function unpickle(bytes: Uint8Array, file: string): Value {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder('latin1');
  const stack: Value[] = [];
  const marks: number[] = [];
  const memo = new Map<number, Value>();
  let pos = 0;
  let opAt = 0;

  const fail = (detail: string): never => {
    throw new InitStatesError(file, `data.pkl byte ${opAt}: ${detail}`);
  };
  const take = (n: number): Uint8Array => {
    if (pos + n > bytes.length) fail('pickle ends early (truncated file)');
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const u8 = () => take(1)[0]!;
  const u16 = () => (take(2), view.getUint16(pos - 2, true));
  const u32 = () => (take(4), view.getUint32(pos - 4, true));
  const i32 = () => (take(4), view.getInt32(pos - 4, true));
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('GLOBAL name without a newline');
    return latin1.decode(take(end - pos + 1)).slice(0, -1);
  };
  const pop = (): Value => (stack.length > 0 ? stack.pop()! : fail('pickle stack underflow'));
  const popMark = (): Value[] => {
    const mark = marks.pop() ?? fail('TUPLE without MARK');
    return stack.splice(mark);
  };

  for (;;) {
    opAt = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 3) fail('pickle protocol above 3');
        break;
      case 0x63: // GLOBAL
        stack.push(new Global(line(), line()));
        break;
      case 0x71: // BINPUT
        memo.set(u8(), stack.at(-1) ?? fail('BINPUT on an empty stack'));
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), stack.at(-1) ?? fail('LONG_BINPUT on an empty stack'));
        break;
      case 0x68: // BINGET
      case 0x6a: { // LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        stack.push(memo.has(key) ? memo.get(key)! : fail(`memo ${key} was never stored`));
        break;
      }
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x58: stack.push(new TextDecoder().decode(take(u32()))); break; // BINUNICODE
      case 0x55: stack.push(latin1.decode(take(u8()))); break; // SHORT_BINSTRING (Python 2 str)
      case 0x54: stack.push(latin1.decode(take(i32()))); break; // BINSTRING
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES (protocol 3)
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES (protocol 3)
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x85: case 0x86: case 0x87: { // TUPLE1..3
        const n = op - 0x84;
        if (stack.length < n) fail('pickle stack underflow');
        stack.push(stack.splice(stack.length - n));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        stack.push(call(pop(), args, fail));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        build(stack.at(-1) ?? fail('BUILD on an empty stack'), state, fail);
        break;
      }
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack`);
        return stack[0]!;
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}${OTHER_OPCODES[op] ? ` ${OTHER_OPCODES[op]}` : ''}`);
    }
  }
}

/** REDUCE: the three callables a pickled NumPy array uses. */
function call(callable: Value, args: Value, fail: (detail: string) => never): Value {
  if (!(callable instanceof Global)) return fail('REDUCE on something that is not a GLOBAL');
  if (!Array.isArray(args)) return fail(`REDUCE ${callable.path} without an argument tuple`);
  if (callable.path === '_codecs.encode') {
    // Protocol 2 stores bytes as a latin-1 decoded str plus encode(str, 'latin1').
    const [text, encoding] = args;
    if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) return fail(`_codecs.encode with unexpected arguments (encoding ${String(encoding)})`);
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0xff) return fail('_codecs.encode: character above U+00FF in latin-1 data');
      out[i] = code;
    }
    return out;
  }
  if (NUMPY_RECONSTRUCT.has(callable.path)) {
    const [cls] = args;
    if (!(cls instanceof Global) || cls.path !== 'numpy.ndarray') return fail(`${callable.path} of ${cls instanceof Global ? cls.path : 'something'} (only numpy.ndarray)`);
    return new NdArray();
  }
  if (callable.path === 'numpy.dtype') {
    const [descr] = args;
    if (typeof descr !== 'string') return fail('numpy.dtype without a type string');
    return new DType(descr);
  }
  return fail(`unsupported callable ${callable.path} (this reader knows only a pickled NumPy array)`);
}

/** BUILD: `__setstate__` of a dtype or an ndarray. */
function build(target: Value, state: Value, fail: (detail: string) => never): void {
  if (!Array.isArray(state)) return fail('BUILD without a state tuple');
  if (target instanceof DType) {
    // (version, byteorder, subarray, names, fields, elsize, alignment, flags)
    if (typeof state[1] !== 'string') return fail('dtype state without a byte order');
    target.byteOrder = state[1];
  } else if (target instanceof NdArray) {
    // (version, shape, dtype, is_fortran, raw data)
    const [, shape, dtype, fortran, raw] = state;
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number')) return fail('ndarray state without a shape');
    if (!(dtype instanceof DType)) return fail('ndarray state without a dtype');
    if (!(raw instanceof Uint8Array) && typeof raw !== 'string') return fail('ndarray state without raw data (an object array?)');
    target.shape = shape as number[];
    target.dtype = dtype;
    target.fortran = fortran === true;
    target.raw = typeof raw === 'string' ? Uint8Array.from(raw, (c) => c.charCodeAt(0)) : raw;
  } else fail('BUILD on something that is neither a dtype nor an ndarray');
}

/** The unpickled value as a row-major float64 matrix. */
function toStates(value: Value, file: string): InitStates {
  if (!(value instanceof NdArray) || !value.dtype || !value.raw) throw new InitStatesError(file, 'data.pkl does not hold a NumPy array');
  const { shape, dtype, raw } = value;
  if (dtype.descr.replace(/^[<>=|]/, '') !== 'f8') throw new InitStatesError(file, `array dtype '${dtype.descr}' is not float64 ('f8')`);
  if (shape.length !== 2) throw new InitStatesError(file, `array has shape (${shape.join(', ')}), expected 2 dimensions (states x values)`);
  const [rows, cols] = shape as [number, number];
  if (raw.length !== rows * cols * 8) throw new InitStatesError(file, `array (${rows}, ${cols}) needs ${rows * cols * 8} bytes of data, found ${raw.length}`);
  const order = dtype.descr.match(/^[<>]/)?.[0] ?? dtype.byteOrder;
  const little = order !== '>';
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const data = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // Fortran order stores columns contiguously.
      const source = value.fortran ? c * rows + r : r * cols + c;
      data[r * cols + c] = view.getFloat64(source * 8, little);
    }
  }
  return { rows, cols, data };
}
