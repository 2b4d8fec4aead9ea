"""The served policy: OpenVLA-OFT features -> RFSQ main head (+ draft) -> codes -> RFSQ decoder -> actions.

`load_oft_policy(args)` builds it from the flags of `add_arguments`; the server calls `metadata`,
`infer(obs)` and `reset()`. One chunk:
  prefill  the VLA forward (backbone.py) -> last-position hidden state
  draft    (speculative) the draft's logits for the coarse layers
  verify   the main head's logits for all layers (`parallel` when the main head runs alone)
  decoder  codes -> actions through the RFSQ decoder
each timed with torch.cuda.synchronize() around it on CUDA. Honest by construction (research/rsd.md
0): the main head predicts every layer in one pass from the same forward, so the draft cannot save
time here; its acceptance is reported as agreement, and each record says so.
"""
import argparse
import hashlib
import os
import time
from typing import Any, Callable

import numpy as np
import torch

from . import checkpoints, decoding, observation
from .backbone import OftBackbone, find_proprio_projector, load_vla, pil_image
from .errors import OftCheckpointError, OftConfigError
from .heads import ConditionedRFSQHead
from .normalization import STATS_FILE, DatasetStats, gripper_to_env

STRATEGY_ALIASES = {'parallel': 'parallel', 'main': 'parallel', 'speculative': 'speculative', 'rsd': 'speculative'}
ACTION_SPACES = ('oft', 'env')
PROPRIO_DIM = 8
DTYPES = {'bf16': torch.bfloat16, 'fp32': torch.float32}

NOTE_SPECULATIVE = ('the main head predicts all {layers} layers in one pass from the same backbone forward, so the draft '
                    'cannot save time here (it only adds its own); agreement = fraction of a layer\'s {positions} codes '
                    'where the draft\'s argmax equals the main head\'s; accepted layers keep the draft\'s codes (lossy)')
NOTE_CONDITIONED = ('the seed\'s conditioned main head reads the draft\'s coarse codes, then predicts all {layers} layers in '
                    'one pass: the draft cannot save time here; agreement = fraction of a layer\'s {positions} codes where '
                    'the draft\'s argmax equals the main head\'s; accepted layers keep the draft\'s codes (lossy)')
NOTE_ZERO_CONDITION = ('the seed\'s conditioned main head alone is fed an all-zeros condition (the seed\'s no-draft '
                       'baseline; not an input it was trained on)')
NOTE_STATS_FREE = ('codes decoded without the tokenizer\'s per-sample LayerNorm statistics (--rfsq-stats-free-decode): '
                   'the actions are not the tokenizer\'s reconstruction')


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The OFT flags. --decoding/--accept/--threshold are the server's own; added here only where the
    parser lacks them (call this after the server adds its flags)."""
    g = parser.add_argument_group('OpenVLA-OFT + RFSQ (--oft)')
    g.add_argument('--oft', metavar='DIR', help='OpenVLA-OFT checkpoint folder (config.json, weights, dataset_statistics.json, optional proprio_projector--*_checkpoint.pt)')
    g.add_argument('--rfsq-head', metavar='PATH', help='main RFSQ head checkpoint (RFSQHead or ConditionedRFSQHead state dict)')
    g.add_argument('--draft', metavar='PATH', help='draft checkpoint (RFSQDraftModelWithProjection state dict); needed for speculative decoding')
    g.add_argument('--rfsq-decoder', metavar='PATH', help='RFSQ tokenizer checkpoint (ActionRFSQAE state dict)')
    g.add_argument('--rfsq-layernorm', choices=('on', 'off'), help="whether the tokenizer normalises residuals per sample; required when its checkpoint has no config.use_layernorm")
    g.add_argument('--rfsq-stats-free-decode', action='store_true', help="decode a use_layernorm tokenizer's codes without its per-sample statistics, as the seed does (not its reconstruction; records say so)")
    g.add_argument('--oft-dtype', choices=tuple(DTYPES), default='bf16', help='backbone dtype (default bf16); heads run in fp32')
    g.add_argument('--oft-4bit', action='store_true', help='load the backbone in 4 bits (bitsandbytes; CUDA only)')
    g.add_argument('--oft-device', default=None, help='cpu or cuda[:N] (default: cuda when available)')
    g.add_argument('--num-images', type=int, choices=(1, 2), default=2, help='1: agentview; 2: agentview + wrist (default, OFT LIBERO)')
    g.add_argument('--proprio', choices=('auto', 'off'), default='auto',
                   help="auto: feed the 8-d state through the folder's proprio_projector--*_checkpoint.pt when there is one; off: never (as the seed's own features, which had no proprio token)")
    g.add_argument('--center-crop', choices=('on', 'off'), default='on', help='OFT\'s 90%%-area centre crop (default on: its LIBERO checkpoints need it)')
    g.add_argument('--image-orientation', choices=observation.ORIENTATIONS, default='upright',
                   help='upright: images as the workbench renders them (rsd-server profile), mirrored to OFT\'s view; oft: already in OFT\'s view (openpi-libero profile)')
    g.add_argument('--camera-size', type=int, default=256, help='render size asked of the simulator, square (default 256, as OFT\'s LIBERO evaluation)')
    g.add_argument('--action-space', choices=ACTION_SPACES, default='oft',
                   help='oft: the decoder gives OFT-normalised actions (un-normalised with q01/q99, gripper binarised and inverted); env: it gives environment units')
    g.add_argument('--unnorm-key', default=None, help='dataset key in dataset_statistics.json (default: from task/suite, as OFT)')
    for flag, kw in (('--decoding', {'default': None, 'help': 'parallel|main (main head alone) or speculative|rsd (draft + acceptance); default speculative with --draft'}),
                     ('--accept', {'default': 'threshold', 'help': 'threshold (default) or exact'}),
                     ('--threshold', {'type': float, 'default': 0.7, 'help': 'acceptance threshold on agreement (default 0.7)'})):
        try:
            g.add_argument(flag, **kw)
        except argparse.ArgumentError:
            pass  # the server defines it


class Clock:
    """Per-stage milliseconds; on CUDA each stage is bracketed by synchronize() so GPU work is counted."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == 'cuda'
        self.ms: dict[str, float] = {}

    def stage(self, name: str, fn: Callable[[], Any]) -> Any:
        if self.cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        out = fn()
        if self.cuda:
            torch.cuda.synchronize()
        self.ms[name] = self.ms.get(name, 0.0) + (time.perf_counter() - start) * 1000
        return out


class OftRfsqPolicy:
    def __init__(self, backbone: Any, head: torch.nn.Module, decoder: torch.nn.Module, draft: torch.nn.Module | None,
                 stats: DatasetStats | None, *, strategy: str, accept: str, threshold: float, num_images: int,
                 orientation: str, crop: bool, camera_size: int, action_space: str, name: str, weights_hash: str):
        self.backbone, self.head, self.decoder, self.draft, self.stats = backbone, head, decoder, draft, stats
        self.device = backbone.device
        self.strategy, self.accept, self.threshold = strategy, accept, threshold
        self.num_images, self.orientation, self.crop, self.action_space = num_images, orientation, crop, action_space
        self.uses_proprio = getattr(backbone, 'proprio_projector', None) is not None
        shape = head.shape
        self.shape = shape
        strategies = ['parallel'] + (['speculative'] if draft is not None else [])
        self.metadata = {
            'server': 'rsd-policy-server', 'protocol': 1, 'kind': 'oft-rfsq', 'name': name, 'hash': weights_hash,
            'observation': {'cameras': [{'name': cam, 'width': camera_size, 'height': camera_size} for cam, _ in observation.CAMERAS[:num_images]],
                            'proprio': PROPRIO_DIM if self.uses_proprio else 0, 'object_poses': False, 'instruction': True},
            'action': {'dim': decoder.action_dim, 'chunk': shape.chunk},
            'decoding': self._decoding(strategy),
            'strategies': strategies,
            'oft': {'head': type(head).__name__, 'layers': shape.layers, 'positions': shape.positions, 'levels': shape.levels,
                    'draft_layers': draft.coarse_layers if draft is not None else 0, 'num_images': num_images,
                    'center_crop': crop, 'image_orientation': orientation, 'proprio': self.uses_proprio,
                    'action_space': action_space, 'rfsq_layernorm': decoder.use_layernorm, 'stats_free_decode': decoder.stats_free,
                    'dtype': str(getattr(backbone, 'dtype', '')).replace('torch.', '')},
        }

    def _decoding(self, strategy: str) -> dict:
        if strategy == 'speculative':
            return {'strategy': 'speculative', 'accept': self.accept, 'threshold': self.threshold if self.accept == 'threshold' else None}
        return {'strategy': 'parallel', 'accept': None, 'threshold': None}

    def reset(self) -> None:
        """Stateless between chunks: nothing to clear."""

    @torch.inference_mode()
    def infer(self, obs: dict, strategy: str | None = None) -> dict:
        """One chunk. `strategy` overrides the configured one (the baseline in the same process)."""
        strategy = resolve_strategy(strategy, self.draft is not None) if strategy else self.strategy
        start = time.perf_counter()
        clock = Clock(self.device)
        inp = observation.parse(obs, self.num_images, self.orientation, self.crop, PROPRIO_DIM if self.uses_proprio else None)
        key = self.stats.key_for(inp.suite) if self.stats is not None and (self.uses_proprio or self.action_space == 'oft') else None
        proprio = self.stats.normalize_proprio(inp.proprio, key) if self.uses_proprio else None
        hidden = clock.stage('prefill', lambda: self.backbone.features(inp, proprio)).to(self.device, torch.float32)
        verdict = self._speculative(hidden, clock) if strategy == 'speculative' else self._main_only(hidden, clock)
        codes = verdict.codes
        s = self.shape
        grid = codes.t().reshape(1, s.chunk, s.latent, s.layers)
        actions = clock.stage('decoder', lambda: self.decoder.decode(grid))[0].double().cpu().numpy()
        if self.action_space == 'oft':
            actions = gripper_to_env(self.stats.unnormalize_actions(actions, key))
        actions = actions.astype(np.float32)
        total_ms = (time.perf_counter() - start) * 1000
        record = {**self._decoding(strategy), 'draft_layers': len(verdict.accepted), 'accepted_layers': verdict.accepted_layers,
                  'accepted': verdict.accepted, 'agreement': verdict.agreement, 'stages_ms': clock.ms, 'main_steps': 0,
                  'total_ms': total_ms, 'codes': codes.to(torch.int32).cpu().numpy()}
        note = self._note(strategy)
        if note:
            record['note'] = note
        return {'actions': actions, 'rsd': record, 'policy_timing': {'infer_ms': total_ms}}

    def _main_only(self, hidden: torch.Tensor, clock: Clock) -> decoding.Verdict:
        if isinstance(self.head, ConditionedRFSQHead):
            zeros = torch.zeros(1, self.head.condition_layers, self.shape.positions, dtype=torch.long, device=self.device)
            logits = clock.stage('parallel', lambda: self.head(hidden, zeros))
        else:
            logits = clock.stage('parallel', lambda: self.head(hidden))
        return decoding.Verdict(decoding.main_only(logits[0]), [], [])

    def _speculative(self, hidden: torch.Tensor, clock: Clock) -> decoding.Verdict:
        draft_logits = clock.stage('draft', lambda: self.draft(hidden))
        if isinstance(self.head, ConditionedRFSQHead):
            condition = draft_logits.argmax(dim=-1)
            main_logits = clock.stage('verify', lambda: self.head(hidden, condition))
        else:
            main_logits = clock.stage('verify', lambda: self.head(hidden))
        return decoding.speculative(draft_logits[0], main_logits[0], self.accept, self.threshold)

    def _note(self, strategy: str) -> str:
        parts = []
        fmt = {'layers': self.shape.layers, 'positions': self.shape.positions}
        conditioned = isinstance(self.head, ConditionedRFSQHead)
        if strategy == 'speculative':
            parts.append((NOTE_CONDITIONED if conditioned else NOTE_SPECULATIVE).format(**fmt))
        elif conditioned:
            parts.append(NOTE_ZERO_CONDITION)
        if self.decoder.use_layernorm and self.decoder.stats_free:
            parts.append(NOTE_STATS_FREE)
        return '; '.join(parts)


def resolve_strategy(name: str | None, has_draft: bool) -> str:
    if name is None:
        return 'speculative' if has_draft else 'parallel'
    strategy = STRATEGY_ALIASES.get(name)
    if strategy is None:
        raise OftConfigError(f'--decoding {name}: the OFT RFSQ head decodes all layers in one pass; use parallel (main head alone) or speculative (draft + main head)')
    if strategy == 'speculative' and not has_draft:
        raise OftConfigError(f'--decoding {name}: speculative decoding needs --draft')
    return strategy


def weights_hash(paths: list[str]) -> str:
    """sha256 over each file's name and bytes, in the given order (the OFT folder's weights included)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(os.path.basename(path).encode() + b'\0')
        with open(path, 'rb') as f:
            while block := f.read(1 << 24):
                digest.update(block)
    return 'sha256:' + digest.hexdigest()


def oft_weight_files(folder: str) -> list[str]:
    names = sorted(n for n in os.listdir(folder) if n.endswith(('.safetensors', '.bin', '.pt', '.json')))
    return [os.path.join(folder, n) for n in names if os.path.isfile(os.path.join(folder, n))]


def default_backbone_loader(args: argparse.Namespace, device: torch.device, dtype: torch.dtype,
                            projector: torch.nn.Module | None) -> OftBackbone:
    vla, processor, hidden = load_vla(args.oft, dtype, args.oft_4bit, device, args.num_images)
    return OftBackbone(vla, processor, hidden, device, dtype, pil_image, projector)


def _check_reads(module_in: int, path: str, key: str, backbone_dim: int) -> None:
    if module_in != backbone_dim:
        raise OftCheckpointError(f"{path}: key '{key}' reads {module_in}-d features; the backbone's hidden size is {backbone_dim}")


def load_oft_policy(args: argparse.Namespace, backbone_loader: Callable[..., Any] = default_backbone_loader) -> OftRfsqPolicy:
    """The policy from parsed flags. The small files are read and checked before the VLA loads.
    `backbone_loader(args, device, dtype, projector)` is swapped only by tests and the timing script."""
    for flag, value in (('--oft', args.oft), ('--rfsq-head', args.rfsq_head), ('--rfsq-decoder', args.rfsq_decoder)):
        if not value:
            raise OftConfigError(f'{flag}: required with --oft')
    if not os.path.isdir(args.oft):
        raise OftConfigError(f'--oft {args.oft}: no such folder')
    strategy = resolve_strategy(getattr(args, 'decoding', None), bool(args.draft))
    accept = getattr(args, 'accept', None) or 'threshold'
    if accept not in decoding.ACCEPT_RULES:
        raise OftConfigError(f'--accept {accept}: the OFT path accepts by agreement: threshold or exact')
    threshold = getattr(args, 'threshold', None)
    threshold = 0.7 if threshold is None else float(threshold)
    if not 0.0 <= threshold <= 1.0:
        raise OftConfigError(f'--threshold {threshold}: must be in [0, 1]')
    device = torch.device(args.oft_device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise OftConfigError(f'--oft-device {args.oft_device}: CUDA is not available here')

    layernorm = None if args.rfsq_layernorm is None else args.rfsq_layernorm == 'on'
    decoder = checkpoints.load_decoder(args.rfsq_decoder, layernorm, args.rfsq_stats_free_decode)
    head = checkpoints.load_head(args.rfsq_head, decoder, None)
    draft = checkpoints.load_draft(args.draft, decoder, None, head.shape) if args.draft else None
    if draft is not None and isinstance(head, ConditionedRFSQHead) and head.condition_layers != draft.coarse_layers:
        raise OftCheckpointError(f'{args.rfsq_head}: conditioned on {head.condition_layers} layers but the draft ({args.draft}) proposes {draft.coarse_layers}')
    stats_path = os.path.join(args.oft, STATS_FILE)
    projector_path = find_proprio_projector(args.oft) if args.proprio == 'auto' else None
    stats = DatasetStats(stats_path, args.unnorm_key) if (args.action_space == 'oft' or projector_path) else None
    projector = checkpoints.load_proprio_projector(projector_path, None, PROPRIO_DIM) if projector_path else None

    dtype = DTYPES[args.oft_dtype]
    backbone = backbone_loader(args, device, dtype, projector.to(device, dtype) if projector is not None else None)
    dim = backbone.hidden_size
    _check_reads(head.feature_proj[0].in_features, args.rfsq_head, 'feature_proj.0.weight', dim)
    if draft is not None:
        _check_reads(draft.input_projection.in_features, args.draft, 'input_projection.weight', dim)
    if projector is not None:
        _check_reads(projector.fc2.out_features, projector_path, 'fc2.weight', dim)
    files = [args.rfsq_head, args.rfsq_decoder] + ([args.draft] if args.draft else []) + oft_weight_files(args.oft)
    return OftRfsqPolicy(
        backbone, head.to(device), decoder.to(device), draft.to(device) if draft is not None else None, stats,
        strategy=strategy, accept=accept, threshold=threshold, num_images=args.num_images,
        orientation=args.image_orientation, crop=args.center_crop == 'on', camera_size=args.camera_size,
        action_space=args.action_space, name=os.path.basename(os.path.normpath(args.oft)), weights_hash=weights_hash(files))
