"""Choosing a chunk's codes from the heads' logits: main head alone, or draft + acceptance (RSD).

Acceptance is the seed's rule (research/rsd.md 3.4), computed for real: a draft layer's agreement
is the fraction of its positions where the draft's argmax equals the main head's argmax; layers are
accepted coarse to fine while agreement >= threshold (`exact`: all positions agree), so the accepted
layers are a prefix; an accepted layer keeps the DRAFT's codes (lossy), every other layer the main
head's argmax. Same rule as the engine's `threshold`/`exact` (engine/decoding/acceptance.ts).
"""
from dataclasses import dataclass

import torch

ACCEPT_RULES = ('threshold', 'exact')


@dataclass
class Verdict:
    codes: torch.Tensor          # int64 [layers, positions], the chunk's final codes
    agreement: list[float]       # per draft layer
    accepted: list[bool]         # per draft layer: in the accepted prefix

    @property
    def accepted_layers(self) -> int:
        return sum(self.accepted)


def main_only(main_logits: torch.Tensor) -> torch.Tensor:
    """main_logits [layers, positions, levels] -> codes [layers, positions]."""
    return main_logits.argmax(dim=-1)


def speculative(draft_logits: torch.Tensor, main_logits: torch.Tensor, rule: str, threshold: float) -> Verdict:
    """draft_logits [k, positions, levels], main_logits [layers, positions, levels]."""
    draft_codes = draft_logits.argmax(dim=-1)
    codes = main_logits.argmax(dim=-1).clone()
    k, positions = draft_codes.shape
    agreement, accepted, prefix = [], [], True
    for j in range(k):
        matches = int((draft_codes[j] == codes[j]).sum())
        agreement.append(matches / positions)
        ok = matches == positions if rule == 'exact' else matches / positions >= threshold
        prefix = prefix and ok
        accepted.append(prefix)
        if prefix:
            codes[j] = draft_codes[j]
    return Verdict(codes, agreement, accepted)
