"""A RANDOM stand-in for OpenVLA-OFT's VLA, for tests and timing only: never a model to serve.

`StandInVla` answers the calls backbone.OftBackbone makes of OFT's model (forward with input_ids,
attention_mask, pixel_values, labels, output_hidden_states, proprio, proprio_projector) with a
randomly initialised transformers `LlamaForCausalLM` of any shape (tiny for the tests, Llama-2 7B's
for bench_7b.py) and a stand-in image embedding: `patch` is one 14 x 14 patch convolution per image
(256 patches at 224), `vit` the shapes of OFT's fused vision towers (DINOv2 ViT-L/14 and SigLIP
so400m/14, run in full, + OFT's 3-layer fused projector), also random. The sequence is OFT's:
[BOS, image patches (, proprio token), prompt tokens]. `StandInProcessor` tokenises words with a
fixed hash (no Llama tokenizer here) and scales pixels to [-1, 1].
"""
import re
import zlib
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn
from transformers import LlamaConfig, LlamaForCausalLM

from .backbone import IGNORE_INDEX, OftBackbone

PATCH = 14
IMAGE = 224
LLAMA2_7B = dict(hidden_size=4096, num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=32,
                 intermediate_size=11008, vocab_size=32000, max_position_embeddings=2048)


class Batch(dict):
    """What OFT's processor returns, as far as OftBackbone uses it: a dict with `.to(device, dtype)`."""

    def to(self, device, dtype=None):
        return Batch({k: v.to(device, dtype) if dtype is not None and v.is_floating_point() else v.to(device) for k, v in self.items()})


class StandInProcessor:
    def __init__(self, vocab_size: int):
        self.vocab_size = vocab_size

    def __call__(self, prompt: str, image: np.ndarray) -> Batch:
        words = re.findall(r'\w+|[^\w\s]', prompt)
        ids = [1] + [3 + zlib.crc32(w.encode()) % (self.vocab_size - 3) for w in words]
        pixels = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float() / 127.5 - 1
        return Batch(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long), pixel_values=pixels)


class PatchEmbedding(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, PATCH, PATCH)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.proj(image).flatten(2).transpose(1, 2)


class FusedViT(nn.Module):
    """OFT's fused towers' shapes: DINOv2 ViT-L/14 (1024) and SigLIP so400m/14 (1152) patches,
    concatenated (2176) and projected to the LLM width by 3 linear layers."""

    def __init__(self, dim: int):
        super().__init__()
        from transformers import Dinov2Config, Dinov2Model, SiglipVisionConfig, SiglipVisionModel
        self.dino = Dinov2Model(Dinov2Config(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                                             intermediate_size=4096, patch_size=PATCH, image_size=IMAGE))
        self.siglip = SiglipVisionModel(SiglipVisionConfig(hidden_size=1152, intermediate_size=4304, num_hidden_layers=27,
                                                           num_attention_heads=16, patch_size=PATCH, image_size=IMAGE))
        fused = 1024 + 1152
        self.projector = nn.Sequential(nn.Linear(fused, 4 * fused), nn.GELU(), nn.Linear(4 * fused, dim), nn.GELU(), nn.Linear(dim, dim))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        dino = self.dino(pixel_values=image).last_hidden_state[:, 1:]   # drop CLS: 256 patches
        siglip = self.siglip(pixel_values=image).last_hidden_state      # 256 patches
        return self.projector(torch.cat([dino, siglip], dim=-1))


class StandInVla(nn.Module):
    def __init__(self, config: LlamaConfig, vision: str = 'patch'):
        super().__init__()
        self.language_model = LlamaForCausalLM(config)
        self.vision = PatchEmbedding(config.hidden_size) if vision == 'patch' else FusedViT(config.hidden_size)
        self.num_images = 1
        self.vision_backbone = SimpleNamespace(set_num_images_in_input=self._set_num_images)

    def _set_num_images(self, n: int) -> None:
        self.num_images = n

    def forward(self, input_ids, attention_mask, pixel_values, labels=None, output_hidden_states=False,
                proprio=None, proprio_projector=None):
        # OFT derives its action mask from labels; the feature forward must mark no action tokens.
        if labels is None or bool((labels != IGNORE_INDEX).any()):
            raise ValueError('stand-in VLA: labels must be given and all IGNORE_INDEX (no action tokens)')
        if pixel_values.shape[1] != 3 * self.num_images:
            raise ValueError(f'stand-in VLA: {pixel_values.shape[1]} channels for {self.num_images} images')
        embed = self.language_model.get_input_embeddings()(input_ids)
        patches = torch.cat([self.vision(img) for img in pixel_values.split(3, dim=1)], dim=1).to(embed.dtype)
        parts = [embed[:, :1], patches]
        if proprio_projector is not None:
            parts.append(proprio_projector(proprio.reshape(1, -1))[:, None].to(embed.dtype))
        parts.append(embed[:, 1:])
        sequence = torch.cat(parts, dim=1)
        mask = torch.ones(sequence.shape[:2], dtype=attention_mask.dtype, device=attention_mask.device)
        return self.language_model(inputs_embeds=sequence, attention_mask=mask, output_hidden_states=output_hidden_states)


def tiny_config(hidden: int = 64, layers: int = 2, vocab: int = 512) -> LlamaConfig:
    return LlamaConfig(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=4,
                       intermediate_size=2 * hidden, vocab_size=vocab, max_position_embeddings=2048)


def standin_backbone(config: LlamaConfig, device: torch.device, dtype: torch.dtype, num_images: int,
                     projector: nn.Module | None = None, vision: str = 'patch', seed: int = 0) -> OftBackbone:
    torch.manual_seed(seed)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # built in place on the device: a 7B shape never passes through fp32 CPU memory
    try:
        with torch.device(device):
            vla = StandInVla(config, vision).eval()
    finally:
        torch.set_default_dtype(previous)
    vla.vision_backbone.set_num_images_in_input(num_images)
    return OftBackbone(vla, StandInProcessor(config.vocab_size), config.hidden_size, device, dtype, lambda a: a, projector)
