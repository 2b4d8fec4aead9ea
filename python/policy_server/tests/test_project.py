"""Serving a python/training checkpoint: training.from_bundle on assets/bundles/default (+ its
parallel twin), then the served decoding against itself and against onnxruntime running the
bundle's own ONNX files, threshold acceptance on a hand-made case, observation errors, and the
CLI end to end."""
import asyncio
import os
import subprocess
import sys
import tempfile
import unittest
from types import SimpleNamespace

import numpy as np
import onnxruntime as ort
import torch
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError

from policy_server import msgpack_numpy as mn
from policy_server.bench import TASK_OBJECTS, synthetic_observations
from policy_server.decoding import RsdDecoder
from policy_server.errors import ObservationError, UsageError
from policy_server.project import ProjectPolicy, postprocess_chunk, weights_hash
from training import codec
from training.from_bundle import rebuild, verify

# One thread: the test machines are shared, and two torch threads on two busy cores only contend.
torch.set_num_threads(1)
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUNDLES = os.path.join(os.path.dirname(PYTHON_DIR), 'assets', 'bundles')
DEFAULT, PARALLEL = os.path.join(BUNDLES, 'default'), os.path.join(BUNDLES, 'default-parallel')


def observations(ckpt: dict, n: int, seed: int) -> list[dict]:
    return synthetic_observations(ckpt, n, seed)


class OrtBundle:
    """The bundle's ONNX files run in onnxruntime the way the engine runs them (greedy)."""

    def __init__(self):
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        s = lambda d, f: ort.InferenceSession(os.path.join(d, f), so, providers=['CPUExecutionProvider'])
        self.prefill, self.step, self.decoder = s(DEFAULT, 'main_prefill.onnx'), s(DEFAULT, 'main_step.onnx'), s(DEFAULT, 'rfsq_decoder.onnx')
        self.parallel = s(PARALLEL, 'main_parallel.onnx')

    def autoregressive(self, feeds, Q, P):
        _, k, v = self.prefill.run(None, feeds)
        prev = np.zeros((1, 1, P), np.int64)
        codes = []
        for l in range(Q):
            logits, k, v = self.step.run(None, {'codes': prev, 'layer_ids': np.full((1, 1), l, np.int64), 'past_key': k, 'past_value': v})
            prev = logits.argmax(-1)
            codes.append(prev[0, 0])
        return np.stack(codes)

    def actions(self, codes, scales, L):
        return self.decoder.run(None, {'latent': codec.decode(codes[None].astype(np.int64), scales, L)})[0][0]


class ServedCheckpoint(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ckpt, models = rebuild(DEFAULT, PARALLEL, items=8)
        ok, cls.check = verify(cls.ckpt, models, DEFAULT, PARALLEL, tolerance=1e-4)
        cls.rebuilt_ok = ok
        cls.policies = {s: ProjectPolicy(cls.ckpt, name='default', decoding=s) for s in ('parallel', 'autoregressive', 'speculative')}
        # seed 0's 9th observation rejects draft layer 0 and seed 1's 5th layer 2 (the rest accept all 3)
        cls.obs = observations(cls.ckpt, 16, seed=0) + observations(cls.ckpt, 5, seed=1)[4:]

    def test_from_bundle_matches_onnxruntime(self):
        self.assertTrue(self.rebuilt_ok, self.check)
        self.assertLess(self.check['maxAbsDiff'], 1e-4)
        self.assertEqual(self.check['greedyCodesEqual'], 1.0)
        self.assertIn('main_parallel.onnx:logits', self.check['perOutput'])

    def test_metadata(self):
        m = self.policies['speculative'].metadata
        self.assertEqual(m['server'], 'rsd-policy-server')
        self.assertEqual(m['kind'], 'rsd-checkpoint')
        self.assertEqual(m['observation'], {'cameras': [], 'proprio': 8, 'object_poses': True, 'instruction': True})
        self.assertEqual(m['action'], {'dim': 7, 'chunk': 8})
        self.assertEqual(m['decoding'], {'strategy': 'speculative', 'accept': 'exact', 'threshold': None}, 'the engine\'s default')
        self.assertEqual(m['strategies'], ['parallel', 'autoregressive', 'speculative'])

    def test_speculative_exact_gives_the_autoregressive_codes(self):
        accepted = []
        for o in self.obs:
            ar, sp = self.policies['autoregressive'].infer(o), self.policies['speculative'].infer(o)
            np.testing.assert_array_equal(sp['rsd']['codes'], ar['rsd']['codes'])
            np.testing.assert_array_equal(sp['actions'], ar['actions'])
            r = sp['rsd']
            accepted.append(r['accepted_layers'])
            self.assertEqual(r['accepted'], [j < r['accepted_layers'] for j in range(3)])
            self.assertEqual(r['main_steps'], 8 - r['accepted_layers'] - 1)
            self.assertEqual(ar['rsd']['main_steps'], 8)
        self.assertEqual(sorted(set(accepted)), [0, 2, 3], 'full acceptance, and rejections at layers 0 and 2 (cache cuts) are exercised')

    def test_served_codes_and_actions_equal_onnxruntime_on_the_bundles_files(self):
        ob = OrtBundle()
        cfg = self.policies['autoregressive'].cfg
        reader = self.policies['autoregressive'].reader
        for o in self.obs[:12]:
            proprio, poses, task = reader.read(o)
            feeds = {'proprio': proprio.numpy(), 'object_poses': poses.numpy(), 'instruction': task.numpy()}
            codes = ob.autoregressive(feeds, cfg.layers, cfg.latent)
            served = self.policies['autoregressive'].infer(o)
            np.testing.assert_array_equal(served['rsd']['codes'], codes)
            env = postprocess_chunk(ob.actions(codes, self.ckpt['scales'], cfg.levels), self.ckpt['stats']['actions'])
            np.testing.assert_allclose(served['actions'], env, atol=1e-5)
            par = ob.parallel.run(None, feeds)[0][0].argmax(-1)
            np.testing.assert_array_equal(self.policies['parallel'].infer(o)['rsd']['codes'], par)

    def test_the_reply(self):
        r = self.policies['speculative'].infer(self.obs[0])
        self.assertEqual((r['actions'].shape, r['actions'].dtype), ((8, 7), np.float64))
        self.assertTrue(set(np.unique(r['actions'][:, 6])) <= {-1.0, 1.0, 0.0}, 'binarised gripper')
        rsd = r['rsd']
        self.assertEqual((rsd['strategy'], rsd['accept'], rsd['threshold'], rsd['draft_layers']), ('speculative', 'exact', None, 3))
        self.assertEqual((rsd['codes'].dtype, rsd['codes'].shape), (np.int32, (8, 8)))
        self.assertEqual(set(rsd['stages_ms']), {'prefill', 'draft', 'verify', 'main_steps', 'parallel', 'decoder', 'rfsq'})
        self.assertEqual(len(rsd['agreement']), 3)
        self.assertTrue(all(0 <= a <= 1 for a in rsd['agreement']))
        self.assertGreater(rsd['stages_ms']['verify'], 0.0)
        self.assertGreaterEqual(rsd['total_ms'], rsd['stages_ms']['verify'])
        self.assertIsNone(self.policies['parallel'].infer(self.obs[0])['rsd']['accept'])

    def test_observation_errors_are_named(self):
        o = self.obs[0]
        p = self.policies['speculative']
        cases = [
            ({**o, 'task/objects': [n if n != 'plate_1' else 'basket_1' for n in TASK_OBJECTS]}, 'task/objects', 'observes "plate_1", which this task does not have'),
            ({**o, 'prompt': 'open the drawer'}, 'prompt', 'was not trained on the instruction "open the drawer"'),
            ({**o, 'observation/state': np.zeros(7, np.float32)}, 'observation/state', r'shape \[7\], expected \[8\]'),
            ({k: v for k, v in o.items() if k != 'observation/object_poses'}, 'observation/object_poses', 'missing'),
            ({**o, 'task/objects': TASK_OBJECTS[:3]}, 'task/objects', '3 names for 7 rows'),
            ({**o, 'observation/state': np.full(8, np.nan, np.float32)}, 'observation/state', 'not finite'),
        ]
        for obs, field, message in cases:
            with self.subTest(field=field), self.assertRaisesRegex(ObservationError, message) as e:
                p.infer(obs)
            self.assertEqual(e.exception.field, field)


class Stub:
    """Hand-made logits: P = 4 codes of L = 3 levels, Q = 3 layers, a draft of k = 2 layers."""

    P, L, Q = 4, 3, 3

    @staticmethod
    def onehot(codes):
        out = torch.zeros(len(codes), Stub.L)
        out[torch.arange(len(codes)), torch.tensor(codes)] = 1.0
        return out


class StubMain:
    """Layer 0's main argmax is [0, 1, 2, 0]; layer l > 0 predicts (previous layer's codes + 1) mod 3."""

    def __init__(self):
        self.fed = []

    def prefill(self, *obs):
        return None, torch.zeros(1, 1, 2, 1), torch.zeros(1, 1, 2, 1)  # T0 = 2

    def step(self, codes, layer_ids, key, value):
        self.fed.append((layer_ids[0].tolist(), codes[0].tolist()))
        rows = []
        for i, l in enumerate(layer_ids[0].tolist()):
            c = [0, 1, 2, 0] if l == 0 else [(x + 1) % 3 for x in codes[0, i].tolist()]
            rows.append(Stub.onehot(c))
        n = len(rows)
        return torch.stack(rows)[None], torch.cat([key, torch.zeros(1, 1, n, 1)], 2), torch.cat([value, torch.zeros(1, 1, n, 1)], 2)


class Threshold(unittest.TestCase):
    """Draft layer 0 = [0, 1, 2, 1]: 3 of 4 codes match the main argmax [0, 1, 2, 0]."""

    def decoder(self):
        cfg = SimpleNamespace(layers=Stub.Q, latent=Stub.P, levels=Stub.L, draft_layers=2, chunk=1, action_dim=Stub.P)
        self.main = StubMain()
        draft = lambda *obs: torch.stack([Stub.onehot([0, 1, 2, 1]), Stub.onehot([1, 2, 0, 2])])[None]
        models = {'main': self.main, 'draft': draft, 'decoder': lambda latent: latent.view(1, 1, Stub.P)}
        return RsdDecoder(cfg, models, scales=[0.5, 0.25, 0.125])

    def test_threshold_keeps_the_drafts_codes_when_enough_match(self):
        chunk = self.decoder().decode((torch.zeros(1),), 'speculative', 'threshold', 0.75)
        r = chunk.record
        # Layer 0: 3/4 >= 0.75, accepted with the DRAFT's codes; layer 1: the verify position read
        # those and predicts [1, 2, 0, 2], which equals the draft's layer 1: accepted; layer 2 is the
        # main model's from the verify step's last position.
        self.assertEqual((r['accepted_layers'], r['accepted'], r['agreement']), (2, [True, True], [0.75, 1.0]))
        np.testing.assert_array_equal(chunk.codes, [[0, 1, 2, 1], [1, 2, 0, 2], [2, 0, 1, 0]])
        self.assertEqual(self.main.fed, [([0, 1, 2], [[0, 0, 0, 0], [0, 1, 2, 1], [1, 2, 0, 2]])], 'one verify step, no main steps after it')
        self.assertEqual((r['accept'], r['threshold'], r['main_steps']), ('threshold', 0.75, 0))

    def test_below_the_threshold_and_exact_reject_and_continue_from_the_main_argmax(self):
        for accept, tau in (('threshold', 0.8), ('exact', 0.7)):
            with self.subTest(accept=accept):
                chunk = self.decoder().decode((torch.zeros(1),), 'speculative', accept, tau)
                r = chunk.record
                self.assertEqual((r['accepted_layers'], r['accepted']), (0, [False, False]))
                # Layer 1's agreement is measured at the verify position that read the draft's layer 0.
                self.assertEqual(r['agreement'], [0.75, 1.0])
                np.testing.assert_array_equal(chunk.codes, [[0, 1, 2, 0], [1, 2, 0, 1], [2, 0, 1, 2]])
                # The cache was cut back to layer 0's position; the next steps read the main argmax.
                self.assertEqual(self.main.fed[1:], [([1], [[0, 1, 2, 0]]), ([2], [[1, 2, 0, 1]])])
                self.assertEqual(r['main_steps'], 2)
                self.assertEqual(r['threshold'], 0.8 if accept == 'threshold' else None)


class Cli(unittest.TestCase):
    """python -m policy_server end to end with a checkpoint from from_bundle."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.path = os.path.join(cls.tmp.name, 'default.pt')
        cls.ckpt, _ = rebuild(DEFAULT, items=1)
        torch.save(cls.ckpt, cls.path)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_cli(self, *args):
        return subprocess.run([sys.executable, '-m', 'policy_server', *args], cwd=PYTHON_DIR, capture_output=True, text=True, timeout=120)

    def test_bad_flags_are_one_line_and_exit_2(self):
        for args, message in ((['--checkpoint', self.path, '--accept', 'maybe'], "argument --accept: invalid choice: 'maybe'"),
                              (['--checkpoint', os.path.join(self.tmp.name, 'none.pt')], 'no such file'),
                              (['--oft', self.tmp.name], '--rfsq-head: required with --oft')):
            with self.subTest(args=args):
                r = self.run_cli(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertIn(message, r.stderr)
                self.assertEqual(r.stdout, '')

    def test_bad_decoding_options_for_this_checkpoint(self):
        for options, message in ((dict(decoding='parallel'), '--decoding parallel: this checkpoint supports autoregressive, speculative'),
                                 (dict(decoding='autoregressive', accept='threshold'), '--accept applies to --decoding speculative'),
                                 (dict(accept='threshold', threshold=1.5), r'--threshold 1.5: must be in \[0, 1\]'),
                                 (dict(threshold=0.5), '--threshold applies to --accept threshold')):
            with self.subTest(options=options), self.assertRaisesRegex(UsageError, message):
                ProjectPolicy(self.ckpt, name='x', **options)
        with self.assertRaisesRegex(UsageError, 'the checkpoint has no "stats"'):
            ProjectPolicy({k: v for k, v in self.ckpt.items() if k != 'stats'}, name='x')

    def test_serves_the_checkpoint(self):
        proc = subprocess.Popen([sys.executable, '-m', 'policy_server', '--checkpoint', self.path, '--port', '0', '--threads', '1'], cwd=PYTHON_DIR,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = proc.stdout.readline().strip()
            self.assertRegex(line, r'^policy server listening on ws://127\.0\.0\.1:\d+$')
            asyncio.run(self.session(line.rsplit(' ', 1)[1]))
        finally:
            proc.terminate()
            proc.wait(30)
            proc.stdout.close()
        self.assertEqual(proc.returncode, 0, 'SIGTERM stops it cleanly')

    async def session(self, url):
        o = observations(self.ckpt, 1, seed=5)[0]
        want = ProjectPolicy(self.ckpt, name='x').infer(o)
        async with connect(url, compression=None, max_size=None, open_timeout=30) as ws:
            meta = mn.unpackb(await asyncio.wait_for(ws.recv(), 30))
            self.assertEqual(meta['hash'], f'sha256:{weights_hash(self.ckpt["state"])}')
            self.assertEqual(meta['name'], 'default')
            await ws.send(mn.packb(o))
            reply = mn.unpackb(await asyncio.wait_for(ws.recv(), 60))
            np.testing.assert_array_equal(reply['rsd']['codes'], want['rsd']['codes'])
            np.testing.assert_array_equal(reply['actions'], want['actions'])
            self.assertIn('infer_ms', reply['server_timing'])
            await ws.send(mn.packb({**o, 'prompt': 'open the drawer'}))
            text = await asyncio.wait_for(ws.recv(), 60)
            self.assertIn('ObservationError: prompt: the checkpoint was not trained on the instruction "open the drawer"', text)
            with self.assertRaises(ConnectionClosedError) as closed:
                await asyncio.wait_for(ws.recv(), 30)
            self.assertEqual(closed.exception.rcvd.code, 1011)


if __name__ == '__main__':
    unittest.main()
