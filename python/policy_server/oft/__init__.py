"""Serving the seed's model: OpenVLA-OFT (Llama-2 7B) + RFSQ head + draft + RFSQ decoder.

The server (python/policy_server) calls `add_arguments(parser)` for the flags and
`load_oft_policy(args)` for a policy with `metadata`, `infer(obs)` and `reset()`; see policy.py.
"""
from .errors import OftCheckpointError, OftConfigError, OftDecoderError, OftError, OftInputError
from .policy import OftRfsqPolicy, add_arguments, load_oft_policy

__all__ = ['OftCheckpointError', 'OftConfigError', 'OftDecoderError', 'OftError', 'OftInputError',
           'OftRfsqPolicy', 'add_arguments', 'load_oft_policy']
