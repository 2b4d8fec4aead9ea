// Byte-level checks of the protobuf writer against the encodings in the protobuf docs.
import { describe, expect, it } from 'vitest';
import { ProtoWriter } from '../../../engine/onnx/protobuf.js';

const hex = (w: ProtoWriter) => Buffer.from(w.finish()).toString('hex');

describe('ProtoWriter', () => {
  it('writes varints, including values past 2^31 and negative int64s', () => {
    expect(hex(new ProtoWriter().varint(1, 150))).toBe('089601');
    expect(hex(new ProtoWriter().varint(1, 0))).toBe('0800');
    expect(hex(new ProtoWriter().varint(1, 2 ** 35))).toBe('08808080808001');
    expect(hex(new ProtoWriter().varint(1, 2n ** 35n))).toBe('08808080808001');
    // int64 -1: ten bytes of two's complement
    expect(hex(new ProtoWriter().varint(3, -1))).toBe('18ffffffffffffffffff01');
    expect(hex(new ProtoWriter().varint(3, -1n))).toBe('18ffffffffffffffffff01');
    expect(() => new ProtoWriter().varint(1, 0.5)).toThrow(/safe integer/);
    expect(() => new ProtoWriter().varint(1, 2n ** 64n)).toThrow(/64-bit range/);
  });

  it('writes tags for large field numbers', () => {
    expect(hex(new ProtoWriter().varint(20, 7))).toBe('a00107');
    expect(() => new ProtoWriter().varint(0, 1)).toThrow(/field number/);
  });

  it('writes strings, bytes and nested messages length-delimited', () => {
    expect(hex(new ProtoWriter().string(2, 'testing'))).toBe('120774657374696e67');
    expect(hex(new ProtoWriter().message(3, (m) => m.varint(1, 150)))).toBe('1a03089601');
    expect(hex(new ProtoWriter().message(3, () => {}))).toBe('1a00');
  });

  it('writes fixed32 floats and fixed64 doubles little-endian', () => {
    expect(hex(new ProtoWriter().float(2, 1))).toBe('150000803f');
    expect(hex(new ProtoWriter().double(1, 1))).toBe('09000000000000f03f');
  });

  it('writes packed repeated fields', () => {
    expect(hex(new ProtoWriter().packedVarints(4, [3, 270, 86942]))).toBe('2206038e029ea705');
    expect(hex(new ProtoWriter().packedFloats(4, [1, -2]))).toBe('22080000803f000000c0');
  });

  it('grows past its initial buffer', () => {
    const big = new Uint8Array(1000).fill(7);
    const bytes = new ProtoWriter().varint(1, 1).bytes(2, big).finish();
    expect(bytes.length).toBe(2 + 3 + 1000);
    expect(Buffer.from(bytes.subarray(2, 5)).toString('hex')).toBe('12e807');
    expect(bytes.subarray(5).every((b) => b === 7)).toBe(true);
  });
});
