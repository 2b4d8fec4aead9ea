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

Two observation encoders (Config.observation):
- `state` (ObsEncoder): proprio, object poses, task index; inputs (proprio, poses, instruction).
- `vision` (VisionObsEncoder): proprio, the instruction as word tokens and one image per camera;
  inputs (proprio, instruction_tokens, image_<camera 0>, image_<camera 1>, ...). A small CNN per
  camera (strided convs, GroupNorm, FiLM from the instruction) to spatial-softmax keypoints and a
  pooled feature; a token embedding with one tiny attention layer, mean-pooled.
Every model takes the observation as positional tensors in that order (`*obs`).
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
    # observation: 'state' (proprio, object poses, task index) or 'vision' (proprio, tokens, images)
    observation: str = 'state'
    cameras: int = 2  # vision: images per observation, in the manifest's camera order
    image_size: int = 64  # vision: tensor height = width
    vocab: int = 2  # vision: token vocabulary size (0 = <pad>, 1 = <unk>)
    max_tokens: int = 24  # vision: L, the instruction's token length
    text_dim: int = 64  # vision: token embedding width
    cnn_channels: tuple = (32, 32, 64, 64)  # vision: conv widths; strides 2, 2, 1, 1
    keypoints: int = 32  # vision: spatial-softmax keypoints per camera
    groups: int = 8  # vision: GroupNorm groups

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


class TextEncoder(nn.Module):
    """instruction_tokens [B, L] int64 (0 = <pad>) -> [B, text_dim]: token + position embeddings, one
    pre-LN attention layer over the non-pad tokens (word order matters: "on the ramekin" against
    "next to the ramekin"), mean over the non-pad tokens."""

    def __init__(self, c: Config):
        super().__init__()
        E = c.text_dim
        self.heads = 2
        self.tok = nn.Embedding(c.vocab, E, padding_idx=0)
        self.pos = nn.Parameter(torch.randn(c.max_tokens, E) * 0.02)
        self.ln1 = nn.LayerNorm(E)
        self.qkv = nn.Linear(E, 3 * E)
        self.out = nn.Linear(E, E)
        self.ln2 = nn.LayerNorm(E)
        self.mlp = nn.Sequential(nn.Linear(E, 2 * E), nn.GELU(), nn.Linear(2 * E, E))
        self.ln = nn.LayerNorm(E)

    def forward(self, tokens):
        B, L = tokens.shape
        E, h = self.pos.shape[1], self.heads
        mask = (tokens > 0).to(self.pos.dtype)  # [B, L]
        x = self.tok(tokens.clamp(0, self.tok.num_embeddings - 1)) + self.pos[:L]
        q, k, v = self.qkv(self.ln1(x)).chunk(3, -1)
        q, k, v = (t.view(B, L, h, E // h).transpose(1, 2) for t in (q, k, v))
        # Pad keys are masked with a large negative bias, not -inf: an all-pad instruction gives a
        # uniform average instead of NaN.
        att = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(E // h)) + (mask[:, None, None, :] - 1.0) * 1e9
        x = x + self.out(torch.matmul(att.softmax(-1), v).transpose(1, 2).reshape(B, L, E))
        x = x + self.mlp(self.ln2(x))
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
        return self.ln(pooled)


class SpatialSoftmax(nn.Module):
    """features [B, C, h, w] -> expected (x, y) in [-1, 1] per channel [B, 2 C] (Levine et al. 2016)."""

    def __init__(self, h: int, w: int):
        super().__init__()
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing='ij')
        self.register_buffer('grid', torch.stack([xs.reshape(-1), ys.reshape(-1)], 1))  # [h w, 2]

    def forward(self, x):
        B, C = x.shape[:2]
        p = x.flatten(2).softmax(-1)  # [B, C, h w]
        return torch.matmul(p, self.grid).flatten(1)


class CameraEncoder(nn.Module):
    """image [B, 3, s, s] in [0, 1], FiLM input [B, text_dim] -> [B, 2 keypoints + channels]:
    four 3x3/5x5 convs (strides 2, 2, 1, 1) with GroupNorm; the instruction modulates the last two
    (FiLM: which bowl matters depends on it); spatial-softmax keypoints and the mean of the last
    feature map."""

    def __init__(self, c: Config):
        super().__init__()
        ch = list(c.cnn_channels)
        if len(ch) != 4:
            raise ValueError(f'cnn_channels needs 4 widths, got {ch}')
        self.convs = nn.ModuleList([
            nn.Conv2d(3, ch[0], 5, 2, 2), nn.Conv2d(ch[0], ch[1], 3, 2, 1),
            nn.Conv2d(ch[1], ch[2], 3, 1, 1), nn.Conv2d(ch[2], ch[3], 3, 1, 1)])
        self.norms = nn.ModuleList([nn.GroupNorm(min(c.groups, n), n) for n in ch])
        self.film = nn.Linear(c.text_dim, 2 * (ch[2] + ch[3]))
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)
        self.split = [ch[2], ch[2], ch[3], ch[3]]
        self.kp = nn.Conv2d(ch[3], c.keypoints, 1)
        side = (c.image_size + 1) // 2
        side = (side + 1) // 2  # after the two stride-2 convs (5x5 pad 2, 3x3 pad 1)
        self.softmax = SpatialSoftmax(side, side)
        self.out_dim = 2 * c.keypoints + ch[3]

    def forward(self, image, text):
        # Centre the pixels: a fixed affine map, so the tensor the engine feeds stays plain [0, 1] RGB.
        x = image * 2.0 - 1.0
        g2, b2, g3, b3 = self.film(text).split(self.split, -1)
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            x = norm(conv(x))
            if i == 2:
                x = x * (1 + g2[:, :, None, None]) + b2[:, :, None, None]
            elif i == 3:
                x = x * (1 + g3[:, :, None, None]) + b3[:, :, None, None]
            x = F.gelu(x)
        return torch.cat([self.softmax(self.kp(x)), x.mean((2, 3))], -1)


class VisionObsEncoder(nn.Module):
    """(proprio [B, 8], instruction_tokens [B, L], image per camera [B, 3, s, s]) -> hidden [B, H]."""

    def __init__(self, c: Config, stats: dict | None = None):
        super().__init__()
        self.c = c
        self.text = TextEncoder(c)
        self.cams = nn.ModuleList([CameraEncoder(c) for _ in range(c.cameras)])
        n = c.proprio_dim + c.text_dim + sum(m.out_dim for m in self.cams)
        self.net = nn.Sequential(nn.Linear(n, c.hidden), nn.GELU(), nn.Linear(c.hidden, c.hidden), nn.LayerNorm(c.hidden))

    def forward(self, proprio, tokens, *images):
        if len(images) != len(self.cams):
            raise ValueError(f'{len(images)} images for {len(self.cams)} cameras')
        text = self.text(tokens)
        feats = [cam(img, text) for cam, img in zip(self.cams, images)]
        return self.net(torch.cat([proprio, text, *feats], -1))


def make_obs_encoder(c: Config, stats: dict | None = None) -> nn.Module:
    if c.observation == 'state':
        return ObsEncoder(c, stats)
    if c.observation == 'vision':
        return VisionObsEncoder(c, stats)
    raise ValueError(f"Config.observation: expected 'state' or 'vision', got {c.observation!r}")


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
    position M a side slot (never attended to) whose values hold the coarse prior logits (k x P x L
    numbers, block 0's value first, spilling into the next blocks' when k P L > D: a draft proposing
    the fine layers too); then one position per decoded layer. So T0 = M + 1.

    Logits of layer j < k: prior_j + corr * tanh(transformer_j) (a bounded correction); of
    layer j >= k: the transformer's. The draft is a copy of the prior path (ObsEncoder + PriorHead)."""

    def __init__(self, c: Config, stats: dict | None = None):
        super().__init__()
        self.c = c
        self.corr = c.coarse_correction
        assert c.draft_layers * c.latent * c.levels <= c.d_model * c.applications
        self.obs = make_obs_encoder(c, stats)
        self.memkv = MemoryKV(c)
        self.prior = PriorHead(c)
        self.layer_emb = nn.Embedding(c.layers, c.d_model)
        self.code_emb = nn.Embedding(c.latent * c.levels, c.d_model)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.blocks)])
        self.head = LayerHead(c)

    def prefill(self, *obs):
        c = self.c
        hidden = self.obs(*obs)
        k, v = self.memkv(hidden)  # [B, K, M, D]
        prior = self.prior(hidden).flatten(1)  # [B, k P L]
        B = hidden.shape[0]
        slot_k = torch.zeros(B, c.applications, 1, c.d_model, device=hidden.device)
        pad = torch.zeros(B, c.d_model * c.applications - prior.shape[1], device=hidden.device)
        slot_v = torch.cat([prior, pad], 1).view(B, c.applications, 1, c.d_model)  # block 0 first
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
        used = -(-kP * c.latent * c.levels // c.d_model)  # blocks whose slot value holds prior logits
        prior = past_value[:, :used, c.memory].reshape(B, -1)[:, : kP * c.latent * c.levels].reshape(B, kP, c.latent * c.levels)
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

    def prior_logits(self, *obs):
        return self.prior(self.obs(*obs))

    def forward_train(self, inputs, *obs):
        """Codes fed per position [B, Q, P] (position i reads inputs[i - 1]) -> logits, coarse correction, prior."""
        B = inputs.shape[0]
        hidden, k, v = self.prefill(*obs)
        fed = torch.cat([torch.zeros_like(inputs[:, :1]), inputs[:, :-1]], 1)
        ids = torch.arange(self.c.layers, device=inputs.device)[None, :].expand(B, -1)
        logits, corr, _, _ = self.step_parts(fed, ids, k, v)
        return logits, corr, self.prior(hidden)

    @torch.no_grad()
    def greedy(self, *obs, layers=None):
        """Autoregressive greedy codes [B, layers, P] with the cache, as the engine decodes."""
        layers = layers or self.c.layers
        hidden, k, v = self.prefill(*obs)
        B, device = obs[0].shape[0], obs[0].device
        prev = torch.zeros(B, 1, self.c.latent, dtype=torch.long, device=device)
        out = []
        for l in range(layers):
            ids = torch.full((B, 1), l, dtype=torch.long, device=device)
            logits, k, v = self.step(prev, ids, k, v)
            prev = logits.argmax(-1)
            out.append(prev[:, 0])
        return torch.stack(out, 1), hidden


# ---------------------------------------------------------------- main, parallel heads

class MainParallel(nn.Module):
    def __init__(self, c: Config, stats: dict | None = None):
        super().__init__()
        self.c = c
        self.obs = make_obs_encoder(c, stats)
        self.memkv = MemoryKV(c)
        self.layer_emb = nn.Embedding(c.layers, c.d_model)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.blocks)])
        self.head = LayerHead(c)

    def forward(self, *obs):
        c = self.c
        B, device = obs[0].shape[0], obs[0].device
        hidden = self.obs(*obs)
        k, v = self.memkv(hidden)
        ids = torch.arange(c.layers, device=device)[None, :].expand(B, -1)
        x = self.layer_emb(ids)
        bias = torch.zeros(c.layers, c.memory + c.layers, device=device)
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
        self.obs = make_obs_encoder(c, stats)
        self.prior = PriorHead(c)

    @staticmethod
    def from_main(main: 'MainLayerwise') -> 'Draft':
        d = Draft(main.c)
        d.obs.load_state_dict(main.obs.state_dict())
        d.prior.load_state_dict(main.prior.state_dict())
        return d

    def forward(self, *obs):
        return self.prior(self.obs(*obs))


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
