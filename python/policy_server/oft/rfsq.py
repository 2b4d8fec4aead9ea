"""The seed's RFSQ action tokenizer (`ActionRFSQAE`): encoder, residual quantizer, decoder.

Same parameter names and shapes as the seed's (encoder.{0,2}, rfsq.layers.{i}.boundaries,
decoder.{0,2}), so its checkpoints load. Codes are level indices [B, chunk, latent, layers].

Each layer quantizes the residual to the nearest of `boundaries` (linspace(-1, 1, levels)). With
`use_layernorm` (the seed's "robust" variant) it first normalises the residual by its own mean and
std over the latent channels and un-normalises after, so a code means boundaries[i] * std + mean with
a per-sample std and mean that the codes do not carry: decoding codes alone cannot give the forward
reconstruction (research/rsd.md 1.5). `decode` refuses that case unless `stats_free` is asked for,
which sums boundaries[idx] as the seed's own `decode_from_indices` does.
"""
import torch
from torch import nn

from .errors import OftDecoderError


class Quantizer(nn.Module):
    def __init__(self, levels: int, use_layernorm: bool):
        super().__init__()
        self.use_layernorm = use_layernorm
        self.register_buffer('boundaries', torch.linspace(-1, 1, levels))

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.use_layernorm:
            mean = z.mean(dim=-1, keepdim=True)
            std = z.std(dim=-1, keepdim=True) + 1e-5
            idx = torch.argmin((((z - mean) / std).unsqueeze(-1) - self.boundaries).abs(), dim=-1)
            return self.boundaries[idx] * std + mean, idx
        idx = torch.argmin((z.unsqueeze(-1) - self.boundaries).abs(), dim=-1)
        return self.boundaries[idx], idx


class ResidualQuantizer(nn.Module):
    def __init__(self, layers: int, levels: int, use_layernorm: bool):
        super().__init__()
        self.layers = nn.ModuleList([Quantizer(levels, use_layernorm) for _ in range(layers)])


class RFSQDecoder(nn.Module):
    """The tokenizer; serving uses `decode`, `forward` is the reference the tests compare it with."""

    def __init__(self, action_dim: int, latent: int, layers: int, levels: int, use_layernorm: bool,
                 stats_free: bool = False, source: str = 'rfsq decoder'):
        super().__init__()
        self.action_dim, self.latent, self.num_layers, self.levels = action_dim, latent, layers, levels
        self.use_layernorm = use_layernorm
        self.stats_free = stats_free
        self.source = source
        self.encoder = nn.Sequential(nn.Linear(action_dim, 64), nn.Mish(), nn.Linear(64, latent), nn.Tanh())
        self.rfsq = ResidualQuantizer(layers, levels, use_layernorm)
        self.decoder = nn.Sequential(nn.Linear(latent, 64), nn.Mish(), nn.Linear(64, action_dim))

    def check_decodable(self) -> None:
        if self.use_layernorm and not self.stats_free:
            raise OftDecoderError(
                f'{self.source}: this RFSQ tokenizer normalises every layer\'s residual per sample '
                '(use_layernorm), so codes alone cannot be decoded to its actions: decoding needs each '
                "sample's mean/std, which the codes do not carry (research/rsd.md 1.5). Pass "
                '--rfsq-stats-free-decode to decode as the seed\'s decode_from_indices does (sums of '
                'boundaries: not the tokenizer\'s reconstruction; every record says so)')

    def encode(self, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """actions [B, chunk, action_dim] -> (quantized latent [B, chunk, latent], codes [B, chunk, latent, layers])."""
        residual = self.encoder(actions)
        total = torch.zeros_like(residual)
        codes = []
        for layer in self.rfsq.layers:
            q, idx = layer(residual)
            total = total + q
            residual = residual - q
            codes.append(idx)
        return total, torch.stack(codes, dim=-1)

    def forward(self, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The tokenizer's reconstruction of `actions` and their codes (the reference for `decode`)."""
        latent, codes = self.encode(actions)
        return self.decoder(latent), codes

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """codes int [B, chunk, latent, layers] -> actions [B, chunk, action_dim]."""
        self.check_decodable()
        if codes.shape[-2:] != (self.latent, self.num_layers):
            raise OftDecoderError(f'{self.source}: codes of shape {list(codes.shape)}; expected [B, chunk, {self.latent}, {self.num_layers}]')
        latent = torch.zeros(codes.shape[:-1], dtype=self.rfsq.layers[0].boundaries.dtype, device=codes.device)
        for q, layer in enumerate(self.rfsq.layers):
            latent = latent + layer.boundaries[codes[..., q]]
        return self.decoder(latent)
