"""Serves a python/training checkpoint (the `checkpoint.pt` that train.py or from_bundle.py writes)
with the engine's decoding strategies and acceptance rules (decoding.py), the engine's observation
encoding (observation.py) and its post-processing (engine/bundle/processing.ts postprocessChunk):
the reply's `actions` are the env's actions [C, 7] (float64, as the engine computes them) and
`rsd` is the chunk's decoding record.
"""
from __future__ import annotations

import hashlib
import os

import numpy as np
import torch

from training.demos import ENTITIES, unnormalize
from training.export import load_models

from .decoding import ACCEPT_RULES, DEFAULT_THRESHOLD, STRATEGIES, RsdDecoder
from .errors import UsageError
from .observation import StateReader, VisionReader

# The bundles' gripper convention (training/export.py manifest): model 1 = open, 0 = close;
# binarised and inverted to the env's -1 = open, +1 = close.
GRIPPER = {'index': 6, 'binarize': True, 'invert': True}


def postprocess_chunk(actions_normalized: np.ndarray, stats: dict) -> np.ndarray:
    """processing.ts postprocessChunk: un-normalise the masked dims (float64), then the gripper
    g -> 2g - 1, sign, negate (sign(0) stays 0, as OFT sends it)."""
    if not np.isfinite(actions_normalized).all():
        raise ValueError('the decoded chunk has values that are not finite')
    out = unnormalize(actions_normalized.astype(np.float32), stats)
    g = 2 * out[:, GRIPPER['index']] - 1
    if GRIPPER['binarize']:
        g = np.sign(g)
    if GRIPPER['invert']:
        g = -g
    out[:, GRIPPER['index']] = g
    return out


def weights_hash(state: dict) -> str:
    """sha256 of the checkpoint's weights alone (models, entries, dtypes, shapes, bytes, in sorted
    order): the same weights give the same hash whatever else the file holds (provenance, paths)."""
    h = hashlib.sha256()
    for model in sorted(state):
        for name in sorted(state[model]):
            t = state[model][name].detach().cpu().contiguous()
            h.update(f'{model}.{name}\0{t.dtype}\0{list(t.shape)}\0'.encode())
            h.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes())
    return h.hexdigest()


class ProjectPolicy:
    """A checkpoint's models behind the server's policy interface (metadata, infer, reset)."""

    def __init__(self, ckpt: dict, *, name: str, decoding: str | None = None, accept: str | None = None, threshold: float | None = None):
        for key in ('config', 'state', 'scales', 'stats', 'instructions'):
            if key not in ckpt:
                raise UsageError(f'the checkpoint has no "{key}" (a python/training checkpoint.pt has config, state, scales, stats, instructions)')
        try:
            self.cfg, models = load_models(ckpt)
        except (KeyError, RuntimeError, TypeError) as e:
            raise UsageError(f'the checkpoint\'s weights do not load into training.models: {str(e).splitlines()[0]}') from None
        self.stats = ckpt['stats']
        self.decoder = RsdDecoder(self.cfg, models, ckpt['scales'])
        strategies = self.decoder.strategies()
        self.strategy = decoding or ('speculative' if 'speculative' in strategies else strategies[0])
        if self.strategy not in STRATEGIES:
            raise UsageError(f'--decoding {self.strategy}: not one of {", ".join(STRATEGIES)}')
        if self.strategy not in strategies:
            raise UsageError(f'--decoding {self.strategy}: this checkpoint supports {", ".join(strategies)}' + (' (it has no parallel weights)' if self.strategy == 'parallel' else ''))
        if accept is not None and self.strategy != 'speculative':
            raise UsageError(f'--accept applies to --decoding speculative, not {self.strategy}')
        self.accept = accept or 'exact'
        if self.accept not in ACCEPT_RULES:
            raise UsageError(f'--accept {self.accept}: not one of {", ".join(ACCEPT_RULES)} (stochastic is not served)')
        if threshold is not None and self.accept != 'threshold':
            raise UsageError('--threshold applies to --accept threshold')
        self.threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        if not 0.0 <= self.threshold <= 1.0:
            raise UsageError(f'--threshold {threshold}: must be in [0, 1]')
        if self.cfg.observation == 'state':
            self.reader = StateReader(self.stats, ckpt['instructions'], ENTITIES)
            cameras = []
        else:
            # torch tries NNPACK for every convolution and, on CPUs it does not support, logs a
            # warning each time: the default convolution path is used instead.
            torch.backends.nnpack.set_flags(False)
            try:
                self.reader = VisionReader(self.stats, ckpt['observation'])
            except (KeyError, ValueError, TypeError) as e:
                raise UsageError(f'the checkpoint\'s observation entry: {e}') from None
            cameras = self.reader.camera_requests()
        self.metadata = {
            'server': 'rsd-policy-server',
            'protocol': 1,
            'kind': 'rsd-checkpoint',
            'name': name,
            'hash': f'sha256:{weights_hash(ckpt["state"])}',
            'observation': {'cameras': cameras, 'proprio': self.cfg.proprio_dim, 'object_poses': self.cfg.observation == 'state', 'instruction': True},
            'action': {'dim': self.cfg.action_dim, 'chunk': self.cfg.chunk},
            'decoding': {'strategy': self.strategy, 'accept': self.accept if self.strategy == 'speculative' else None,
                         'threshold': self.threshold if self.strategy == 'speculative' and self.accept == 'threshold' else None},
            'strategies': strategies,
        }

    @classmethod
    def from_checkpoint(cls, path: str, **options) -> 'ProjectPolicy':
        if not os.path.isfile(path):
            raise UsageError(f'--checkpoint {path}: no such file')
        try:
            ckpt = torch.load(path, map_location='cpu', weights_only=False)
        except Exception as e:  # a truncated or foreign file: say which
            raise UsageError(f'--checkpoint {path}: not a torch checkpoint ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""})') from None
        if not isinstance(ckpt, dict):
            raise UsageError(f'--checkpoint {path}: holds a {type(ckpt).__name__}, not a checkpoint map')
        name = ckpt.get('name') or os.path.basename(os.path.dirname(os.path.abspath(path))) or 'checkpoint'
        return cls(ckpt, name=name, **options)

    def reset(self) -> None:
        """Stateless: every chunk is decoded from its observation alone."""

    def infer(self, obs: dict) -> dict:
        inputs = self.reader.read(obs)
        chunk = self.decoder.decode(inputs, self.strategy, self.accept, self.threshold)
        return {'actions': postprocess_chunk(chunk.actions_normalized, self.stats['actions']), 'rsd': chunk.record}
