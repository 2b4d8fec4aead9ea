"""The instruction as word tokens (bundle.json observation.instruction.kind = 'tokens').

The rule, the same in the engine (docs/bundle-format.md): lowercase; split on every run of
characters other than a-z and 0-9; drop empty strings; each word's index in the vocabulary
(a word not in it: 1, `<unk>`); keep the first `max_length`; pad with 0 (`<pad>`) to `max_length`.
vocabulary[0] is '<pad>' and vocabulary[1] is '<unk>'.
"""
from __future__ import annotations

import re

import numpy as np

PAD, UNK = '<pad>', '<unk>'
_SPLIT = re.compile(r'[^a-z0-9]+')


class TokenError(ValueError):
    """A vocabulary or token length that breaks the rule above."""


def words(text: str) -> list[str]:
    return [w for w in _SPLIT.split(text.lower()) if w]


def build_vocabulary(instructions: list[str]) -> list[str]:
    """<pad>, <unk>, then every word of the instructions in sorted order (the same list for the
    same instructions, whatever their order)."""
    return [PAD, UNK] + sorted({w for s in instructions for w in words(s)})


def check_vocabulary(vocabulary: list[str]) -> None:
    if len(vocabulary) < 2 or vocabulary[0] != PAD or vocabulary[1] != UNK:
        raise TokenError(f'a vocabulary starts with {PAD!r}, {UNK!r}; this one starts with {vocabulary[:2]}')
    if len(set(vocabulary)) != len(vocabulary):
        raise TokenError('the vocabulary names a word twice')
    bad = [w for w in vocabulary[2:] if words(w) != [w]]
    if bad:
        raise TokenError(f'vocabulary entries the tokenizer can never produce: {bad[:5]}')


def tokenize(text: str, vocabulary: list[str] | dict[str, int], max_length: int) -> np.ndarray:
    """int64 [max_length]."""
    index = vocabulary if isinstance(vocabulary, dict) else {w: i for i, w in enumerate(vocabulary)}
    ids = [index.get(w, 1) for w in words(text)][:max_length]
    return np.array(ids + [0] * (max_length - len(ids)), dtype=np.int64)


def token_table(instructions: list[str], vocabulary: list[str], max_length: int) -> np.ndarray:
    """int64 [len(instructions), max_length]; refuses an instruction longer than max_length, which
    the policy would see cut."""
    for s in instructions:
        if len(words(s)) > max_length:
            raise TokenError(f'the instruction "{s}" has {len(words(s))} words, more than max_length {max_length}')
    return np.stack([tokenize(s, vocabulary, max_length) for s in instructions]) if instructions else np.zeros((0, max_length), np.int64)
