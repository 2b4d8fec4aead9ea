/**
 * A baseline JPEG encoder (ITU T.81: 8-bit, Huffman, the standard tables of its Annex K, JFIF) for
 * camera frames, in TypeScript: nothing to download or build, so it runs in worker threads and the
 * packaged app wherever Node does. Why not a package: jpeg-js, the kept pure-JavaScript codec,
 * rebuilds its tables on every call (about 40 ms a 128x128 frame here, 18 s for a 220-step episode
 * of two cameras); sharp needs a prebuilt native download. docs/architecture.md "Camera images".
 */

export interface JpegOptions {
  /** 1-100, the IJG scale of the standard quantisation tables. */
  quality: number;
  /** Chroma at half resolution in both directions (4:2:0, libjpeg's default), else full (4:4:4). */
  subsample: boolean;
}

// Zigzag position k -> index in the 8x8 block (row-major).
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45,
  38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

// Annex K.1: quantisation tables for quality 50, row-major.
const LUMA_Q = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64,
  78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_Q = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

// Annex K.3: Huffman tables as (code counts per length 1-16, symbols).
interface HuffmanSpec {
  bits: number[];
  values: number[];
}
const DC_LUMA: HuffmanSpec = { bits: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] };
const DC_CHROMA: HuffmanSpec = { bits: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] };
const AC_LUMA: HuffmanSpec = {
  bits: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
  values: [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24,
    0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53,
    0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93,
    0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9,
    0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
  ],
};
const AC_CHROMA: HuffmanSpec = {
  bits: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
  values: [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15,
    0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a,
    0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a,
    0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
    0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
  ],
};

/** Symbol -> (code, length), from a table's counts per length (Annex C). */
function huffmanCodes(spec: HuffmanSpec): { code: Uint16Array; size: Uint8Array } {
  const code = new Uint16Array(256);
  const size = new Uint8Array(256);
  let next = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < spec.bits[length - 1]!; i++) {
      const symbol = spec.values[k++]!;
      code[symbol] = next++;
      size[symbol] = length;
    }
    next <<= 1;
  }
  return { code, size };
}

const TABLES = {
  dcLuma: huffmanCodes(DC_LUMA),
  acLuma: huffmanCodes(AC_LUMA),
  dcChroma: huffmanCodes(DC_CHROMA),
  acChroma: huffmanCodes(AC_CHROMA),
};

/** The IJG scaling of a base table to a quality, row-major, each entry 1-255. */
function scaledTable(base: readonly number[], quality: number): Uint8Array {
  const q = Math.min(Math.max(Math.round(quality), 1), 100);
  const scale = q < 50 ? Math.floor(5000 / q) : 200 - 2 * q;
  return Uint8Array.from(base, (b) => Math.min(Math.max(Math.floor((b * scale + 50) / 100), 1), 255));
}

// The AAN forward DCT (Arai, Agui, Nakajima; libjpeg's jfdctflt.c): 5 multiplications per 8-point
// pass instead of 64. Its outputs are the DCT's scaled by 8 * AAN[u] * AAN[v], which the divisors fold in.
const AAN = [1, 1.387039845, 1.306562965, 1.175875602, 1, 0.785694958, 0.5411961, 0.275899379];

/** Per coefficient (row-major): 1 / (quantiser * 8 * AAN[u] * AAN[v]), so that coefficient / q = output * divisor. */
function divisors(table: Uint8Array): Float64Array {
  const d = new Float64Array(64);
  for (let v = 0; v < 8; v++) for (let u = 0; u < 8; u++) d[v * 8 + u] = 1 / (table[v * 8 + u]! * 8 * AAN[u]! * AAN[v]!);
  return d;
}

/** One 8-point AAN pass over `b` at `o`, `o + s`, ... `o + 7s`, in place. */
function aan8(b: Float64Array, o: number, s: number): void {
  const d0 = b[o]!, d1 = b[o + s]!, d2 = b[o + 2 * s]!, d3 = b[o + 3 * s]!;
  const d4 = b[o + 4 * s]!, d5 = b[o + 5 * s]!, d6 = b[o + 6 * s]!, d7 = b[o + 7 * s]!;
  const t0 = d0 + d7, t7 = d0 - d7, t1 = d1 + d6, t6 = d1 - d6;
  const t2 = d2 + d5, t5 = d2 - d5, t3 = d3 + d4, t4 = d3 - d4;
  // Even part.
  const t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
  b[o] = t10 + t11;
  b[o + 4 * s] = t10 - t11;
  const z1 = (t12 + t13) * 0.707106781;
  b[o + 2 * s] = t13 + z1;
  b[o + 6 * s] = t13 - z1;
  // Odd part.
  const o10 = t4 + t5, o11 = t5 + t6, o12 = t6 + t7;
  const z5 = (o10 - o12) * 0.382683433;
  const z2 = 0.5411961 * o10 + z5;
  const z4 = 1.306562965 * o12 + z5;
  const z3 = o11 * 0.707106781;
  const z11 = t7 + z3, z13 = t7 - z3;
  b[o + 5 * s] = z13 + z2;
  b[o + 3 * s] = z13 - z2;
  b[o + s] = z11 + z4;
  b[o + 7 * s] = z11 - z4;
}

/** Forward DCT of a level-shifted 8x8 block (row-major, in place), scaled as `divisors` expects. */
function fdct(block: Float64Array): void {
  for (let y = 0; y < 8; y++) aan8(block, y * 8, 1);
  for (let x = 0; x < 8; x++) aan8(block, x, 8);
}

class ByteSink {
  bytes = new Uint8Array(4096);
  length = 0;
  private acc = 0;
  private bits = 0;

  byte(b: number): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = b;
  }
  u16(v: number): void {
    this.byte(v >> 8);
    this.byte(v & 0xff);
  }
  all(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.byte(values[i]!);
  }
  /** Entropy-coded bits (at most 16), most significant first; a 0xFF byte is followed by a stuffed 0x00. */
  put(value: number, count: number): void {
    this.acc = (this.acc << count) | (value & ((1 << count) - 1));
    this.bits += count;
    while (this.bits >= 8) {
      const b = (this.acc >>> (this.bits - 8)) & 0xff;
      this.byte(b);
      if (b === 0xff) this.byte(0);
      this.bits -= 8;
    }
    this.acc &= (1 << this.bits) - 1;
  }
  /** Pads the last byte with 1s. */
  flushBits(): void {
    if (this.bits > 0) this.put((1 << (8 - this.bits)) - 1, 8 - this.bits);
  }
}

/** Bits needed for |v| (the JPEG "category"). */
function category(v: number): number {
  let a = v < 0 ? -v : v;
  let n = 0;
  while (a > 0) {
    n++;
    a >>= 1;
  }
  return n;
}

/** Encodes an upright RGB image (row 0 at the top), `rgb.length === width * height * 3`. */
export function encodeJpeg(rgb: Uint8Array, width: number, height: number, options: JpegOptions): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 65535 || height > 65535) throw new Error(`a JPEG is 1 to 65535 pixels a side, got ${width}x${height}`);
  if (rgb.length !== width * height * 3) throw new Error(`an RGB image of ${width}x${height} has ${width * height * 3} bytes, got ${rgb.length}`);
  const qLuma = scaledTable(LUMA_Q, options.quality);
  const qChroma = scaledTable(CHROMA_Q, options.quality);
  const dLuma = divisors(qLuma);
  const dChroma = divisors(qChroma);
  const mcu = options.subsample ? 16 : 8;

  // Y, Cb, Cr planes (JFIF's full-range BT.601), padded to whole MCUs by repeating the edge.
  const pw = Math.ceil(width / mcu) * mcu;
  const ph = Math.ceil(height / mcu) * mcu;
  const Y = new Float64Array(pw * ph);
  const Cb = new Float64Array(pw * ph);
  const Cr = new Float64Array(pw * ph);
  for (let y = 0; y < ph; y++) {
    const sy = Math.min(y, height - 1);
    for (let x = 0; x < pw; x++) {
      const i = (sy * width + Math.min(x, width - 1)) * 3;
      const r = rgb[i]!;
      const g = rgb[i + 1]!;
      const b = rgb[i + 2]!;
      const o = y * pw + x;
      Y[o] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
      Cb[o] = -0.168736 * r - 0.331264 * g + 0.5 * b;
      Cr[o] = 0.5 * r - 0.418688 * g - 0.081312 * b;
    }
  }

  const out = new ByteSink();
  out.u16(0xffd8); // SOI
  out.u16(0xffe0); // APP0: JFIF 1.1, no density, no thumbnail
  out.u16(16);
  out.all([0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  out.u16(0xffdb); // DQT: both tables, in zigzag order
  out.u16(2 + 2 * 65);
  out.byte(0);
  for (const k of ZIGZAG) out.byte(qLuma[k]!);
  out.byte(1);
  for (const k of ZIGZAG) out.byte(qChroma[k]!);
  out.u16(0xffc0); // SOF0: baseline, three components
  out.u16(17);
  out.byte(8);
  out.u16(height);
  out.u16(width);
  out.all([3, 1, options.subsample ? 0x22 : 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]);
  const specs: [number, HuffmanSpec][] = [
    [0x00, DC_LUMA],
    [0x10, AC_LUMA],
    [0x01, DC_CHROMA],
    [0x11, AC_CHROMA],
  ];
  out.u16(0xffc4); // DHT
  out.u16(2 + specs.reduce((n, [, s]) => n + 17 + s.values.length, 0));
  for (const [id, s] of specs) {
    out.byte(id);
    out.all(s.bits);
    out.all(s.values);
  }
  out.u16(0xffda); // SOS
  out.u16(12);
  out.all([3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);

  const block = new Float64Array(64);
  const previous = new Int32Array(3);
  const encodeBlock = (component: number, q: Float64Array, dc: typeof TABLES.dcLuma, ac: typeof TABLES.acLuma): void => {
    fdct(block);
    const diff = Math.round(block[0]! * q[0]!) - previous[component]!;
    previous[component] = previous[component]! + diff;
    const s = category(diff);
    out.put(dc.code[s]!, dc.size[s]!);
    if (s > 0) out.put(diff < 0 ? diff + (1 << s) - 1 : diff, s);
    let run = 0;
    for (let k = 1; k < 64; k++) {
      const i = ZIGZAG[k]!;
      const v = Math.round(block[i]! * q[i]!);
      if (v === 0) {
        run++;
        continue;
      }
      while (run > 15) {
        out.put(ac.code[0xf0]!, ac.size[0xf0]!); // ZRL: sixteen zeros
        run -= 16;
      }
      const c = category(v);
      const symbol = (run << 4) | c;
      out.put(ac.code[symbol]!, ac.size[symbol]!);
      out.put(v < 0 ? v + (1 << c) - 1 : v, c);
      run = 0;
    }
    if (run > 0) out.put(ac.code[0]!, ac.size[0]!); // EOB
  };
  /** Copies (or, with `step` 2, averages 2x2 of) a plane into the block. */
  const load = (plane: Float64Array, x0: number, y0: number, step: number): void => {
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        if (step === 1) block[y * 8 + x] = plane[(y0 + y) * pw + x0 + x]!;
        else {
          const o = (y0 + 2 * y) * pw + x0 + 2 * x;
          block[y * 8 + x] = 0.25 * (plane[o]! + plane[o + 1]! + plane[o + pw]! + plane[o + pw + 1]!);
        }
      }
    }
  };

  for (let my = 0; my < ph; my += mcu) {
    for (let mx = 0; mx < pw; mx += mcu) {
      for (let by = 0; by < mcu; by += 8) {
        for (let bx = 0; bx < mcu; bx += 8) {
          load(Y, mx + bx, my + by, 1);
          encodeBlock(0, dLuma, TABLES.dcLuma, TABLES.acLuma);
        }
      }
      const step = options.subsample ? 2 : 1;
      load(Cb, mx, my, step);
      encodeBlock(1, dChroma, TABLES.dcChroma, TABLES.acChroma);
      load(Cr, mx, my, step);
      encodeBlock(2, dChroma, TABLES.dcChroma, TABLES.acChroma);
    }
  }
  out.flushBits();
  out.u16(0xffd9); // EOI
  return out.bytes.slice(0, out.length);
}

/**
 * The width and height in a JPEG's frame header (SOFn), read without decoding; throws naming what
 * is wrong when the bytes are not a JPEG with a frame header.
 */
export function jpegSize(bytes: Uint8Array): { width: number; height: number } {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Error('not a JPEG (no start-of-image marker)');
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw new Error(`not a JPEG (no marker at byte ${at})`);
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    // SOF0-SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > bytes.length) break;
      return { height: (bytes[at + 5]! << 8) | bytes[at + 6]!, width: (bytes[at + 7]! << 8) | bytes[at + 8]! };
    }
    if (marker === 0xda || marker === 0xd9) break; // scan data or end of image before any frame header
    at += 2 + length;
  }
  throw new Error('not a JPEG (no frame header before the image data)');
}
