/**
 * `foxglove.CompressedImage` in protobuf, as Foxglove and Rerun read it from MCAP (schema encoding
 * `protobuf`: the schema is a binary FileDescriptorSet; message encoding `protobuf`). The two
 * messages involved are small and fixed, so they are written and read here with the protobuf wire
 * format directly rather than with a protobuf library (docs/architecture.md "Camera images").
 *
 *   message CompressedImage {            // package foxglove
 *     google.protobuf.Timestamp timestamp = 1;
 *     string frame_id = 4;
 *     bytes data = 2;
 *     string format = 3;                 // "jpeg"
 *   }
 *   message Timestamp { int64 seconds = 1; int32 nanos = 2; }   // package google.protobuf
 */

export const COMPRESSED_IMAGE_SCHEMA = 'foxglove.CompressedImage';

export interface CompressedImage {
  /** Nanoseconds since the episode's row 0 (simulated time). */
  timestampNs: bigint;
  frameId: string;
  format: string;
  data: Uint8Array;
}

// ---- writing ----

const VARINT = 0;
const LEN = 2;

class ProtoWriter {
  private parts: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  private varint(value: bigint): void {
    const out: number[] = [];
    let v = BigInt.asUintN(64, value);
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    this.push(Uint8Array.from(out));
  }

  uint(field: number, value: number | bigint): this {
    this.varint(BigInt((field << 3) | VARINT));
    this.varint(BigInt(value));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.varint(BigInt((field << 3) | LEN));
    this.varint(BigInt(value.length));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, inner: ProtoWriter): this {
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

export function encodeCompressedImage(image: CompressedImage): Uint8Array {
  const seconds = image.timestampNs / 1_000_000_000n;
  const nanos = image.timestampNs % 1_000_000_000n;
  const w = new ProtoWriter().message(1, new ProtoWriter().uint(1, seconds).uint(2, nanos));
  return w.bytes(2, image.data).string(3, image.format).string(4, image.frameId).finish();
}

// descriptor.proto's numbers: FieldDescriptorProto.Type and .Label.
const TYPE_INT64 = 3;
const TYPE_INT32 = 5;
const TYPE_STRING = 9;
const TYPE_MESSAGE = 11;
const TYPE_BYTES = 12;
const LABEL_OPTIONAL = 1;

function field(name: string, number: number, type: number, typeName?: string): ProtoWriter {
  // FieldDescriptorProto: name 1, number 3, label 4, type 5, type_name 6, json_name 10.
  const jsonName = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const w = new ProtoWriter().string(1, name).uint(3, number).uint(4, LABEL_OPTIONAL).uint(5, type);
  if (typeName) w.string(6, typeName);
  return w.string(10, jsonName);
}

function file(name: string, pkg: string, dependencies: string[], message: string, fields: ProtoWriter[]): ProtoWriter {
  // FileDescriptorProto: name 1, package 2, dependency 3, message_type 4, syntax 12.
  const descriptor = new ProtoWriter().string(1, message);
  for (const f of fields) descriptor.message(2, f); // DescriptorProto: name 1, field 2
  const w = new ProtoWriter().string(1, name).string(2, pkg);
  for (const d of dependencies) w.string(3, d);
  return w.message(4, descriptor).string(12, 'proto3');
}

/** The schema record's data: a FileDescriptorSet of CompressedImage.proto and its import, timestamp.proto. */
export function compressedImageDescriptorSet(): Uint8Array {
  const timestamp = file('google/protobuf/timestamp.proto', 'google.protobuf', [], 'Timestamp', [field('seconds', 1, TYPE_INT64), field('nanos', 2, TYPE_INT32)]);
  const image = file('foxglove/CompressedImage.proto', 'foxglove', ['google/protobuf/timestamp.proto'], 'CompressedImage', [
    field('timestamp', 1, TYPE_MESSAGE, '.google.protobuf.Timestamp'),
    field('frame_id', 4, TYPE_STRING),
    field('data', 2, TYPE_BYTES),
    field('format', 3, TYPE_STRING),
  ]);
  return new ProtoWriter().message(1, timestamp).message(1, image).finish(); // FileDescriptorSet: file 1
}

// ---- reading ----

/** The fields of one protobuf message: varints as bigint, length-delimited as bytes (last one wins). */
function readFields(bytes: Uint8Array): Map<number, bigint | Uint8Array> {
  const fields = new Map<number, bigint | Uint8Array>();
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (at >= bytes.length) throw new Error('a varint runs past the end of the message');
      const b = bytes[at++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new Error('a varint longer than 10 bytes');
  };
  while (at < bytes.length) {
    const key = varint();
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === VARINT) fields.set(number, varint());
    else if (wire === LEN) {
      const length = Number(varint());
      if (at + length > bytes.length) throw new Error(`field ${number} claims ${length} bytes, ${bytes.length - at} are left`);
      fields.set(number, bytes.subarray(at, at + length));
      at += length;
    } else throw new Error(`field ${number} has wire type ${wire}, which CompressedImage does not use`);
  }
  return fields;
}

/** Decodes a CompressedImage message; throws naming what is malformed. */
export function decodeCompressedImage(bytes: Uint8Array): CompressedImage {
  const f = readFields(bytes);
  const bytesOf = (n: number, name: string): Uint8Array => {
    const v = f.get(n) ?? new Uint8Array(0);
    if (!(v instanceof Uint8Array)) throw new Error(`${name} is not length-delimited`);
    return v;
  };
  const ts = readFields(bytesOf(1, 'timestamp'));
  const seconds = ts.get(1) ?? 0n;
  const nanos = ts.get(2) ?? 0n;
  if (typeof seconds !== 'bigint' || typeof nanos !== 'bigint') throw new Error('timestamp fields are not varints');
  const text = new TextDecoder('utf-8', { fatal: true });
  return {
    timestampNs: BigInt.asIntN(64, seconds) * 1_000_000_000n + BigInt.asIntN(32, nanos),
    data: bytesOf(2, 'data'),
    format: text.decode(bytesOf(3, 'format')),
    frameId: text.decode(bytesOf(4, 'frame_id')),
  };
}
