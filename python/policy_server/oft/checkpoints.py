"""Loading the seed's checkpoints into the classes of heads.py / rfsq.py, strictly.

Accepted layouts (the seed's scripts save and read all three): a dict with the state dict under
`model_state_dict`, `model` or `rfsq_head`, or a bare state dict; a `module.` prefix on every key
(DDP) is dropped. Dimensions are read from the tensors' shapes (the seed's heads exist with hidden
1024 and 2048), then checked against each other, against the decoder's code grid and against the
backbone's hidden size. Every missing file, unreadable file, missing key, unexpected key or shape
mismatch is an OftCheckpointError naming the file: nothing is ever left randomly initialised.
"""
import os
import re
from typing import Any

import torch
from torch import nn

from .errors import OftCheckpointError, OftConfigError
from .heads import CodeShape, ConditionedRFSQHead, ProprioProjector, RFSQDraft, RFSQHead
from .rfsq import RFSQDecoder

LAYOUT_KEYS = ('model_state_dict', 'model', 'rfsq_head')
DRAFT_ATTENTION_HEADS = 8  # the seed's DraftTransformerDecoder(num_heads=8); a state dict cannot tell


def read_checkpoint(path: str, flag: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(state dict, the checkpoint's `config` dict or {}) from one of the accepted layouts."""
    if not path:
        raise OftConfigError(f'{flag}: no file given')
    if not os.path.isfile(path):
        raise OftCheckpointError(f'{path}: no such file ({flag})')
    try:
        blob = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unpickling failure is this file's fault
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise OftCheckpointError(f'{path}: not a readable PyTorch checkpoint ({first})') from None
    if not isinstance(blob, dict):
        raise OftCheckpointError(f'{path}: holds a {type(blob).__name__}, not a dict or state dict')
    config = blob.get('config') if isinstance(blob.get('config'), dict) else {}
    state = next((blob[k] for k in LAYOUT_KEYS if isinstance(blob.get(k), dict)), None)
    if state is None:
        if blob and all(isinstance(v, torch.Tensor) for v in blob.values()):
            state = blob
        else:
            keys = ', '.join(sorted(map(str, blob))[:8])
            raise OftCheckpointError(f'{path}: no state dict under {", ".join(LAYOUT_KEYS)} and not a bare state dict (top-level keys: {keys})')
    bad = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise OftCheckpointError(f"{path}: key '{bad[0]}' is not a tensor")
    if state and all(k.startswith('module.') for k in state):
        state = {k[len('module.'):]: v for k, v in state.items()}
    return state, config


def require(state: dict[str, torch.Tensor], key: str, path: str, ndim: int) -> torch.Tensor:
    if key not in state:
        raise OftCheckpointError(f"{path}: missing key '{key}'")
    if state[key].dim() != ndim:
        raise OftCheckpointError(f"{path}: key '{key}' has shape {list(state[key].shape)}; expected {ndim} dimensions")
    return state[key]


def load_strict(module: nn.Module, state: dict[str, torch.Tensor], path: str) -> None:
    """Copies `state` into `module`, naming the first missing key, unexpected key or wrong shape."""
    expected = module.state_dict()
    for key, tensor in expected.items():
        if key not in state:
            raise OftCheckpointError(f"{path}: missing key '{key}'")
        if tuple(state[key].shape) != tuple(tensor.shape):
            raise OftCheckpointError(f"{path}: key '{key}' has shape {list(state[key].shape)}; expected {list(tensor.shape)}")
    extra = sorted(set(state) - set(expected))
    if extra:
        raise OftCheckpointError(f"{path}: unexpected key '{extra[0]}'" + (f' (and {len(extra) - 1} more)' if len(extra) > 1 else ''))
    module.load_state_dict(state, strict=True)


def _indices(state: dict[str, torch.Tensor], prefix: str) -> list[int]:
    pattern = re.compile(re.escape(prefix) + r'\.(\d+)\.')
    return sorted({int(m.group(1)) for k in state if (m := pattern.match(k))})


def _check_config(config: dict[str, Any], expected: dict[str, Any], path: str) -> None:
    # The seed saves its constructor arguments under `config`; where present they must match the tensors.
    for key, value in expected.items():
        if key in config and config[key] != value:
            raise OftCheckpointError(f'{path}: config {key}={config[key]!r} but the tensors say {value!r}')


def load_decoder(path: str, use_layernorm: bool | None, stats_free: bool) -> RFSQDecoder:
    """The RFSQ tokenizer. Whether it normalises per layer is not in a state dict: the checkpoint's
    `config.use_layernorm` or the --rfsq-layernorm flag says it (both given must agree)."""
    state, config = read_checkpoint(path, '--rfsq-decoder')
    hidden_in = require(state, 'decoder.0.weight', path, 2)      # [64, latent]
    out = require(state, 'decoder.2.weight', path, 2)            # [action_dim, 64]
    layers = _indices(state, 'rfsq.layers')
    if not layers:
        raise OftCheckpointError(f"{path}: missing key 'rfsq.layers.0.boundaries'")
    levels = require(state, 'rfsq.layers.0.boundaries', path, 1).shape[0]
    latent, action_dim, num_layers = hidden_in.shape[1], out.shape[0], layers[-1] + 1
    _check_config(config, {'action_dim': action_dim, 'hidden_dim': latent, 'num_layers': num_layers, 'num_levels': levels}, path)
    from_config = config.get('use_layernorm')
    if from_config is not None and use_layernorm is not None and bool(from_config) != use_layernorm:
        raise OftConfigError(f'--rfsq-layernorm {"on" if use_layernorm else "off"}: {path} says use_layernorm={from_config}')
    layernorm = bool(from_config) if from_config is not None else use_layernorm
    if layernorm is None:
        raise OftConfigError(f'--rfsq-layernorm: {path} has no config.use_layernorm (a bare state dict cannot tell); pass --rfsq-layernorm on|off')
    decoder = RFSQDecoder(action_dim, latent, num_layers, levels, layernorm, stats_free=stats_free, source=path)
    load_strict(decoder, state, path)
    expected = torch.linspace(-1, 1, levels)
    for q in range(num_layers):
        if not torch.allclose(decoder.rfsq.layers[q].boundaries, expected, atol=1e-6):
            raise OftCheckpointError(f"{path}: key 'rfsq.layers.{q}.boundaries' is not linspace(-1, 1, {levels})")
    decoder.check_decodable()
    return decoder.eval()


def _code_shape(out_features: int, decoder: RFSQDecoder, path: str, key: str) -> CodeShape:
    grid = decoder.latent * decoder.levels
    if out_features % grid:
        raise OftCheckpointError(f"{path}: key '{key}' has {out_features} outputs, not a multiple of latent {decoder.latent} x levels {decoder.levels} of {decoder.source}")
    return CodeShape(decoder.num_layers, out_features // grid, decoder.latent, decoder.levels)


def load_head(path: str, decoder: RFSQDecoder, backbone_dim: int | None) -> RFSQHead | ConditionedRFSQHead:
    """The main head (plain `RFSQHead` or the seed's `ConditionedRFSQHead`, told apart by its keys)."""
    state, config = read_checkpoint(path, '--rfsq-head')
    proj = require(state, 'feature_proj.0.weight', path, 2)       # [hidden, input]
    last = require(state, 'layer_heads.0.3.weight', path, 2)      # [positions * levels, hidden // 2]
    hidden_dim, input_dim = proj.shape
    if backbone_dim is not None and input_dim != backbone_dim:
        raise OftCheckpointError(f"{path}: key 'feature_proj.0.weight' reads {input_dim}-d features; the backbone's hidden size is {backbone_dim}")
    shape = _code_shape(last.shape[0], decoder, path, 'layer_heads.0.3.weight')
    _check_config(config, {'input_dim': input_dim, 'hidden_dim': hidden_dim, 'num_layers': shape.layers,
                           'chunk_len': shape.chunk, 'action_hidden_dim': shape.latent, 'grid_size': shape.levels}, path)
    if 'token_embedding.weight' in state:
        embed = require(state, 'token_embedding.weight', path, 2).shape[1]
        flat = require(state, 'token_proj.0.weight', path, 2).shape[1]
        per_layer = shape.positions * embed
        if flat % per_layer:
            raise OftCheckpointError(f"{path}: key 'token_proj.0.weight' reads {flat} inputs, not a multiple of positions {shape.positions} x embedding {embed}")
        head: nn.Module = ConditionedRFSQHead(input_dim, hidden_dim, shape, flat // per_layer, embed)
    else:
        head = RFSQHead(input_dim, hidden_dim, shape)
    load_strict(head, state, path)
    return head.eval()


def load_draft(path: str, decoder: RFSQDecoder, backbone_dim: int | None, head_shape: CodeShape) -> RFSQDraft:
    state, config = read_checkpoint(path, '--draft')
    proj = require(state, 'input_projection.weight', path, 2)                     # [width, input]
    ff = require(state, 'decoder.decoder_layer.linear1.weight', path, 2).shape[0]
    max_seq = require(state, 'decoder.position_encoding', path, 3).shape[1]
    coarse = _indices(state, 'classification_heads')
    if not coarse:
        raise OftCheckpointError(f"{path}: missing key 'classification_heads.0.3.weight'")
    last = require(state, 'classification_heads.0.3.weight', path, 2)
    width, input_dim = proj.shape
    if backbone_dim is not None and input_dim != backbone_dim:
        raise OftCheckpointError(f"{path}: key 'input_projection.weight' reads {input_dim}-d features; the backbone's hidden size is {backbone_dim}")
    shape = _code_shape(last.shape[0], decoder, path, 'classification_heads.0.3.weight')
    if shape != head_shape:
        raise OftCheckpointError(f'{path}: draft codes are chunk {shape.chunk} x latent {shape.latent}; the main head\'s are chunk {head_shape.chunk} x latent {head_shape.latent}')
    layers = coarse[-1] + 1
    if layers > shape.layers:
        raise OftCheckpointError(f'{path}: {layers} draft layers but the decoder has only {shape.layers}')
    if width % DRAFT_ATTENTION_HEADS:
        raise OftCheckpointError(f"{path}: key 'input_projection.weight' gives width {width}, not divisible by the draft's {DRAFT_ATTENTION_HEADS} attention heads")
    _check_config(config, {'input_dim': input_dim, 'hidden_dim': width, 'num_coarse_layers': layers,
                           'chunk_len': shape.chunk, 'action_hidden_dim': shape.latent, 'grid_size': shape.levels}, path)
    draft = RFSQDraft(input_dim, width, DRAFT_ATTENTION_HEADS, ff, max_seq, layers, shape)
    load_strict(draft, state, path)
    return draft.eval()


def load_proprio_projector(path: str, backbone_dim: int | None, proprio_dim: int) -> ProprioProjector:
    """OFT's `proprio_projector--*_checkpoint.pt` (a bare state dict, maybe with DDP's `module.`)."""
    state, _ = read_checkpoint(path, 'proprio projector')
    fc1 = require(state, 'fc1.weight', path, 2)
    dim = fc1.shape[0] if backbone_dim is None else backbone_dim
    if tuple(fc1.shape) != (dim, proprio_dim):
        raise OftCheckpointError(f"{path}: key 'fc1.weight' has shape {list(fc1.shape)}; expected [{dim}, {proprio_dim}]")
    projector = ProprioProjector(dim, proprio_dim)
    load_strict(projector, state, path)
    return projector.eval()
