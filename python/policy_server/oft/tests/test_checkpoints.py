"""The loader: every accepted layout loads; every missing file, key or shape is a named error."""
import os
import tempfile
import unittest

import torch

from policy_server.oft import OftCheckpointError, OftConfigError, OftDecoderError
from policy_server.oft import checkpoints
from policy_server.oft.tests import fixtures as fx


class LayoutsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.tmp = self.dir.name

    def tearDown(self):
        self.dir.cleanup()

    def test_each_layout_loads_the_same_weights(self):
        head, draft, decoder = fx.make_head(), fx.make_draft(), fx.make_decoder()
        x = torch.randn(2, fx.BACKBONE)
        for layout in fx.LAYOUTS:
            with self.subTest(layout=layout):
                files = fx.write_checkpoints(os.path.join(self.tmp, layout), layout=layout, head=head, draft=draft, decoder=decoder)
                configured = layout not in ('bare', 'ddp')
                dec = checkpoints.load_decoder(files['decoder'], None if configured else False, False)
                h = checkpoints.load_head(files['head'], dec, fx.BACKBONE)
                d = checkpoints.load_draft(files['draft'], dec, fx.BACKBONE, h.shape)
                self.assertEqual(h.shape, fx.SHAPE)
                self.assertEqual(d.coarse_layers, fx.COARSE)
                self.assertTrue(torch.equal(h(x), head(x)))
                self.assertTrue(torch.equal(d(x), draft(x)))
                codes = torch.randint(0, 7, (2, fx.SHAPE.chunk, fx.SHAPE.latent, fx.SHAPE.layers))
                self.assertTrue(torch.equal(dec.decode(codes), decoder.decode(codes)))

    def test_conditioned_head_is_told_apart_by_its_keys(self):
        path = fx.save(fx.make_head(conditioned=True), os.path.join(self.tmp, 'cond.pt'))
        head = checkpoints.load_head(path, fx.make_decoder(), fx.BACKBONE)
        self.assertTrue(head.conditioned)
        self.assertEqual(head.condition_layers, fx.COARSE)
        logits = head(torch.randn(1, fx.BACKBONE), torch.randint(0, 7, (1, fx.COARSE, fx.SHAPE.positions)))
        self.assertEqual(tuple(logits.shape), (1, 8, 40, 7))


class NamedErrorsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.tmp = self.dir.name
        self.decoder = fx.make_decoder()

    def tearDown(self):
        self.dir.cleanup()

    def head_state(self):
        return dict(fx.make_head().state_dict())

    def test_missing_file(self):
        path = os.path.join(self.tmp, 'nope.pt')
        with self.assertRaisesRegex(OftCheckpointError, f'^{path}: no such file'):
            checkpoints.load_head(path, self.decoder, fx.BACKBONE)

    def test_missing_key(self):
        state = self.head_state()
        del state['layer_heads.3.0.weight']
        path = fx.save(state, os.path.join(self.tmp, 'head.pt'))
        with self.assertRaisesRegex(OftCheckpointError, f"^{path}: missing key 'layer_heads.3.0.weight'$"):
            checkpoints.load_head(path, self.decoder, fx.BACKBONE)

    def test_missing_last_layer_head(self):
        state = {k: v for k, v in self.head_state().items() if not k.startswith('layer_heads.7.')}
        path = fx.save(state, os.path.join(self.tmp, 'head.pt'))
        with self.assertRaisesRegex(OftCheckpointError, "missing key 'layer_heads.7.0.weight'"):
            checkpoints.load_head(path, self.decoder, fx.BACKBONE)

    def test_unexpected_key(self):
        state = self.head_state()
        state['layer_heads.8.0.weight'] = torch.zeros(16, 32)
        path = fx.save(state, os.path.join(self.tmp, 'head.pt'))
        with self.assertRaisesRegex(OftCheckpointError, f"^{path}: unexpected key 'layer_heads.8.0.weight'"):
            checkpoints.load_head(path, self.decoder, fx.BACKBONE)

    def test_wrong_shape(self):
        state = self.head_state()
        state['layer_heads.2.3.weight'] = torch.zeros(41 * 7, 16)
        path = fx.save(state, os.path.join(self.tmp, 'head.pt'))
        with self.assertRaisesRegex(OftCheckpointError, f"^{path}: key 'layer_heads.2.3.weight' has shape \\[287, 16\\]; expected \\[280, 16\\]$"):
            checkpoints.load_head(path, self.decoder, fx.BACKBONE)

    def test_head_for_another_backbone(self):
        path = fx.save(fx.make_head(), os.path.join(self.tmp, 'head.pt'))
        with self.assertRaisesRegex(OftCheckpointError, "reads 64-d features; the backbone's hidden size is 4096"):
            checkpoints.load_head(path, self.decoder, 4096)

    def test_head_for_another_code_grid(self):
        path = fx.save(fx.make_head(), os.path.join(self.tmp, 'head.pt'))
        other = checkpoints.load_decoder(fx.save(fx.randomize(checkpoints.RFSQDecoder(7, 6, 8, 7, False), 0), os.path.join(self.tmp, 'd6.pt'), 'model', fx.decoder_config(False) | {'hidden_dim': 6}), None, False)
        with self.assertRaisesRegex(OftCheckpointError, 'not a multiple of latent 6 x levels 7'):
            checkpoints.load_head(path, other, fx.BACKBONE)

    def test_draft_missing_key(self):
        state = dict(fx.make_draft().state_dict())
        del state['decoder.decoder_layer.multihead_attn.in_proj_weight']
        path = fx.save(state, os.path.join(self.tmp, 'draft.pt'), 'bare')
        with self.assertRaisesRegex(OftCheckpointError, "missing key 'decoder.decoder_layer.multihead_attn.in_proj_weight'"):
            checkpoints.load_draft(path, self.decoder, fx.BACKBONE, fx.SHAPE)

    def test_not_a_state_dict(self):
        path = os.path.join(self.tmp, 'odd.pt')
        torch.save({'epoch': 3, 'weights': [1, 2]}, path)
        with self.assertRaisesRegex(OftCheckpointError, 'no state dict under model_state_dict, model, rfsq_head'):
            checkpoints.load_head(path, self.decoder, fx.BACKBONE)

    def test_not_a_checkpoint(self):
        path = os.path.join(self.tmp, 'text.pt')
        with open(path, 'w') as f:
            f.write('hello')
        with self.assertRaisesRegex(OftCheckpointError, f'^{path}: not a readable PyTorch checkpoint'):
            checkpoints.load_head(path, self.decoder, fx.BACKBONE)

    def test_config_contradicting_tensors(self):
        path = fx.save(fx.make_head(), os.path.join(self.tmp, 'head.pt'), config={'hidden_dim': 1024})
        with self.assertRaisesRegex(OftCheckpointError, 'config hidden_dim=1024 but the tensors say 32'):
            checkpoints.load_head(path, self.decoder, fx.BACKBONE)

    def test_decoder_without_layernorm_setting(self):
        path = fx.save(fx.make_decoder(), os.path.join(self.tmp, 'rfsq.pt'), 'bare')
        with self.assertRaisesRegex(OftConfigError, '^--rfsq-layernorm: .* has no config.use_layernorm'):
            checkpoints.load_decoder(path, None, False)

    def test_decoder_flag_contradicting_config(self):
        path = fx.save(fx.make_decoder(), os.path.join(self.tmp, 'rfsq.pt'), 'model_state_dict', fx.decoder_config(False))
        with self.assertRaisesRegex(OftConfigError, '^--rfsq-layernorm on: .* says use_layernorm=False'):
            checkpoints.load_decoder(path, True, False)

    def test_layernorm_decoder_refused_without_opt_in(self):
        path = fx.save(fx.make_decoder(True), os.path.join(self.tmp, 'rfsq.pt'), 'model_state_dict', fx.decoder_config(True))
        with self.assertRaisesRegex(OftDecoderError, f'^{path}: .*per sample'):
            checkpoints.load_decoder(path, None, False)
        self.assertTrue(checkpoints.load_decoder(path, None, True).stats_free)

    def test_boundaries_must_be_the_fsq_grid(self):
        state = dict(fx.make_decoder().state_dict())
        state['rfsq.layers.4.boundaries'] = torch.linspace(-2, 2, 7)
        path = fx.save(state, os.path.join(self.tmp, 'rfsq.pt'), 'model', fx.decoder_config(False))
        with self.assertRaisesRegex(OftCheckpointError, "key 'rfsq.layers.4.boundaries' is not linspace"):
            checkpoints.load_decoder(path, None, False)


if __name__ == '__main__':
    unittest.main()
