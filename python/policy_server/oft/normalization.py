"""OFT's dataset statistics: action un-normalisation, proprio normalisation, the LIBERO gripper.

Statistics come from `dataset_statistics.json` in the OFT checkpoint folder (what OFT's `get_vla`
loads into `vla.norm_stats`), keyed by dataset, e.g. `libero_spatial_no_noops`. The key is
--unnorm-key, else OFT's rule from the observation's `task/suite` (the suite's name, else
`<suite>_no_noops`), else the only key. BOUNDS_Q99 (OFT's LIBERO constants): dims where `mask` is
true map [-1, 1] to [q01, q99]; the gripper is not normalised (mask false).
Gripper (research/libero.md 4.4): OFT's model outputs 1 = open, 0 = close; OFT's LIBERO evaluation
binarises (sign(2g - 1)) and inverts it, so the environment gets -1 = open, +1 = close. The reply's
actions are those environment units.
"""
import json
import os

import numpy as np

from .errors import OftConfigError

STATS_FILE = 'dataset_statistics.json'


class DatasetStats:
    def __init__(self, path: str, unnorm_key: str | None):
        if not os.path.isfile(path):
            raise OftConfigError(f'{path}: no such file (OFT\'s dataset statistics, needed to un-normalise actions)')
        try:
            with open(path) as f:
                self.stats = json.load(f)
        except (OSError, ValueError) as error:
            raise OftConfigError(f'{path}: not readable JSON ({error})') from None
        if not isinstance(self.stats, dict) or not self.stats:
            raise OftConfigError(f'{path}: expected a map of dataset name to statistics')
        self.path = path
        self.fixed_key = unnorm_key
        if unnorm_key is not None:
            self.entry(unnorm_key, 'action')

    def key_for(self, suite: str | None) -> str:
        if self.fixed_key is not None:
            return self.fixed_key
        if suite is not None:
            for key in (suite, f'{suite}_no_noops'):
                if key in self.stats:
                    return key
            raise OftConfigError(f'{self.path}: no statistics for task/suite {suite!r} (tried {suite!r}, {suite + "_no_noops"!r}; has {", ".join(sorted(self.stats))}); pass --unnorm-key')
        if len(self.stats) == 1:
            return next(iter(self.stats))
        raise OftConfigError(f'{self.path}: {len(self.stats)} datasets ({", ".join(sorted(self.stats))}) and the observation names no task/suite; pass --unnorm-key')

    def entry(self, key: str, part: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(q01, q99, mask) of `part` ('action' or 'proprio') under `key`."""
        if key not in self.stats:
            raise OftConfigError(f'{self.path}: no key {key!r} (has {", ".join(sorted(self.stats))})')
        stats = self.stats[key].get(part) if isinstance(self.stats[key], dict) else None
        if not isinstance(stats, dict):
            raise OftConfigError(f'{self.path}: no {key}.{part}')
        for field in ('q01', 'q99'):
            if field not in stats:
                raise OftConfigError(f'{self.path}: no {key}.{part}.{field}')
        low, high = np.asarray(stats['q01'], np.float64), np.asarray(stats['q99'], np.float64)
        mask = np.asarray(stats.get('mask', np.ones_like(low, dtype=bool)), dtype=bool)
        if not (low.shape == high.shape == mask.shape) or low.ndim != 1:
            raise OftConfigError(f'{self.path}: {key}.{part} q01/q99/mask differ in length')
        return low, high, mask

    def unnormalize_actions(self, actions: np.ndarray, key: str) -> np.ndarray:
        low, high, mask = self.entry(key, 'action')
        if low.shape[0] != actions.shape[-1]:
            raise OftConfigError(f'{self.path}: {key}.action has {low.shape[0]} dims; the decoder gives {actions.shape[-1]}')
        return np.where(mask, 0.5 * (actions + 1) * (high - low + 1e-8) + low, actions)

    def normalize_proprio(self, proprio: np.ndarray, key: str) -> np.ndarray:
        low, high, mask = self.entry(key, 'proprio')
        if low.shape[0] != proprio.shape[0]:
            raise OftConfigError(f'{self.path}: {key}.proprio has {low.shape[0]} dims; the observation has {proprio.shape[0]}')
        return np.clip(np.where(mask, 2 * (proprio - low) / (high - low + 1e-8) - 1, proprio), -1.0, 1.0)


def gripper_to_env(actions: np.ndarray) -> np.ndarray:
    """OFT's process_action on the last dim: binarise 1 = open / 0 = close, then invert (env: -1 open, +1 close)."""
    out = actions.copy()
    out[..., -1] = -np.sign(2 * out[..., -1] - 1)
    return out
