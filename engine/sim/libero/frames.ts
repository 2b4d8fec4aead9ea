/**
 * The bridge's frames (docs/libero-bridge.md "Frames"): a length, a JSON header, and the arrays'
 * raw bytes, 8-byte aligned, referenced from the header as {"$blob": k}. Arrays never travel as
 * JSON. This file only encodes and decodes; what the messages mean is protocol.ts's.
 */

/** Larger frames are refused as garbage (a 256x256 image pair is 393 kB; a scene about 1 MB). */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

export type Dtype = 'f64' | 'f32' | 'i32' | 'u8';
export type TypedArray = Float64Array | Float32Array | Int32Array | Uint8Array;

/** An array decoded from a frame, with its shape. */
export interface Blob {
  dtype: Dtype;
  shape: number[];
  data: TypedArray;
}

interface BlobEntry {
  dtype: Dtype;
  shape: number[];
  offset: number;
  nbytes: number;
}

const WIDTH: Record<Dtype, number> = { f64: 8, f32: 4, i32: 4, u8: 1 };

/** A frame that cannot be read: the bridge names it and restarts the worker. */
export class BadFrameError extends Error {
  constructor(detail: string) {
    super(`bad frame from the LIBERO worker: ${detail}`);
    this.name = 'BadFrameError';
  }
}

const align8 = (n: number): number => (n + 7) & ~7;

/** An array to send: a typed array with its shape (default: flat). */
export function blob(data: TypedArray, shape: number[] = [data.length]): Blob {
  return { dtype: dtypeOf(data), shape, data };
}

function dtypeOf(data: TypedArray): Dtype {
  if (data instanceof Float64Array) return 'f64';
  if (data instanceof Float32Array) return 'f32';
  if (data instanceof Int32Array) return 'i32';
  return 'u8';
}

/** Encodes a message; any `Blob` value in it (at any depth) travels in the blob area. */
export function encodeFrame(message: Record<string, unknown>): Buffer {
  const entries: BlobEntry[] = [];
  const parts: TypedArray[] = [];
  let offset = 0;
  const extract = (value: unknown): unknown => {
    if (isBlob(value)) {
      entries.push({ dtype: value.dtype, shape: value.shape, offset, nbytes: value.data.byteLength });
      parts.push(value.data);
      offset = align8(offset + value.data.byteLength);
      return { $blob: entries.length - 1 };
    }
    if (Array.isArray(value)) return value.map(extract);
    if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, extract(v)]));
    return value;
  };
  const header = extract(message) as Record<string, unknown>;
  const headerBytes = Buffer.from(JSON.stringify(entries.length ? { ...header, blobs: entries } : header), 'utf8');
  const blobStart = align8(8 + headerBytes.length);
  const frame = Buffer.alloc(blobStart + offset);
  frame.writeUInt32LE(frame.length - 4, 0);
  frame.writeUInt32LE(headerBytes.length, 4);
  headerBytes.copy(frame, 8);
  parts.forEach((data, i) => frame.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), blobStart + entries[i]!.offset));
  return frame;
}

function isBlob(value: unknown): value is Blob {
  return typeof value === 'object' && value !== null && 'dtype' in value && 'data' in value && ArrayBuffer.isView((value as Blob).data);
}

/**
 * Reassembles frames from a byte stream (a pipe delivers them in arbitrary pieces). `push` returns
 * the messages completed by this piece, with every {"$blob": k} replaced by its decoded `Blob`.
 */
export class FrameReader {
  private buffered: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): Record<string, unknown>[] {
    this.buffered.push(chunk);
    this.size += chunk.length;
    const messages: Record<string, unknown>[] = [];
    for (;;) {
      if (this.size < 4) break;
      const head = this.peek(4);
      const n = head.readUInt32LE(0);
      if (n > MAX_FRAME_BYTES) throw new BadFrameError(`a frame of ${n} bytes, more than the ${MAX_FRAME_BYTES} allowed (is something else writing to the worker's stdout?)`);
      if (this.size < 4 + n) break;
      const frame = this.take(4 + n);
      messages.push(decodeFrame(frame));
    }
    return messages;
  }

  /** Bytes received that are not yet a whole frame. */
  get pending(): number {
    return this.size;
  }

  private peek(n: number): Buffer {
    if (this.buffered[0]!.length < n) this.buffered = [Buffer.concat(this.buffered)];
    return this.buffered[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    const frame = all.subarray(0, n);
    const rest = all.subarray(n);
    this.buffered = rest.length ? [rest] : [];
    this.size = rest.length;
    return frame;
  }
}

/** Decodes one whole frame (its 4-byte length included). */
export function decodeFrame(frame: Buffer): Record<string, unknown> {
  if (frame.length < 8) throw new BadFrameError(`a frame of ${frame.length} bytes has no header length`);
  const h = frame.readUInt32LE(4);
  if (8 + h > frame.length) throw new BadFrameError(`header of ${h} bytes in a frame of ${frame.length}`);
  let header: unknown;
  try {
    header = JSON.parse(frame.subarray(8, 8 + h).toString('utf8'));
  } catch (error) {
    throw new BadFrameError(`the header is not JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new BadFrameError('the header is not a JSON object');
  const blobStart = align8(8 + h);
  const entries = (header as { blobs?: unknown }).blobs ?? [];
  if (!Array.isArray(entries)) throw new BadFrameError('"blobs" is not a list');
  const blobs = entries.map((e, k) => readBlob(frame, blobStart, e, k));
  const { blobs: _omit, ...rest } = header as Record<string, unknown>;
  return resolveBlobs(rest, blobs) as Record<string, unknown>;
}

function readBlob(frame: Buffer, blobStart: number, entry: unknown, k: number): Blob {
  const e = entry as Partial<BlobEntry>;
  const width = WIDTH[e?.dtype as Dtype];
  if (!width) throw new BadFrameError(`blobs[${k}] has dtype ${JSON.stringify(e?.dtype)}; expected f64, f32, i32 or u8`);
  if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new BadFrameError(`blobs[${k}] has shape ${JSON.stringify(e.shape)}`);
  const count = e.shape.reduce((a, b) => a * b, 1);
  if (e.nbytes !== count * width) throw new BadFrameError(`blobs[${k}] says ${e.nbytes} bytes; shape [${e.shape.join(', ')}] of ${e.dtype} needs ${count * width}`);
  if (!Number.isInteger(e.offset) || e.offset! < 0 || e.offset! % 8 !== 0 || blobStart + e.offset! + e.nbytes > frame.length) {
    throw new BadFrameError(`blobs[${k}] at offset ${e.offset} (${e.nbytes} bytes) is outside the frame's ${frame.length - blobStart}-byte blob area or not 8-byte aligned`);
  }
  // Copied into its own buffer: aligned for the typed array, and the frame can be released.
  const bytes = new Uint8Array(e.nbytes);
  frame.copy(bytes, 0, blobStart + e.offset!, blobStart + e.offset! + e.nbytes);
  const data = e.dtype === 'f64' ? new Float64Array(bytes.buffer) : e.dtype === 'f32' ? new Float32Array(bytes.buffer) : e.dtype === 'i32' ? new Int32Array(bytes.buffer) : bytes;
  return { dtype: e.dtype as Dtype, shape: e.shape, data };
}

function resolveBlobs(value: unknown, blobs: Blob[]): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveBlobs(v, blobs));
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === '$blob') {
    const k = (value as { $blob: unknown }).$blob;
    const found = typeof k === 'number' ? blobs[k] : undefined;
    if (!found) throw new BadFrameError(`{"$blob": ${JSON.stringify(k)}} refers to no blob (the frame has ${blobs.length})`);
    return found;
  }
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, resolveBlobs(v, blobs)]));
}
