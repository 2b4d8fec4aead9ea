"""python -m unittest training.tests.test_distill (from python/): the deep-draft student of
training.distill: its prior spills into further cache slots and is read back exactly, the
teacher's weights are copied, and a 3-layer model's cache is laid out as before."""
import unittest

import torch

from training.distill import student_of
from training.models import Config, Draft, MainLayerwise

SMALL = dict(hidden=64, d_model=192, blocks=2, heads=4, mlp_ratio=1, draft_hidden=32, memory=2, memory_dim=8)


def obs(c: Config, n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, c.proprio_dim, generator=g) * 2 - 1, torch.rand(n, c.pose_dim, generator=g) * 2 - 1, torch.randint(0, c.tasks, (n,), generator=g)


class DistillTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.teacher = MainLayerwise(Config(**SMALL)).eval()

    def test_a_3_layer_prior_sits_in_block_0_alone(self):
        c = self.teacher.c
        _, _, v = self.teacher.prefill(*obs(c, 3, 1))
        slot = v[:, :, c.memory]  # [B, K, D]
        kpl = c.draft_layers * c.latent * c.levels
        self.assertLessEqual(kpl, c.d_model)
        self.assertTrue(torch.equal(slot[:, 0, :kpl], self.teacher.prior_logits(*obs(c, 3, 1)).flatten(1)))
        self.assertEqual(float(slot[:, 0, kpl:].abs().sum()) + float(slot[:, 1:].abs().sum()), 0.0)

    def test_a_deep_prior_spills_over_blocks_and_is_read_back(self):
        s = student_of(self.teacher, 7, 48).eval()
        c = s.c
        self.assertGreater(c.draft_layers * c.latent * c.levels, c.d_model)  # 392 > 192: spills into 3 blocks' slots
        o = obs(c, 4, 2)
        hidden, k, v = s.prefill(*o)
        prior = s.prior(hidden)
        ids = torch.arange(c.layers)[None, :].expand(4, -1)
        fed = torch.zeros(4, c.layers, c.latent, dtype=torch.long)
        logits, corr, _, _ = s.step_parts(fed, ids, k, v)
        # layers 0..6: prior + bounded correction, so logits - corr is the prior exactly
        torch.testing.assert_close(logits[:, :7] - corr[:, :7], prior, rtol=0, atol=1e-5)
        self.assertLessEqual(float(corr.abs().max()), c.coarse_correction)
        draft = Draft.from_main(s).eval()
        torch.testing.assert_close(draft(*o), prior, rtol=0, atol=0)

    def test_the_student_keeps_the_teachers_other_weights(self):
        s = student_of(self.teacher, 7, self.teacher.c.draft_hidden)
        t = self.teacher.state_dict()
        for name, w in s.state_dict().items():
            if name.startswith('prior.net.2'):
                rows = t[name].shape[0]
                self.assertTrue(torch.equal(w[:rows], t[name]), name)  # the teacher's coarse rows
            else:
                self.assertTrue(torch.equal(w, t[name]), name)


if __name__ == '__main__':
    unittest.main()
