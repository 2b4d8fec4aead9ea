/**
 * Triangle meshes of MuJoCo's geom primitives in the geom's own frame, as the renderer draws them
 * (docs/cameras.md). Large flat faces are split into cells so that per-vertex lighting of a spot
 * light varies across them, as MuJoCo's grid-drawn planes and boxes do.
 */

/** Positions and normals (3 per vertex) and triangles (3 vertex indices each). */
export interface ShapeMesh {
  positions: Float64Array;
  normals: Float64Array;
  triangles: Uint32Array;
}

class MeshBuilder {
  readonly positions: number[] = [];
  readonly normals: number[] = [];
  readonly triangles: number[] = [];

  vertex(p: readonly number[], n: readonly number[]): number {
    this.positions.push(p[0]!, p[1]!, p[2]!);
    const l = Math.hypot(n[0]!, n[1]!, n[2]!) || 1;
    this.normals.push(n[0]! / l, n[1]! / l, n[2]! / l);
    return this.positions.length / 3 - 1;
  }

  triangle(a: number, b: number, c: number): void {
    this.triangles.push(a, b, c);
  }

  build(): ShapeMesh {
    return { positions: Float64Array.from(this.positions), normals: Float64Array.from(this.normals), triangles: Uint32Array.from(this.triangles) };
  }
}

/** Cells per side of a flat face: about `cell` metres each, at least 1, at most 8 (walls and floor stay cheap). */
function cellsFor(length: number, cell: number): number {
  return Math.min(8, Math.max(1, Math.round(length / cell)));
}

/**
 * A flat rectangle at `centre` spanned by half-axes `u` and `v` (normal u x v), split into cells.
 */
function addQuad(b: MeshBuilder, centre: readonly number[], u: readonly number[], v: readonly number[], cell: number): void {
  const n = [u[1]! * v[2]! - u[2]! * v[1]!, u[2]! * v[0]! - u[0]! * v[2]!, u[0]! * v[1]! - u[1]! * v[0]!];
  const nu = cellsFor(2 * Math.hypot(u[0]!, u[1]!, u[2]!), cell);
  const nv = cellsFor(2 * Math.hypot(v[0]!, v[1]!, v[2]!), cell);
  const first = b.positions.length / 3;
  for (let j = 0; j <= nv; j++) {
    const t = -1 + (2 * j) / nv;
    for (let i = 0; i <= nu; i++) {
      const s = -1 + (2 * i) / nu;
      b.vertex([centre[0]! + s * u[0]! + t * v[0]!, centre[1]! + s * u[1]! + t * v[1]!, centre[2]! + s * u[2]! + t * v[2]!], n);
    }
  }
  for (let j = 0; j < nv; j++) {
    for (let i = 0; i < nu; i++) {
      const a = first + j * (nu + 1) + i;
      b.triangle(a, a + 1, a + nu + 2);
      b.triangle(a, a + nu + 2, a + nu + 1);
    }
  }
}

/** MuJoCo's plane: the rectangle of half sizes size[0] x size[1] at z = 0, facing +z. */
export function planeMesh(size: readonly number[], cell = 0.25): ShapeMesh {
  const b = new MeshBuilder();
  addQuad(b, [0, 0, 0], [size[0]!, 0, 0], [0, size[1]!, 0], cell);
  return b.build();
}

/** A box of half sizes `size`, six outward faces. */
export function boxMesh(size: readonly number[], cell = 0.1): ShapeMesh {
  const [x, y, z] = [size[0]!, size[1]!, size[2]!];
  const b = new MeshBuilder();
  addQuad(b, [x, 0, 0], [0, y, 0], [0, 0, z], cell);
  addQuad(b, [-x, 0, 0], [0, 0, z], [0, y, 0], cell);
  addQuad(b, [0, y, 0], [0, 0, z], [x, 0, 0], cell);
  addQuad(b, [0, -y, 0], [x, 0, 0], [0, 0, z], cell);
  addQuad(b, [0, 0, z], [x, 0, 0], [0, y, 0], cell);
  addQuad(b, [0, 0, -z], [0, y, 0], [x, 0, 0], cell);
  return b.build();
}

/**
 * A surface of revolution about z: `ring(k)` gives radius and height of ring k of `rings`, with
 * the normal's radial and axial parts; rings of radius 0 are poles.
 */
function revolve(rings: number, slices: number, ring: (k: number) => { r: number; z: number; nr: number; nz: number }): ShapeMesh {
  const b = new MeshBuilder();
  for (let k = 0; k <= rings; k++) {
    const { r, z, nr, nz } = ring(k);
    for (let s = 0; s <= slices; s++) {
      const a = (2 * Math.PI * s) / slices;
      const c = Math.cos(a);
      const si = Math.sin(a);
      b.vertex([r * c, r * si, z], [nr * c, nr * si, nz]);
    }
  }
  for (let k = 0; k < rings; k++) {
    for (let s = 0; s < slices; s++) {
      const a = k * (slices + 1) + s;
      b.triangle(a, a + 1, a + slices + 2);
      b.triangle(a, a + slices + 2, a + slices + 1);
    }
  }
  return b.build();
}

/** A sphere of radius size[0]. */
export function sphereMesh(size: readonly number[], slices = 12, stacks = 8): ShapeMesh {
  const r = size[0]!;
  return revolve(stacks, slices, (k) => {
    const phi = -Math.PI / 2 + (Math.PI * k) / stacks;
    return { r: r * Math.cos(phi), z: r * Math.sin(phi), nr: Math.cos(phi), nz: Math.sin(phi) };
  });
}

/** An ellipsoid of semi-axes size[0..2]: the unit sphere scaled, normals scaled by the inverse. */
export function ellipsoidMesh(size: readonly number[]): ShapeMesh {
  const m = sphereMesh([1]);
  for (let i = 0; i < m.positions.length; i += 3) {
    for (let a = 0; a < 3; a++) {
      m.positions[i + a] = m.positions[i + a]! * size[a]!;
      m.normals[i + a] = m.normals[i + a]! / size[a]!;
    }
    const l = Math.hypot(m.normals[i]!, m.normals[i + 1]!, m.normals[i + 2]!) || 1;
    for (let a = 0; a < 3; a++) m.normals[i + a] = m.normals[i + a]! / l;
  }
  return m;
}

/** A capsule: radius size[0], cylinder half length size[1] along z, hemispherical caps. */
export function capsuleMesh(size: readonly number[], slices = 12, capStacks = 3): ShapeMesh {
  const r = size[0]!;
  const h = size[1]!;
  const rings = 2 * capStacks + 1;
  return revolve(rings, slices, (k) => {
    // Rings 0..capStacks: the lower cap up to its equator; the rest: the upper cap from its equator.
    const upper = k > capStacks;
    const phi = upper ? (Math.PI / 2) * ((k - capStacks - 1) / capStacks) : -Math.PI / 2 + (Math.PI / 2) * (k / capStacks);
    return { r: r * Math.cos(phi), z: (upper ? h : -h) + r * Math.sin(phi), nr: Math.cos(phi), nz: Math.sin(phi) };
  });
}

/** A cylinder: radius size[0], half length size[1] along z, with flat caps. */
export function cylinderMesh(size: readonly number[], slices = 16): ShapeMesh {
  const r = size[0]!;
  const h = size[1]!;
  const side = revolve(1, slices, (k) => ({ r, z: k === 0 ? -h : h, nr: 1, nz: 0 }));
  const b = new MeshBuilder();
  b.positions.push(...side.positions);
  b.normals.push(...side.normals);
  b.triangles.push(...side.triangles);
  for (const sz of [-1, 1]) {
    const centre = b.vertex([0, 0, sz * h], [0, 0, sz]);
    const first = b.positions.length / 3;
    for (let s = 0; s < slices; s++) {
      const a = (2 * Math.PI * s) / slices;
      b.vertex([r * Math.cos(a), r * Math.sin(a), sz * h], [0, 0, sz]);
    }
    for (let s = 0; s < slices; s++) {
      const p = first + s;
      const q = first + ((s + 1) % slices);
      if (sz > 0) b.triangle(centre, p, q);
      else b.triangle(centre, q, p);
    }
  }
  return b.build();
}
