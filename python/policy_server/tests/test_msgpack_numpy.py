"""msgpack_numpy: openpi's array conventions, byte-string keys, dtypes."""
import unittest

import msgpack
import numpy as np

from policy_server import msgpack_numpy as mn


class RoundTrip(unittest.TestCase):
    def test_arrays_of_every_plain_dtype_come_back_equal(self):
        for dtype in ('<f4', '<f8', '<f2', '|u1', '|i1', '<i2', '<u2', '<i4', '<u4', '<i8', '<u8', '|b1', '>f4', '>i8'):
            with self.subTest(dtype=dtype):
                a = (np.arange(24) % 7).astype(dtype).reshape(2, 3, 4)
                b = mn.unpackb(mn.packb({'x': a}))['x']
                self.assertEqual(b.dtype.str, np.dtype(dtype).str)
                self.assertEqual(b.shape, (2, 3, 4))
                np.testing.assert_array_equal(a, b)

    def test_the_wire_form_is_openpis(self):
        a = np.array([[1.5, -2.0]], dtype=np.float32)
        raw = msgpack.unpackb(mn.packb({'actions': a}), raw=False)
        enc = raw['actions']
        self.assertEqual(set(enc), {b'__ndarray__', b'data', b'dtype', b'shape'}, 'byte-string keys, as openpi')
        self.assertIs(enc[b'__ndarray__'], True)
        self.assertEqual(enc[b'dtype'], '<f4')
        self.assertEqual(enc[b'shape'], [1, 2])
        self.assertEqual(enc[b'data'], a.tobytes())

    def test_non_contiguous_arrays_are_sent_in_c_order(self):
        a = np.arange(12, dtype=np.int32).reshape(3, 4).T
        np.testing.assert_array_equal(mn.unpackb(mn.packb(a)), a)

    def test_numpy_scalars_nested_maps_strings_and_empty_arrays(self):
        obj = {'s': np.float32(1.25), 'i': np.int64(-3), 'b': np.bool_(True), 'nested': {'list': [np.zeros((0, 7), np.float32), 'text', None]}, 'prompt': 'pick up'}
        out = mn.unpackb(mn.packb(obj))
        self.assertIsInstance(out['s'], np.float32)
        self.assertEqual(out['s'], np.float32(1.25))
        self.assertIsInstance(out['i'], np.int64)
        self.assertEqual(out['i'], -3)
        self.assertIsInstance(out['b'], np.bool_)
        self.assertEqual(out['nested']['list'][0].shape, (0, 7))
        self.assertEqual(out['nested']['list'][1:], ['text', None])
        self.assertEqual(out['prompt'], 'pick up')
        raw = msgpack.unpackb(mn.packb(np.float32(1.25)), raw=False)
        self.assertEqual(raw, {b'__npgeneric__': True, b'data': 1.25, b'dtype': '<f4'})

    def test_a_map_with_string_keys_named_like_the_markers_stays_a_map(self):
        obj = {'__ndarray__': True, 'data': b'xx', 'dtype': '<f4', 'shape': [1]}
        self.assertEqual(mn.unpackb(mn.packb(obj)), obj)

    def test_decodes_what_an_openpi_style_client_writes_with_string_keys_elsewhere(self):
        # A client in another language builds the map itself (msgpackr with byte-string keys).
        msg = msgpack.packb({'observation/state': {b'__ndarray__': True, b'data': np.ones(8, np.float32).tobytes(), b'dtype': '<f4', b'shape': [8]}}, use_bin_type=True)
        np.testing.assert_array_equal(mn.unpackb(msg)['observation/state'], np.ones(8, np.float32))

    def test_refuses_object_complex_and_void_dtypes_and_bad_sizes(self):
        for a in (np.array([object()]), np.zeros(2, np.complex64), np.zeros(2, 'V4')):
            with self.subTest(dtype=a.dtype.str), self.assertRaises(ValueError):
                mn.packb(a)
        bad = msgpack.packb({b'__ndarray__': True, b'data': b'\0' * 12, b'dtype': '<f4', b'shape': [2, 2]}, use_bin_type=True)
        with self.assertRaisesRegex(ValueError, 'needs 16 bytes, got 12'):
            mn.unpackb(bad)


if __name__ == '__main__':
    unittest.main()
