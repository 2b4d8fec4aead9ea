"""The vision-language path: the instruction tokenizer (the documented rule, the engine's cases),
demonstrations with images, and a tiny vision model's export checked in onnxruntime and in the
engine (tensor contract, observation encoding, decoded actions; needs Node for the engine parts).

    cd python && python -m unittest training.tests.test_vision
"""
import base64
import json
import os
import re
import subprocess
import tempfile
import unittest

import numpy as np
import torch

from training import codec
from training.demos import DemoImageError, build_arrays, load_demos, model_to_env, normalize
from training.export import build_bundles, content_hash
from training.models import ActionDecoder, ActionEncoder, Config, Draft, MainLayerwise, MainParallel
from training.tokens import TokenError, build_vocabulary, check_vocabulary, token_table, tokenize, words

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
CASES = os.path.join(ROOT, 'test', 'engine', 'bundle', 'tokenizer-cases.json')

LIBERO_SPATIAL = [
    'pick up the black bowl between the plate and the ramekin and place it on the plate',
    'pick up the black bowl next to the ramekin and place it on the plate',
    'pick up the black bowl from table center and place it on the plate',
    'pick up the black bowl on the cookie box and place it on the plate',
    'pick up the black bowl in the top drawer of the wooden cabinet and place it on the plate',
    'pick up the black bowl on the ramekin and place it on the plate',
    'pick up the black bowl next to the cookie box and place it on the plate',
    'pick up the black bowl on the stove and place it on the plate',
    'pick up the black bowl next to the plate and place it on the plate',
    'pick up the black bowl on the wooden cabinet and place it on the plate',
]


def have_node() -> bool:
    try:
        return subprocess.run(['node', '--version'], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


def run_tsx(script: str, payload: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, 'in.json'), os.path.join(tmp, 'out.json')
        with open(src, 'w') as f:
            json.dump(payload, f)
        p = subprocess.run(['npx', 'tsx', os.path.join(HERE, script), src, dst], cwd=ROOT, capture_output=True, text=True)
        if p.returncode != 0:
            raise AssertionError(f'{script} failed: {p.stderr[-2000:]}')
        with open(dst) as f:
            return json.load(f)


def documented_rule(text: str, vocabulary: list[str], L: int) -> list[int]:
    """docs/bundle-format.md "Instruction tokens", written out step by step."""
    ws = [w for w in re.split('[^a-z0-9]+', text.lower()) if w != '']
    ids = [vocabulary.index(w) if w in vocabulary[2:] else 1 for w in ws]
    return (ids[:L] + [0] * L)[:L]


class TokenizerTest(unittest.TestCase):
    def test_shared_cases(self):
        with open(CASES) as f:
            spec = json.load(f)
        for case in spec['cases']:
            with self.subTest(text=case['text']):
                self.assertEqual(words(case['text']), case['words'])
                self.assertEqual(tokenize(case['text'], spec['vocabulary'], case['maxLength']).tolist(), case['ids'])

    def test_libero_spatial_instructions(self):
        vocab = build_vocabulary(LIBERO_SPATIAL)
        check_vocabulary(vocab)
        self.assertEqual(vocab[:2], ['<pad>', '<unk>'])
        self.assertEqual(vocab[2:], sorted(set(vocab[2:])))
        table = token_table(LIBERO_SPATIAL, vocab, 24)
        self.assertEqual(table.shape, (10, 24))
        self.assertEqual(table.dtype, np.int64)
        for text, row in zip(LIBERO_SPATIAL, table):
            self.assertEqual(row.tolist(), documented_rule(text, vocab, 24))
            n = len(text.split())
            self.assertTrue((row[:n] >= 2).all(), 'every word of a training instruction is in the vocabulary')
            self.assertTrue((row[n:] == 0).all())
            self.assertEqual([vocab[i] for i in row[:n]], text.split())
        self.assertEqual(len({tuple(r) for r in table.tolist()}), 10)
        # The order of the instructions does not change the vocabulary.
        self.assertEqual(build_vocabulary(LIBERO_SPATIAL[::-1]), vocab)

    def test_unknown_words_truncation_padding(self):
        vocab = build_vocabulary(LIBERO_SPATIAL)
        for text, L in [('Pick up the RED bowl, next to the basket_2!', 12), ('put the mug in the microwave', 8), ('', 4),
                        ('pick up the black bowl between the plate and the ramekin and place it on the plate', 5)]:
            with self.subTest(text=text):
                self.assertEqual(tokenize(text, vocab, L).tolist(), documented_rule(text, vocab, L))
        self.assertEqual(tokenize('pick up the RED bowl', vocab, 6).tolist()[3], 1)

    def test_refusals(self):
        with self.assertRaises(TokenError):
            check_vocabulary(['<unk>', '<pad>', 'a'])
        with self.assertRaises(TokenError):
            check_vocabulary(['<pad>', '<unk>', 'a', 'a'])
        with self.assertRaises(TokenError):
            check_vocabulary(['<pad>', '<unk>', 'Bowl'])
        with self.assertRaisesRegex(TokenError, 'more than max_length 4'):
            token_table(LIBERO_SPATIAL[:1], build_vocabulary(LIBERO_SPATIAL), 4)

    @unittest.skipUnless(have_node(), 'no node')
    def test_matches_engine(self):
        vocab = build_vocabulary(LIBERO_SPATIAL)
        texts = LIBERO_SPATIAL + ['Pick up the RED bowl, next to the basket_2!', 'open the top drawer of the cabinet', 'the café\'s bowl']
        script = ("import { tokenizeInstruction } from '../../../engine/bundle/tokenizer.js';\n"
                  "import { readFileSync, writeFileSync } from 'node:fs';\n"
                  "const [i, o] = process.argv.slice(2);\n"
                  "const { texts, vocabulary, maxLength } = JSON.parse(readFileSync(i!, 'utf8'));\n"
                  "writeFileSync(o!, JSON.stringify({ ids: texts.map((t: string) => tokenizeInstruction(t, { vocabulary, maxLength })) }));\n")
        path = os.path.join(HERE, '_engine_tokens.tmp.mts')
        with open(path, 'w') as f:
            f.write(script)
        try:
            out = run_tsx('_engine_tokens.tmp.mts', {'texts': texts, 'vocabulary': vocab, 'maxLength': 24})
        finally:
            os.remove(path)
        self.assertEqual(out['ids'], [tokenize(t, vocab, 24).tolist() for t in texts])


def tiny_config(vocab: int) -> Config:
    return Config(observation='vision', vocab=vocab, max_tokens=24, image_size=16, cameras=2, d_model=192, heads=4, hidden=64, blocks=1,
                  mlp_ratio=1, draft_hidden=32, cnn_channels=(8, 8, 16, 16), keypoints=8, text_dim=16, groups=4, ae_enc_hidden=32, ae_dec_hidden=32)


CAMERAS = [{'name': n, 'height': 16, 'width': 16, 'orientation': 'upright', 'centerCrop': None, 'render': {'height': 32, 'width': 32}}
           for n in ('agentview', 'robot0_eye_in_hand')]


class VisionExportTest(unittest.TestCase):
    """A tiny vision model (seeded random weights: this tests the plumbing, not a policy)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        torch.manual_seed(0)
        vocab = build_vocabulary(LIBERO_SPATIAL)
        cfg = tiny_config(len(vocab))
        main, par, dec, enc = MainLayerwise(cfg), MainParallel(cfg), ActionDecoder(cfg), ActionEncoder(cfg)
        states = {k: m.state_dict() for k, m in dict(decoder=dec, encoder=enc, main=main, parallel=par, draft=Draft.from_main(main)).items()}
        rng = np.random.default_rng(0)
        stats = {'proprio': {'kind': 'q99', 'q01': (-rng.random(8)).tolist(), 'q99': (rng.random(8) + 0.1).tolist(), 'mask': [True] * 8}, 'poses': None,
                 'actions': {'kind': 'q99', 'q01': [-0.5] * 7, 'q99': [0.6] * 7, 'mask': [True] * 6 + [False]}}
        N = 12
        tokens = token_table(LIBERO_SPATIAL, vocab, 24)
        cls.val = {'proprio': rng.uniform(-1, 1, (N, 8)).astype(np.float32), 'poses': np.zeros((N, 0), np.float32), 'task': np.arange(N) % 10,
                   'tokens': tokens[np.arange(N) % 10], 'frames': rng.integers(0, 256, (N, 2, 3, 16, 16), dtype=np.uint8)}
        cls.ckpt = {'config': cfg.dict(), 'state': states, 'scales': [0.8 * 0.5 ** q for q in range(8)], 'stats': stats, 'instructions': LIBERO_SPATIAL,
                    'observation': {'kind': 'vision', 'cameras': CAMERAS, 'vocabulary': vocab, 'maxTokens': 24}, 'provenance': {'synthetic': True}, 'valSample': cls.val}
        cls.report = build_bundles(cls.ckpt, cls.tmp.name, cls.val)
        cls.dir = os.path.join(cls.tmp.name, 'vision')
        with open(os.path.join(cls.dir, 'bundle.json')) as f:
            cls.manifest = json.load(f)
        cls.cfg, cls.main, cls.dec = cfg, main.eval(), dec.eval()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_manifest_contract(self):
        m = self.manifest
        self.assertEqual(m['name'], 'vision')
        obs = m['observation']
        self.assertEqual(obs['kind'], 'vision')
        self.assertEqual(obs['cameras'], CAMERAS)
        self.assertEqual(obs['objectPoses'], {'entities': [], 'normalization': None})
        self.assertEqual(obs['instruction'], {'kind': 'tokens', 'vocabulary': build_vocabulary(LIBERO_SPATIAL), 'maxLength': 24})
        self.assertEqual(m['draft'], {'model': 'draft.onnx', 'layers': 3, 'reads': 'observation'})
        self.assertEqual(m['provenance']['trainedInstructions'], LIBERO_SPATIAL)
        with open(os.path.join(self.tmp.name, 'vision-parallel', 'bundle.json')) as f:
            self.assertEqual(json.load(f)['observation'], obs)

    def test_onnx_inputs(self):
        import onnxruntime as ort
        want = [('proprio', 'tensor(float)', ['B', 8]), ('instruction_tokens', 'tensor(int64)', ['B', 24]),
                ('image_agentview', 'tensor(float)', ['B', 3, 16, 16]), ('image_robot0_eye_in_hand', 'tensor(float)', ['B', 3, 16, 16])]
        for d, f in (('vision', 'main_prefill.onnx'), ('vision', 'draft.onnx'), ('vision-parallel', 'main_parallel.onnx')):
            s = ort.InferenceSession(os.path.join(self.tmp.name, d, f), providers=['CPUExecutionProvider'])
            self.assertEqual([(i.name, i.type, i.shape) for i in s.get_inputs()], want, f)

    def test_onnxruntime_matches_pytorch(self):
        check = self.report['onnxCheck']
        self.assertLess(check['maxAbsDiff'], 1e-4)
        self.assertEqual(check['greedyCodesEqual'], 1.0)
        self.assertEqual(check['oneStepEqualsSteps'], 1.0)
        self.assertIn('main_parallel.onnx:logits', check['perOutput'])

    @unittest.skipUnless(have_node(), 'no node')
    def test_engine_runs_the_bundle(self):
        """The engine loads it (tensor contract), encodes observations as training does, and decodes
        the same actions as PyTorch from the same tensors, autoregressive and speculative."""
        rng = np.random.default_rng(5)
        instruction = LIBERO_SPATIAL[4]
        items = [{'proprio': rng.uniform(-0.3, 0.3, 8).tolist(),
                  'images': {c['name']: {'height': 32, 'width': 32, 'data': base64.b64encode(rng.integers(0, 256, 32 * 32 * 3, dtype=np.uint8).tobytes()).decode()} for c in CAMERAS}}
                 for _ in range(3)]
        out = run_tsx('engine_bundle.mts', {'dir': self.dir, 'instruction': instruction, 'items': items})
        self.assertEqual(out['hash'], content_hash(self.dir, self.manifest))
        stats = self.ckpt['stats']
        vocab = build_vocabulary(LIBERO_SPATIAL)
        for item, enc in zip(items, out['encoded']):
            self.assertEqual(enc['instruction'], tokenize(instruction, vocab, 24).tolist())
            np.testing.assert_allclose(enc['proprio'], normalize(np.array(item['proprio']), stats['proprio']), atol=1e-6)
        obs = (torch.tensor([e['proprio'] for e in out['encoded']], dtype=torch.float32), torch.tensor([e['instruction'] for e in out['encoded']]),
               *(torch.tensor([e['images'][c] for e in out['encoded']], dtype=torch.float32).view(-1, 3, 16, 16) for c in range(2)))
        with torch.no_grad():
            codes, _ = self.main.greedy(*obs)
            lat = codec.decode(codes.numpy(), self.ckpt['scales'], self.cfg.levels)
            chunk = self.dec(torch.from_numpy(lat)).numpy()
        want = model_to_env(chunk, stats['actions']).reshape(len(items), -1)
        for strategy in ('autoregressive', 'speculative'):
            np.testing.assert_allclose(np.array(out[strategy]), want, atol=1e-4, err_msg=strategy)


def b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype='<f4').tobytes()).decode()


class VisionDemosTest(unittest.TestCase):
    """Demonstrations with images, as rsd expert --cameras writes them (engine/expert/demos.ts)."""

    def write(self, root: str, episodes: list[dict]) -> str:
        os.makedirs(os.path.join(root, 'images'), exist_ok=True)
        lines = []
        for e in episodes:
            T = e['steps']
            name = f"images/task{e['taskId']:02d}-init{e['initIndex']:03d}-clean.npy"
            np.save(os.path.join(root, name), e['frames'])
            line = {'format': 'rsd-demo/1', 'suite': 'libero_spatial', 'taskId': e['taskId'], 'taskName': 't', 'instruction': LIBERO_SPATIAL[e['taskId']],
                    'initIndex': e['initIndex'], 'initSource': 'project', 'objects': ['a'], 'outcome': 'success', 'steps': T,
                    'proprio': b64(np.random.rand(T, 8)), 'objectPoses': b64(np.random.rand(T, 7)), 'actions': b64(np.random.uniform(-1, 1, (T, 7))),
                    'images': {'file': name, 'format': 'npy', 'dtype': 'uint8', 'layout': ['step', 'camera', 'channel', 'row', 'column'],
                               'shape': list(e['frames'].shape), 'cameras': e.get('cameras', CAMERAS), 'sha256': 'x'}}
            if 'perturbed' in e:
                line['noise'] = 0.2
                line['perturbedSteps'] = e['perturbed']
            lines.append(json.dumps(line))
        path = os.path.join(root, 'demonstrations.jsonl')
        with open(path, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        return path

    def test_frames_of_the_samples(self):
        rng = np.random.default_rng(1)
        with tempfile.TemporaryDirectory() as root:
            f0 = rng.integers(0, 256, (20, 2, 3, 16, 16), dtype=np.uint8)
            f1 = rng.integers(0, 256, (30, 2, 3, 16, 16), dtype=np.uint8)
            path = self.write(root, [{'taskId': 0, 'initIndex': 0, 'steps': 20, 'frames': f0}, {'taskId': 1, 'initIndex': 0, 'steps': 30, 'frames': f1, 'perturbed': [[10, 14]]}])
            demos = load_demos(path, entities=[], images=True)
            self.assertEqual(demos.cameras, CAMERAS)
            arr = build_arrays(demos)
            self.assertIsNone(arr.stats['poses'])
            self.assertEqual(arr.poses.shape, (len(arr.task), 0))
            # Episode 1's steps 4..13 start chunks that span its perturbed steps 10..13: not samples.
            keep1 = np.array([t < 4 or t >= 14 for t in range(30)])
            self.assertEqual(len(arr.frames), 20 + keep1.sum())
            np.testing.assert_array_equal(arr.frames[:20], f0)
            np.testing.assert_array_equal(arr.frames[20:], f1[keep1])

    def test_refusals(self):
        rng = np.random.default_rng(2)
        with tempfile.TemporaryDirectory() as root:
            path = self.write(root, [{'taskId': 0, 'initIndex': 0, 'steps': 5, 'frames': rng.integers(0, 256, (4, 2, 3, 16, 16), dtype=np.uint8)}])
            with self.assertRaisesRegex(DemoImageError, r'holds uint8 \[4, 2, 3, 16, 16\], expected uint8 \[5, 2, 3, 16, 16\]'):
                load_demos(path, entities=[], images=True)
        with tempfile.TemporaryDirectory() as root:
            other = [dict(c, render={'height': 64, 'width': 64}) for c in CAMERAS]
            f = rng.integers(0, 256, (5, 2, 3, 16, 16), dtype=np.uint8)
            path = self.write(root, [{'taskId': 0, 'initIndex': 0, 'steps': 5, 'frames': f}, {'taskId': 1, 'initIndex': 0, 'steps': 5, 'frames': f, 'cameras': other}])
            with self.assertRaisesRegex(DemoImageError, 'other lines with'):
                load_demos(path, entities=[], images=True)
            path = self.write(root, [{'taskId': 0, 'initIndex': 0, 'steps': 5, 'frames': f}])
            with self.assertRaisesRegex(DemoImageError, 'has SHA-256 [0-9a-f]{64}, the line records x'):
                load_demos(path, entities=[], images=True, check_image_hashes=True)
            os.remove(os.path.join(root, 'images', 'task00-init000-clean.npy'))
            with self.assertRaisesRegex(DemoImageError, 'not found'):
                load_demos(path, entities=[], images=True)


if __name__ == '__main__':
    unittest.main()


class VisionTrainingStepTest(unittest.TestCase):
    def test_every_parameter_learns(self):
        """One step of the layerwise loss on a vision batch reaches every parameter (the CNNs, FiLM,
        the instruction encoder): none is cut off from the loss."""
        import types
        from training.train import observe, policy_loss
        torch.manual_seed(0)
        vocab = build_vocabulary(LIBERO_SPATIAL)
        cfg = tiny_config(len(vocab))
        model = MainLayerwise(cfg)
        N, g = 16, torch.Generator().manual_seed(0)
        table = torch.from_numpy(token_table(LIBERO_SPATIAL, vocab, 24))
        task = torch.arange(N) % 10
        tr = {'proprio': torch.rand(N, 8) * 2 - 1, 'task': task, 'tokens': table[task], 'token_table': table,
              'frames': torch.randint(0, 256, (N, 2, 3, 16, 16), dtype=torch.uint8), 'codes': torch.randint(0, 7, (N, 8, 8)), 'latent': torch.rand(N, 8) - 0.5}
        args = types.SimpleNamespace(noise=0.01, shift=2, sampled=0.5, batch=8, corr_penalty=1.0)
        obs = observe(cfg, tr, torch.arange(4), {'noise': 0.0, 'sig_poses': 0.0, 'shift': 2, 'gen': g})
        self.assertEqual([tuple(t.shape) for t in obs], [(4, 8), (4, 24), (4, 3, 16, 16), (4, 3, 16, 16)])
        self.assertTrue(all(0 <= float(t.min()) and float(t.max()) <= 1 for t in obs[2:]))
        loss = policy_loss('layerwise', model, tr, torch.arange(N), cfg, g, args, torch.device('cpu'), [0.8 * 0.5 ** q for q in range(8)], 0.0,
                           torch.ones(8))
        loss.backward()
        dead = [n for n, p in model.named_parameters() if p.grad is None or float(p.grad.abs().sum()) == 0.0]
        # The pad token's embedding is fixed at zero (padding_idx) by design.
        self.assertEqual(dead, [], dead)

    def test_random_shift_moves_whole_pixels(self):
        from training.train import random_shift
        x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8)
        y = random_shift(x, 2, torch.Generator().manual_seed(3))
        for i in range(2):
            # Some whole-pixel offset (dy, dx) in -2..2 maps the centre of x onto y, border repeated.
            pad = torch.nn.functional.pad(x[i:i + 1], (2, 2, 2, 2), mode='replicate')[0]
            self.assertTrue(any(torch.equal(y[i], pad[:, 2 + dy:10 + dy, 2 + dx:10 + dx]) for dy in range(-2, 3) for dx in range(-2, 3)))
