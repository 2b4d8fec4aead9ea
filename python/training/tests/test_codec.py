"""The Python RFSQ codec against the engine's (needs Node: runs engine_codec.mts with tsx)."""
import json
import os
import subprocess
import tempfile
import unittest

import numpy as np

from training import codec

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))


class CodecTest(unittest.TestCase):
    def test_prefix_decode_matches_encode(self):
        rng = np.random.default_rng(1)
        x = rng.uniform(-1, 1, (500, 8)).astype(np.float32)
        scales = [1.15 * 0.25 ** q for q in range(8)]
        codes, recon = codec.encode(x, scales, 7)
        self.assertTrue(np.array_equal(codec.decode(codes, scales, 7), recon))
        self.assertLess(float(np.abs(recon - x).mean()), 1e-4)

    def test_torch_matches_numpy(self):
        try:
            import torch
        except ImportError:
            self.skipTest('no torch')
        rng = np.random.default_rng(2)
        x = rng.uniform(-1.2, 1.2, (500, 8)).astype(np.float32)
        scales = [1.15 * 0.25 ** q for q in range(8)]
        codes, _ = codec.encode(x, scales, 7)
        _, tcodes = codec.torch_quantize(torch.from_numpy(x).double(), scales, 7)
        self.assertLessEqual(int((tcodes.numpy() != codes).sum()), 2)  # float rounding at cell edges only
        dec = codec.torch_decode_codes(torch.from_numpy(codes), scales, 7).numpy()
        self.assertLess(float(np.abs(dec - codec.decode(codes, scales, 7)).max()), 1e-6)

    def test_matches_engine(self):
        if subprocess.run(['node', '--version'], capture_output=True).returncode != 0:
            self.skipTest('no node')
        rng = np.random.default_rng(3)
        for scales in ([1.15 * 0.25 ** q for q in range(8)], codec.default_scales(8, 7)):
            x = rng.uniform(-1.5, 1.5, (300, 6)).astype(np.float32)
            with tempfile.TemporaryDirectory() as tmp:
                src, dst = os.path.join(tmp, 'in.json'), os.path.join(tmp, 'out.json')
                with open(src, 'w') as f:
                    json.dump({'latents': x.reshape(-1).tolist(), 'P': 6, 'L': 7, 'layers': 8, 'scales': scales}, f)
                subprocess.run(['npx', 'tsx', os.path.join(HERE, 'engine_codec.mts'), src, dst], cwd=ROOT, check=True, capture_output=True)
                with open(dst) as f:
                    out = json.load(f)
            codes, recon = codec.encode(x, scales, 7)
            self.assertTrue(np.array_equal(np.array(out['codes']).reshape(codes.shape), codes))
            self.assertTrue(np.array_equal(np.array(out['recon'], dtype=np.float32).reshape(recon.shape), recon))
            self.assertTrue(np.array_equal(np.array(out['decoded'], dtype=np.float32).reshape(recon.shape), codec.decode(codes, scales, 7)))


if __name__ == '__main__':
    unittest.main()
