"""PyTorch models of the default bundle (docs/bundle-format.md tensor contract).

- ActionAE: encoder MLP chunk [C, 7] -> latent [P]; residual FSQ (codec.py) in between;
  decoder MLP latent [P] -> normalised chunk [C, 7] (the bundle's rfsq.decoder).
- MainLayerwise: a prefix-KV decoder. The prefill is a small MLP over the observation (with object
  positions relative to the grip site) giving `hidden` [B, H], M memory tokens whose per-block
  keys and values are linear projections of that memory (cheap: the memory is not run through the
  blocks), and a coarse prior: logits of the 3 coarsest layers, kept in a side slot of the cache.
  The step runs K pre-LN transformer blocks (causal self-attention over the cache + MLP) over
  layer tokens; position i predicts layer layer_ids[i] from the codes of layer layer_ids[i] - 1.
  Coarse layers: prior + a bounded correction from the blocks; finer layers: the blocks alone.
- MainParallel: the same observation encoder and block stack over Q layer queries (no codes,
  bidirectional), all layers' logits in one pass.
- Draft: a copy of the main model's prior path (observation encoder + prior head), so it proposes
  what the main model's coarse layers would say before the blocks' correction.
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
    memory: int = 4  # M memory tokens (the cache adds one side slot: T0 = M + 1)
    memory_dim: int = 32
    d_model: int = 256  # D = kvSize
    blocks: int = 8  # distinct transformer blocks
    repeat: int = 2  # the stack is applied `repeat` times with shared weights; the cache has K = blocks x repeat entries
    heads: int = 8
    mlp_ratio: int = 4
    # draft
    draft_layers: int = 3
    draft_hidden: int = 192  # the prior head's (and so the draft's) hidden width
    coarse_correction: float = 0.5  # bound of the blocks' correction to the coarse prior logits
    dropout: float = 0.1

    def dict(self):
        return asdict(self)

    @property
    def applications(self) -> int:
        """K: block applications per step, one cache entry each."""
        return self.blocks * self.repeat


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
    """(proprio [B, 8], object_poses [B, 35], instruction [B]) -> hidden [B, H].

    Besides the normalised inputs it sees each object's position relative to the grip site, in
    decimetres: the q99 statistics are baked in as constants to undo the normalisation."""

    def __init__(self, c: Config, stats: dict | None = None):
        super().__init__()
        self.task = nn.Embedding(c.tasks, c.task_emb)
        self.objects = c.pose_dim // 7
        n = c.proprio_dim + c.pose_dim + c.task_emb + 3 * self.objects
        self.net = nn.Sequential(nn.Linear(n, c.hidden), nn.GELU(), nn.Linear(c.hidden, c.hidden), nn.LayerNorm(c.hidden))
        lo_p, span_p, lo_o, span_o = torch.zeros(3), torch.ones(3), torch.zeros(self.objects, 3), torch.ones(self.objects, 3)
        if stats is not None:
            q01, q99 = torch.tensor(stats['proprio']['q01'][:3]), torch.tensor(stats['proprio']['q99'][:3])
            lo_p, span_p = q01, q99 - q01 + 1e-8
            q01 = torch.tensor(stats['poses']['q01']).view(self.objects, 7)[:, :3]
            q99 = torch.tensor(stats['poses']['q99']).view(self.objects, 7)[:, :3]
            mask = torch.tensor(stats['poses']['mask']).view(self.objects, 7)[:, :3]
            # dims passed through unnormalised: (x + 1)/2 * 2 - 1 = x
            lo_o = torch.where(mask, q01, torch.full_like(q01, -1.0))
            span_o = torch.where(mask, q99 - q01 + 1e-8, torch.full_like(q01, 2.0))
        self.register_buffer('lo_p', lo_p.float())
        self.register_buffer('span_p', span_p.float())
        self.register_buffer('lo_o', lo_o.float())
        self.register_buffer('span_o', span_o.float())

    def forward(self, proprio, poses, instruction):
        task = self.task(instruction.clamp(0, self.task.num_embeddings - 1))
        grip = 0.5 * (proprio[:, :3] + 1) * self.span_p + self.lo_p  # [B, 3] metres
        obj = 0.5 * (poses.view(-1, self.objects, 7)[:, :, :3] + 1) * self.span_o + self.lo_o  # [B, E, 3]
        rel = ((obj - grip[:, None, :]) * 10.0).flatten(1)
        return self.net(torch.cat([proprio, poses, task, rel], -1))


class PriorHead(nn.Module):
    """hidden [B, H] -> logits [B, k, P, L] of the k coarsest layers: the main model's coarse prior,
    which the draft copies."""

    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.net = nn.Sequential(nn.Linear(c.hidden, c.draft_hidden), nn.GELU(), nn.Linear(c.draft_hidden, c.draft_layers * c.latent * c.levels))

    def forward(self, hidden):
        c = self.c
        return self.net(hidden).view(-1, c.draft_layers, c.latent, c.levels)


class MemoryKV(nn.Module):
    """hidden [B, H] -> M memory tokens -> per-block keys and values [B, K, M, D] (linear projections)."""

    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.memory = nn.Linear(c.hidden, c.memory * c.memory_dim)
        self.kv = nn.Linear(c.memory_dim, c.applications * 2 * c.d_model)

    def forward(self, hidden):
        c = self.c
        mem = F.gelu(self.memory(hidden)).view(-1, c.memory, c.memory_dim)  # [B, M, dm]
        kv = self.kv(mem).view(-1, c.memory, c.applications, 2, c.d_model)  # [B, M, K, 2, D]
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
        self.drop = nn.Dropout(c.dropout)

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
        x = x + self.drop(self.out(y))
        x = x + self.drop(self.mlp(self.ln2(x)))
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
    """Cache layout [B, K, T, D]: positions 0..M-1 the memory tokens' keys/values per block;
    position M a side slot (never attended to) whose block-0 value holds the coarse prior logits
    (k x P x L numbers); then one position per decoded layer. So T0 = M + 1.

    Logits of layer j < k: prior_j + corr * tanh(transformer_j) (a bounded correction); of
    layer j >= k: the transformer's. The draft is a copy of the prior path (ObsEncoder + PriorHead)."""

    def __init__(self, c: Config, stats: dict | None = None):
        super().__init__()
        self.c = c
        self.corr = c.coarse_correction
        assert c.draft_layers * c.latent * c.levels <= c.d_model
        self.obs = ObsEncoder(c, stats)
        self.memkv = MemoryKV(c)
        self.prior = PriorHead(c)
        self.layer_emb = nn.Embedding(c.layers, c.d_model)
        self.code_emb = nn.Embedding(c.latent * c.levels, c.d_model)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.blocks)])
        self.head = LayerHead(c)

    def prefill(self, proprio, poses, instruction):
        c = self.c
        hidden = self.obs(proprio, poses, instruction)
        k, v = self.memkv(hidden)  # [B, K, M, D]
        prior = self.prior(hidden).flatten(1)  # [B, k P L]
        B = hidden.shape[0]
        slot_k = torch.zeros(B, c.applications, 1, c.d_model, device=hidden.device)
        pad = torch.zeros(B, c.d_model - prior.shape[1], device=hidden.device)
        first = torch.cat([prior, pad], 1)[:, None, None, :]  # block 0
        slot_v = torch.cat([first, torch.zeros(B, c.applications - 1, 1, c.d_model, device=hidden.device)], 1)
        return hidden, torch.cat([k, slot_k], 2), torch.cat([v, slot_v], 2)

    def step_parts(self, codes, layer_ids, past_key, past_value):
        """-> (logits, transformer correction of the coarse layers or None, present_key, present_value)."""
        c = self.c
        B, n, _ = codes.shape
        offsets = torch.arange(c.latent, device=codes.device) * c.levels
        emb = self.code_emb(codes.clamp(0, c.levels - 1) + offsets).sum(2)  # [B, n, D]
        reads = (layer_ids > 0).to(emb.dtype)[..., None]
        x = self.layer_emb(layer_ids.clamp(0, c.layers - 1)) + emb * reads
        T = past_key.shape[2]
        bias = causal_bias(T, n, codes.device)
        slot = (torch.arange(T + n, device=codes.device) == c.memory)[None, :]
        bias = torch.where(slot, torch.full((), -1e9, device=codes.device), bias)
        keys, values = [], []
        for i in range(c.applications):
            x, k, v = self.blocks[i % c.blocks](x, past_key[:, i], past_value[:, i], bias)
            keys.append(k)
            values.append(v)
        t_logits = self.head(x, layer_ids)  # [B, n, P, L]
        kP = c.draft_layers
        prior = past_value[:, 0, c.memory, : kP * c.latent * c.levels].reshape(B, kP, c.latent * c.levels)
        pick = F.one_hot(layer_ids.clamp(0, c.layers - 1), c.layers).to(x.dtype)[..., :kP]  # [B, n, k]
        coarse = pick.sum(-1)[..., None, None]  # 1 where the position predicts a coarse layer
        prior_n = torch.matmul(pick, prior).view(B, n, c.latent, c.levels)
        corr = self.corr * torch.tanh(t_logits)
        logits = coarse * (prior_n + corr) + (1 - coarse) * t_logits
        return logits, corr * coarse, torch.stack(keys, 1), torch.stack(values, 1)

    def step(self, codes, layer_ids, past_key, past_value):
        """codes [B, n, P], layer_ids [B, n], past [B, K, T, D] -> logits [B, n, P, L], present [B, K, T+n, D]."""
        logits, _, k, v = self.step_parts(codes, layer_ids, past_key, past_value)
        return logits, k, v

    def prior_logits(self, proprio, poses, instruction):
        return self.prior(self.obs(proprio, poses, instruction))

    def forward_train(self, proprio, poses, instruction, inputs):
        """Codes fed per position [B, Q, P] (position i reads inputs[i - 1]) -> logits, coarse correction, prior."""
        B = inputs.shape[0]
        hidden, k, v = self.prefill(proprio, poses, instruction)
        fed = torch.cat([torch.zeros_like(inputs[:, :1]), inputs[:, :-1]], 1)
        ids = torch.arange(self.c.layers, device=inputs.device)[None, :].expand(B, -1)
        logits, corr, _, _ = self.step_parts(fed, ids, k, v)
        return logits, corr, self.prior(hidden)

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
    def __init__(self, c: Config, stats: dict | None = None):
        super().__init__()
        self.c = c
        self.obs = ObsEncoder(c, stats)
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
        for i in range(c.applications):
            x, _, _ = self.blocks[i % c.blocks](x, k[:, i], v[:, i], bias)
        return self.head(x, ids)


# ---------------------------------------------------------------- draft

class Draft(nn.Module):
    """Observation -> logits [B, k, P, L] of the k coarsest layers: the main model's prior path
    (ObsEncoder + PriorHead), copied (`reads: observation`)."""

    def __init__(self, c: Config, stats: dict | None = None):
        super().__init__()
        self.c = c
        self.obs = ObsEncoder(c, stats)
        self.prior = PriorHead(c)

    @staticmethod
    def from_main(main: 'MainLayerwise') -> 'Draft':
        d = Draft(main.c)
        d.obs.load_state_dict(main.obs.state_dict())
        d.prior.load_state_dict(main.prior.state_dict())
        return d

    def forward(self, proprio, poses, instruction):
        return self.prior(self.obs(proprio, poses, instruction))


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
