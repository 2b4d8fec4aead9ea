"""The Python side of the codec tests (msgpack-numpy.test.ts), with the stand-in's codec.

  make    writes msgpack of a fixed observation (arrays of each dtype the engine reads) to stdout
  scalars writes msgpack of numpy scalars (__npgeneric__) to stdout
  repack  reads a message on stdin and writes {"decoded": description, "repacked": base64} as JSON
"""

import base64
import json
import sys

import numpy as np

from openpi_standin import pack, unpack


def observation() -> dict:
    return {
        "observation/image": np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3),
        "observation/state": np.linspace(-1, 1, 8, dtype=np.float32),
        "observation/object_poses": np.arange(14, dtype=np.float32).reshape(2, 7) / 8,
        "f8": np.array([[0.1, -2.5], [1e300, -0.0]], dtype=np.float64),
        "i8": np.array([-(2**40), 0, 2**40], dtype=np.int64),
        "i4": np.arange(-3, 3, dtype=np.int32).reshape(2, 3),
        "u2": np.array([0, 65535], dtype=np.uint16),
        "b1": np.array([True, False, True]),
        "empty": np.zeros((0, 7), dtype=np.float32),
        "task/objects": ["akita_black_bowl_1", "plate_1"],
        "task/id": 3,
        "prompt": "pick up the black bowl between the plate and the ramekin and place it on the plate",
        "nested": {"list": [1, -1, 300, 70000, -200, 0.5], "none": None, "yes": True},
    }


def describe(value):
    if isinstance(value, np.ndarray):
        return {"dtype": value.dtype.str, "shape": list(value.shape), "values": value.astype(float).ravel().tolist() if value.dtype.kind != "b" else value.astype(int).ravel().tolist()}
    if isinstance(value, np.generic):
        return {"npgeneric": value.dtype.str, "value": value.item()}
    if isinstance(value, dict):
        return {(k.decode() if isinstance(k, bytes) else k): describe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [describe(v) for v in value]
    return value


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "make":
        sys.stdout.buffer.write(pack(observation()))
    elif what == "scalars":
        sys.stdout.buffer.write(pack({"f4": np.float32(1.5), "i8": np.int64(-7), "b": np.bool_(True), "f8": np.float64(0.25)}))
    elif what == "repack":
        value = unpack(sys.stdin.buffer.read())
        json.dump({"decoded": describe(value), "repacked": base64.b64encode(pack(value)).decode()}, sys.stdout)
