"""Small-dimension instances of the OFT path's classes, saved in the seed's checkpoint layouts.

The backbone is standin.py's RANDOM tiny Llama (hidden 64, 2 layers) with a patch-convolution image
embedding: a stand-in for the 7B backbone, so the real loader, preprocessing, decoding and records
run end to end on CPU in seconds. Heads read 64-d features instead of 4096; codes are chunk 8 x
latent 5 = 40 positions (so that 0.7 x 40 = 28 matches sits exactly at the threshold) x 7 levels x 8
layers.
"""
import argparse
import json
import os

import numpy as np
import torch

from policy_server.oft import add_arguments
from policy_server.oft.heads import CodeShape, ConditionedRFSQHead, RFSQDraft, RFSQHead, ProprioProjector
from policy_server.oft.rfsq import RFSQDecoder
from policy_server.oft.standin import standin_backbone, tiny_config

BACKBONE = 64
SHAPE = CodeShape(layers=8, chunk=8, latent=5, levels=7)
COARSE = 3
LAYOUTS = ('model_state_dict', 'model', 'rfsq_head', 'bare', 'ddp')


def randomize(module: torch.nn.Module, seed: int) -> torch.nn.Module:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (0.3 if p.dim() > 1 else 0.1) + (1.0 if name.endswith('norm.weight') else 0.0))
    return module.eval()


def make_decoder(use_layernorm: bool = False, seed: int = 1) -> RFSQDecoder:
    return randomize(RFSQDecoder(7, SHAPE.latent, SHAPE.layers, SHAPE.levels, use_layernorm), seed)


def make_head(conditioned: bool = False, seed: int = 2) -> torch.nn.Module:
    head = ConditionedRFSQHead(BACKBONE, 32, SHAPE, COARSE, 4) if conditioned else RFSQHead(BACKBONE, 32, SHAPE)
    return randomize(head, seed)


def make_draft(seed: int = 3) -> RFSQDraft:
    return randomize(RFSQDraft(BACKBONE, 32, 8, 64, 16, COARSE, SHAPE), seed)


def fix_codes(classifier: torch.nn.Sequential, codes: torch.Tensor) -> None:
    """Makes a layer classifier's argmax `codes` [positions] whatever its input (zero weight, one-hot bias)."""
    with torch.no_grad():
        classifier[3].weight.zero_()
        bias = torch.zeros(codes.shape[0], SHAPE.levels)
        bias[torch.arange(codes.shape[0]), codes] = 5.0
        classifier[3].bias.copy_(bias.reshape(-1))


def save(module_or_state, path: str, layout: str = 'model_state_dict', config: dict | None = None) -> str:
    state = module_or_state.state_dict() if isinstance(module_or_state, torch.nn.Module) else module_or_state
    if layout == 'bare':
        blob = dict(state)
    elif layout == 'ddp':
        blob = {f'module.{k}': v for k, v in state.items()}
    else:
        blob = {layout: dict(state), 'epoch': 3, 'val_accuracy': 0.5}
        if config is not None:
            blob['config'] = config
    torch.save(blob, path)
    return path


def decoder_config(use_layernorm: bool) -> dict:
    return {'action_dim': 7, 'hidden_dim': SHAPE.latent, 'num_layers': SHAPE.layers, 'num_levels': SHAPE.levels, 'use_layernorm': use_layernorm}


def write_oft_folder(folder: str, projector: bool = False, stats: dict | None = None) -> None:
    """A stand-in OFT checkpoint folder: dataset_statistics.json (+ a proprio projector)."""
    os.makedirs(folder, exist_ok=True)
    if stats is None:
        stats = {'libero_spatial_no_noops': {
            'action': {'q01': [-0.7, -0.6, -0.9, -0.1, -0.2, -0.2, 0.0], 'q99': [0.9, 0.9, 0.9, 0.1, 0.2, 0.15, 1.0],
                       'mask': [True] * 6 + [False]},
            'proprio': {'q01': [-0.3, -0.2, 0.9, 2.9, -0.5, -0.3, 0.0, -0.04], 'q99': [0.2, 0.3, 1.3, 3.3, 0.5, 0.3, 0.04, 0.0]}}}
    with open(os.path.join(folder, 'dataset_statistics.json'), 'w') as f:
        json.dump(stats, f)
    if projector:
        save(randomize(ProprioProjector(BACKBONE, 8), 9), os.path.join(folder, 'proprio_projector--100_checkpoint.pt'), 'bare')


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def tiny_backbone_loader(args, device, dtype, projector):
    return standin_backbone(tiny_config(BACKBONE), device, dtype, args.num_images, projector)


def write_checkpoints(folder: str, *, layout: str = 'model_state_dict', use_layernorm: bool = False,
                      conditioned: bool = False, head=None, draft=None, decoder=None) -> dict:
    os.makedirs(folder, exist_ok=True)
    head = head if head is not None else make_head(conditioned)
    draft = draft if draft is not None else make_draft()
    decoder = decoder if decoder is not None else make_decoder(use_layernorm)
    return {
        'head': save(head, os.path.join(folder, 'head.pt'), layout),
        'draft': save(draft, os.path.join(folder, 'draft.pt'), layout),
        'decoder': save(decoder, os.path.join(folder, 'rfsq.pt'), layout, decoder_config(use_layernorm)),
    }


def policy_argv(oft: str, files: dict, *extra: str) -> list[str]:
    return ['--oft', oft, '--rfsq-head', files['head'], '--draft', files['draft'], '--rfsq-decoder', files['decoder'],
            '--oft-dtype', 'fp32', '--oft-device', 'cpu', *extra]


def observation(seed: int = 0, size: int = 256) -> dict:
    rng = np.random.default_rng(seed)
    return {
        'observation/image': rng.integers(0, 256, (size, size, 3), dtype=np.uint8),
        'observation/wrist_image': rng.integers(0, 256, (size, size, 3), dtype=np.uint8),
        'observation/state': np.array([-0.2, 0.0, 1.17, 3.14, 0.0, -0.09, 0.039, -0.039], dtype=np.float32),
        'observation/object_poses': np.zeros((2, 7), dtype=np.float32),
        'task/objects': ['akita_black_bowl_1', 'plate_1'], 'task/suite': 'libero_spatial', 'task/id': 0,
        'prompt': 'pick up the black bowl and place it on the plate',
    }
