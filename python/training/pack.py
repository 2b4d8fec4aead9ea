"""Packs rsd-demo/1 JSON Lines smaller for transport, and restores them byte for byte.

    python -m training.pack pack DEMOS.jsonl DEMOS.rsdpack.xz
    python -m training.pack unpack DEMOS.rsdpack.xz DEMOS.jsonl

A device call carries 64 MiB, and xz leaves the demonstrations' base64 float arrays at about a
quarter of their text. Here each line's arrays are decoded, transposed to one run per dim and split
into byte planes (the exponents and high mantissa bytes of a smooth signal repeat), the rest of the
line kept as a template with empty strings; xz then makes the whole about 20% smaller than xz of
the text. unpack writes the same bytes as the original file (base64 is canonical), so the
demonstrations' SHA-256 (demos.load_demos) is unchanged.
"""
from __future__ import annotations

import base64
import json
import lzma
import re
import struct
import sys

import numpy as np

FIELD = re.compile(rb'"(proprio|objectPoses|actions)":"([A-Za-z0-9+/=]*)"')
MAGIC = b'rsdpack1'


def _shuffle(raw: bytes, steps: int) -> bytes:
    a = np.frombuffer(raw, '<f4').reshape(steps, -1)
    return a.T.copy().view(np.uint8).reshape(-1, 4).T.tobytes()


def _unshuffle(planes: bytes, steps: int) -> bytes:
    cols = len(planes) // 4 // max(1, steps)
    a = np.frombuffer(planes, np.uint8).reshape(4, -1).T.copy().view('<f4').reshape(cols, steps)
    return a.T.tobytes()


def pack(src: str, dst: str) -> None:
    with open(src, 'rb') as f, lzma.open(dst, 'wb', preset=6) as out:
        out.write(MAGIC)
        for n, line in enumerate(f, 1):
            line = line.rstrip(b'\n')
            blobs: list[bytes] = []

            def cut(m):
                blobs.append(base64.b64decode(m.group(2), validate=True))
                return b'"' + m.group(1) + b'":""'

            template = FIELD.sub(cut, line)
            steps = int(json.loads(template)['steps']) if blobs else 0
            out.write(struct.pack('<III', len(template), len(blobs), steps) + template)
            for b in blobs:
                if steps == 0 or len(b) % (4 * steps):
                    raise ValueError(f'{src}:{n}: an array of {len(b)} bytes does not fill {steps} float32 rows')
                out.write(struct.pack('<I', len(b)) + _shuffle(b, steps))


def unpack(src: str, dst: str) -> None:
    with lzma.open(src, 'rb') as f:
        data = f.read()
    if not data.startswith(MAGIC):
        raise ValueError(f'{src}: not an rsdpack file')
    i = len(MAGIC)
    with open(dst, 'wb') as out:
        while i < len(data):
            n, k, steps = struct.unpack_from('<III', data, i)
            i += 12
            template = data[i:i + n]
            i += n
            blobs = []
            for _ in range(k):
                (m,) = struct.unpack_from('<I', data, i)
                i += 4
                blobs.append(_unshuffle(data[i:i + m], steps))
                i += m
            it = iter(blobs)
            out.write(FIELD.sub(lambda mm: b'"' + mm.group(1) + b'":"' + base64.b64encode(next(it)) + b'"', template) + b'\n')


if __name__ == '__main__':
    if len(sys.argv) != 4 or sys.argv[1] not in ('pack', 'unpack'):
        sys.exit(__doc__)
    (pack if sys.argv[1] == 'pack' else unpack)(sys.argv[2], sys.argv[3])
