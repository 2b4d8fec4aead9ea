"""Image orientation, resize and OFT's centre crop; observation fields."""
import math
import unittest

import numpy as np

from policy_server.oft import OftInputError, observation
from policy_server.oft.normalization import gripper_to_env


class ImageTest(unittest.TestCase):
    def test_upright_is_mirrored_to_ofts_view(self):
        # OFT's img[::-1, ::-1] of robosuite's bottom-up buffer = the upright image mirrored left-right.
        upright = np.random.default_rng(0).integers(0, 256, (224, 224, 3), dtype=np.uint8)
        opengl_buffer = upright[::-1]
        seen = observation.prepare_image(upright, 'upright', crop=False)
        self.assertTrue(np.array_equal(seen, opengl_buffer[::-1, ::-1]))
        self.assertTrue(np.array_equal(observation.prepare_image(upright, 'oft', crop=False), upright))

    def test_resize_to_224(self):
        image = np.full((256, 256, 3), 77, np.uint8)
        out = observation.prepare_image(image, 'oft', crop=False)
        self.assertEqual((out.shape, out.dtype), ((224, 224, 3), np.uint8))
        self.assertTrue(np.all(out == 77))

    def test_center_crop_samples_the_central_box(self):
        # A horizontal ramp: crop_and_resize of the central sqrt(0.9) box samples columns
        # off*(n-1) + i*side*(n-1)/(n-1), values interpolate linearly.
        n = 224
        ramp = np.tile(np.arange(n, dtype=np.float64)[None, :, None], (n, 1, 3))
        image = ramp.astype(np.uint8)
        out = observation.center_crop(image)
        side = math.sqrt(0.9)
        cols = (1 - side) / 2 * (n - 1) + np.arange(n) * side
        expected = np.clip(cols / 255.0 * 255.5, 0, 255).astype(np.uint8)
        self.assertTrue(np.array_equal(out[0, :, 0], expected))
        self.assertEqual(out.shape, (224, 224, 3))

    def test_bad_images(self):
        obs = {'prompt': 'x', 'observation/image': np.zeros((10, 10, 4), np.uint8)}
        with self.assertRaisesRegex(OftInputError, r'^observation/image: expected uint8 \[H, W, 3\], got uint8 \[10, 10, 4\]'):
            observation.parse(obs, 1, 'upright', True, None)
        with self.assertRaisesRegex(OftInputError, '^observation/state: expected 8 finite numbers'):
            observation.parse({'prompt': 'x', 'observation/image': np.zeros((8, 8, 3), np.uint8),
                               'observation/state': np.array([np.nan] * 8)}, 1, 'upright', True, 8)


class GripperTest(unittest.TestCase):
    def test_oft_gripper_to_environment(self):
        # OFT: model 1 = open, 0 = close; environment -1 = open, +1 = close.
        actions = np.zeros((3, 7))
        actions[:, 6] = [0.9, 0.1, 0.5]
        self.assertEqual(list(gripper_to_env(actions)[:, 6]), [-1.0, 1.0, -0.0])


if __name__ == '__main__':
    unittest.main()
