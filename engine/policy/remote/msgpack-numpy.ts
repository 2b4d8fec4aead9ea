import os from 'node:os';
import { C1, Packr, Unpackr } from 'msgpackr';

/**
 * openpi's msgpack_numpy (packages/openpi-client) in TypeScript: msgpack where a numpy array is a map
 * with BYTE-STRING keys {b"__ndarray__": True, b"data": raw bytes in C order, b"dtype": the numpy
 * dtype string, b"shape": [...]} and a numpy scalar is {b"__npgeneric__": True, b"data", b"dtype"}.
 * The server tests `b"__ndarray__" in obj`, so the keys must be msgpack bin, not str: msgpackr
 * writes a Map's Buffer keys as bin, byte for byte what Python's msgpack writes for the same dict
 * (test/engine/policy/remote/msgpack-numpy.test.ts checks both ways against Python).
 */

/** An n-dimensional array as the wire carries it: C order, little endian. */
export interface NdArray {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: TypedArray;
}

export type TypedArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

/** A decoded message: maps become null-prototype objects with string keys, arrays NdArray, numpy scalars numbers. */
export type WireValue = null | boolean | number | bigint | string | Uint8Array | NdArray | WireValue[] | WireMap;
export interface WireMap {
  [key: string]: WireValue;
}

/** A message that is not openpi's msgpack_numpy, or an array this client cannot read (big endian, an unknown dtype). */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireFormatError';
  }
}

type Ctor = { new (buffer: ArrayBuffer, offset?: number, length?: number): TypedArray; BYTES_PER_ELEMENT: number };

/** The dtypes read and written; `|b1` (bool) is one byte per element, 0 or 1. */
const DTYPES: Record<string, Ctor> = {
  '<f4': Float32Array,
  '<f8': Float64Array,
  '|i1': Int8Array,
  '<i2': Int16Array,
  '<i4': Int32Array,
  '<i8': BigInt64Array,
  '|u1': Uint8Array,
  '<u2': Uint16Array,
  '<u4': Uint32Array,
  '<u8': BigUint64Array,
  '|b1': Uint8Array,
};

/** The dtype string numpy gives an array of each typed array (Uint8Array: `|u1`; booleans must say `|b1` themselves). */
function dtypeOf(data: TypedArray): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof BigInt64Array) return '<i8';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Uint32Array) return '<u4';
  if (data instanceof BigUint64Array) return '<u8';
  return '|u1';
}

/** An array for the wire: `data` in C order for `shape`, dtype from its type unless given (`|b1`). */
export function ndarray(data: TypedArray, shape: readonly number[], dtype = dtypeOf(data)): NdArray {
  const size = shape.reduce((n, d) => n * d, 1);
  if (size !== data.length) throw new WireFormatError(`an array of shape [${shape.join(', ')}] needs ${size} elements, got ${data.length}`);
  if (DTYPES[dtype] !== (data.constructor as Ctor)) throw new WireFormatError(`dtype ${dtype} does not match a ${data.constructor.name}`);
  return { dtype, shape: [...shape], data };
}

export function isNdArray(value: unknown): value is NdArray {
  return typeof value === 'object' && value !== null && ArrayBuffer.isView((value as NdArray).data) && Array.isArray((value as NdArray).shape) && typeof (value as NdArray).dtype === 'string';
}

if (os.endianness() !== 'LE') throw new Error('the openpi wire format is little endian; this machine is big endian');

const KEY = {
  ndarray: Buffer.from('__ndarray__'),
  npgeneric: Buffer.from('__npgeneric__'),
  data: Buffer.from('data'),
  dtype: Buffer.from('dtype'),
  shape: Buffer.from('shape'),
};

const packr = new Packr({ useRecords: false, mapsAsObjects: false, variableMapSize: true });
// int64AsType 'auto' (numbers within 2^53, bigints beyond) is in msgpackr but not in its typings.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: 'auto' as 'number' });

/**
 * Outgoing values: plain objects become maps with string keys (in insertion order, as a Python dict
 * keeps them). A JS number carries no int/float distinction: integers in [-2^31, 2^32) go as msgpack
 * ints, as Python packs them, and every other number as float64 (so 1.0 arrives in Python as 1, and
 * 2^33 as a float); arrays carry the numbers that matter, with their dtype.
 */
export type Outgoing = null | boolean | number | string | Uint8Array | NdArray | readonly Outgoing[] | { readonly [key: string]: Outgoing };

/** msgpack of `value`, arrays as openpi's __ndarray__ maps. */
export function packMessage(value: Outgoing): Buffer {
  return packr.pack(toWire(value));
}

function toWire(value: Outgoing): unknown {
  if (isNdArray(value)) {
    const { data } = value;
    return new Map<Buffer, unknown>([
      [KEY.ndarray, true],
      [KEY.data, Buffer.from(data.buffer, data.byteOffset, data.byteLength)],
      [KEY.dtype, value.dtype],
      [KEY.shape, [...value.shape]],
    ]);
  }
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') return new Map(Object.entries(value).map(([k, v]) => [k, toWire(v as Outgoing)]));
  return value;
}

/** A message decoded: __ndarray__ maps as NdArray (copied, aligned), __npgeneric__ as numbers, other maps as objects. */
export function unpackMessage(bytes: Uint8Array): WireValue {
  let raw: unknown;
  try {
    raw = unpackr.unpack(bytes);
  } catch (error) {
    throw new WireFormatError(`not a msgpack message: ${(error as Error).message}`);
  }
  return fromWire(raw);
}

function fromWire(value: unknown): WireValue {
  if (value instanceof Map) {
    if (hasBytesKey(value, KEY.ndarray)) return readNdArray(value);
    if (hasBytesKey(value, KEY.npgeneric)) return readScalar(value);
    const out: WireMap = Object.create(null) as WireMap;
    for (const [k, v] of value) {
      const key = Buffer.isBuffer(k) || k instanceof Uint8Array ? Buffer.from(k).toString('utf8') : String(k);
      if (key in out) throw new WireFormatError(`a map has the key "${key}" twice (as bytes and as a string)`);
      out[key] = fromWire(v);
    }
    return out;
  }
  if (Array.isArray(value)) return value.map(fromWire);
  if (value instanceof Uint8Array) return value;
  if (value === C1) throw new WireFormatError('not a msgpack message: it holds the never-used byte 0xc1');
  if (value === undefined) return null;
  return value as WireValue;
}

function hasBytesKey(map: Map<unknown, unknown>, key: Buffer): boolean {
  for (const k of map.keys()) if (k instanceof Uint8Array && key.equals(k)) return true;
  return false;
}

function bytesKey(map: Map<unknown, unknown>, key: Buffer): unknown {
  for (const [k, v] of map) if (k instanceof Uint8Array && key.equals(k)) return v;
  return undefined;
}

function readDtype(map: Map<unknown, unknown>, what: string): { dtype: string; ctor: Ctor } {
  const dtype = bytesKey(map, KEY.dtype);
  if (typeof dtype !== 'string') throw new WireFormatError(`${what} without a dtype string`);
  const ctor = DTYPES[dtype];
  if (!ctor) {
    const hint = dtype.startsWith('>') ? ' (big endian: send little-endian arrays, e.g. numpy .astype("<f4"))' : '';
    throw new WireFormatError(`${what} of dtype "${dtype}" is not supported${hint}; supported: ${Object.keys(DTYPES).join(' ')}`);
  }
  return { dtype, ctor };
}

function readNdArray(map: Map<unknown, unknown>): NdArray {
  const { dtype, ctor } = readDtype(map, 'an __ndarray__');
  const shape = bytesKey(map, KEY.shape);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) throw new WireFormatError(`an __ndarray__ of dtype ${dtype} has no valid shape (${JSON.stringify(shape)})`);
  const bytes = bytesKey(map, KEY.data);
  if (!(bytes instanceof Uint8Array)) throw new WireFormatError(`an __ndarray__ of shape [${shape.join(', ')}] has no byte data`);
  const size = (shape as number[]).reduce((n, d) => n * d, 1);
  if (bytes.byteLength !== size * ctor.BYTES_PER_ELEMENT) {
    throw new WireFormatError(`an __ndarray__ of shape [${shape.join(', ')}] and dtype ${dtype} needs ${size * ctor.BYTES_PER_ELEMENT} bytes, got ${bytes.byteLength}`);
  }
  // A copy: the message's bytes are not aligned for the typed array, and the array outlives them.
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return { dtype, shape: shape as number[], data: new ctor(copy) };
}

function readScalar(map: Map<unknown, unknown>): number | bigint | boolean {
  const { dtype } = readDtype(map, 'an __npgeneric__');
  const data = bytesKey(map, KEY.data);
  // openpi packs `obj.item()`: the Python number itself.
  if (typeof data === 'number' || typeof data === 'bigint' || typeof data === 'boolean') return data;
  throw new WireFormatError(`an __npgeneric__ of dtype ${dtype} has no number in its data`);
}
