"""The `rsd-server` profile's observation map to a checkpoint's model inputs, as the engine makes
its tensors (engine/bundle/observation.ts, processing.ts normalizeQ99, image.ts, tokenizer.ts):

- `observation/state` [8]: q99-normalised with the checkpoint's proprio statistics;
- `observation/object_poses` [N, 7] with `task/objects` [N] names (the task's objects in the
  simulator's order): the checkpoint's entities picked out by name, q99-normalised (masked dims);
- `prompt`: the instruction, an index into the checkpoint's instructions (compared trimmed,
  lowercased, whitespace collapsed) or, for a vision model, its word tokens;
- vision: `observation/image` (agentview) and `observation/wrist_image` (robot0_eye_in_hand),
  uint8 [H, W, 3] at the camera's render size, row 0 at the top, exactly as the simulator rendered
  them; oriented, centre-cropped and resized here as image.ts does.
Anything missing or malformed is an ObservationError naming the key.
"""
from __future__ import annotations

import math
import re

import numpy as np
import torch

from training.demos import ENTITIES, normalize
from training.tokens import tokenize

from .errors import ObservationError

# The workbench's wire names of LIBERO's cameras (the openpi LIBERO example's keys).
CAMERA_KEYS = {'agentview': 'observation/image', 'robot0_eye_in_hand': 'observation/wrist_image'}


def normalize_instruction(s: str) -> str:
    return re.sub(r'\s+', ' ', s.strip().lower())


def _array(obs: dict, key: str, shape: tuple, kinds: str) -> np.ndarray:
    """obs[key] as an ndarray of `shape` (None: any size) whose dtype kind is one of `kinds`."""
    if key not in obs:
        raise ObservationError(key, f'missing (the observation has {", ".join(sorted(map(str, obs))) or "no keys"})')
    a = obs[key]
    if not isinstance(a, np.ndarray):
        raise ObservationError(key, f'expected an ndarray, got {type(a).__name__}')
    if a.dtype.kind not in kinds:
        raise ObservationError(key, f'dtype {a.dtype} is not allowed here')
    if len(a.shape) != len(shape) or any(w is not None and w != s for w, s in zip(shape, a.shape)):
        want = ', '.join('N' if w is None else str(w) for w in shape)
        raise ObservationError(key, f'shape {list(a.shape)}, expected [{want}]')
    if a.dtype.kind == 'f' and not np.isfinite(a).all():
        raise ObservationError(key, 'has values that are not finite')
    return a


def _text(obs: dict, key: str) -> str:
    v = obs.get(key)
    if not isinstance(v, str):
        raise ObservationError(key, 'missing' if v is None else f'expected a string, got {type(v).__name__}')
    return v


class StateReader:
    """proprio, object poses, instruction index (Config.observation == 'state')."""

    def __init__(self, stats: dict, instructions: list[str], entities: list[str] = ENTITIES):
        self.stats = stats
        self.instructions = list(instructions)
        self.entities = list(entities)
        self._known = {normalize_instruction(s): i for i, s in enumerate(self.instructions)}

    def read(self, obs: dict) -> tuple:
        proprio = _array(obs, 'observation/state', (8,), 'f')
        poses = _array(obs, 'observation/object_poses', (None, 7), 'f')
        names = obs.get('task/objects')
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
            raise ObservationError('task/objects', 'missing or not a list of object names')
        if len(names) != poses.shape[0]:
            raise ObservationError('task/objects', f'{len(names)} names for {poses.shape[0]} rows of observation/object_poses')
        rows = []
        for e in self.entities:
            if e not in names:
                raise ObservationError('task/objects', f'the checkpoint observes "{e}", which this task does not have (its objects: {", ".join(names)})')
            rows.append(poses[names.index(e)])
        prompt = _text(obs, 'prompt')
        index = self._known.get(normalize_instruction(prompt))
        if index is None:
            raise ObservationError('prompt', f'the checkpoint was not trained on the instruction "{prompt}" (it knows {len(self.instructions)}: "' + '", "'.join(self.instructions) + '")')
        p = normalize(proprio.astype(np.float64)[None], self.stats['proprio'])
        o = np.concatenate(rows).astype(np.float64)[None]
        o = normalize(o, self.stats['poses']) if self.stats.get('poses') else o.astype(np.float32)
        return torch.from_numpy(p), torch.from_numpy(o), torch.tensor([index], dtype=torch.long)


class VisionReader:
    """proprio, instruction tokens, one image per camera (Config.observation == 'vision')."""

    def __init__(self, stats: dict, observation: dict):
        self.stats = stats
        self.vocabulary = {w: i for i, w in enumerate(observation['vocabulary'])}
        self.max_tokens = int(observation['maxTokens'])
        self.cameras = []
        for cam in observation['cameras']:
            if cam['name'] not in CAMERA_KEYS:
                raise ValueError(f'camera "{cam["name"]}" has no observation key (the workbench sends {", ".join(CAMERA_KEYS)})')
            render = cam.get('render') or {'height': cam['height'], 'width': cam['width']}
            self.cameras.append((cam, CAMERA_KEYS[cam['name']], ImagePreprocessor(cam, render['height'], render['width'])))

    def camera_requests(self) -> list[dict]:
        return [{'name': cam['name'], 'width': pre.src_width, 'height': pre.src_height} for cam, _, pre in self.cameras]

    def read(self, obs: dict) -> tuple:
        proprio = _array(obs, 'observation/state', (8,), 'f')
        tokens = tokenize(_text(obs, 'prompt'), self.vocabulary, self.max_tokens)
        images = []
        for cam, key, pre in self.cameras:
            img = _array(obs, key, (pre.src_height, pre.src_width, 3), 'u')
            if img.dtype != np.uint8:
                raise ObservationError(key, f'dtype {img.dtype}, expected uint8 RGB')
            images.append(torch.from_numpy(pre.run(img))[None])
        p = normalize(proprio.astype(np.float64)[None], self.stats['proprio'])
        return (torch.from_numpy(p), torch.from_numpy(tokens)[None], *images)


# ---------------------------------------------------------------- images (engine/bundle/image.ts)

def resample_matrix(size: int, out: int, keep: float, mirror: bool) -> np.ndarray:
    """[out, size] float64: image.ts resampleFilter as a matrix. A triangle filter from `size` source
    pixels keeping the central `keep` of the side, to `out` samples at half-pixel centres, widened
    to the scale when downscaling; taps outside the image dropped and the rest renormalised;
    `mirror` reads the source reversed."""
    side = size * keep
    start = (size - side) / 2
    scale = side / out
    radius = max(scale, 1.0)
    taps = math.floor(2 * radius) + 1
    m = np.zeros((out, size), dtype=np.float64)
    for i in range(out):
        c = start + (i + 0.5) * scale - 0.5
        lo = max(0, math.ceil(c - radius))
        hi = min(size - 1, math.floor(c + radius))
        js = list(range(lo, hi + 1))[:taps]
        w = np.array([1 - abs(j - c) / radius for j in js])
        w = w / w.sum()
        for j, wt in zip(js, w):
            m[i, size - 1 - j if mirror else j] += wt
    return m


class ImagePreprocessor:
    """One camera's RGB uint8 [H, W, 3] -> float32 [3, h, w] in [0, 1] (image.ts ImagePreprocessor)."""

    def __init__(self, camera: dict, src_height: int, src_width: int):
        self.camera = camera
        self.src_height, self.src_width = int(src_height), int(src_width)
        keep = math.sqrt(camera.get('centerCrop') or 1.0)
        self.rows = resample_matrix(self.src_height, int(camera['height']), keep, False)
        self.cols = resample_matrix(self.src_width, int(camera['width']), keep, camera.get('orientation') == 'rot180')

    def run(self, image: np.ndarray) -> np.ndarray:
        x = image.astype(np.float64)  # [H, W, 3]
        x = np.einsum('wW,HWc->Hwc', self.cols, x)  # along x first, as image.ts
        x = np.einsum('hH,Hwc->chw', self.rows, x)
        return (x / 255.0).astype(np.float32)
