import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { initStateRow, parseInitStates, readInitStates, splitInitState } from '../../../engine/libero/init-states.js';
import { taskNames } from '../../../engine/libero/suites.js';

const LIBERO = path.resolve('../shared/libero');
const skip = !existsSync(LIBERO);
if (skip) console.log(`LIBERO's init files are absent (${LIBERO}): skipping the tests that read them`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rsd-init-states-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SPATIAL = { nq: 48, nv: 43 };
const spatialFile = (id: number) => path.join(LIBERO, 'init_files', 'libero_spatial', `${taskNames('libero_spatial')[id]}.pruned_init`);

// ---------------------------------------------------------------------------------------------
// What numpy + torch.save write, built here so the reader's paths are tested without LIBERO.

function numpyPickle(rows: number, cols: number, values: number[], options: { fortran?: boolean; bigEndian?: boolean; descr?: string } = {}): Uint8Array {
  const out: number[] = [];
  const ascii = (s: string) => out.push(...Buffer.from(s, 'latin1'));
  const global = (module: string, name: string) => (out.push(0x63), ascii(`${module}\n${name}\n`));
  const unicode = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    out.push(0x58, ...u32(b.length), ...b);
  };
  const put = (i: number) => out.push(0x71, i);
  const raw = Buffer.alloc(rows * cols * 8);
  values.forEach((v, i) => (options.bigEndian ? raw.writeDoubleBE(v, i * 8) : raw.writeDoubleLE(v, i * 8)));

  out.push(0x80, 2);
  global('numpy.core.multiarray', '_reconstruct'), put(0);
  global('numpy', 'ndarray'), put(1);
  out.push(0x4b, 0, 0x85), put(2);
  global('_codecs', 'encode'), put(3);
  unicode('b'), put(4), unicode('latin1'), put(5);
  out.push(0x86), put(6), out.push(0x52), put(7), out.push(0x87), put(8), out.push(0x52), put(9);
  out.push(0x28, 0x4b, 1, 0x4b, rows, 0x4b, cols, 0x86), put(10);
  global('numpy', 'dtype'), put(11), unicode(options.descr ?? 'f8'), put(12);
  out.push(0x89, 0x88, 0x87), put(13), out.push(0x52), put(14);
  out.push(0x28, 0x4b, 3), unicode(options.bigEndian ? '>' : '<'), put(15);
  out.push(0x4e, 0x4e, 0x4e, 0x4a, ...u32(-1), 0x4a, ...u32(-1), 0x4b, 0, 0x74), put(16), out.push(0x62);
  out.push(options.fortran ? 0x88 : 0x89);
  out.push(0x68, 3), unicode(raw.toString('latin1')), put(17), out.push(0x68, 5, 0x86), put(18), out.push(0x52), put(19);
  out.push(0x74), put(20), out.push(0x62, 0x2e);
  return Uint8Array.from(out);
}

function u32(n: number): number[] {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n | 0);
  return [...b];
}

/** A zip with local sizes, central directory and end record (stored or deflated entries). */
function zip(entries: { name: string; data: Uint8Array; deflate?: boolean }[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const body = e.deflate ? deflateRawSync(e.data) : Buffer.from(e.data);
    const name = Buffer.from(e.name);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(e.deflate ? 8 : 0, 8);
    head.writeUInt32LE(crc32(e.data), 14);
    head.writeUInt32LE(body.length, 18);
    head.writeUInt32LE(e.data.length, 22);
    head.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc32(e.data), 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(head, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const archive = (pickle: Uint8Array, deflate = false) =>
  zip([
    { name: 'archive/data.pkl', data: pickle, deflate },
    { name: 'archive/version', data: Buffer.from('3\n') },
  ]);

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
};

describe('parseInitStates', () => {
  const values = [0, 1.5, -2.25, 3, 4e-9, -1e10];

  it('reads a stored, C-order float64 array row-major', () => {
    const s = parseInitStates(archive(numpyPickle(2, 3, values)), 'a.pruned_init');
    expect([s.rows, s.cols]).toEqual([2, 3]);
    expect([...s.data]).toEqual(values);
  });

  it('reads a deflated entry, big-endian data and Fortran order (transposed to row-major)', () => {
    // Fortran order stores column by column: [r0c0, r1c0, r0c1, r1c1, r0c2, r1c2].
    const columnMajor = [0, 3, 1.5, 4e-9, -2.25, -1e10];
    const s = parseInitStates(archive(numpyPickle(2, 3, columnMajor, { fortran: true, bigEndian: true }), true), 'b.pruned_init');
    expect([...s.data]).toEqual(values);
  });

  it('splits rows into time, qpos and qvel', () => {
    const s = parseInitStates(archive(numpyPickle(2, 3, values)), 'a.pruned_init');
    const row = initStateRow(s, 1);
    expect(splitInitState(row, { nq: 1, nv: 1 })).toEqual({ time: 3, qpos: Float64Array.of(4e-9), qvel: Float64Array.of(-1e10) });
    expect(() => initStateRow(s, 2)).toThrow('initial state 2 does not exist: there are 2 (0..1)');
    expect(() => splitInitState(row, { nq: 2, nv: 1 })).toThrow('does not split into 1 + nq 2 + nv 1 = 4');
  });

  it('names the file and the opcode it does not support', () => {
    const pickle = Uint8Array.of(0x80, 2, 0x5d, 0x2e);
    expect(message(() => parseInitStates(archive(pickle), 'odd.pruned_init'))).toBe('odd.pruned_init: data.pkl byte 2: unsupported pickle opcode 0x5d EMPTY_LIST');
  });

  it('refuses other dtypes, and archives without data.pkl', () => {
    expect(message(() => parseInitStates(archive(numpyPickle(2, 3, values, { descr: 'f4' })), 'f.pruned_init'))).toContain("f.pruned_init: array dtype 'f4' is not float64");
    expect(message(() => parseInitStates(zip([{ name: 'archive/version', data: Buffer.from('3\n') }]), 'g.pruned_init'))).toBe(
      'g.pruned_init: no data.pkl in the archive (entries: archive/version)',
    );
  });

  it('names the file when it is corrupt: a flipped byte, a truncated file, not a zip', () => {
    const bytes = archive(numpyPickle(2, 3, values));
    const flipped = bytes.slice();
    flipped[200] = flipped[200]! ^ 0xff;
    expect(message(() => parseInitStates(flipped, 'c.pruned_init'))).toBe('c.pruned_init: not a readable torch.save zip archive: archive/data.pkl fails its CRC check (corrupt file)');
    expect(message(() => parseInitStates(bytes.subarray(0, bytes.length - 30), 'c.pruned_init'))).toBe(
      'c.pruned_init: not a readable torch.save zip archive: no end-of-central-directory record (truncated or not a zip file)',
    );
    expect(message(() => parseInitStates(Buffer.from('hello'), 'c.pruned_init'))).toMatch(/^c\.pruned_init: not a readable torch\.save zip archive/);
  });
});

describe.skipIf(skip)("LIBERO's init files", () => {
  it('loads every .pruned_init of every suite: 50 rows each', () => {
    const root = path.join(LIBERO, 'init_files');
    const files = readdirSync(root).flatMap((suite) => readdirSync(path.join(root, suite)).map((f) => path.join(root, suite, f)));
    expect(files.filter((f) => f.endsWith('.pruned_init'))).toHaveLength(130);
    for (const file of files) expect(readInitStates(file).rows, file).toBe(50);
  });

  it('gives (50, 92) = 1 + nq 48 + nv 43 for every libero_spatial task, with time 0 and qvel 0 in every row', () => {
    for (let id = 0; id < 10; id++) {
      const states = readInitStates(spatialFile(id), SPATIAL);
      expect([states.rows, states.cols]).toEqual([50, 92]);
      for (let row = 0; row < states.rows; row++) {
        const { time, qvel } = splitInitState(initStateRow(states, row), SPATIAL);
        expect(time).toBe(0);
        expect(qvel.every((v) => v === 0)).toBe(true);
      }
    }
  });

  it('stores the objects of spatial task 0 unsettled, at z about 0.97', () => {
    const states = readInitStates(spatialFile(0), SPATIAL);
    for (let row = 0; row < states.rows; row++) {
      const { qpos } = splitInitState(initStateRow(states, row), SPATIAL);
      // Five free joints after the robot's 9 joints: (x, y, z, qw, qx, qy, qz) each.
      for (let object = 0; object < 5; object++) expect(qpos[9 + 7 * object + 2]).toBeCloseTo(0.97, 2);
    }
  });

  it("stores task 4's top drawer open, qpos in [-0.16, -0.14]", () => {
    const states = readInitStates(spatialFile(4), SPATIAL);
    for (let row = 0; row < states.rows; row++) {
      const top = splitInitState(initStateRow(states, row), SPATIAL).qpos[44]!;
      expect(top).toBeGreaterThanOrEqual(-0.16);
      expect(top).toBeLessThanOrEqual(-0.14);
    }
  });

  it('names the file and both shapes when the scene does not match', () => {
    const file = spatialFile(0);
    const error = message(() => readInitStates(file, { nq: 50, nv: 43 }));
    expect(error).toContain(file);
    expect(error).toContain('(50, 92)');
    expect(error).toContain('(50, 94)');
  });

  it('names the file when a copy of a real file is corrupt', () => {
    const bytes = readFileSync(spatialFile(0));
    const truncated = path.join(tmp, 'truncated.pruned_init');
    writeFileSync(truncated, bytes.subarray(0, 20_000));
    expect(message(() => readInitStates(truncated))).toMatch(new RegExp(`^${truncated.replaceAll('.', '\\.')}: not a readable torch\\.save zip archive`));
    const damaged = path.join(tmp, 'damaged.pruned_init');
    const copy = Buffer.from(bytes);
    copy[10_000] = copy[10_000]! ^ 0x01;
    writeFileSync(damaged, copy);
    expect(message(() => readInitStates(damaged))).toBe(`${damaged}: not a readable torch.save zip archive: archive/data.pkl fails its CRC check (corrupt file)`);
    expect(message(() => readInitStates(path.join(tmp, 'missing.pruned_init')))).toMatch(/missing\.pruned_init: cannot read initial states: ENOENT/);
  });
});
