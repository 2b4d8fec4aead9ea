import { describe, expect, it } from 'vitest';
import { BadFrameError, blob, decodeFrame, encodeFrame, FrameReader, MAX_FRAME_BYTES } from '../../../../engine/sim/libero/frames.js';

describe('the bridge frames (docs/libero-bridge.md)', () => {
  it('round-trips a header with arrays of every dtype, each 8-byte aligned, none as JSON', () => {
    const image = new Uint8Array(5 * 3 * 3).map((_, i) => i);
    const frame = encodeFrame({ op: 'x', id: 3, nested: { action: blob(Float64Array.from([0.5, -1, 2])) }, list: [blob(Int32Array.from([1, 2, 3]), [1, 3]), blob(image, [5, 3, 3])], f: blob(Float32Array.from([1.5])) });
    expect(frame.readUInt32LE(0)).toBe(frame.length - 4);
    const header = JSON.parse(frame.subarray(8, 8 + frame.readUInt32LE(4)).toString());
    expect(header.nested.action).toEqual({ $blob: 0 });
    for (const b of header.blobs) expect(b.offset % 8).toBe(0);
    const m = decodeFrame(frame) as any;
    expect(m.op).toBe('x');
    expect(m.blobs).toBeUndefined();
    expect(Array.from(m.nested.action.data)).toEqual([0.5, -1, 2]);
    expect(m.list[0]).toMatchObject({ dtype: 'i32', shape: [1, 3] });
    expect(Array.from(m.list[1].data)).toEqual(Array.from(image));
    expect(m.f.data[0]).toBe(1.5);
  });

  it('reassembles frames split at any byte and several frames in one piece', () => {
    const frames = [encodeFrame({ a: 1, v: blob(Float64Array.from([1, 2])) }), encodeFrame({ b: 2 }), encodeFrame({ c: blob(new Uint8Array(13)) })];
    const bytes = Buffer.concat(frames);
    for (const size of [1, 3, 7, 64, bytes.length]) {
      const reader = new FrameReader();
      const got: Record<string, unknown>[] = [];
      for (let i = 0; i < bytes.length; i += size) got.push(...reader.push(bytes.subarray(i, i + size)));
      expect(got.map((m) => Object.keys(m)[0])).toEqual(['a', 'b', 'c']);
      expect(reader.pending).toBe(0);
    }
  });

  it('names what is wrong with a bad frame', () => {
    const tooLong = Buffer.alloc(8);
    tooLong.writeUInt32LE(MAX_FRAME_BYTES + 1, 0);
    expect(() => new FrameReader().push(tooLong)).toThrow(/more than the .* allowed/);
    expect(() => new FrameReader().push(Buffer.from('Traceback (most recent call last)'))).toThrow(BadFrameError);

    const frame = (header: string, extra = 0): Buffer => {
      const h = Buffer.from(header);
      const f = Buffer.alloc(((8 + h.length + 7) & ~7) + extra);
      f.writeUInt32LE(f.length - 4, 0);
      f.writeUInt32LE(h.length, 4);
      h.copy(f, 8);
      return f;
    };
    expect(() => decodeFrame(frame('not json'))).toThrow(/header is not JSON/);
    expect(() => decodeFrame(frame('[1,2]'))).toThrow(/not a JSON object/);
    expect(() => decodeFrame(frame('{"x":{"$blob":0},"blobs":[{"dtype":"f64","shape":[2],"offset":0,"nbytes":16}]}', 8))).toThrow(/outside the frame/);
    expect(() => decodeFrame(frame('{"x":{"$blob":0},"blobs":[{"dtype":"f64","shape":[3],"offset":0,"nbytes":16}]}', 16))).toThrow(/needs 24/);
    expect(() => decodeFrame(frame('{"x":{"$blob":0},"blobs":[{"dtype":"c128","shape":[1],"offset":0,"nbytes":16}]}', 16))).toThrow(/dtype "c128"/);
    expect(() => decodeFrame(frame('{"x":{"$blob":4}}'))).toThrow(/refers to no blob/);
  });
});
