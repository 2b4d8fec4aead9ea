"""python -m unittest training.tests.test_pack (from python/): pack/unpack restore the lines byte for byte."""
import base64
import json
import os
import tempfile
import unittest

import numpy as np

from training import pack


def demo_line(rng, steps, noise=None):
    def b64(shape):
        return base64.b64encode(rng.standard_normal(shape).astype('<f4').tobytes()).decode()
    d = {'format': 'rsd-demo/1', 'suite': 'libero_spatial', 'taskId': 4, 'initIndex': 7, 'objects': ['a', 'b'],
         'outcome': 'success', 'steps': steps, 'proprio': b64((steps, 8)), 'objectPoses': b64((steps, 14)), 'actions': b64((steps, 7))}
    if noise is not None:
        d['noise'] = noise
        d['perturbedSteps'] = [[1, 3]]
    return json.dumps(d, separators=(',', ':'))


class PackTest(unittest.TestCase):
    def test_round_trip_is_byte_identical(self):
        rng = np.random.default_rng(0)
        with tempfile.TemporaryDirectory() as tmp:
            src, packed, back = (os.path.join(tmp, n) for n in ('d.jsonl', 'd.rsdpack.xz', 'back.jsonl'))
            with open(src, 'w') as f:
                f.write(demo_line(rng, 5) + '\n' + demo_line(rng, 1, 0.2) + '\n' + demo_line(rng, 37) + '\n')
            pack.pack(src, packed)
            pack.unpack(packed, back)
            with open(src, 'rb') as a, open(back, 'rb') as b:
                self.assertEqual(a.read(), b.read())

    def test_refuses_an_array_that_does_not_fill_its_rows(self):
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, 'd.jsonl')
            line = json.loads(demo_line(np.random.default_rng(1), 3))
            line['actions'] = base64.b64encode(b'\0' * 20).decode()
            with open(src, 'w') as f:
                f.write(json.dumps(line, separators=(',', ':')) + '\n')
            with self.assertRaisesRegex(ValueError, r'd\.jsonl:1: an array of 20 bytes'):
                pack.pack(src, os.path.join(tmp, 'd.rsdpack.xz'))


if __name__ == '__main__':
    unittest.main()
