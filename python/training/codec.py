"""Residual FSQ, bit-compatible with the engine's TypeScript codec (engine/rfsq/fsq.ts, rfsq.ts).

One level count L for every latent scalar, `tanh` bound:

    half_l = (L - 1)(1 + 1e-3) / 2;  offset = 0.5 if L even else 0;  shift = atanh(offset / half_l)
    index  = round_half_even(tanh(z + shift) * half_l - offset) + L // 2          in 0..L-1
    value  = (index - (L - 1)/2) / ((L - 1)/2)                                     in [-1, 1]
    layer q: index_q = fsq(r / s_q); term_q = value(index_q) * s_q; r -= term_q
    decode(codes) = sum_q term_q   (float64 sum from layer 0, rounded once to float32, as the engine)

The numpy functions are the reference (float64, as the engine's JavaScript numbers); the torch
functions are the training-time quantizer (float32, straight-through gradients).
"""
from __future__ import annotations

import math

import numpy as np

FSQ_EPS = 1e-3


class LevelSpec:
    def __init__(self, L: int):
        self.L = L
        self.half = (L - 1) / 2
        self.half_l = (L - 1) * (1 + FSQ_EPS) / 2
        self.offset = 0.5 if L % 2 == 0 else 0.0
        self.shift = math.atanh(self.offset / self.half_l)
        self.floor_half = L // 2


def default_scales(layers: int, L: int) -> list[float]:
    return [float((L - 1) ** -q) for q in range(layers)]


# ---------------------------------------------------------------- numpy reference (engine-exact)

def level_index(z: np.ndarray, spec: LevelSpec) -> np.ndarray:
    """fsq.ts levelIndexOf with bound 'tanh' (np.round rounds half to even, as roundHalfEven)."""
    y = np.tanh(np.asarray(z, dtype=np.float64) + spec.shift) * spec.half_l
    return (np.round(y - spec.offset) + spec.floor_half).astype(np.int64)


def level_value(index: np.ndarray, spec: LevelSpec) -> np.ndarray:
    return (np.asarray(index, dtype=np.float64) - spec.half) / spec.half


def term_table(scales: list[float], L: int) -> np.ndarray:
    """[Q, L]: value(i) * s_q, the one table encode and decode share (rfsq.ts `terms`)."""
    spec = LevelSpec(L)
    return np.array([[level_value(np.array(i), spec) * s for i in range(L)] for s in scales], dtype=np.float64)


def encode(latent: np.ndarray, scales: list[float], L: int) -> tuple[np.ndarray, np.ndarray]:
    """latent [N, P] -> codes [N, Q, P] int64, recon [N, P] float32 (rfsq.ts encodeBatch)."""
    spec = LevelSpec(L)
    terms = term_table(scales, L)
    residual = np.asarray(latent, dtype=np.float32).astype(np.float64)
    total = np.zeros_like(residual)
    codes = np.zeros((residual.shape[0], len(scales), residual.shape[1]), dtype=np.int64)
    for q, s in enumerate(scales):
        idx = level_index(residual / s, spec)
        term = terms[q][idx]
        codes[:, q] = idx
        total += term
        residual -= term
    return codes, total.astype(np.float32)


def decode(codes: np.ndarray, scales: list[float], L: int, up_to: int | None = None) -> np.ndarray:
    """codes [N, Q', P] -> latent [N, P] float32, summing layers [0, up_to) (rfsq.ts decodeBatch)."""
    terms = term_table(scales, L)
    k = codes.shape[1] if up_to is None else up_to
    total = np.zeros((codes.shape[0], codes.shape[2]), dtype=np.float64)
    for q in range(k):
        total += terms[q][codes[:, q]]
    return total.astype(np.float32)


def code_usage(codes: np.ndarray, L: int) -> list[dict]:
    """Per layer: fraction of codes at each level, perplexity (exp of entropy) over all scalars."""
    out = []
    for q in range(codes.shape[1]):
        counts = np.bincount(codes[:, q].reshape(-1), minlength=L).astype(np.float64)
        p = counts / counts.sum()
        nz = p[p > 0]
        out.append({'layer': q, 'levels': [round(float(x), 4) for x in p], 'perplexity': round(float(np.exp(-(nz * np.log(nz)).sum())), 3), 'used': int((counts > 0).sum())})
    return out


def search_scales(L: int, layers: int, latent: np.ndarray) -> tuple[list[float], float]:
    """Geometric scales s_q = s0 * rho^q minimising the mean abs error after `layers` layers on `latent`."""
    best = None
    for s0 in np.arange(0.5, 1.21, 0.05):
        for rho in np.arange(0.20, 0.70, 0.01):
            scales = [float(s0 * rho ** q) for q in range(layers)]
            _, recon = encode(latent, scales, L)
            err = float(np.abs(recon - latent).mean())
            if best is None or err < best[1]:
                best = (scales, err)
    return best


# ---------------------------------------------------------------- torch (training)

def torch_quantize(z, scales: list[float], L: int, layers_used=None):
    """z [N, P] float -> (zq [N, P] straight-through, codes [N, Q, P] long).

    Forward value: sum over the first `layers_used[n]` layers of value * s_q (all layers when None).
    Gradient: identity to z (straight-through on the whole residual quantizer).
    """
    import torch

    spec = LevelSpec(L)
    residual = z.detach()
    terms = []
    codes = []
    for s in scales:
        y = torch.tanh(residual / s + spec.shift) * spec.half_l
        idx = torch.round(y - spec.offset) + spec.floor_half  # torch.round: half to even
        term = (idx - spec.half) / spec.half * s
        codes.append(idx.long())
        terms.append(term)
        residual = residual - term
    terms = torch.stack(terms, 1)  # [N, Q, P]
    codes = torch.stack(codes, 1)
    if layers_used is not None:
        keep = (torch.arange(len(scales), device=z.device)[None, :] < layers_used[:, None]).to(z.dtype)
        terms = terms * keep[:, :, None]
    zq = terms.sum(1)
    return z + (zq - z).detach(), codes


def torch_decode_codes(codes, scales: list[float], L: int):
    """codes [N, Q, P] long -> latent [N, P] (float32)."""
    import torch

    spec = LevelSpec(L)
    s = torch.tensor(scales, dtype=torch.float32, device=codes.device)
    values = (codes.float() - spec.half) / spec.half
    return (values * s[None, :, None]).sum(1)
