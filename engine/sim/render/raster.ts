/**
 * The triangle rasteriser behind the embedded simulator's cameras (docs/cameras.md): a depth
 * buffer of 1/depth and Gouraud colours interpolated perspective-correctly, pixel centres at
 * (i + 0.5, j + 0.5), row 0 at the top. Plain arithmetic on typed arrays, so the same inputs give
 * the same bytes on every machine (V8's Math is its own, not the platform's).
 */
export class Raster {
  /** Linear RGB in [0, 1], 3 floats per pixel. */
  readonly colour: Float32Array;
  /** 1 / depth of the nearest surface so far; 0 where nothing was drawn. */
  readonly invDepth: Float32Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.colour = new Float32Array(3 * width * height);
    this.invDepth = new Float32Array(width * height);
  }

  clear(background: readonly number[]): void {
    this.invDepth.fill(0);
    const c = this.colour;
    for (let i = 0; i < c.length; i += 3) {
      c[i] = background[0]!;
      c[i + 1] = background[1]!;
      c[i + 2] = background[2]!;
    }
  }

  /**
   * One triangle: screen positions (x, y in pixels), 1/depth, and colours. Both windings are drawn
   * (two-sided, as MuJoCo draws open meshes such as bowls).
   */
  triangle(
    x0: number, y0: number, z0: number, r0: number, g0: number, b0: number,
    x1: number, y1: number, z1: number, r1: number, g1: number, b1: number,
    x2: number, y2: number, z2: number, r2: number, g2: number, b2: number,
  ): void {
    let area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0);
    if (area === 0 || !Number.isFinite(area)) return;
    if (area < 0) {
      // Swap vertices 1 and 2 so the edge functions are positive inside.
      let t = x1; x1 = x2; x2 = t;
      t = y1; y1 = y2; y2 = t;
      t = z1; z1 = z2; z2 = t;
      t = r1; r1 = r2; r2 = t;
      t = g1; g1 = g2; g2 = t;
      t = b1; b1 = b2; b2 = t;
      area = -area;
    }
    const W = this.width;
    const H = this.height;
    const iMin = Math.max(0, Math.ceil(Math.min(x0, x1, x2) - 0.5));
    const iMax = Math.min(W - 1, Math.floor(Math.max(x0, x1, x2) - 0.5));
    const jMin = Math.max(0, Math.ceil(Math.min(y0, y1, y2) - 0.5));
    const jMax = Math.min(H - 1, Math.floor(Math.max(y0, y1, y2) - 0.5));
    if (iMin > iMax || jMin > jMax) return;

    // Edge functions e0 (opposite vertex 0), e1, e2, as A * x + B * y + C; positive inside.
    const A0 = y1 - y2, B0 = x2 - x1, C0 = x1 * y2 - x2 * y1;
    const A1 = y2 - y0, B1 = x0 - x2, C1 = x2 * y0 - x0 * y2;
    const A2 = y0 - y1, B2 = x1 - x0, C2 = x0 * y1 - x1 * y0;
    const inv = 1 / area;
    // Colours weighted by 1/depth, so colour = Σ l_i z_i c_i / Σ l_i z_i is perspective-correct.
    const zr0 = z0 * r0, zg0 = z0 * g0, zb0 = z0 * b0;
    const zr1 = z1 * r1, zg1 = z1 * g1, zb1 = z1 * b1;
    const zr2 = z2 * r2, zg2 = z2 * g2, zb2 = z2 * b2;
    const depth = this.invDepth;
    const colour = this.colour;
    for (let j = jMin; j <= jMax; j++) {
      const py = j + 0.5;
      const px0 = iMin + 0.5;
      let e0 = A0 * px0 + B0 * py + C0;
      let e1 = A1 * px0 + B1 * py + C1;
      let e2 = A2 * px0 + B2 * py + C2;
      let p = j * W + iMin;
      for (let i = iMin; i <= iMax; i++, p++, e0 += A0, e1 += A1, e2 += A2) {
        if (e0 < 0 || e1 < 0 || e2 < 0) continue;
        const l0 = e0 * inv;
        const l1 = e1 * inv;
        const l2 = e2 * inv;
        const z = l0 * z0 + l1 * z1 + l2 * z2;
        if (z <= depth[p]!) continue;
        depth[p] = z;
        const iz = 1 / z;
        const q = 3 * p;
        colour[q] = (l0 * zr0 + l1 * zr1 + l2 * zr2) * iz;
        colour[q + 1] = (l0 * zg0 + l1 * zg1 + l2 * zg2) * iz;
        colour[q + 2] = (l0 * zb0 + l1 * zb1 + l2 * zb2) * iz;
      }
    }
  }

  /**
   * The image as RGB bytes, each output pixel the mean of a `factor` x `factor` block (the
   * supersampling that stands in for MuJoCo's multisampled offscreen buffer).
   */
  toBytes(factor: number, out: Uint8Array): Uint8Array {
    const W = this.width;
    const w = W / factor;
    const h = this.height / factor;
    const c = this.colour;
    const scale = 255 / (factor * factor);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let dy = 0; dy < factor; dy++) {
          let q = 3 * ((y * factor + dy) * W + x * factor);
          for (let dx = 0; dx < factor; dx++, q += 3) {
            r += Math.min(1, c[q]!);
            g += Math.min(1, c[q + 1]!);
            b += Math.min(1, c[q + 2]!);
          }
        }
        const o = 3 * (y * w + x);
        out[o] = Math.round(r * scale);
        out[o + 1] = Math.round(g * scale);
        out[o + 2] = Math.round(b * scale);
      }
    }
    return out;
  }
}
