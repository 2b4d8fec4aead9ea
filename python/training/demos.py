"""Demonstrations (rsd-demo/1, engine/expert/demos.ts) to training arrays, with numpy only.

Per step of a successful episode: proprio [8], object poses [7 E] (the manifest's entities, picked
by name), the task index, and the action chunk a[t : t + C] (the env's actions; past the episode's
end the last action repeats). In perturbed episodes only the steps whose chunk ran unperturbed are
samples (clean_chunk_starts): they start in the states the noise led to and hold the expert's
clean answer. Normalisation is BOUNDS_Q99 as OpenVLA-OFT, statistics from the
demonstrations:

    x_norm = clip(2 (x - q01) / (q99 - q01 + 1e-8) - 1, -1, 1)    on masked dims, x elsewhere

- proprio: all 8 dims;
- object poses: positions (xyz) normalised where their q01-q99 range is at least 5 cm; positions
  of objects that hardly move across the demonstrations (the plate, the cookie box, the ramekin:
  ranges of about 2 cm) are passed through in metres, so that millimetre jitter is not magnified
  50-fold into a feature the policy could key on; quaternions (wxyz, already in [-1, 1]) passed
  through;
- actions: dims 0-5 normalised; dim 6 (gripper) is not: the model's convention is 1 = open,
  0 = close, so the target is g = (1 - a_env) / 2 (the engine's gripperToEnv with binarize and
  invert maps it back: g > 0.5 -> -1 = open).

Camera images (`rsd expert --record DIR --cameras ...`): a line's `images` names a .npy file beside
it (relative to the .jsonl's folder) holding uint8 [steps, cameras, 3, h, w]: each camera's image
at each step as the policy's tensor (the engine's ImagePreprocessor: orientation, centre crop,
triangle-filter resize to h x w), round(255 x). `images.cameras` are the manifest's camera entries
the recording used. Training reads them memory-mapped and keeps the sample steps' frames.
"""
from __future__ import annotations

import base64
import hashlib
import json
import lzma
import os
from dataclasses import dataclass, field

import numpy as np

DEMO_FORMAT = 'rsd-demo/1'
Q99_EPS = 1e-8
ENTITIES = ['akita_black_bowl_1', 'akita_black_bowl_2', 'cookies_1', 'glazed_rim_porcelain_ramekin_1', 'plate_1']


@dataclass
class Episode:
    task_id: int
    instruction: str
    init_index: int
    init_source: str
    noise: float  # std of the DART-style noise on the executed actions (0: none)
    perturber: str  # what drove the perturbed steps: 'none', 'noise' or 'policy:<bundle name>'
    perturbed: np.ndarray  # [T] bool: the executed action of step t had noise added
    proprio: np.ndarray  # [T, 8]
    poses: np.ndarray  # [T, 7 E] in ENTITIES order
    actions: np.ndarray  # [T, 7], env convention
    images: np.ndarray | None = None  # [T, cameras, 3, h, w] uint8 (memory-mapped), with images


@dataclass
class DemoSet:
    episodes: list[Episode]
    instructions: list[str]  # by task id
    sha256: str
    counts: dict = field(default_factory=dict)
    cameras: list[dict] | None = None  # the recording's camera entries, with images


class DemoImageError(ValueError):
    """A demonstration's image file is missing, of the wrong shape, or recorded with other cameras."""


IMAGE_LAYOUT = ['step', 'camera', 'channel', 'row', 'column']


def load_images(meta: dict, base: str, steps: int, where: str, check_hash: bool = False) -> np.ndarray:
    """The episode's frames, memory-mapped, checked against the line's description."""
    if meta.get('layout') != IMAGE_LAYOUT or meta.get('dtype') != 'uint8':
        raise DemoImageError(f'{where}: images: expected layout {IMAGE_LAYOUT} of uint8, got {meta.get("layout")} of {meta.get("dtype")}')
    path = os.path.join(base, meta['file'])
    if not os.path.isfile(path):
        raise DemoImageError(f'{where}: images: {path} not found')
    cams = meta['cameras']
    h, w = cams[0]['height'], cams[0]['width']
    if any(c['height'] != h or c['width'] != w for c in cams):
        raise DemoImageError(f'{where}: images: cameras of different sizes ({[(c["height"], c["width"]) for c in cams]}) do not fit one array')
    want = (steps, len(cams), 3, h, w)
    try:
        a = np.load(path, mmap_mode='r')
    except ValueError as e:
        raise DemoImageError(f'{where}: images: {path}: {e}') from e
    if a.dtype != np.uint8 or tuple(a.shape) != want:
        raise DemoImageError(f'{where}: images: {path} holds {a.dtype} {list(a.shape)}, expected uint8 {list(want)}')
    if check_hash:
        with open(path, 'rb') as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if digest != meta.get('sha256'):
            raise DemoImageError(f'{where}: images: {path} has SHA-256 {digest}, the line records {meta.get("sha256")}')
    return a


def _floats(s: str, rows: int, cols: int, what: str) -> np.ndarray:
    raw = base64.b64decode(s)
    if len(raw) != 4 * rows * cols:
        raise ValueError(f'{what} holds {len(raw) // 4} floats, expected {rows * cols}')
    return np.frombuffer(raw, '<f4').reshape(rows, cols).astype(np.float32)


def load_demos(paths: str | list[str], entities: list[str] = ENTITIES, images: bool = False, check_image_hashes: bool = False) -> DemoSet:
    """Successful episodes of .jsonl files (or .jsonl.xz); poses reordered to `entities`.

    `rsd expert` appends episodes as its workers finish them, so the line order varies from one
    recording to the next: episodes are sorted by (task, initial state, noise level) and the SHA-256
    is that of the sorted lines (`LC_ALL=C sort FILE | sha256sum` for a .jsonl ending in a newline),
    the same for a file and its .xz, whatever order the lines came in. Several files are one set:
    their lines sorted together (`xz -dc A.xz B.xz | LC_ALL=C sort | sha256sum`).

    With `images`, every successful episode must name its image file (relative to its .jsonl's
    folder; its SHA-256 is in the line, so the set's hash covers the images), all recorded with the
    same cameras; `check_image_hashes` also hashes every file (about 1 s per GB)."""
    paths = [paths] if isinstance(paths, str) else list(paths)
    path = ' + '.join(paths)
    h = hashlib.sha256()
    episodes: list[Episode] = []
    instructions: dict[int, str] = {}
    counts = {'lines': 0, 'success': 0, 'failure': 0, 'error': 0}
    lines = []
    for p in paths:
        base = os.path.dirname(os.path.abspath(p))
        with (lzma.open(p, 'rb') if p.endswith('.xz') else open(p, 'rb')) as f:
            lines.extend((line, base) for line in f.read().split(b'\n') if line.strip())
    lines.sort()
    for line, _ in lines:
        h.update(line + b'\n')
    cameras = None
    for n, (line, base) in enumerate(lines, 1):
        counts['lines'] += 1
        d = json.loads(line)
        if d.get('format') != DEMO_FORMAT:
            raise ValueError(f'{path}: sorted line {n}: not an {DEMO_FORMAT} line')
        counts[d['outcome']] = counts.get(d['outcome'], 0) + 1
        noise = float(d.get('noise', 0.0))
        policy = d.get('policy')
        perturber = f"policy:{policy['name']}" if policy else 'noise' if noise > 0 else 'none'
        level = counts.setdefault('byNoise', {}).setdefault(perturber if policy else f'{noise:g}', {'success': 0, 'failure': 0, 'error': 0})
        level[d['outcome']] = level.get(d['outcome'], 0) + 1
        tid = int(d['taskId'])
        if instructions.setdefault(tid, d['instruction']) != d['instruction']:
            raise ValueError(f'{path}: sorted line {n}: task {tid} has two instructions')
        if d['outcome'] != 'success':
            continue
        steps, objects = int(d['steps']), d['objects']
        poses_all = _floats(d['objectPoses'], steps, 7 * len(objects), 'objectPoses')
        idx = []
        for name in entities:
            if name not in objects:
                raise ValueError(f'{path}: sorted line {n}: episode has no object {name}')
            i = objects.index(name)
            idx.extend(range(7 * i, 7 * i + 7))
        frames = None
        if images:
            where = f'{path}: sorted line {n}'
            if 'images' not in d:
                raise DemoImageError(f'{where}: no images (record with rsd expert --cameras)')
            if cameras is None:
                cameras = d['images']['cameras']
            elif d['images']['cameras'] != cameras:
                raise DemoImageError(f'{where}: images recorded with cameras {d["images"]["cameras"]}, other lines with {cameras}')
            frames = load_images(d['images'], base, steps, where, check_image_hashes)
        episodes.append(Episode(
            task_id=tid,
            instruction=d['instruction'],
            init_index=int(d['initIndex']),
            init_source=d['initSource'],
            noise=noise,
            perturber=perturber,
            perturbed=perturbed_mask(d.get('perturbedSteps', []), steps, f'{path}: sorted line {n}'),
            proprio=_floats(d['proprio'], steps, 8, 'proprio'),
            poses=poses_all[:, idx],
            actions=_floats(d['actions'], steps, 7, 'actions'),
            images=frames,
        ))
    episodes.sort(key=lambda e: (e.task_id, e.init_index, e.perturber, e.noise))
    tasks = sorted(instructions)
    if tasks != list(range(len(tasks))):
        raise ValueError(f'{path}: task ids {tasks} are not 0..{len(tasks) - 1}')
    return DemoSet(episodes, [instructions[t] for t in tasks], h.hexdigest(), counts, cameras)


def perturbed_mask(ranges: list, steps: int, where: str) -> np.ndarray:
    out = np.zeros(steps, dtype=bool)
    for r in ranges:
        a, b = int(r[0]), int(r[1])
        if not 0 <= a < b <= steps:
            raise ValueError(f'{where}: perturbedSteps range {r} is not inside [0, {steps})')
        out[a:b] = True
    return out


def clean_chunk_starts(perturbed: np.ndarray, chunk: int) -> np.ndarray:
    """Steps t whose chunk label a[t : t + chunk] the noise did not shape: the executed actions of
    steps t .. t + chunk - 2 ran unperturbed (a[t + k] is computed from the state those led to)."""
    T = len(perturbed)
    bad = np.zeros(T, dtype=bool)
    for k in range(chunk - 1):
        bad[: T - k] |= perturbed[k:]
    return ~bad


# ---------------------------------------------------------------- q99 normalisation

def q99_stats(x: np.ndarray, mask: list[bool]) -> dict:
    """The manifest's Q99Normalization for the rows of x (np.quantile, linear interpolation)."""
    q01 = np.quantile(x.astype(np.float64), 0.01, axis=0)
    q99 = np.quantile(x.astype(np.float64), 0.99, axis=0)
    return {'kind': 'q99', 'q01': [float(v) for v in q01], 'q99': [float(v) for v in q99], 'mask': [bool(m) for m in mask]}


def normalize(x: np.ndarray, stats: dict) -> np.ndarray:
    """processing.ts normalizeQ99 (float64, then float32)."""
    q01, q99, mask = (np.asarray(stats[k], dtype=np.float64) for k in ('q01', 'q99', 'mask'))
    v = x.astype(np.float64)
    n = np.clip(2 * (v - q01) / (q99 - q01 + Q99_EPS) - 1, -1, 1)
    return np.where(mask.astype(bool), n, v).astype(np.float32)


def unnormalize(n: np.ndarray, stats: dict) -> np.ndarray:
    """processing.ts unnormalizeQ99 (no clip)."""
    q01, q99, mask = (np.asarray(stats[k], dtype=np.float64) for k in ('q01', 'q99', 'mask'))
    v = n.astype(np.float64)
    return np.where(mask.astype(bool), 0.5 * (v + 1) * (q99 - q01 + Q99_EPS) + q01, v)


MIN_POSITION_RANGE = 0.05  # metres


def pose_mask(poses: np.ndarray) -> list[bool]:
    """Normalise an object's x, y or z only where its q01-q99 range is at least MIN_POSITION_RANGE."""
    q01, q99 = np.quantile(poses.astype(np.float64), [0.01, 0.99], axis=0)
    return [bool(i % 7 < 3 and q99[i] - q01[i] >= MIN_POSITION_RANGE) for i in range(poses.shape[1])]


ACTION_MASK = [True] * 6 + [False]


def action_to_model(actions: np.ndarray, stats: dict) -> np.ndarray:
    """Env actions [..., 7] -> the model's normalised actions: q99 on 0-5, g = (1 - a) / 2 on 6."""
    out = normalize(actions, stats)
    out[..., 6] = (1.0 - actions[..., 6]) / 2.0
    return out


def model_to_env(actions: np.ndarray, stats: dict) -> np.ndarray:
    """processing.ts postprocessChunk with binarize and invert: the env's actions."""
    out = unnormalize(actions, stats)
    g = np.sign(2 * actions[..., 6].astype(np.float64) - 1)
    out[..., 6] = -g
    return out


# ---------------------------------------------------------------- training arrays

@dataclass
class Arrays:
    proprio: np.ndarray  # [N, 8] normalised
    poses: np.ndarray  # [N, 7 E] normalised (E = 0: [N, 0])
    task: np.ndarray  # [N] int64
    chunks: np.ndarray  # [N, C, 7] model actions (normalised, gripper 1 = open)
    episode: np.ndarray  # [N] episode index
    stats: dict
    dropped: int = 0  # steps whose chunk the perturbation shaped (not samples)
    frames: np.ndarray | None = None  # [N, cameras, 3, h, w] uint8: the samples' images, with images


def build_arrays(demos: DemoSet, chunk: int = 8) -> Arrays:
    eps = demos.episodes
    P = np.concatenate([e.proprio for e in eps])
    O = np.concatenate([e.poses for e in eps])
    A = np.concatenate([e.actions for e in eps])
    stats = {
        'proprio': q99_stats(P, [True] * 8),
        # A vision bundle observes no object poses (objectPoses.normalization null).
        'poses': q99_stats(O, pose_mask(O)) if O.shape[1] else None,
        'actions': q99_stats(A, ACTION_MASK),
    }
    chunks, task, episode, keep = [], [], [], []
    for i, e in enumerate(eps):
        T = len(e.actions)
        idx = np.minimum(np.arange(T)[:, None] + np.arange(chunk)[None, :], T - 1)
        chunks.append(e.actions[idx])
        task.append(np.full(T, e.task_id, dtype=np.int64))
        episode.append(np.full(T, i, dtype=np.int64))
        keep.append(clean_chunk_starts(e.perturbed, chunk))
    frames = None
    if eps and eps[0].images is not None:
        # Only the samples' frames (about half the steps of perturbed episodes are not samples),
        # copied episode by episode out of the memory-mapped files.
        frames = np.empty((int(sum(k.sum() for k in keep)), *eps[0].images.shape[1:]), dtype=np.uint8)
        at = 0
        for e, k in zip(eps, keep):
            sel = np.flatnonzero(k)
            frames[at:at + len(sel)] = e.images[sel]
            at += len(sel)
    keep = np.concatenate(keep)
    chunks = action_to_model(np.concatenate(chunks)[keep], stats['actions'])
    return Arrays(
        proprio=normalize(P[keep], stats['proprio']),
        poses=normalize(O[keep], stats['poses']) if stats['poses'] else O[keep],
        task=np.concatenate(task)[keep],
        chunks=chunks.astype(np.float32),
        episode=np.concatenate(episode)[keep],
        stats=stats,
        dropped=int((~keep).sum()),
        frames=frames,
    )


def split_episodes(demos: DemoSet, val_fraction: float, seed: int) -> np.ndarray:
    """Boolean per episode: True = validation. Stratified by task, and by initial state: every
    episode from a held-out initial state (each noise level's) is held out with it."""
    rng = np.random.default_rng(seed)
    val = np.zeros(len(demos.episodes), dtype=bool)
    by_task: dict[int, dict[int, list[int]]] = {}
    for i, e in enumerate(demos.episodes):
        by_task.setdefault(e.task_id, {}).setdefault(e.init_index, []).append(i)
    for states in by_task.values():
        inits = sorted(states)
        k = int(round(val_fraction * len(inits)))
        for j in rng.permutation(len(inits))[:k]:
            val[states[inits[j]]] = True
    return val
