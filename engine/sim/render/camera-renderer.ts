import type { MjData } from '@mujoco/mujoco';
import type { CameraImage } from '../simulator.js';
import { Raster } from './raster.js';
import type { RenderGeom, RenderScene } from './render-scene.js';

/**
 * Draws a model camera's view of the current MjData (docs/cameras.md), without a GPU: MuJoCo's
 * WebAssembly build has no renderer, so the visual geoms are drawn here as MuJoCo's fixed-function
 * pipeline lights them: per-vertex (Gouraud) lighting from the headlight and the model's spot
 * lights (ambient, Lambert diffuse, Blinn-Phong specular, spot cone and exponent, attenuation),
 * two-sided, then rasterised with a depth buffer. Camera convention as MuJoCo's: the camera looks
 * along -z of its frame, y up; fovy is vertical. The image is upright: row 0 at the top, column 0
 * at camera-left. Supersampled 2 x 2 for MuJoCo's multisampled buffer.
 */

/** Samples per pixel side. */
const SUPERSAMPLE = 2;

export interface CameraView {
  /** Camera position and rotation (row-major 3x3, columns = camera axes in the world). */
  pos: ArrayLike<number>;
  mat: ArrayLike<number>;
  fovy: number;
}

export class CameraRenderer {
  private readonly rasters = new Map<string, Raster>();
  // Per-vertex scratch of the geom being drawn: screen x, y, 1/depth, camera-space x, y, depth, colour.
  private readonly sx: Float64Array;
  private readonly sy: Float64Array;
  private readonly iz: Float64Array;
  private readonly cx: Float64Array;
  private readonly cy: Float64Array;
  private readonly cd: Float64Array;
  private readonly rgb: Float64Array;

  constructor(readonly scene: RenderScene) {
    const n = Math.max(1, scene.maxVertices);
    this.sx = new Float64Array(n);
    this.sy = new Float64Array(n);
    this.iz = new Float64Array(n);
    this.cx = new Float64Array(n);
    this.cy = new Float64Array(n);
    this.cd = new Float64Array(n);
    this.rgb = new Float64Array(3 * n);
  }

  /** The view of model camera `cam` in `data` (after mj_forward or a step). */
  renderCamera(data: MjData, cam: number, fovy: number, width: number, height: number): CameraImage {
    const pos = (data.cam_xpos as Float64Array).subarray(3 * cam, 3 * cam + 3);
    const mat = (data.cam_xmat as Float64Array).subarray(9 * cam, 9 * cam + 9);
    return this.render(data, { pos, mat, fovy }, width, height);
  }

  render(data: MjData, view: CameraView, width: number, height: number): CameraImage {
    const W = width * SUPERSAMPLE;
    const H = height * SUPERSAMPLE;
    const key = `${W}x${H}`;
    let raster = this.rasters.get(key);
    if (!raster) this.rasters.set(key, (raster = new Raster(W, H)));
    raster.clear(this.scene.background);
    const xpos = data.geom_xpos as Float64Array;
    const xmat = data.geom_xmat as Float64Array;
    const lights = this.lightFrames(data);
    for (const geom of this.scene.geoms) this.drawGeom(raster, geom, xpos, xmat, view, lights);
    const out = new Uint8Array(3 * width * height);
    return { width, height, channels: 3, data: raster.toBytes(SUPERSAMPLE, out) };
  }

  /** World position and direction of each light this frame. */
  private lightFrames(data: MjData): { pos: number[]; dir: number[] }[] {
    const lpos = data.light_xpos as Float64Array;
    const ldir = data.light_xdir as Float64Array;
    return this.scene.lights.map(({ light: l }) => ({
      pos: [lpos[3 * l]!, lpos[3 * l + 1]!, lpos[3 * l + 2]!],
      dir: [ldir[3 * l]!, ldir[3 * l + 1]!, ldir[3 * l + 2]!],
    }));
  }

  private drawGeom(raster: Raster, geom: RenderGeom, xpos: Float64Array, xmat: Float64Array, view: CameraView, lights: { pos: number[]; dir: number[] }[]): void {
    const g = geom.geom;
    const tx = xpos[3 * g]!, ty = xpos[3 * g + 1]!, tz = xpos[3 * g + 2]!;
    const m = xmat.subarray(9 * g, 9 * g + 9);
    const c = view.pos;
    const v = view.mat;
    // Camera axes (columns of the camera's rotation).
    const ax = v[0]!, ay = v[3]!, az = v[6]!;
    const bx = v[1]!, by = v[4]!, bz = v[7]!;
    const fx = -v[2]!, fy = -v[5]!, fz = -v[8]!; // forward = -z
    const W = raster.width;
    const H = raster.height;
    const f = 1 / Math.tan((view.fovy * Math.PI) / 360);
    const aspect = W / H;
    const znear = this.scene.znear;

    // Cull the whole geom when its bounding sphere is behind the near plane or outside the view.
    if (geom.rbound > 0) {
      const dx = tx - c[0]!, dy = ty - c[1]!, dz = tz - c[2]!;
      const d = dx * fx + dy * fy + dz * fz;
      const r = geom.rbound;
      if (d + r < znear) return;
      const x = Math.abs(dx * ax + dy * ay + dz * az);
      const y = Math.abs(dx * bx + dy * by + dz * bz);
      if (x * f - aspect * d > r * Math.hypot(f, aspect)) return;
      if (y * f - d > r * Math.hypot(f, 1)) return;
    }

    const { positions, normals, triangles } = geom.shape;
    const n = positions.length / 3;
    const { sx, sy, iz, cx, cy, cd, rgb } = this;
    const [kr, kg, kb] = geom.rgb;
    const head = this.scene.headlight;
    for (let i = 0; i < n; i++) {
      const lx = positions[3 * i]!, ly = positions[3 * i + 1]!, lz = positions[3 * i + 2]!;
      const px = m[0]! * lx + m[1]! * ly + m[2]! * lz + tx;
      const py = m[3]! * lx + m[4]! * ly + m[5]! * lz + ty;
      const pz = m[6]! * lx + m[7]! * ly + m[8]! * lz + tz;
      const nlx = normals[3 * i]!, nly = normals[3 * i + 1]!, nlz = normals[3 * i + 2]!;
      let nx = m[0]! * nlx + m[1]! * nly + m[2]! * nlz;
      let ny = m[3]! * nlx + m[4]! * nly + m[5]! * nlz;
      let nz = m[6]! * nlx + m[7]! * nly + m[8]! * nlz;
      // To the eye: V; two-sided lighting turns the normal towards it.
      let ex = c[0]! - px, ey = c[1]! - py, ez = c[2]! - pz;
      const el = Math.hypot(ex, ey, ez) || 1;
      ex /= el; ey /= el; ez /= el;
      if (nx * ex + ny * ey + nz * ez < 0) { nx = -nx; ny = -ny; nz = -nz; }

      let r = geom.emission * kr, gg = geom.emission * kg, b = geom.emission * kb;
      if (head.active) {
        // Directional along the view: L = -forward.
        const ndl = -(nx * fx + ny * fy + nz * fz);
        r += head.ambient[0] * kr; gg += head.ambient[1] * kg; b += head.ambient[2] * kb;
        if (ndl > 0) {
          r += head.diffuse[0] * kr * ndl; gg += head.diffuse[1] * kg * ndl; b += head.diffuse[2] * kb * ndl;
          const s = this.specularTerm(nx, ny, nz, -fx, -fy, -fz, ex, ey, ez, geom);
          r += head.specular[0] * s; gg += head.specular[1] * s; b += head.specular[2] * s;
        }
      }
      for (let k = 0; k < lights.length; k++) {
        const light = this.scene.lights[k]!;
        const { pos, dir } = lights[k]!;
        r += light.ambient[0] * kr; gg += light.ambient[1] * kg; b += light.ambient[2] * kb;
        let lx2: number, ly2: number, lz2: number, atten = 1;
        if (light.directional) {
          lx2 = -dir[0]!; ly2 = -dir[1]!; lz2 = -dir[2]!;
        } else {
          lx2 = pos[0]! - px; ly2 = pos[1]! - py; lz2 = pos[2]! - pz;
          const dist = Math.hypot(lx2, ly2, lz2) || 1;
          lx2 /= dist; ly2 /= dist; lz2 /= dist;
          const [a0, a1, a2] = light.attenuation;
          atten = 1 / (a0 + a1 * dist + a2 * dist * dist);
          const spotCos = -(lx2 * dir[0]! + ly2 * dir[1]! + lz2 * dir[2]!);
          atten *= spotCos < light.cosCutoff ? 0 : Math.pow(spotCos, light.exponent);
        }
        const ndl = nx * lx2 + ny * ly2 + nz * lz2;
        if (ndl <= 0 || atten === 0) continue;
        const d = atten * ndl;
        r += light.diffuse[0] * kr * d; gg += light.diffuse[1] * kg * d; b += light.diffuse[2] * kb * d;
        const s = atten * this.specularTerm(nx, ny, nz, lx2, ly2, lz2, ex, ey, ez, geom);
        r += light.specular[0] * s; gg += light.specular[1] * s; b += light.specular[2] * s;
      }
      rgb[3 * i] = r; rgb[3 * i + 1] = gg; rgb[3 * i + 2] = b;

      // Camera space and screen.
      const dx = px - c[0]!, dy = py - c[1]!, dz = pz - c[2]!;
      const x = dx * ax + dy * ay + dz * az;
      const y = dx * bx + dy * by + dz * bz;
      const d = dx * fx + dy * fy + dz * fz;
      cx[i] = x; cy[i] = y; cd[i] = d;
      if (d >= znear) {
        sx[i] = (1 + (f * x) / (aspect * d)) * 0.5 * W;
        sy[i] = (1 - (f * y) / d) * 0.5 * H;
        iz[i] = 1 / d;
      }
    }

    for (let t = 0; t < triangles.length; t += 3) {
      const i0 = triangles[t]!, i1 = triangles[t + 1]!, i2 = triangles[t + 2]!;
      const in0 = cd[i0]! >= znear, in1 = cd[i1]! >= znear, in2 = cd[i2]! >= znear;
      if (in0 && in1 && in2) {
        raster.triangle(
          sx[i0]!, sy[i0]!, iz[i0]!, rgb[3 * i0]!, rgb[3 * i0 + 1]!, rgb[3 * i0 + 2]!,
          sx[i1]!, sy[i1]!, iz[i1]!, rgb[3 * i1]!, rgb[3 * i1 + 1]!, rgb[3 * i1 + 2]!,
          sx[i2]!, sy[i2]!, iz[i2]!, rgb[3 * i2]!, rgb[3 * i2 + 1]!, rgb[3 * i2 + 2]!,
        );
      } else if (in0 || in1 || in2) {
        this.clipNear(raster, [i0, i1, i2], znear, f, aspect);
      }
    }
  }

  /** Blinn-Phong: (N.H)^shininess times the material's specular, H halfway between L and the eye. */
  private specularTerm(nx: number, ny: number, nz: number, lx: number, ly: number, lz: number, ex: number, ey: number, ez: number, geom: RenderGeom): number {
    if (geom.specular === 0) return 0;
    let hx = lx + ex, hy = ly + ey, hz = lz + ez;
    const hl = Math.hypot(hx, hy, hz) || 1;
    hx /= hl; hy /= hl; hz /= hl;
    const ndh = nx * hx + ny * hy + nz * hz;
    return ndh > 0 ? geom.specular * Math.pow(ndh, geom.shininess) : 0;
  }

  /** A triangle crossing the near plane, cut to its part in front (Sutherland-Hodgman on one plane). */
  private clipNear(raster: Raster, idx: number[], znear: number, f: number, aspect: number): void {
    const { cx, cy, cd, rgb } = this;
    const poly: number[][] = [];
    for (let k = 0; k < 3; k++) {
      const a = idx[k]!;
      const b = idx[(k + 1) % 3]!;
      const va = [cx[a]!, cy[a]!, cd[a]!, rgb[3 * a]!, rgb[3 * a + 1]!, rgb[3 * a + 2]!];
      const vb = [cx[b]!, cy[b]!, cd[b]!, rgb[3 * b]!, rgb[3 * b + 1]!, rgb[3 * b + 2]!];
      const ina = va[2]! >= znear;
      const inb = vb[2]! >= znear;
      if (ina) poly.push(va);
      if (ina !== inb) {
        const s = (znear - va[2]!) / (vb[2]! - va[2]!);
        poly.push(va.map((x, j) => x + s * (vb[j]! - x)));
      }
    }
    const W = raster.width;
    const H = raster.height;
    const screen = poly.map(([x, y, d, r, g, b]) => [(1 + (f * x!) / (aspect * d!)) * 0.5 * W, (1 - (f * y!) / d!) * 0.5 * H, 1 / d!, r!, g!, b!]);
    for (let k = 1; k + 1 < screen.length; k++) {
      const p = screen[0]!, q = screen[k]!, s = screen[k + 1]!;
      raster.triangle(p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!, q[0]!, q[1]!, q[2]!, q[3]!, q[4]!, q[5]!, s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!);
    }
  }
}
