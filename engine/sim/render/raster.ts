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

  /** Copies another raster's buffers (same size) into this one. */
  copyFrom(other: Raster): void {
    this.colour.set(other.colour);
    this.invDepth.set(other.invDepth);
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
    // 1/depth and the colours times 1/depth are affine in screen space (perspective-correct
    // interpolation): each is D * x + E * y + F, stepped along a row by D.
    const zr0 = z0 * r0, zg0 = z0 * g0, zb0 = z0 * b0;
    const zr1 = z1 * r1, zg1 = z1 * g1, zb1 = z1 * b1;
    const zr2 = z2 * r2, zg2 = z2 * g2, zb2 = z2 * b2;
    const zD = (A0 * z0 + A1 * z1 + A2 * z2) * inv, zE = (B0 * z0 + B1 * z1 + B2 * z2) * inv, zF = (C0 * z0 + C1 * z1 + C2 * z2) * inv;
    const rD = (A0 * zr0 + A1 * zr1 + A2 * zr2) * inv, rE = (B0 * zr0 + B1 * zr1 + B2 * zr2) * inv, rF = (C0 * zr0 + C1 * zr1 + C2 * zr2) * inv;
    const gD = (A0 * zg0 + A1 * zg1 + A2 * zg2) * inv, gE = (B0 * zg0 + B1 * zg1 + B2 * zg2) * inv, gF = (C0 * zg0 + C1 * zg1 + C2 * zg2) * inv;
    const bD = (A0 * zb0 + A1 * zb1 + A2 * zb2) * inv, bE = (B0 * zb0 + B1 * zb1 + B2 * zb2) * inv, bF = (C0 * zb0 + C1 * zb1 + C2 * zb2) * inv;
    const depth = this.invDepth;
    const colour = this.colour;
    for (let j = jMin; j <= jMax; j++) {
      const py = j + 0.5;
      // The row's span where every edge function is >= 0, widened by a pixel each side so that
      // rounding here never drops a pixel the per-pixel test below would draw.
      let lo = iMin;
      let hi = iMax;
      const k0 = B0 * py + C0, k1 = B1 * py + C1, k2 = B2 * py + C2;
      if (A0 > 0) lo = Math.max(lo, Math.ceil(-k0 / A0 - 0.5) - 1); else if (A0 < 0) hi = Math.min(hi, Math.floor(-k0 / A0 - 0.5) + 1); else if (k0 < 0) continue;
      if (A1 > 0) lo = Math.max(lo, Math.ceil(-k1 / A1 - 0.5) - 1); else if (A1 < 0) hi = Math.min(hi, Math.floor(-k1 / A1 - 0.5) + 1); else if (k1 < 0) continue;
      if (A2 > 0) lo = Math.max(lo, Math.ceil(-k2 / A2 - 0.5) - 1); else if (A2 < 0) hi = Math.min(hi, Math.floor(-k2 / A2 - 0.5) + 1); else if (k2 < 0) continue;
      if (lo > hi) continue;
      const px0 = lo + 0.5;
      let e0 = A0 * px0 + k0;
      let e1 = A1 * px0 + k1;
      let e2 = A2 * px0 + k2;
      let z = zD * px0 + zE * py + zF;
      let zr = rD * px0 + rE * py + rF;
      let zg = gD * px0 + gE * py + gF;
      let zb = bD * px0 + bE * py + bF;
      let p = j * W + lo;
      for (let i = lo; i <= hi; i++, p++, e0 += A0, e1 += A1, e2 += A2, z += zD, zr += rD, zg += gD, zb += bD) {
        if (e0 < 0 || e1 < 0 || e2 < 0 || z <= depth[p]!) continue;
        depth[p] = z;
        const iz = 1 / z;
        const q = 3 * p;
        colour[q] = zr * iz;
        colour[q + 1] = zg * iz;
        colour[q + 2] = zb * iz;
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
    // Colours past 1 saturate, as the framebuffer clamps them before the samples are resolved.
    for (let i = 0; i < c.length; i++) if (c[i]! > 1) c[i] = 1;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let dy = 0; dy < factor; dy++) {
          let q = 3 * ((y * factor + dy) * W + x * factor);
          for (let dx = 0; dx < factor; dx++, q += 3) {
            r += c[q]!;
            g += c[q + 1]!;
            b += c[q + 2]!;
          }
        }
        const o = 3 * (y * w + x);
        // Values are >= 0 and the clamped mean <= 255: rounding is a plain + 0.5 and truncation.
        out[o] = r * scale + 0.5;
        out[o + 1] = g * scale + 0.5;
        out[o + 2] = b * scale + 0.5;
      }
    }
    return out;
  }
}
