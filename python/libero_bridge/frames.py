"""The bridge's frames (docs/libero-bridge.md "Frames"), Python side.

A frame: uint32 LE n (the rest's length), uint32 LE h (the header's length), the JSON header,
zero padding to a multiple of 8 from the frame's first byte, then the blob area. Arrays travel as
raw little-endian C-order bytes, each starting at a multiple of 8 within the blob area, and appear
in the header as {"$blob": k}, k indexing header["blobs"]. Only numpy is needed.
"""
import json
import struct

import numpy as np

MAX_FRAME_BYTES = 256 * 1024 * 1024

_DTYPES = {"f64": np.dtype("<f8"), "f32": np.dtype("<f4"), "i32": np.dtype("<i4"), "u8": np.dtype("u1")}


class BadFrame(Exception):
    """A frame that cannot be read: the worker says why on stderr and exits."""


def _align8(n):
    return (n + 7) & ~7


def _wire_dtype(arr):
    kind, size = arr.dtype.kind, arr.dtype.itemsize
    if kind == "f":
        return "f32" if size == 4 else "f64"
    if kind == "b" or (kind == "u" and size == 1):
        return "u8"
    if kind in "iu":
        return "i32"
    raise TypeError("cannot send an array of dtype %s" % arr.dtype)


def encode(message):
    """One frame (bytes) for a message dict; numpy arrays anywhere in it go to the blob area."""
    entries, parts = [], []
    offset = [0]

    def extract(value):
        if isinstance(value, np.ndarray):
            name = _wire_dtype(value)
            data = np.ascontiguousarray(value, dtype=_DTYPES[name])
            entries.append({"dtype": name, "shape": list(data.shape), "offset": offset[0], "nbytes": data.nbytes})
            parts.append((offset[0], data))
            offset[0] = _align8(offset[0] + data.nbytes)
            return {"$blob": len(entries) - 1}
        if isinstance(value, dict):
            return {k: extract(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [extract(v) for v in value]
        if isinstance(value, (np.floating, np.integer, np.bool_)):
            return value.item()
        return value

    header = extract(message)
    if entries:
        header["blobs"] = entries
    head = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    start = _align8(8 + len(head))
    frame = bytearray(start + offset[0])
    struct.pack_into("<II", frame, 0, len(frame) - 4, len(head))
    frame[8:8 + len(head)] = head
    for off, data in parts:
        frame[start + off:start + off + data.nbytes] = data.tobytes()
    return bytes(frame)


def _read_exact(stream, n):
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read(stream):
    """The next message from a binary stream, blobs decoded to numpy arrays; None at end of input
    between frames. Raises BadFrame for anything else."""
    head = _read_exact(stream, 4)
    if not head:
        return None
    if len(head) < 4:
        raise BadFrame("input ended inside a frame's length (%d of 4 bytes)" % len(head))
    (n,) = struct.unpack("<I", head)
    if n > MAX_FRAME_BYTES:
        raise BadFrame("a frame of %d bytes, more than the %d allowed" % (n, MAX_FRAME_BYTES))
    if n < 4:
        raise BadFrame("a frame of %d bytes has no header length" % n)
    body = _read_exact(stream, n)
    if len(body) < n:
        raise BadFrame("input ended inside a frame (%d of %d bytes)" % (len(body), n))
    return decode(head + body)


def decode(frame):
    """Decodes one whole frame (its 4-byte length included)."""
    if len(frame) < 8:
        raise BadFrame("a frame of %d bytes has no header length" % len(frame))
    (h,) = struct.unpack_from("<I", frame, 4)
    if 8 + h > len(frame):
        raise BadFrame("a header of %d bytes in a frame of %d" % (h, len(frame)))
    try:
        header = json.loads(frame[8:8 + h].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise BadFrame("the header is not JSON (%s)" % e)
    if not isinstance(header, dict):
        raise BadFrame("the header is not a JSON object")
    start = _align8(8 + h)
    entries = header.pop("blobs", [])
    if not isinstance(entries, list):
        raise BadFrame('"blobs" is not a list')
    blobs = [_blob(frame, start, e, k) for k, e in enumerate(entries)]
    return _resolve(header, blobs)


def _blob(frame, start, e, k):
    if not isinstance(e, dict) or e.get("dtype") not in _DTYPES:
        raise BadFrame("blobs[%d] has no dtype f64, f32, i32 or u8" % k)
    dtype = _DTYPES[e["dtype"]]
    shape, offset, nbytes = e.get("shape"), e.get("offset"), e.get("nbytes")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise BadFrame("blobs[%d] has shape %r" % (k, shape))
    count = 1
    for d in shape:
        count *= d
    if nbytes != count * dtype.itemsize:
        raise BadFrame("blobs[%d] says %r bytes; shape %r of %s needs %d" % (k, nbytes, shape, e["dtype"], count * dtype.itemsize))
    if not isinstance(offset, int) or offset < 0 or start + offset + nbytes > len(frame):
        raise BadFrame("blobs[%d] at offset %r (%d bytes) is outside the frame" % (k, offset, nbytes))
    data = np.frombuffer(frame, dtype=dtype, count=count, offset=start + offset).copy()
    return data.reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def _resolve(value, blobs):
    if isinstance(value, dict):
        if len(value) == 1 and "$blob" in value:
            k = value["$blob"]
            if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k < len(blobs):
                raise BadFrame('{"$blob": %r} refers to no blob (the frame has %d)' % (k, len(blobs)))
            return blobs[k]
        return {key: _resolve(v, blobs) for key, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, blobs) for v in value]
    return value
