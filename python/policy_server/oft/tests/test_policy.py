"""load_oft_policy + infer end to end, on the random tiny Llama stand-in for the 7B backbone (CPU)."""
import os
import tempfile
import unittest

import numpy as np
import torch

from policy_server.oft import OftConfigError, OftInputError, load_oft_policy
from policy_server.oft.tests import fixtures as fx


class PolicyTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.tmp = self.dir.name
        self.oft = os.path.join(self.tmp, 'oft')
        fx.write_oft_folder(self.oft)

    def tearDown(self):
        self.dir.cleanup()

    def load(self, files, *extra):
        return load_oft_policy(fx.parse_args(fx.policy_argv(self.oft, files, *extra)), fx.tiny_backbone_loader)

    def test_every_layout_serves_a_chunk(self):
        for layout in fx.LAYOUTS:
            with self.subTest(layout=layout):
                files = fx.write_checkpoints(os.path.join(self.tmp, layout), layout=layout)
                extra = () if layout in ('model_state_dict', 'model', 'rfsq_head') else ('--rfsq-layernorm', 'off')
                reply = self.load(files, *extra).infer(fx.observation())
                self.assertEqual(reply['actions'].shape, (8, 7))
                self.assertEqual(reply['actions'].dtype, np.float32)

    def test_rsd_record_and_main_only_baseline_in_one_process(self):
        policy = self.load(fx.write_checkpoints(self.tmp))
        self.assertEqual(policy.metadata['decoding'], {'strategy': 'speculative', 'accept': 'threshold', 'threshold': 0.7})
        rsd = policy.infer(fx.observation(1))
        main = policy.infer(fx.observation(1), strategy='parallel')
        r, m = rsd['rsd'], main['rsd']
        self.assertEqual(r['strategy'], 'speculative')
        self.assertEqual(r['draft_layers'], 3)
        self.assertEqual(len(r['agreement']), 3)
        self.assertEqual(r['accepted_layers'], sum(r['accepted']))
        self.assertEqual(set(r['stages_ms']), {'prefill', 'draft', 'verify', 'decoder'})
        self.assertIn('cannot save time', r['note'])
        self.assertEqual(r['codes'].dtype, np.int32)
        self.assertEqual(r['codes'].shape, (8, 40))
        self.assertEqual((m['strategy'], m['accept'], m['threshold'], m['draft_layers']), ('parallel', None, None, 0))
        self.assertEqual(set(m['stages_ms']), {'prefill', 'parallel', 'decoder'})
        k = r['accepted_layers']
        self.assertTrue(np.array_equal(r['codes'][k:], m['codes'][k:]))
        # Actions: finite, gripper in the environment's {-1, +1} (0 only at exactly 0.5)
        for reply in (rsd, main):
            self.assertTrue(np.all(np.isfinite(reply['actions'])))
            self.assertTrue(set(np.unique(reply['actions'][:, 6])) <= {-1.0, 0.0, 1.0})

    def with_fixed_codes(self, agree: list[int]):
        """Heads whose argmax is fixed: main codes M, draft codes equal to M on the first agree[j] of 40 positions."""
        head, draft = fx.make_head(), fx.make_draft()
        main_codes = torch.randint(0, 7, (8, 40), generator=torch.Generator().manual_seed(5))
        draft_codes = main_codes[:3].clone()
        for j, n in enumerate(agree):
            draft_codes[j, n:] = (draft_codes[j, n:] + 3) % 7
        for j in range(8):
            fx.fix_codes(head.layer_heads[j], main_codes[j])
        for j in range(3):
            fx.fix_codes(draft.classification_heads[j], draft_codes[j])
        policy = self.load(fx.write_checkpoints(os.path.join(self.tmp, str(agree)), head=head, draft=draft))
        return policy, main_codes.numpy(), draft_codes.numpy()

    def test_draft_agrees_on_layer_zero_only(self):
        policy, main, draft = self.with_fixed_codes([40, 10, 40])
        r = policy.infer(fx.observation())['rsd']
        self.assertEqual((r['accepted_layers'], r['accepted']), (1, [True, False, False]))
        self.assertEqual(r['agreement'], [1.0, 0.25, 1.0])
        self.assertTrue(np.array_equal(r['codes'], main))

    def test_all_agree_and_exactly_at_threshold(self):
        policy, main, draft = self.with_fixed_codes([40, 40, 28])
        r = policy.infer(fx.observation())['rsd']
        self.assertEqual(r['agreement'], [1.0, 1.0, 0.7])
        self.assertEqual(r['accepted_layers'], 3)
        self.assertTrue(np.array_equal(r['codes'][:3], draft))
        self.assertTrue(np.array_equal(r['codes'][3:], main[3:]))
        m = policy.infer(fx.observation(), strategy='parallel')['rsd']
        self.assertTrue(np.array_equal(m['codes'], main))

    def test_just_below_threshold_is_rejected(self):
        policy, main, _ = self.with_fixed_codes([40, 27, 40])
        r = policy.infer(fx.observation())['rsd']
        self.assertEqual(r['accepted'], [True, False, False])
        self.assertEqual(r['agreement'][1], 27 / 40)

    def test_conditioned_head(self):
        policy = self.load(fx.write_checkpoints(self.tmp, conditioned=True))
        r = policy.infer(fx.observation())['rsd']
        self.assertIn('conditioned main head reads the draft', r['note'])
        m = policy.infer(fx.observation(), strategy='main')['rsd']
        self.assertIn('all-zeros condition', m['note'])

    def test_stats_free_decode_is_said_in_every_record(self):
        files = fx.write_checkpoints(self.tmp, use_layernorm=True)
        with self.assertRaisesRegex(Exception, 'per sample'):
            self.load(files)
        r = self.load(files, '--rfsq-stats-free-decode').infer(fx.observation())['rsd']
        self.assertIn('per-sample LayerNorm statistics', r['note'])

    def test_metadata(self):
        policy = self.load(fx.write_checkpoints(self.tmp))
        md = policy.metadata
        self.assertEqual((md['server'], md['protocol'], md['kind']), ('rsd-policy-server', 1, 'oft-rfsq'))
        self.assertRegex(md['hash'], '^sha256:[0-9a-f]{64}$')
        self.assertEqual(md['action'], {'dim': 7, 'chunk': 8})
        self.assertEqual([c['name'] for c in md['observation']['cameras']], ['agentview', 'robot0_eye_in_hand'])
        self.assertEqual(md['observation']['proprio'], 0)
        self.assertEqual(md['strategies'], ['parallel', 'speculative'])

    def test_proprio_projector_is_used_when_the_folder_has_one(self):
        fx.write_oft_folder(self.oft, projector=True)
        policy = self.load(fx.write_checkpoints(self.tmp))
        self.assertEqual(policy.metadata['observation']['proprio'], 8)
        obs = fx.observation()
        a = policy.infer(obs)['rsd']['codes']
        obs2 = dict(obs, **{'observation/state': obs['observation/state'] + 0.05})
        h1 = policy.backbone.features(policy_input(policy, obs), policy.stats.normalize_proprio(obs['observation/state'].astype(float), 'libero_spatial_no_noops'))
        h2 = policy.backbone.features(policy_input(policy, obs2), policy.stats.normalize_proprio(obs2['observation/state'].astype(float), 'libero_spatial_no_noops'))
        self.assertFalse(torch.equal(h1, h2))
        self.assertEqual(a.shape, (8, 40))
        del obs['observation/state']
        with self.assertRaisesRegex(OftInputError, '^observation/state: missing'):
            policy.infer(obs)
        off = self.load(fx.write_checkpoints(self.tmp), '--proprio', 'off')
        self.assertEqual(off.metadata['observation']['proprio'], 0)
        self.assertEqual(off.infer(obs)['actions'].shape, (8, 7))

    def test_missing_statistics_file(self):
        os.remove(os.path.join(self.oft, 'dataset_statistics.json'))
        with self.assertRaisesRegex(OftConfigError, 'dataset_statistics.json: no such file'):
            self.load(fx.write_checkpoints(self.tmp))
        # environment-unit decoders need no statistics
        self.load(fx.write_checkpoints(self.tmp), '--action-space', 'env').infer(fx.observation())

    def test_missing_statistics_key(self):
        policy = self.load(fx.write_checkpoints(self.tmp))
        with self.assertRaisesRegex(OftConfigError, "no statistics for task/suite 'libero_goal'"):
            policy.infer(dict(fx.observation(), **{'task/suite': 'libero_goal'}))
        with self.assertRaisesRegex(OftConfigError, "no key 'bridge_orig'"):
            self.load(fx.write_checkpoints(self.tmp), '--unnorm-key', 'bridge_orig')

    def test_flags(self):
        files = fx.write_checkpoints(self.tmp)
        with self.assertRaisesRegex(OftConfigError, '^--decoding autoregressive'):
            self.load(files, '--decoding', 'autoregressive')
        with self.assertRaisesRegex(OftConfigError, '^--accept stochastic'):
            self.load(files, '--accept', 'stochastic')
        with self.assertRaisesRegex(OftConfigError, '^--decoding rsd: speculative decoding needs --draft'):
            argv = fx.policy_argv(self.oft, files, '--decoding', 'rsd')
            i = argv.index('--draft')
            load_oft_policy(fx.parse_args(argv[:i] + argv[i + 2:]), fx.tiny_backbone_loader)
        with self.assertRaisesRegex(OftConfigError, '^--oft .*: no such folder'):
            load_oft_policy(fx.parse_args(fx.policy_argv(os.path.join(self.tmp, 'none'), files)), fx.tiny_backbone_loader)
        policy = self.load(files, '--decoding', 'main', '--num-images', '1')
        self.assertEqual(policy.metadata['decoding']['strategy'], 'parallel')
        obs = fx.observation()
        del obs['observation/wrist_image']
        self.assertEqual(policy.infer(obs)['actions'].shape, (8, 7))

    def test_bad_observation(self):
        policy = self.load(fx.write_checkpoints(self.tmp))
        obs = dict(fx.observation(), **{'observation/image': np.zeros((224, 224), np.float32)})
        with self.assertRaisesRegex(OftInputError, r'^observation/image: expected uint8 \[H, W, 3\], got float32 \[224, 224\]'):
            policy.infer(obs)
        with self.assertRaisesRegex(OftInputError, '^prompt: missing'):
            policy.infer({k: v for k, v in fx.observation().items() if k != 'prompt'})
        with self.assertRaisesRegex(OftInputError, '^observation/wrist_image: missing'):
            policy.infer({k: v for k, v in fx.observation().items() if k != 'observation/wrist_image'})


def policy_input(policy, obs):
    from policy_server.oft import observation
    return observation.parse(obs, policy.num_images, policy.orientation, policy.crop, 8)


if __name__ == '__main__':
    unittest.main()
