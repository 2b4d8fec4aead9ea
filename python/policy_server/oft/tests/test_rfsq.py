"""decode(codes) against the tokenizer's own forward reconstruction (research/rsd.md 1.5)."""
import unittest

import torch

from policy_server.oft import OftDecoderError
from policy_server.oft.tests import fixtures as fx


class DecodeTest(unittest.TestCase):
    def setUp(self):
        torch.set_grad_enabled(False)

    def tearDown(self):
        torch.set_grad_enabled(True)

    def actions(self):
        return torch.rand(64, fx.SHAPE.chunk, 7, generator=torch.Generator().manual_seed(4)) * 2 - 1

    def test_decode_of_codes_equals_forward_reconstruction(self):
        decoder = fx.make_decoder(use_layernorm=False)
        recon, codes = decoder(self.actions())
        self.assertEqual(tuple(codes.shape), (64, fx.SHAPE.chunk, fx.SHAPE.latent, fx.SHAPE.layers))
        self.assertLess(float((decoder.decode(codes) - recon).abs().max()), 1e-6)

    def test_layernorm_tokenizer_refuses_to_decode_codes_alone(self):
        decoder = fx.make_decoder(use_layernorm=True)
        _, codes = decoder(self.actions())
        with self.assertRaisesRegex(OftDecoderError, 'per sample'):
            decoder.decode(codes)

    def test_stats_free_decode_is_not_the_reconstruction(self):
        # Why the opt-in is needed: the seed's decode_from_indices on a use_layernorm tokenizer.
        decoder = fx.make_decoder(use_layernorm=True)
        decoder.stats_free = True
        recon, codes = decoder(self.actions())
        self.assertGreater(float((decoder.decode(codes) - recon).abs().mean()), 1e-2)

    def test_codes_of_another_grid_are_refused(self):
        decoder = fx.make_decoder()
        with self.assertRaisesRegex(OftDecoderError, 'codes of shape'):
            decoder.decode(torch.zeros(1, 8, 4, 8, dtype=torch.long))


if __name__ == '__main__':
    unittest.main()
