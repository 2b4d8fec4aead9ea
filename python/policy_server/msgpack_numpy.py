"""msgpack with numpy arrays, in openpi's conventions (openpi-client's msgpack_numpy), so openpi
clients and servers read what this one writes and the other way round.

- ndarray -> {b"__ndarray__": True, b"data": raw C-order bytes, b"dtype": dtype.str ("<f4", "|u1"),
  b"shape": [...]}; numpy scalar -> {b"__npgeneric__": True, b"data": its Python value,
  b"dtype": dtype.str}. The keys are BYTE strings (msgpack bin): that is how a decoder tells an
  array from an ordinary map with a "data" key.
- Object, void and complex dtypes are refused: openpi refuses them too (no portable layout).
- Decoded arrays are read-only views of the message's bytes (np.frombuffer): copy before writing.
"""
from __future__ import annotations

import numpy as np
import msgpack

_REFUSED_KINDS = ('V', 'O', 'c')


def pack_array(obj):
    """msgpack's `default`: numpy values to the maps above; anything else msgpack cannot pack is an error."""
    if isinstance(obj, (np.ndarray, np.generic)) and obj.dtype.kind in _REFUSED_KINDS:
        raise ValueError(f'msgpack_numpy: dtype {obj.dtype} cannot be sent (object, void and complex arrays have no portable layout)')
    if isinstance(obj, np.ndarray):
        return {b'__ndarray__': True, b'data': np.ascontiguousarray(obj).tobytes(), b'dtype': obj.dtype.str, b'shape': list(obj.shape)}
    if isinstance(obj, np.generic):
        return {b'__npgeneric__': True, b'data': obj.item(), b'dtype': obj.dtype.str}
    raise TypeError(f'msgpack_numpy: cannot pack an object of type {type(obj).__name__}')


def unpack_array(obj: dict):
    """msgpack's `object_hook`: the maps above back to numpy values; other maps unchanged."""
    if b'__ndarray__' in obj:
        dtype = np.dtype(_text(obj[b'dtype']))
        shape = tuple(int(n) for n in obj[b'shape'])
        data = obj[b'data']
        want = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
        if len(data) != want:
            raise ValueError(f'msgpack_numpy: an ndarray of dtype {dtype.str} and shape {list(shape)} needs {want} bytes, got {len(data)}')
        return np.frombuffer(data, dtype=dtype).reshape(shape)
    if b'__npgeneric__' in obj:
        return np.dtype(_text(obj[b'dtype'])).type(obj[b'data'])
    return obj


def _text(v) -> str:
    return v.decode() if isinstance(v, bytes) else v


def packb(obj) -> bytes:
    return msgpack.packb(obj, default=pack_array, use_bin_type=True)


def unpackb(data: bytes):
    return msgpack.unpackb(data, object_hook=unpack_array, raw=False)


class Packer(msgpack.Packer):
    def __init__(self, **kwargs):
        super().__init__(default=pack_array, use_bin_type=True, **kwargs)
