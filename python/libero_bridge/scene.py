"""The scene description of a compiled MuJoCo model (engine/api/schemas/scene.ts): the bodies that
carry something drawn, their geoms as a renderer shows them, and the meshes, decimated so replay
stays light. Only numpy and the mujoco module are used.

What is drawn: robosuite renders geom groups 1 and 2 (visual meshes; `vopt.geomgroup[0]` is off),
so a geom is kept when it is in group 1 or 2, or when it is a group-0 (collision) geom of a body
that has no group-1/2 geom at all (some mount and finger-pad bodies are collision-only). Geoms
whose colour is fully transparent are skipped, and so are heightfields and SDFs.
"""
import hashlib
import json

import numpy as np

# mjtGeom values (stable across MuJoCo 2.x and 3.x)
GEOM_TYPES = {0: "plane", 2: "sphere", 3: "capsule", 4: "ellipsoid", 5: "cylinder", 6: "box", 7: "mesh"}
MESH = 7
VISUAL_GROUPS = (1, 2)
DEFAULT_RGBA = np.array([0.5, 0.5, 0.5, 1.0])

MAX_MESH_FACES = 2000
# The scene file as the engine writes it (vertices rounded to 0.1 mm) stays below this many bytes.
MAX_SCENE_JSON_BYTES = 1_500_000
_BUDGET_MARGIN = 0.95


def body_name(m, i):
    import mujoco
    return mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_BODY, i) or ("body%d" % i)


def _rgba(m, g):
    rgba = np.asarray(m.geom_rgba[g], dtype=float)
    mat = int(m.geom_matid[g])
    if mat >= 0 and np.allclose(rgba, DEFAULT_RGBA):
        rgba = np.asarray(m.mat_rgba[mat], dtype=float).copy()
        # Replay draws no textures: a textured material takes its texture's mean colour (wood,
        # marble, the table's top), not the white its rgba usually is.
        tex = _rgb_texture(m, mat)
        if tex >= 0:
            rgba[:3] *= _texture_mean(m, tex)
    return rgba


def _rgb_texture(m, mat):
    """The material's colour texture: mat_texid is (nmat, roles) since MuJoCo 3.2, (nmat,) before."""
    ids = np.asarray(m.mat_texid[mat]).reshape(-1)
    return int(ids[1] if ids.size > 1 else ids[0])  # role 1: mjTEXROLE_RGB


_TEXTURE_MEANS = {}


def _texture_mean(m, tex):
    key = (id(m), tex)
    if key not in _TEXTURE_MEANS:
        w, h = int(m.tex_width[tex]), int(m.tex_height[tex])
        channels = int(m.tex_nchannel[tex]) if hasattr(m, "tex_nchannel") else 3
        start = int(m.tex_adr[tex])
        pixels = np.asarray(m.tex_data[start:start + w * h * channels], dtype=float).reshape(-1, channels)
        _TEXTURE_MEANS[key] = pixels[:, :3].mean(axis=0) / 255.0 if channels >= 3 else np.repeat(pixels.mean() / 255.0, 3)
    return _TEXTURE_MEANS[key]


def drawn_geoms(m):
    """Ids of the geoms a renderer draws (see the module's docstring), in model order."""
    types = np.asarray(m.geom_type)
    groups = np.asarray(m.geom_group)
    bodies = np.asarray(m.geom_bodyid)
    keep_type = np.isin(types, list(GEOM_TYPES))
    visible = np.array([_rgba(m, g)[3] > 0 for g in range(m.ngeom)], dtype=bool) if m.ngeom else np.zeros(0, bool)
    visual = np.isin(groups, VISUAL_GROUPS) & keep_type & visible
    has_visual = np.zeros(m.nbody, dtype=bool)
    has_visual[bodies[visual]] = True
    fallback = (groups == 0) & keep_type & visible & ~has_visual[bodies]
    return [int(g) for g in np.nonzero(visual | fallback)[0]]


def scene_bodies(m):
    """Body ids carrying at least one drawn geom, in model order (the order of body_poses)."""
    ids = sorted({int(m.geom_bodyid[g]) for g in drawn_geoms(m)})
    return ids


def _mesh_arrays(m, mesh_id):
    va, vn = int(m.mesh_vertadr[mesh_id]), int(m.mesh_vertnum[mesh_id])
    fa, fn = int(m.mesh_faceadr[mesh_id]), int(m.mesh_facenum[mesh_id])
    v = np.array(m.mesh_vert[va:va + vn], dtype=np.float64)
    f = np.array(m.mesh_face[fa:fa + fn], dtype=np.int64)
    return v, f


def cluster(vertices, faces, cell):
    """Vertex clustering: snap vertices to a grid of `cell` metres, merge each cell's vertices into
    their mean, drop faces that collapse and duplicated faces. Returns (vertices, faces)."""
    if cell <= 0 or len(faces) == 0:
        return vertices, faces
    cells = np.floor((vertices - vertices.min(axis=0)) / cell).astype(np.int64)
    span = cells.max(axis=0) + 1
    keys = (cells[:, 0] * span[1] + cells[:, 1]) * span[2] + cells[:, 2]  # one integer per cell
    _, inverse = np.unique(keys, return_inverse=True)
    inverse = inverse.reshape(-1)
    n = int(inverse.max()) + 1
    counts = np.bincount(inverse, minlength=n).astype(np.float64)
    merged = np.stack([np.bincount(inverse, weights=vertices[:, k], minlength=n) for k in range(3)], axis=1) / counts[:, None]
    f = inverse[faces]
    f = f[(f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])]
    if len(f):
        s = np.sort(f, axis=1)
        _, first = np.unique((s[:, 0] * n + s[:, 1]) * n + s[:, 2], return_index=True)
        f = f[np.sort(first)]
    used = np.unique(f)
    remap = np.full(n, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return merged[used], remap[f]


def decimate(vertices, faces, max_faces):
    """The mesh with at most `max_faces` faces: unchanged when small enough, else vertex clustering
    with the finest grid that meets the limit (bisection on the cell size)."""
    if len(faces) <= max_faces:
        return vertices, faces
    extent = float(np.max(vertices.max(axis=0) - vertices.min(axis=0))) or 1.0
    lo, hi = extent * 1e-5, extent  # hi always meets the limit (at most a handful of faces)
    best = cluster(vertices, faces, hi)
    for _ in range(18):
        mid = (lo * hi) ** 0.5
        v, f = cluster(vertices, faces, mid)
        if len(f) <= max_faces:
            hi, best = mid, (v, f)
        else:
            lo = mid
        if hi / lo < 1.05:
            break
    return best


def _json_size(vertices, faces):
    """Bytes of this mesh in the engine's scene file: vertices rounded to 0.1 mm, faces as integers."""
    vs = json.dumps(np.round(vertices.astype(np.float32).astype(np.float64), 4).ravel().tolist(), separators=(",", ":"))
    fs = json.dumps(faces.ravel().tolist(), separators=(",", ":"))
    return len(vs) + len(fs) + 32


def describe(m, task):
    """The scene description: {task, bodies, geoms, meshes}, meshes as numpy arrays
    (vertices float32 [V, 3] in the mesh frame, faces int32 [F, 3])."""
    geoms_ids = drawn_geoms(m)
    body_ids = sorted({int(m.geom_bodyid[g]) for g in geoms_ids})
    body_index = {b: i for i, b in enumerate(body_ids)}

    # unique meshes: by MuJoCo id, then by content (each object instance has its own mesh asset)
    mesh_of_id, sources, by_digest = {}, [], {}
    for g in geoms_ids:
        if int(m.geom_type[g]) != MESH:
            continue
        mid = int(m.geom_dataid[g])
        if mid in mesh_of_id:
            continue
        v, f = _mesh_arrays(m, mid)
        digest = hashlib.sha1(v.tobytes() + f.tobytes()).hexdigest()
        if digest not in by_digest:
            by_digest[digest] = len(sources)
            sources.append((v, f))
        mesh_of_id[mid] = by_digest[digest]

    geoms = []
    for g in geoms_ids:
        entry = {
            "body": body_index[int(m.geom_bodyid[g])],
            "type": GEOM_TYPES[int(m.geom_type[g])],
            "size": [float(x) for x in m.geom_size[g]],
            "pos": [float(x) for x in m.geom_pos[g]],
            "quat": [float(x) for x in m.geom_quat[g]],
            "rgba": [float(x) for x in _rgba(m, g)],
        }
        if int(m.geom_type[g]) == MESH:
            entry["mesh"] = mesh_of_id[int(m.geom_dataid[g])]
        geoms.append(entry)
    bodies = [body_name(m, b) for b in body_ids]

    fixed = len(json.dumps({"task": task, "bodies": bodies, "geoms": geoms}))
    budget = MAX_SCENE_JSON_BYTES * _BUDGET_MARGIN - fixed
    limits = [min(MAX_MESH_FACES, len(f)) for _, f in sources]
    meshes = None
    for _ in range(30):
        meshes = [decimate(v, f, lim) for (v, f), lim in zip(sources, limits)]
        size = sum(_json_size(v, f) for v, f in meshes)
        if size <= budget:
            break
        scale = max(0.5, min(0.95, budget / size))
        limits = [max(4, int(lim * scale)) for lim in limits]
    return {
        "task": task,
        "bodies": bodies,
        "geoms": geoms,
        "meshes": [{"vertices": v.astype(np.float32), "faces": f.astype(np.int32)} for v, f in meshes],
    }


def scene_json_size(scene):
    """The scene's size as the engine writes it (vertices rounded to 0.1 mm)."""
    plain = dict(scene)
    plain["meshes"] = [
        {"vertices": np.round(mm["vertices"].astype(np.float64), 4).ravel().tolist(), "faces": mm["faces"].ravel().tolist()}
        for mm in scene["meshes"]
    ]
    return len(json.dumps(plain, separators=(",", ":")))
