"""training.from_bundle's weight mapping: scope names, and refusals by name (never a default)."""
import os
import tempfile
import unittest

import onnx
from onnx import numpy_helper

from training.from_bundle import BundleWeightsError, map_initializers, module_path, rebuild_state
from training.models import ActionDecoder, Config

BUNDLE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))), 'assets', 'bundles', 'default')


class ModulePath(unittest.TestCase):
    def test_scopes(self):
        self.assertEqual(module_path('/blocks.0/mlp/mlp.0/MatMul'), 'blocks.0.mlp.0')
        self.assertEqual(module_path('/blocks.3/qkv_1/MatMul'), 'blocks.3.qkv', "a shared module's second call")
        self.assertEqual(module_path('/obs/cams.1/norms.2/Mul'), 'obs.cams.1.norms.2')
        self.assertEqual(module_path('/memkv/kv/MatMul'), 'memkv.kv')


class Refusals(unittest.TestCase):
    """On the bundle's rfsq_decoder.onnx (six initializers, all named as the state dict)."""

    def setUp(self):
        self.model = onnx.load(os.path.join(BUNDLE, 'rfsq_decoder.onnx'))
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, 'rfsq_decoder.onnx')
        self.decoder = ActionDecoder(Config())

    def tearDown(self):
        self.tmp.cleanup()

    def save_and_rebuild(self):
        onnx.save(self.model, self.path)
        return rebuild_state(self.decoder, [(self.path, '')])

    def test_the_bundles_decoder_maps_completely(self):
        state = self.save_and_rebuild()
        self.assertEqual(sorted(state), sorted(self.decoder.state_dict()))
        self.decoder.load_state_dict(state)

    def test_a_missing_parameter_is_refused_by_name(self):
        inits = self.model.graph.initializer
        keep = [t for t in inits if t.name != 'net.2.bias']
        del inits[:]
        inits.extend(keep)
        with self.assertRaisesRegex(BundleWeightsError, r'ActionDecoder: 1 state-dict entries are in none of rfsq_decoder.onnx: net.2.bias'):
            self.save_and_rebuild()

    def test_an_initializer_no_rule_covers_is_refused(self):
        for t in self.model.graph.initializer:
            if t.name == 'net.2.weight':
                t.name = 'onnx::Gemm_7'
        for n in self.model.graph.node:
            n.input[:] = ['onnx::Gemm_7' if i == 'net.2.weight' else i for i in n.input]
        with self.assertRaisesRegex(BundleWeightsError, r'"onnx::Gemm_7" \[256, 256\] is no state-dict key and feeds \[\(\'Gemm\''):
            self.save_and_rebuild()

    def test_a_wrong_shape_is_refused(self):
        for t in self.model.graph.initializer:
            if t.name == 'net.0.bias':
                t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t)[:100], 'net.0.bias'))
        onnx.save(self.model, self.path)
        with self.assertRaisesRegex(BundleWeightsError, r'"net.0.bias" has shape \[100\], "net.0.bias" needs \[256\]'):
            map_initializers(self.path, '', self.decoder.state_dict())


if __name__ == '__main__':
    unittest.main()
