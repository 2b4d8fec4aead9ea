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

const LIGHT_STRIDE = 21;

/** ln(512): a highlight below 1/512 of the light's specular is below half a grey level; it is not computed. */
const NEGLIGIBLE = Math.log(512);

/**
 * Blinn-Phong: (N.H)^shininess times the material's specular; (hx, hy, hz) = L + E, unnormalised.
 * Since c^s <= exp(-s (1 - c)), highlights that cannot reach 1/512 are skipped without Math.pow.
 */
function blinnPhong(nx: number, ny: number, nz: number, hx: number, hy: number, hz: number, specular: number, shininess: number): number {
  const ndh = nx * hx + ny * hy + nz * hz;
  if (ndh <= 0) return 0;
  const c = ndh / (Math.sqrt(hx * hx + hy * hy + hz * hz) || 1);
  if (shininess * (1 - c) > NEGLIGIBLE) return 0;
  return specular * Math.pow(c, shininess);
}

/** x^n for the spot exponent: by squaring when n is a small whole number (MuJoCo's default 10), else Math.pow. */
function spotPower(x: number, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 64) return Math.pow(x, n);
  let result = 1;
  let base = x;
  for (let e = n; e > 0; e >>= 1) {
    if (e & 1) result *= base;
    base *= base;
  }
  return result;
}

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
  private lights = new Float64Array(0);
  private readonly staticLayers = new Map<string, { pose: number[]; raster: Raster }>();

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
    return this.render(data, { pos, mat, fovy }, width, height, `camera${cam}`);
  }

  /** `slot` names the viewpoint whose static layer is kept (one per model camera). */
  render(data: MjData, view: CameraView, width: number, height: number, slot = 'view'): CameraImage {
    const W = width * SUPERSAMPLE;
    const H = height * SUPERSAMPLE;
    const key = `${W}x${H}`;
    let raster = this.rasters.get(key);
    if (!raster) this.rasters.set(key, (raster = new Raster(W, H)));
    const xpos = data.geom_xpos as Float64Array;
    const xmat = data.geom_xmat as Float64Array;
    const lights = this.lightFrame(data);
    // The static geoms' layer, kept per size and camera pose (a fixed camera such as agentview
    // redraws only what moves). Static geoms come first in scene.geoms, so drawing them afresh or
    // copying their layer gives the same bytes.
    const pose = [...Array.from(view.pos), ...Array.from(view.mat), view.fovy];
    let layer = this.staticLayers.get(`${slot} ${key}`);
    if (!layer || layer.pose.some((x, i) => x !== pose[i])) {
      raster.clear(this.scene.background);
      for (const geom of this.frontToBack(true, xpos, view)) this.drawGeom(raster, geom, xpos, xmat, view, lights);
      if (!layer) this.staticLayers.set(`${slot} ${key}`, (layer = { pose, raster: new Raster(W, H) }));
      layer.pose = pose;
      layer.raster.copyFrom(raster);
    } else {
      raster.copyFrom(layer.raster);
    }
    for (const geom of this.frontToBack(false, xpos, view)) this.drawGeom(raster, geom, xpos, xmat, view, lights);
    const out = new Uint8Array(3 * width * height);
    return { width, height, channels: 3, data: raster.toBytes(SUPERSAMPLE, out) };
  }

  /**
   * The static (or moving) geoms nearest first, so that the depth test rejects what is hidden
   * before its colour is computed. The order depends only on the state and the camera, so the same
   * state gives the same bytes; ties (equal distances) keep the scene's order.
   */
  private frontToBack(staticGeoms: boolean, xpos: Float64Array, view: CameraView): RenderGeom[] {
    const c = view.pos;
    const list = this.scene.geoms.filter((g) => g.static === staticGeoms && g.rbound > 0);
    const dist = new Map(list.map((g) => [g, (xpos[3 * g.geom]! - c[0]!) ** 2 + (xpos[3 * g.geom + 1]! - c[1]!) ** 2 + (xpos[3 * g.geom + 2]! - c[2]!) ** 2]));
    list.sort((a, b) => dist.get(a)! - dist.get(b)!);
    // Planes (unbounded: the floor) last; they are behind everything else on the table.
    return [...list, ...this.scene.geoms.filter((g) => g.static === staticGeoms && g.rbound === 0)];
  }

  /**
   * The lights this frame, flat: per light [directional, x, y, z, dx, dy, dz, ambient rgb, diffuse
   * rgb, specular rgb, attenuation 0-2, cos(cutoff), exponent] (LIGHT_STRIDE numbers).
   */
  private lightFrame(data: MjData): Float64Array {
    const lights = this.scene.lights;
    const out = this.lights.length === lights.length * LIGHT_STRIDE ? this.lights : (this.lights = new Float64Array(lights.length * LIGHT_STRIDE));
    const lpos = data.light_xpos as Float64Array;
    const ldir = data.light_xdir as Float64Array;
    lights.forEach((light, k) => {
      const l = light.light;
      out.set([light.directional ? 1 : 0, lpos[3 * l]!, lpos[3 * l + 1]!, lpos[3 * l + 2]!, ldir[3 * l]!, ldir[3 * l + 1]!, ldir[3 * l + 2]!, ...light.ambient, ...light.diffuse, ...light.specular, ...light.attenuation, light.cosCutoff, light.exponent], k * LIGHT_STRIDE);
    });
    return out;
  }

  private drawGeom(raster: Raster, geom: RenderGeom, xpos: Float64Array, xmat: Float64Array, view: CameraView, L: Float64Array): void {
    const g = geom.geom;
    const tx = xpos[3 * g]!, ty = xpos[3 * g + 1]!, tz = xpos[3 * g + 2]!;
    const o = 9 * g;
    const m0 = xmat[o]!, m1 = xmat[o + 1]!, m2 = xmat[o + 2]!, m3 = xmat[o + 3]!, m4 = xmat[o + 4]!, m5 = xmat[o + 5]!, m6 = xmat[o + 6]!, m7 = xmat[o + 7]!, m8 = xmat[o + 8]!;
    const c = view.pos;
    const v = view.mat;
    const c0 = c[0]!, c1 = c[1]!, c2 = c[2]!;
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
      const dx = tx - c0, dy = ty - c1, dz = tz - c2;
      const d = dx * fx + dy * fy + dz * fz;
      const r = geom.rbound;
      if (d + r < znear) return;
      const x = Math.abs(dx * ax + dy * ay + dz * az);
      const y = Math.abs(dx * bx + dy * by + dz * bz);
      if (x * f - aspect * d > r * Math.sqrt(f * f + aspect * aspect)) return;
      if (y * f - d > r * Math.sqrt(f * f + 1)) return;
    }

    const { positions, normals, triangles } = geom.shape;
    const n = positions.length / 3;
    const { sx, sy, iz, cx, cy, cd, rgb } = this;
    const kr = geom.rgb[0], kg = geom.rgb[1], kb = geom.rgb[2];
    const spec = geom.specular;
    const shin = geom.shininess;
    const head = this.scene.headlight;
    const headOn = head.active;
    const ha0 = head.ambient[0], ha1 = head.ambient[1], ha2 = head.ambient[2];
    const hd0 = head.diffuse[0], hd1 = head.diffuse[1], hd2 = head.diffuse[2];
    const hs0 = head.specular[0], hs1 = head.specular[1], hs2 = head.specular[2];
    const em = geom.emission;
    const nL = L.length;
    const sx2 = 0.5 * W * f / aspect;
    const sy2 = 0.5 * H * f;
    for (let i = 0; i < n; i++) {
      const i3 = 3 * i;
      const lx = positions[i3]!, ly = positions[i3 + 1]!, lz = positions[i3 + 2]!;
      const px = m0 * lx + m1 * ly + m2 * lz + tx;
      const py = m3 * lx + m4 * ly + m5 * lz + ty;
      const pz = m6 * lx + m7 * ly + m8 * lz + tz;
      const nlx = normals[i3]!, nly = normals[i3 + 1]!, nlz = normals[i3 + 2]!;
      let nx = m0 * nlx + m1 * nly + m2 * nlz;
      let ny = m3 * nlx + m4 * nly + m5 * nlz;
      let nz = m6 * nlx + m7 * nly + m8 * nlz;
      // To the eye: E; two-sided lighting turns the normal towards it.
      const dx = px - c0, dy = py - c1, dz = pz - c2;
      const el = Math.sqrt(dx * dx + dy * dy + dz * dz) || 1;
      const ex = -dx / el, ey = -dy / el, ez = -dz / el;
      if (nx * ex + ny * ey + nz * ez < 0) { nx = -nx; ny = -ny; nz = -nz; }

      let r = em * kr, gg = em * kg, b = em * kb;
      if (headOn) {
        // Directional along the view: L = -forward.
        r += ha0 * kr; gg += ha1 * kg; b += ha2 * kb;
        const ndl = -(nx * fx + ny * fy + nz * fz);
        if (ndl > 0) {
          r += hd0 * kr * ndl; gg += hd1 * kg * ndl; b += hd2 * kb * ndl;
          const s = spec === 0 ? 0 : blinnPhong(nx, ny, nz, -fx + ex, -fy + ey, -fz + ez, spec, shin);
          r += hs0 * s; gg += hs1 * s; b += hs2 * s;
        }
      }
      for (let k = 0; k < nL; k += LIGHT_STRIDE) {
        r += L[k + 7]! * kr; gg += L[k + 8]! * kg; b += L[k + 9]! * kb;
        let qx: number, qy: number, qz: number, atten = 1;
        if (L[k]! === 1) {
          qx = -L[k + 4]!; qy = -L[k + 5]!; qz = -L[k + 6]!;
        } else {
          qx = L[k + 1]! - px; qy = L[k + 2]! - py; qz = L[k + 3]! - pz;
          const dist = Math.sqrt(qx * qx + qy * qy + qz * qz) || 1;
          qx /= dist; qy /= dist; qz /= dist;
          atten = 1 / (L[k + 16]! + L[k + 17]! * dist + L[k + 18]! * dist * dist);
          const spotCos = -(qx * L[k + 4]! + qy * L[k + 5]! + qz * L[k + 6]!);
          atten = spotCos < L[k + 19]! ? 0 : atten * spotPower(spotCos, L[k + 20]!);
        }
        const ndl = nx * qx + ny * qy + nz * qz;
        if (ndl <= 0 || atten === 0) continue;
        const d = atten * ndl;
        r += L[k + 10]! * kr * d; gg += L[k + 11]! * kg * d; b += L[k + 12]! * kb * d;
        if (spec !== 0) {
          const s = atten * blinnPhong(nx, ny, nz, qx + ex, qy + ey, qz + ez, spec, shin);
          r += L[k + 13]! * s; gg += L[k + 14]! * s; b += L[k + 15]! * s;
        }
      }
      rgb[i3] = r; rgb[i3 + 1] = gg; rgb[i3 + 2] = b;

      // Camera space and screen.
      const x = dx * ax + dy * ay + dz * az;
      const y = dx * bx + dy * by + dz * bz;
      const d = dx * fx + dy * fy + dz * fz;
      cx[i] = x; cy[i] = y; cd[i] = d;
      if (d >= znear) {
        const id = 1 / d;
        sx[i] = 0.5 * W + sx2 * x * id;
        sy[i] = 0.5 * H - sy2 * y * id;
        iz[i] = id;
      }
    }

    const cull = geom.closed;
    for (let t = 0; t < triangles.length; t += 3) {
      const i0 = triangles[t]!, i1 = triangles[t + 1]!, i2 = triangles[t + 2]!;
      if (cull) {
        // Outward-wound faces (shapes.ts): back-facing when the face normal points away from the
        // eye, in right-handed camera coordinates (x, y, -depth) with the eye at the origin.
        const x0 = cx[i0]!, y0 = cy[i0]!, z0 = -cd[i0]!;
        const ux = cx[i1]! - x0, uy = cy[i1]! - y0, uz = -cd[i1]! - z0;
        const vx = cx[i2]! - x0, vy = cy[i2]! - y0, vz = -cd[i2]! - z0;
        if ((uy * vz - uz * vy) * x0 + (uz * vx - ux * vz) * y0 + (ux * vy - uy * vx) * z0 >= 0) continue;
      }
      const in0 = cd[i0]! >= znear, in1 = cd[i1]! >= znear, in2 = cd[i2]! >= znear;
      if (in0 && in1 && in2) {
        raster.triangle(
          sx[i0]!, sy[i0]!, iz[i0]!, rgb[3 * i0]!, rgb[3 * i0 + 1]!, rgb[3 * i0 + 2]!,
          sx[i1]!, sy[i1]!, iz[i1]!, rgb[3 * i1]!, rgb[3 * i1 + 1]!, rgb[3 * i1 + 2]!,
          sx[i2]!, sy[i2]!, iz[i2]!, rgb[3 * i2]!, rgb[3 * i2 + 1]!, rgb[3 * i2 + 2]!,
        );
      } else if (in0 || in1 || in2) {
        this.clipNear(raster, i0, i1, i2, znear, f, aspect);
      }
    }
  }

  /** A triangle crossing the near plane, cut to its part in front (Sutherland-Hodgman on one plane). */
  private clipNear(raster: Raster, i0: number, i1: number, i2: number, znear: number, f: number, aspect: number): void {
    const { cx, cy, cd, rgb } = this;
    const idx = [i0, i1, i2];
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
