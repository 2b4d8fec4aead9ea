"""Acceptance computed for real: per-layer agreement, threshold, accepted prefix, draft codes kept."""
import unittest

import torch

from policy_server.oft import decoding

LEVELS = 7


def logits_for(codes: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.one_hot(codes, LEVELS).float()


def draft_agreeing(main: torch.Tensor, agree: list[int]) -> torch.Tensor:
    """Draft codes equal to main's on the first agree[j] positions of layer j, different elsewhere."""
    draft = main[:len(agree)].clone()
    for j, n in enumerate(agree):
        draft[j, n:] = (draft[j, n:] + 1) % LEVELS
    return draft


class AcceptanceTest(unittest.TestCase):
    def setUp(self):
        self.main = torch.randint(0, LEVELS, (8, 10), generator=torch.Generator().manual_seed(0))

    def judge(self, agree, rule='threshold', threshold=0.7):
        draft = draft_agreeing(self.main, agree)
        return draft, decoding.speculative(logits_for(draft), logits_for(self.main), rule, threshold)

    def test_layer_zero_only(self):
        draft, v = self.judge([10, 3, 10])
        self.assertEqual(v.accepted, [True, False, False])
        self.assertEqual(v.accepted_layers, 1)
        self.assertEqual(v.agreement, [1.0, 0.3, 1.0])

    def test_all_agree(self):
        _, v = self.judge([10, 10, 10])
        self.assertEqual(v.accepted_layers, 3)
        self.assertTrue(torch.equal(v.codes, self.main))

    def test_exactly_at_threshold_is_accepted(self):
        _, v = self.judge([7, 7, 6])
        self.assertEqual(v.agreement, [0.7, 0.7, 0.6])
        self.assertEqual(v.accepted, [True, True, False])

    def test_prefix_stops_at_first_rejection(self):
        _, v = self.judge([6, 10, 10])
        self.assertEqual(v.accepted, [False, False, False])
        self.assertEqual(v.agreement, [0.6, 1.0, 1.0])

    def test_accepted_layers_keep_draft_codes_others_main(self):
        draft, v = self.judge([8, 9, 2])
        self.assertEqual(v.accepted, [True, True, False])
        self.assertTrue(torch.equal(v.codes[:2], draft[:2]))
        self.assertFalse(torch.equal(v.codes[:2], self.main[:2]))
        self.assertTrue(torch.equal(v.codes[2:], self.main[2:]))
        self.assertTrue(torch.equal(decoding.main_only(logits_for(self.main)), self.main))

    def test_exact_rule(self):
        _, v = self.judge([10, 9, 10], rule='exact')
        self.assertEqual(v.accepted, [True, False, False])


if __name__ == '__main__':
    unittest.main()
