"""The seed's classification heads over the backbone's last-token hidden state, as PyTorch modules.

Written from the layouts of the seed's public code (Oscar-Ge/RVQExperiment: `RFSQHead`,
`ConditionedRFSQHead`, `RFSQDraftModelWithProjection`): same parameter names and shapes, so its
checkpoints load. Every head outputs logits [B, layers, positions, levels] with
positions = chunk * latent in chunk-major order (position p = t * latent + h), the order the seed's
`_decode_actions` reshapes into [B, chunk, latent, layers] for the RFSQ decoder.
"""
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class CodeShape:
    """The code grid every head and the decoder must agree on."""
    layers: int    # RFSQ layers (8)
    chunk: int     # actions per chunk (8)
    latent: int    # RFSQ latent channels per action (16)
    levels: int    # levels per code (7)

    @property
    def positions(self) -> int:
        return self.chunk * self.latent


def _layer_head(width: int, out: int) -> nn.Sequential:
    # The seed's per-layer head: Linear, GELU, LayerNorm, Linear (indices 0, 2, 3 hold weights).
    return nn.Sequential(nn.Linear(width, width // 2), nn.GELU(), nn.LayerNorm(width // 2), nn.Linear(width // 2, out))


class RFSQHead(nn.Module):
    """Main head: one shared projection, then one classifier per RFSQ layer, all from one feature."""

    conditioned = False

    def __init__(self, input_dim: int, hidden_dim: int, shape: CodeShape):
        super().__init__()
        self.shape = shape
        self.feature_proj = nn.Sequential(nn.Linear(input_dim, hidden_dim), nn.GELU(), nn.LayerNorm(hidden_dim))
        out = shape.positions * shape.levels
        self.layer_heads = nn.ModuleList([_layer_head(hidden_dim, out) for _ in range(shape.layers)])

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        features = self.feature_proj(hidden)
        B, s = hidden.shape[0], self.shape
        return torch.stack([head(features).view(B, s.positions, s.levels) for head in self.layer_heads], dim=1)


class ConditionedRFSQHead(nn.Module):
    """The seed's phase-3 main head: also reads the coarse layers' codes (from the draft at inference)."""

    conditioned = True

    def __init__(self, input_dim: int, hidden_dim: int, shape: CodeShape, condition_layers: int, token_embed_dim: int):
        super().__init__()
        self.shape = shape
        self.condition_layers = condition_layers
        self.feature_proj = nn.Sequential(nn.Linear(input_dim, hidden_dim), nn.GELU(), nn.LayerNorm(hidden_dim))
        self.token_embedding = nn.Embedding(shape.levels, token_embed_dim)
        flat = shape.positions * condition_layers * token_embed_dim
        self.token_proj = nn.Sequential(nn.Linear(flat, hidden_dim), nn.GELU(), nn.LayerNorm(hidden_dim))
        self.fusion = nn.Sequential(nn.Linear(hidden_dim * 2, hidden_dim), nn.GELU(), nn.LayerNorm(hidden_dim))
        out = shape.positions * shape.levels
        self.layer_heads = nn.ModuleList([_layer_head(hidden_dim, out) for _ in range(shape.layers)])

    def forward(self, hidden: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        """condition: int64 [B, condition_layers, positions], the coarse layers' codes, layer-major."""
        B, s = hidden.shape[0], self.shape
        # The seed's condition layout: [B, chunk, latent, layers] (its draft tokens permuted (0, 2, 1) then viewed).
        tokens = condition.permute(0, 2, 1).reshape(B, s.chunk, s.latent, self.condition_layers)
        token_feat = self.token_proj(self.token_embedding(tokens).reshape(B, -1))
        fused = self.fusion(torch.cat([self.feature_proj(hidden), token_feat], dim=-1))
        return torch.stack([head(fused).view(B, s.positions, s.levels) for head in self.layer_heads], dim=1)


class DraftDecoder(nn.Module):
    """One pre-norm transformer decoder layer (self- and cross-attention to its own input) + LayerNorm."""

    def __init__(self, width: int, heads: int, feedforward: int, max_seq: int):
        super().__init__()
        self.decoder_layer = nn.TransformerDecoderLayer(
            d_model=width, nhead=heads, dim_feedforward=feedforward, dropout=0.1,
            activation='gelu', batch_first=True, norm_first=True)
        self.position_encoding = nn.Parameter(torch.zeros(1, max_seq, width))
        self.output_norm = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.position_encoding[:, :x.shape[1], :]
        return self.output_norm(self.decoder_layer(x, x))


class RFSQDraft(nn.Module):
    """Draft: projects the backbone feature, one decoder layer over it, one classifier per coarse layer."""

    def __init__(self, input_dim: int, width: int, heads: int, feedforward: int, max_seq: int,
                 coarse_layers: int, shape: CodeShape):
        super().__init__()
        self.shape = shape
        self.coarse_layers = coarse_layers
        self.input_projection = nn.Linear(input_dim, width)
        self.decoder = DraftDecoder(width, heads, feedforward, max_seq)
        out = shape.positions * shape.levels
        self.classification_heads = nn.ModuleList([_layer_head(width, out) for _ in range(coarse_layers)])

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        B, s = hidden.shape[0], self.shape
        # The seed feeds the single feature vector as a sequence of length 1.
        x = self.decoder(self.input_projection(hidden).unsqueeze(1)).squeeze(1)
        return torch.stack([head(x).view(B, s.positions, s.levels) for head in self.classification_heads], dim=1)


class ProprioProjector(nn.Module):
    """OFT's proprio projector (fc1, GELU, fc2): 8-d state to one backbone token."""

    def __init__(self, llm_dim: int, proprio_dim: int):
        super().__init__()
        self.fc1 = nn.Linear(proprio_dim, llm_dim)
        self.fc2 = nn.Linear(llm_dim, llm_dim)
        self.act_fn1 = nn.GELU()

    def forward(self, proprio: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act_fn1(self.fc1(proprio)))
