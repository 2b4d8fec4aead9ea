/**
 * A minimal protobuf writer: just the wire types that ONNX's ModelProto uses. Nested messages are
 * written into their own writer first, so their length prefix is known; the models we generate are
 * small enough that the copy does not matter.
 */

const WireType = { Varint: 0, Fixed64: 1, LengthDelimited: 2, Fixed32: 5 } as const;
type WireType = (typeof WireType)[keyof typeof WireType];

const UTF8 = new TextEncoder();
const UINT64_MAX = (1n << 64n) - 1n;

export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  /** Bytes written so far (a copy, so the writer may keep going). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  /**
   * An int64/uint64/int32/enum/bool field. Negative values take ten bytes, the two's complement
   * that protobuf specifies for int64 (and for negative int32, which is sign-extended).
   */
  varint(field: number, value: number | bigint): this {
    this.tag(field, WireType.Varint);
    this.rawVarint(value);
    return this;
  }

  /** A `float` field (fixed32, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WireType.Fixed32);
    this.reserve(4);
    new DataView(this.buf.buffer).setFloat32(this.len, value, true);
    this.len += 4;
    return this;
  }

  /** A `double` field (fixed64, little-endian). */
  double(field: number, value: number): this {
    this.tag(field, WireType.Fixed64);
    this.reserve(8);
    new DataView(this.buf.buffer).setFloat64(this.len, value, true);
    this.len += 8;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, UTF8.encode(value));
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WireType.LengthDelimited);
    this.rawVarint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.len);
    this.len += value.length;
    return this;
  }

  /** An embedded message, written by `write` into a fresh writer. */
  message(field: number, write: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.bytes(field, inner.finish());
  }

  /** `repeated float` in packed form: one length-delimited run of fixed32 values. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
    return this.bytes(field, bytes);
  }

  /** `repeated int64` (or int32) in packed form: one length-delimited run of varints. */
  packedVarints(field: number, values: ArrayLike<number | bigint>): this {
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) inner.rawVarint(values[i]!);
    return this.bytes(field, inner.finish());
  }

  private tag(field: number, wire: WireType): void {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) throw new Error(`invalid protobuf field number ${field}`);
    this.rawVarint(field * 8 + wire);
  }

  private rawVarint(value: number | bigint): void {
    this.reserve(10);
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new Error(`varint needs a safe integer, got ${value}`);
      // Fast path: division keeps numbers above 2^31 exact, where bit operators would truncate.
      if (value >= 0) {
        while (value >= 0x80) {
          this.buf[this.len++] = (value % 0x80) | 0x80;
          value = Math.floor(value / 0x80);
        }
        this.buf[this.len++] = value;
        return;
      }
      value = BigInt(value);
    }
    if (value < -(1n << 63n) || value > UINT64_MAX) throw new Error(`varint out of 64-bit range: ${value}`);
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
  }

  private reserve(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}
