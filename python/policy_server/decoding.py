"""The engine's decoding strategies and acceptance rules (engine/decoding: decoder.ts, layerwise.ts,
acceptance.ts, categorical.ts; docs/bundle-format.md "Decoding"), in PyTorch over a python/training
checkpoint's models, for one observation (batch 1) per call:

- parallel: the parallel main model, all Q layers in one pass, argmax per code;
- autoregressive: prefill, then Q cached steps of one layer each, greedy (the honest baseline);
- speculative: the draft proposes k coarse layers (its argmax), ONE verify step scores them
  (position i predicts layer i reading proposal i - 1; with k < Q position k also gives layer k),
  the longest accepted prefix is kept, the cache is cut back to it, the main model continues
  layer by layer. Acceptance per layer:
    exact      every proposed code equals the main argmax (lossless against greedy decoding);
    threshold  matches / P >= tau; an accepted layer keeps the DRAFT's codes (lossy);
  a rejected layer takes the main argmax at its verify position; past the first rejection only the
  agreement (matches / P) is measured.
Greedy choices are argmax with ties to the first maximum (torch.argmax's documented rule, as
categorical.ts argmaxRow). Codes -> latent is python/training/codec.py (the engine's RFSQ, bit for
bit); the RFSQ decoder gives the normalised chunk.

Not replicated: `stochastic` acceptance (it draws from the engine's own seeded stream) and the
engine's `checkDeviation` side decode; batches of more than one observation.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch

from training import codec

STRATEGIES = ('parallel', 'autoregressive', 'speculative')
ACCEPT_RULES = ('exact', 'threshold')
DEFAULT_THRESHOLD = 0.7


class DecodingError(RuntimeError):
    """A model output the decoder cannot use (wrong shape, non-finite logits)."""


@dataclass
class Clock:
    """Milliseconds per stage of one chunk, as the engine's StageClock (record.ts)."""
    ms: dict = field(default_factory=lambda: {'prefill': 0.0, 'draft': 0.0, 'verify': 0.0, 'main_steps': 0.0, 'parallel': 0.0, 'decoder': 0.0, 'rfsq': 0.0})
    main_steps: int = 0
    start: float = field(default_factory=time.perf_counter)

    @contextmanager
    def stage(self, name: str):
        t = time.perf_counter()
        yield
        self.ms[name] += (time.perf_counter() - t) * 1000.0
        if name == 'main_steps':
            self.main_steps += 1

    def total_ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000.0


@dataclass
class Chunk:
    codes: np.ndarray  # int32 [Q, P], layer-major
    actions_normalized: np.ndarray  # float32 [C, 7]
    record: dict  # the reply's `rsd` map (contract in docs/remote-policies.md)


def _checked(logits: torch.Tensor, what: str, shape: tuple) -> torch.Tensor:
    if tuple(logits.shape) != shape:
        raise DecodingError(f'{what}: logits have shape {list(logits.shape)}, expected {list(shape)}')
    if not torch.isfinite(logits).all():
        raise DecodingError(f'{what}: logits are not all finite')
    return logits


class RsdDecoder:
    """models: `main` (MainLayerwise), `draft` (Draft or None), `parallel` (MainParallel or None),
    `decoder` (ActionDecoder), all in eval mode on the CPU."""

    def __init__(self, cfg, models: dict, scales: list[float]):
        self.cfg = cfg
        self.main, self.draft, self.par, self.decoder = models['main'], models.get('draft'), models.get('parallel'), models['decoder']
        self.scales = list(scales)
        self.Q, self.P, self.L = cfg.layers, cfg.latent, cfg.levels

    def strategies(self) -> list[str]:
        out = ['parallel'] if self.par is not None else []
        if self.main is not None:
            out.append('autoregressive')
            if self.draft is not None:
                out.append('speculative')
        return out

    @torch.inference_mode()
    def decode(self, obs: tuple, strategy: str, accept: str = 'exact', threshold: float = DEFAULT_THRESHOLD) -> Chunk:
        if strategy not in self.strategies():
            raise DecodingError(f'strategy "{strategy}" is not available for this checkpoint (it has {", ".join(self.strategies())})')
        if accept not in ACCEPT_RULES:
            raise DecodingError(f'accept "{accept}" is not one of {", ".join(ACCEPT_RULES)}')
        clock = Clock()
        k = self.cfg.draft_layers if strategy == 'speculative' else 0
        accepted_layers, agreement = 0, []
        if strategy == 'parallel':
            codes = self._parallel(obs, clock)
        elif strategy == 'autoregressive':
            codes = self._autoregressive(obs, clock)
        else:
            codes, accepted_layers, agreement = self._speculative(obs, k, accept, threshold, clock)
        with clock.stage('rfsq'):
            latent = codec.decode(codes[None].astype(np.int64), self.scales, self.L)  # float32 [1, P]
        with clock.stage('decoder'):
            actions = self.decoder(torch.from_numpy(latent))
        want = (1, self.cfg.chunk, self.cfg.action_dim)
        if tuple(actions.shape) != want or not torch.isfinite(actions).all():
            raise DecodingError(f'rfsq decoder: actions of shape {list(actions.shape)} (expected {list(want)}) or not finite')
        total = clock.total_ms()
        record = {
            'strategy': strategy,
            'accept': accept if strategy == 'speculative' else None,
            'threshold': float(threshold) if strategy == 'speculative' and accept == 'threshold' else None,
            'draft_layers': k,
            'accepted_layers': accepted_layers,
            'accepted': [j < accepted_layers for j in range(k)],
            'agreement': agreement,
            'stages_ms': dict(clock.ms),
            'main_steps': clock.main_steps,
            'total_ms': total,
            'codes': codes.astype(np.int32),
        }
        return Chunk(codes=codes.astype(np.int32), actions_normalized=actions[0].numpy().astype(np.float32), record=record)

    # ---- strategies; codes are int64 numpy [Q, P]

    def _parallel(self, obs, clock: Clock) -> np.ndarray:
        with clock.stage('parallel'):
            logits = self.par(*obs)
        return _checked(logits, 'parallel main model', (1, self.Q, self.P, self.L))[0].argmax(-1).numpy()

    def _prefill(self, obs, clock: Clock):
        with clock.stage('prefill'):
            hidden, key, value = self.main.prefill(*obs)
        return key, value

    def _step(self, inputs: np.ndarray, first: int, key, value, stage: str, clock: Clock):
        """inputs [n, P]: the codes each new position reads; positions predict layers first..first+n-1."""
        n = inputs.shape[0]
        ids = torch.arange(first, first + n, dtype=torch.long)[None, :]
        with clock.stage(stage):
            logits, key, value = self.main.step(torch.from_numpy(inputs.astype(np.int64))[None], ids, key, value)
        return _checked(logits, 'main step', (1, n, self.P, self.L))[0], key, value

    def _continue(self, codes: np.ndarray, first: int, key, value, clock: Clock) -> None:
        """Layers first..Q-1 one step each, greedy; layer l reads layer l - 1's codes (zeros for l = 0)."""
        for l in range(first, self.Q):
            prev = codes[l - 1:l] if l > 0 else np.zeros((1, self.P), dtype=np.int64)
            logits, key, value = self._step(prev, l, key, value, 'main_steps', clock)
            codes[l] = logits[0].argmax(-1).numpy()

    def _autoregressive(self, obs, clock: Clock) -> np.ndarray:
        key, value = self._prefill(obs, clock)
        codes = np.zeros((self.Q, self.P), dtype=np.int64)
        self._continue(codes, 0, key, value, clock)
        return codes

    def _speculative(self, obs, k: int, accept: str, tau: float, clock: Clock):
        Q, P, L = self.Q, self.P, self.L
        key, value = self._prefill(obs, clock)
        t0 = key.shape[2]
        with clock.stage('draft'):
            draft_logits = self.draft(*obs)
        kD = self.cfg.draft_layers
        proposed = _checked(draft_logits, 'draft', (1, kD, P, L))[0, :k].argmax(-1).numpy()  # [k, P]
        n = min(k + 1, Q)
        inputs = np.zeros((n, P), dtype=np.int64)
        inputs[1:n] = proposed[:n - 1]
        verify, key, value = self._step(inputs, 0, key, value, 'verify', clock)
        main_argmax = verify.argmax(-1).numpy()  # [n, P]
        codes = np.zeros((Q, P), dtype=np.int64)
        a = k
        agreement = []
        for j in range(k):
            matches = int((proposed[j] == main_argmax[j]).sum())
            agreement.append(matches / P)
            if a < k:
                continue
            ok = matches == P if accept == 'exact' else matches / P >= tau
            codes[j] = proposed[j] if ok else main_argmax[j]
            if not ok:
                a = j
        if a == k and k < Q:
            codes[k] = main_argmax[k]
        if a + 1 < Q:
            # Keep the positions of layers 0..a (the rejected tail of the verify step goes).
            key, value = key[:, :, :t0 + a + 1], value[:, :, :t0 + a + 1]
            self._continue(codes, a + 1, key, value, clock)
        return codes, a, agreement
