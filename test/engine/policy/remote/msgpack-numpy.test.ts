import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isNdArray, ndarray, packMessage, unpackMessage, WireFormatError, type NdArray, type Outgoing, type WireMap } from '../../../../engine/policy/remote/msgpack-numpy.js';
import { NO_PROJECT_PYTHON, projectPython } from '../../project-python.js';

// openpi's msgpack_numpy in TypeScript against Python's msgpack + numpy (the stand-in server's
// codec, test/engine/policy/remote/openpi_standin.py), both ways, byte for byte.
const python = projectPython();
if (!python) console.log(NO_PROJECT_PYTHON);
const here = fileURLToPath(new URL('.', import.meta.url));

function py(what: string, input?: Buffer): Buffer {
  const r = spawnSync(python!, ['wire_roundtrip.py', what], { cwd: here, input, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`wire_roundtrip.py ${what}: ${r.stderr.toString()}`);
  return r.stdout;
}

/** The observation the Python side makes, built here the same way. */
function observation(): Outgoing {
  return {
    'observation/image': ndarray(Uint8Array.from({ length: 60 }, (_, i) => i), [4, 5, 3]),
    'observation/state': ndarray(Float32Array.from({ length: 8 }, (_, i) => -1 + (2 * i) / 7), [8]),
    'observation/object_poses': ndarray(Float32Array.from({ length: 14 }, (_, i) => i / 8), [2, 7]),
    f8: ndarray(new Float64Array([0.1, -2.5, 1e300, -0]), [2, 2]),
    i8: ndarray(new BigInt64Array([-(2n ** 40n), 0n, 2n ** 40n]), [3]),
    i4: ndarray(Int32Array.from([-3, -2, -1, 0, 1, 2]), [2, 3]),
    u2: ndarray(new Uint16Array([0, 65535]), [2]),
    b1: ndarray(new Uint8Array([1, 0, 1]), [3], '|b1'),
    empty: ndarray(new Float32Array(0), [0, 7]),
    'task/objects': ['akita_black_bowl_1', 'plate_1'],
    'task/id': 3,
    prompt: 'pick up the black bowl between the plate and the ramekin and place it on the plate',
    nested: { list: [1, -1, 300, 70000, -200, 0.5], none: null, yes: true },
  };
}

describe.skipIf(!python)("openpi's msgpack_numpy against Python's msgpack and numpy", () => {
  it('TypeScript -> Python: Python reads every array and packs the message back to the same bytes', () => {
    const bytes = packMessage(observation());
    const { decoded, repacked } = JSON.parse(py('repack', bytes).toString()) as { decoded: Record<string, { dtype: string; shape: number[]; values: number[] }>; repacked: string };
    expect(Buffer.from(repacked, 'base64').equals(bytes)).toBe(true);
    expect(decoded['observation/image']).toMatchObject({ dtype: '|u1', shape: [4, 5, 3] });
    expect(decoded['observation/image']!.values[59]).toBe(59);
    expect(decoded.i8).toEqual({ dtype: '<i8', shape: [3], values: [-(2 ** 40), 0, 2 ** 40] });
    expect(decoded.b1).toEqual({ dtype: '|b1', shape: [3], values: [1, 0, 1] });
    expect(decoded.empty).toEqual({ dtype: '<f4', shape: [0, 7], values: [] });
    expect(decoded['task/id']).toBe(3);
  });

  it('Python -> TypeScript: arrays decode with their dtype, shape and values, and pack back to the same bytes', () => {
    const bytes = py('make');
    const message = unpackMessage(bytes) as WireMap;
    const image = message['observation/image'] as NdArray;
    expect(isNdArray(image)).toBe(true);
    expect(image.dtype).toBe('|u1');
    expect(image.shape).toEqual([4, 5, 3]);
    expect(image.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(image.data as Uint8Array)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    const state = message['observation/state'] as NdArray;
    expect(state.data).toBeInstanceOf(Float32Array);
    expect(Array.from(state.data as Float32Array)).toEqual(Array.from(Float32Array.from({ length: 8 }, (_, i) => -1 + (2 * i) / 7)));
    expect(Array.from((message.f8 as NdArray).data as Float64Array)).toEqual([0.1, -2.5, 1e300, -0]);
    expect((message.i8 as NdArray).data).toEqual(new BigInt64Array([-(2n ** 40n), 0n, 2n ** 40n]));
    expect((message.b1 as NdArray).dtype).toBe('|b1');
    expect(message['task/objects']).toEqual(['akita_black_bowl_1', 'plate_1']);
    expect(message.prompt).toMatch(/^pick up/);
    expect(packMessage(message as Outgoing).equals(bytes)).toBe(true);
  });

  it('decodes numpy scalars (__npgeneric__) to numbers', () => {
    expect({ ...(unpackMessage(py('scalars')) as WireMap) }).toEqual({ f4: 1.5, i8: -7, b: true, f8: 0.25 });
  });
});

describe('wire format errors', () => {
  const array = (dtype: string, shape: unknown, data: Buffer) => new Map<Buffer, unknown>([[Buffer.from('__ndarray__'), true], [Buffer.from('data'), data], [Buffer.from('dtype'), dtype], [Buffer.from('shape'), shape]]);
  const decode = async (value: unknown) => {
    const { Packr } = await import('msgpackr');
    return unpackMessage(new Packr({ useRecords: false, mapsAsObjects: false, variableMapSize: true }).pack(new Map([['actions', value]])));
  };

  it('refuses a big-endian array, naming the dtype and the fix', async () => {
    await expect(decode(array('>f4', [1], Buffer.alloc(4)))).rejects.toThrow(/dtype ">f4" is not supported \(big endian/);
  });
  it('refuses an unknown dtype, listing the supported ones', async () => {
    await expect(decode(array('<c8', [1], Buffer.alloc(8)))).rejects.toThrow(WireFormatError);
    await expect(decode(array('<c8', [1], Buffer.alloc(8)))).rejects.toThrow(/"<c8" is not supported; supported: <f4 <f8/);
  });
  it('refuses data whose length disagrees with the shape', async () => {
    await expect(decode(array('<f4', [2, 7], Buffer.alloc(12)))).rejects.toThrow(/shape \[2, 7\] and dtype <f4 needs 56 bytes, got 12/);
  });
  it('refuses bytes that are not msgpack', () => {
    expect(() => unpackMessage(Buffer.from([0xc1]))).toThrow(/not a msgpack message/);
    expect(() => unpackMessage(Buffer.from([0x92, 0x01]))).toThrow(/not a msgpack message: Unexpected end/);
  });
  it('refuses to build an array whose data does not fill its shape', () => {
    expect(() => ndarray(new Float32Array(3), [2, 2])).toThrow(/needs 4 elements, got 3/);
  });
});
