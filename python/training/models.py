"""PyTorch models of the default bundle (docs/bundle-format.md tensor contract).

- ActionAE: encoder MLP chunk [C, 7] -> latent [P]; residual FSQ (codec.py) in between;
  decoder MLP latent [P] -> normalised chunk [C, 7] (the bundle's rfsq.decoder).
- MainLayerwise: a prefix-KV decoder. The prefill is a small MLP over the observation giving
  `hidden` [B, H] and M memory tokens whose per-block keys and values are linear projections of
  that memory (cheap: the memory is not run through the blocks). The step runs K pre-LN
  transformer blocks (causal self-attention over the cache + MLP) over layer tokens; position i
  predicts layer layer_ids[i] from the codes of layer layer_ids[i] - 1.
- MainParallel: the same observation encoder and block stack over Q layer queries (no codes,
  bidirectional), all layers' logits in one pass.
- Draft: a small MLP from the observation to the 3 coarsest layers' logits.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    chunk: int = 8
    action_dim: int = 7
    proprio_dim: int = 8
    pose_dim: int = 35
    tasks: int = 10
    latent: int = 8  # P
    levels: int = 7  # L
    layers: int = 8  # Q
    # action autoencoder
    ae_enc_hidden: int = 512
    ae_dec_hidden: int = 256
    # main model
    hidden: int = 256  # H: observation encoding (prefill `hidden`)
    task_emb: int = 64
    memory: int = 4  # M memory tokens
    memory_dim: int = 32
    d_model: int = 256  # D = kvSize
    blocks: int = 8  # K
    heads: int = 8
    mlp_ratio: int = 4
    # draft
    draft_layers: int = 3
    draft_hidden: int = 128

    def dict(self):
        return asdict(self)


# ---------------------------------------------------------------- action autoencoder

class ActionEncoder(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        n = c.chunk * c.action_dim
        self.net = nn.Sequential(nn.Linear(n, c.ae_enc_hidden), nn.GELU(), nn.Linear(c.ae_enc_hidden, c.ae_enc_hidden), nn.GELU(), nn.Linear(c.ae_enc_hidden, c.latent))

    def forward(self, chunk):  # [B, C, 7] -> [B, P] in (-1, 1): the range the RFSQ scales are chosen for
        return torch.tanh(self.net(chunk.flatten(1)))


class ActionDecoder(nn.Module):
    """latent [B, P] -> actions [B, C, 7] (the ONNX `rfsq.decoder`)."""

    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.net = nn.Sequential(nn.Linear(c.latent, c.ae_dec_hidden), nn.GELU(), nn.Linear(c.ae_dec_hidden, c.ae_dec_hidden), nn.GELU(), nn.Linear(c.ae_dec_hidden, c.chunk * c.action_dim))

    def forward(self, latent):
        return self.net(latent).view(-1, self.c.chunk, self.c.action_dim)


# ---------------------------------------------------------------- observation encoder

class ObsEncoder(nn.Module):
    """(proprio [B, 8], object_poses [B, 35], instruction [B]) -> hidden [B, H]."""

    def __init__(self, c: Config):
        super().__init__()
        self.task = nn.Embedding(c.tasks, c.task_emb)
        n = c.proprio_dim + c.pose_dim + c.task_emb
        self.net = nn.Sequential(nn.Linear(n, c.hidden), nn.GELU(), nn.Linear(c.hidden, c.hidden), nn.LayerNorm(c.hidden))

    def forward(self, proprio, poses, instruction):
        task = self.task(instruction.clamp(0, self.task.num_embeddings - 1))
        return self.net(torch.cat([proprio, poses, task], -1))


class MemoryKV(nn.Module):
    """hidden [B, H] -> M memory tokens -> per-block keys and values [B, K, M, D] (linear projections)."""

    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.memory = nn.Linear(c.hidden, c.memory * c.memory_dim)
        self.kv = nn.Linear(c.memory_dim, c.blocks * 2 * c.d_model)

    def forward(self, hidden):
        c = self.c
        mem = F.gelu(self.memory(hidden)).view(-1, c.memory, c.memory_dim)  # [B, M, dm]
        kv = self.kv(mem).view(-1, c.memory, c.blocks, 2, c.d_model)  # [B, M, K, 2, D]
        kv = kv.permute(3, 0, 2, 1, 4)  # [2, B, K, M, D]
        return kv[0], kv[1]


# ---------------------------------------------------------------- blocks

class Block(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.h = c.heads
        self.dh = c.d_model // c.heads
        self.ln1 = nn.LayerNorm(c.d_model)
        self.qkv = nn.Linear(c.d_model, 3 * c.d_model)
        self.out = nn.Linear(c.d_model, c.d_model)
        self.ln2 = nn.LayerNorm(c.d_model)
        self.mlp = nn.Sequential(nn.Linear(c.d_model, c.mlp_ratio * c.d_model), nn.GELU(), nn.Linear(c.mlp_ratio * c.d_model, c.d_model))

    def forward(self, x, past_k, past_v, bias):
        """x [B, n, D]; past_k/v [B, T, D]; bias [n, T + n] additive. Returns x, k_all, v_all."""
        B, n, D = x.shape
        q, k, v = self.qkv(self.ln1(x)).chunk(3, -1)
        k_all = torch.cat([past_k, k], 1)
        v_all = torch.cat([past_v, v], 1)
        qh = q.view(B, n, self.h, self.dh).transpose(1, 2)  # [B, h, n, dh]
        kh = k_all.view(B, -1, self.h, self.dh).transpose(1, 2)  # [B, h, T+n, dh]
        vh = v_all.view(B, -1, self.h, self.dh).transpose(1, 2)
        att = torch.matmul(qh, kh.transpose(-1, -2)) * (1.0 / math.sqrt(self.dh)) + bias
        y = torch.matmul(att.softmax(-1), vh).transpose(1, 2).reshape(B, n, D)
        x = x + self.out(y)
        x = x + self.mlp(self.ln2(x))
        return x, k_all, v_all


def causal_bias(T, n, device):
    """[n, T + n]: 0 where position i (after T cached ones) may attend, -1e9 elsewhere."""
    cols = torch.arange(T + n, device=device)[None, :]
    rows = torch.arange(n, device=device)[:, None] + T
    return torch.where(cols <= rows, torch.zeros((), device=device), torch.full((), -1e9, device=device))


class LayerHead(nn.Module):
    """Final LN and per-layer output: x [B, n, D], layer ids [B, n] -> logits [B, n, P, L]."""

    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.ln = nn.LayerNorm(c.d_model)
        self.proj = nn.Linear(c.d_model, c.layers * c.latent * c.levels)

    def forward(self, x, layer_ids):
        c = self.c
        B, n, _ = x.shape
        all_layers = self.proj(self.ln(x)).view(B, n, c.layers, c.latent * c.levels)
        pick = F.one_hot(layer_ids.clamp(0, c.layers - 1), c.layers).to(x.dtype)  # [B, n, Q]
        return (all_layers * pick[..., None]).sum(2).view(B, n, c.latent, c.levels)


# ---------------------------------------------------------------- main, layerwise with KV cache

class MainLayerwise(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.obs = ObsEncoder(c)
        self.memkv = MemoryKV(c)
        self.layer_emb = nn.Embedding(c.layers, c.d_model)
        self.code_emb = nn.Embedding(c.latent * c.levels, c.d_model)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.blocks)])
        self.head = LayerHead(c)

    def prefill(self, proprio, poses, instruction):
        hidden = self.obs(proprio, poses, instruction)
        k, v = self.memkv(hidden)
        return hidden, k, v

    def step(self, codes, layer_ids, past_key, past_value):
        """codes [B, n, P], layer_ids [B, n], past [B, K, T, D] -> logits [B, n, P, L], present [B, K, T+n, D]."""
        c = self.c
        B, n, _ = codes.shape
        offsets = torch.arange(c.latent, device=codes.device) * c.levels
        emb = self.code_emb(codes.clamp(0, c.levels - 1) + offsets).sum(2)  # [B, n, D]
        reads = (layer_ids > 0).to(emb.dtype)[..., None]
        x = self.layer_emb(layer_ids.clamp(0, c.layers - 1)) + emb * reads
        bias = causal_bias(past_key.shape[2], n, codes.device)
        keys, values = [], []
        for i, blk in enumerate(self.blocks):
            x, k, v = blk(x, past_key[:, i], past_value[:, i], bias)
            keys.append(k)
            values.append(v)
        return self.head(x, layer_ids), torch.stack(keys, 1), torch.stack(values, 1)

    def forward_train(self, proprio, poses, instruction, codes):
        """Teacher forcing: codes [B, Q, P] (targets) -> logits [B, Q, P, L] for every layer."""
        B = codes.shape[0]
        _, k, v = self.prefill(proprio, poses, instruction)
        inputs = torch.cat([torch.zeros_like(codes[:, :1]), codes[:, :-1]], 1)
        ids = torch.arange(self.c.layers, device=codes.device)[None, :].expand(B, -1)
        logits, _, _ = self.step(inputs, ids, k, v)
        return logits

    @torch.no_grad()
    def greedy(self, proprio, poses, instruction, layers=None):
        """Autoregressive greedy codes [B, layers, P] with the cache, as the engine decodes."""
        layers = layers or self.c.layers
        hidden, k, v = self.prefill(proprio, poses, instruction)
        B = proprio.shape[0]
        prev = torch.zeros(B, 1, self.c.latent, dtype=torch.long, device=proprio.device)
        out = []
        for l in range(layers):
            ids = torch.full((B, 1), l, dtype=torch.long, device=proprio.device)
            logits, k, v = self.step(prev, ids, k, v)
            prev = logits.argmax(-1)
            out.append(prev[:, 0])
        return torch.stack(out, 1), hidden


# ---------------------------------------------------------------- main, parallel heads

class MainParallel(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.obs = ObsEncoder(c)
        self.memkv = MemoryKV(c)
        self.layer_emb = nn.Embedding(c.layers, c.d_model)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.blocks)])
        self.head = LayerHead(c)

    def forward(self, proprio, poses, instruction):
        c = self.c
        B = proprio.shape[0]
        hidden = self.obs(proprio, poses, instruction)
        k, v = self.memkv(hidden)
        ids = torch.arange(c.layers, device=proprio.device)[None, :].expand(B, -1)
        x = self.layer_emb(ids)
        bias = torch.zeros(c.layers, c.memory + c.layers, device=proprio.device)
        for i, blk in enumerate(self.blocks):
            x, _, _ = blk(x, k[:, i], v[:, i], bias)
        return self.head(x, ids)


# ---------------------------------------------------------------- draft

class Draft(nn.Module):
    """Observation -> logits [B, k, P, L] for the k coarsest layers. Its observation encoder starts as
    a copy of the main model's (the engine's draft reads the observation, `reads: observation`)."""

    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.obs = ObsEncoder(c)
        self.net = nn.Sequential(nn.Linear(c.hidden, c.draft_hidden), nn.GELU(), nn.Linear(c.draft_hidden, c.draft_layers * c.latent * c.levels))

    def forward(self, proprio, poses, instruction):
        c = self.c
        return self.net(self.obs(proprio, poses, instruction)).view(-1, c.draft_layers, c.latent, c.levels)


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
