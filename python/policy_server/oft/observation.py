"""Observation maps (the `rsd-server` and `openpi-libero` profiles' keys) to OFT's inputs.

Images. The `rsd-server` profile sends images as the simulator rendered them, upright (row 0 at the
top, column 0 at camera-left; docs/cameras.md). OFT's LIBERO policies were trained on
`img[::-1, ::-1]` of robosuite's bottom-up OpenGL buffer, which is the upright image mirrored left
to right (engine/bundle/image.ts has the derivation), so `upright` mirrors the columns. The
`openpi-libero` profile sends images already turned that way (and resized with padding to 224):
`--image-orientation oft` takes them as they are.
Then, as OFT's `prepare_images_for_vla`: resize to 224 x 224 when the size differs, and the centre
crop of 90% area resized back to 224 (OFT's LIBERO checkpoints were trained with crop augmentation).
OFT resizes with a JPEG round trip and TF's lanczos3; this resizes with torch's antialiased bicubic
(no TF here): close, not bit-exact. The crop follows tf.image.crop_and_resize (bilinear, corner-
aligned sampling of the central box) and TF's float -> uint8 conversion.
"""
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .errors import OftInputError

IMAGE_SIZE = 224
CROP_AREA = 0.9
CAMERAS = (('agentview', 'observation/image'), ('robot0_eye_in_hand', 'observation/wrist_image'))
ORIENTATIONS = ('upright', 'oft')


@dataclass
class ModelInput:
    images: list[np.ndarray]      # uint8 [224, 224, 3] each, as OFT's policy sees them
    instruction: str
    proprio: np.ndarray | None    # float64 [8], raw (normalised later with the checkpoint's stats)
    suite: str | None


def image_field(obs: dict, key: str) -> np.ndarray:
    if key not in obs:
        raise OftInputError(f'{key}: missing from the observation (keys: {", ".join(sorted(map(str, obs)))})')
    image = obs[key]
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        got = f'{image.dtype} {list(image.shape)}' if isinstance(image, np.ndarray) else type(image).__name__
        raise OftInputError(f'{key}: expected uint8 [H, W, 3], got {got}')
    return image


def resize(image: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    if image.shape[:2] == (size, size):
        return image
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float()
    y = F.interpolate(x, size=(size, size), mode='bicubic', antialias=True, align_corners=False)
    return y.round().clamp(0, 255)[0].permute(1, 2, 0).to(torch.uint8).numpy()


def _crop_weights(n: int, out: int, area: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # tf.image.crop_and_resize: in = y1 * (n - 1) + i * (y2 - y1) * (n - 1) / (out - 1), bilinear.
    side = math.sqrt(area)
    y1 = (1 - side) / 2
    pos = y1 * (n - 1) + np.arange(out) * side * (n - 1) / (out - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    return lo, hi, pos - lo


def center_crop(image: np.ndarray, area: float = CROP_AREA) -> np.ndarray:
    h, w = image.shape[:2]
    x = image.astype(np.float32) / 255.0
    lo, hi, f = _crop_weights(h, h, area)
    x = x[lo] * (1 - f)[:, None, None] + x[hi] * f[:, None, None]
    lo, hi, f = _crop_weights(w, w, area)
    x = x[:, lo] * (1 - f)[None, :, None] + x[:, hi] * f[None, :, None]
    # TF's convert_image_dtype(float -> uint8, saturate=True): multiply by 255.5, truncate.
    return np.clip(np.clip(x, 0, 1) * 255.5, 0, 255).astype(np.uint8)


def prepare_image(image: np.ndarray, orientation: str, crop: bool) -> np.ndarray:
    if orientation == 'upright':
        image = image[:, ::-1]
    image = resize(np.ascontiguousarray(image))
    return center_crop(image) if crop else image


def parse(obs: dict, num_images: int, orientation: str, crop: bool, proprio_dim: int | None) -> ModelInput:
    """The model's inputs from one observation map; `proprio_dim` None when the model reads no state."""
    if not isinstance(obs, dict):
        raise OftInputError(f'observation: expected a map, got {type(obs).__name__}')
    prompt = obs.get('prompt')
    if not isinstance(prompt, str) or not prompt.strip():
        raise OftInputError('prompt: missing or empty (the task instruction, a string)')
    images = [prepare_image(image_field(obs, key), orientation, crop) for _, key in CAMERAS[:num_images]]
    proprio = None
    if proprio_dim is not None:
        state = obs.get('observation/state')
        if state is None:
            raise OftInputError('observation/state: missing (this model reads the 8-d proprio through its projector)')
        state = np.asarray(state)
        if state.shape != (proprio_dim,) or not np.issubdtype(state.dtype, np.number) or not np.all(np.isfinite(state)):
            raise OftInputError(f'observation/state: expected {proprio_dim} finite numbers, got {state.dtype} {list(state.shape)}')
        proprio = state.astype(np.float64)
    suite = obs.get('task/suite')
    return ModelInput(images, prompt, proprio, suite if isinstance(suite, str) and suite else None)
