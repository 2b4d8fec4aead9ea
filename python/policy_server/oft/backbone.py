"""OpenVLA-OFT as the heads' feature extractor.

The seed's heads read `hidden_states[-1][:, -1, :]` of one forward of the VLA over its prompt and
images (its collect/evaluate scripts): the final-norm hidden state at the last prompt position.
Here that forward is OFT's own `forward` with the inputs OFT's `get_vla_action` builds: the prompt
`In: What action should the robot take to {instruction.lower()}?\nOut:`, one processor call per
image with their pixel values concatenated along dim 1, and the normalised proprio through OFT's
projector when the checkpoint folder has one. No action placeholder tokens are appended (the heads
were trained on the prompt-only forward, unlike OFT's L1 head, which reads the 56 placeholders of
`predict_action`).
`labels` are passed, all IGNORE_INDEX: OFT's forward builds its action mask from `labels`, and
without them it fails inside torch.cumsum (`cumsum(): argument 'input' must be Tensor, not bool`),
an error the seed's collection script catches and replaces with torch.randn features.
"""
import glob
import os
from typing import Any, Callable

import numpy as np
import torch

from .errors import OftCheckpointError, OftConfigError
from .observation import ModelInput

IGNORE_INDEX = -100
PROMPT = 'In: What action should the robot take to {}?\nOut:'


def prompt_for(instruction: str) -> str:
    return PROMPT.format(instruction.lower())


class OftBackbone:
    """One VLA forward per chunk -> the last position's hidden state, float32 [1, hidden]."""

    def __init__(self, vla: Any, processor: Callable, hidden_size: int, device: torch.device, dtype: torch.dtype,
                 to_processor_image: Callable[[np.ndarray], Any], proprio_projector: torch.nn.Module | None = None):
        self.vla, self.processor, self.hidden_size = vla, processor, hidden_size
        self.device, self.dtype = device, dtype
        self.to_processor_image = to_processor_image
        self.proprio_projector = proprio_projector

    @torch.inference_mode()
    def features(self, inp: ModelInput, proprio: np.ndarray | None) -> torch.Tensor:
        """`proprio`: the normalised state (None when the model reads none)."""
        prompt = prompt_for(inp.instruction)
        batches = [self.processor(prompt, self.to_processor_image(image)).to(self.device, dtype=self.dtype) for image in inp.images]
        inputs = batches[0]
        pixel_values = torch.cat([b['pixel_values'] for b in batches], dim=1)
        extra = {}
        if self.proprio_projector is not None:
            if proprio is None:
                raise OftConfigError('proprio projector loaded but no proprio given')
            extra = {'proprio': torch.as_tensor(proprio, dtype=self.dtype, device=self.device)[None],
                     'proprio_projector': self.proprio_projector}
        out = self.vla(input_ids=inputs['input_ids'], attention_mask=inputs['attention_mask'], pixel_values=pixel_values,
                       labels=torch.full_like(inputs['input_ids'], IGNORE_INDEX), output_hidden_states=True, **extra)
        return out.hidden_states[-1][:, -1, :].float()


def find_proprio_projector(folder: str) -> str | None:
    """OFT saves it as `proprio_projector--<step>_checkpoint.pt` beside the VLA; none means no proprio."""
    found = sorted(p for p in glob.glob(os.path.join(folder, '*proprio_projector*')) if 'checkpoint' in os.path.basename(p))
    if len(found) > 1:
        raise OftCheckpointError(f'{folder}: {len(found)} proprio projector files ({", ".join(map(os.path.basename, found))}); keep one')
    return found[0] if found else None


def load_vla(folder: str, dtype: torch.dtype, load_4bit: bool, device: torch.device, num_images: int) -> tuple[Any, Callable, int]:
    """(vla, processor, hidden size) through transformers with OFT's remote code, as OFT's `get_vla`."""
    import transformers
    if not os.path.isfile(os.path.join(folder, 'config.json')):
        raise OftCheckpointError(f'{folder}: no config.json (--oft takes an OpenVLA-OFT checkpoint folder)')
    auto_model = getattr(transformers, 'AutoModelForVision2Seq', None)
    if auto_model is None:
        raise OftConfigError(f'--oft: transformers {transformers.__version__} has no AutoModelForVision2Seq; OFT\'s remote code '
                             '(modeling_prismatic.py) is written for the transformers 4.40 that openvla-oft pins: serve from that environment')
    kwargs: dict[str, Any] = {'torch_dtype': dtype, 'low_cpu_mem_usage': True, 'trust_remote_code': True}
    if load_4bit:
        if device.type != 'cuda':
            raise OftConfigError('--oft-4bit: 4-bit weights (bitsandbytes) need --oft-device cuda')
        kwargs['quantization_config'] = transformers.BitsAndBytesConfig(load_in_4bit=True)
    try:
        vla = auto_model.from_pretrained(folder, **kwargs)
        processor = transformers.AutoProcessor.from_pretrained(folder, trust_remote_code=True)
    except (OSError, ValueError, ImportError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise OftCheckpointError(f'{folder}: transformers could not load the OFT model ({first})') from None
    vla.vision_backbone.set_num_images_in_input(num_images)
    vla.eval()
    if not load_4bit:
        vla = vla.to(device)
    text = getattr(vla.config, 'text_config', None)
    hidden = getattr(vla, 'llm_dim', None) or getattr(text, 'hidden_size', None)
    if not hidden:
        raise OftCheckpointError(f'{folder}: config.json gives no hidden size (text_config.hidden_size)')
    return vla, processor, int(hidden)


def pil_image(image: np.ndarray) -> Any:
    from PIL import Image  # OFT's processor takes PIL images; PIL comes with OFT's environment
    return Image.fromarray(image).convert('RGB')
