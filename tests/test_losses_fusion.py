"""ITM, hard-negative mining, MLM and BERT masking against loop oracles and invariants."""
import math

import pytest
import torch

from mmcl_lite.augment import mask_tokens
from mmcl_lite.losses import itm_loss, mine_hard_negatives, mlm_loss


def _ce(row, target):
    """-log softmax(row)[target], in float64 loops."""
    return -row[target] + math.log(sum(math.exp(x) for x in row))


def test_itm_matches_loop_oracle():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(7, 2, generator=g, dtype=torch.float64)
    labels = torch.tensor([1, 0, 0, 1, 0, 1, 1])
    expected = sum(_ce(r, y) for r, y in zip(logits.tolist(), labels.tolist())) / 7
    torch.testing.assert_close(itm_loss(logits, labels), torch.tensor(expected, dtype=torch.float64))


@pytest.mark.parametrize("labels, match", [
    (torch.tensor([0, 2, 1]), "labels: expected binary labels"),
    (torch.tensor([0.0, 1.0, 1.0]), "labels: expected an integer tensor"),
    (torch.tensor([0, 1]), "labels: expected an integer tensor"),
])
def test_itm_refuses_labels_that_are_not_binary(labels, match):
    with pytest.raises(ValueError, match=match):
        itm_loss(torch.zeros(3, 2), labels)


def test_itm_refuses_logits_without_two_columns():
    with pytest.raises(ValueError, match="logits: expected two scores per row"):
        itm_loss(torch.zeros(3, 3), torch.tensor([0, 1, 0]))


def test_mining_never_draws_the_item_itself_or_an_equal_caption():
    g = torch.Generator().manual_seed(0)
    sim = torch.randn(6, 6, generator=g) * 5
    same = torch.zeros(6, 6, dtype=torch.bool)
    same[0, 3] = same[3, 0] = True  # items 0 and 3 carry the same caption
    for _ in range(200):
        j = mine_hard_negatives(sim, same, g)
        assert (j != torch.arange(6)).all()
        assert j[0] != 3 and j[3] != 0


def test_mining_draws_in_proportion_to_the_softmax_of_the_row():
    sim = torch.tensor([[0.0, math.log(3.0), 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 0.0]])
    g = torch.Generator().manual_seed(1)
    draws = torch.stack([mine_hard_negatives(sim, generator=g) for _ in range(6000)])
    # row 0: columns 1 and 2 with weights 3 : 1
    assert abs(float((draws[:, 0] == 1).float().mean()) - 0.75) < 0.03
    assert abs(float((draws[:, 1] == 0).float().mean()) - 0.5) < 0.03


def test_mining_falls_back_to_any_other_item_when_every_caption_is_equal():
    same = torch.ones(4, 4, dtype=torch.bool)
    j = mine_hard_negatives(torch.zeros(4, 4), same, torch.Generator().manual_seed(0))
    assert (j != torch.arange(4)).all()


def test_mlm_matches_loop_oracle_over_the_masked_positions_only():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 4, 5, generator=g, dtype=torch.float64)
    labels = torch.tensor([[-100, 3, -100, 0], [2, -100, -100, -100]])
    picks = [(0, 1, 3), (0, 3, 0), (1, 0, 2)]
    expected = sum(_ce(logits[b, l].tolist(), y) for b, l, y in picks) / len(picks)
    torch.testing.assert_close(mlm_loss(logits, labels), torch.tensor(expected, dtype=torch.float64))


def test_mlm_with_nothing_masked_is_zero_and_keeps_the_graph():
    logits = torch.randn(2, 3, 4, requires_grad=True)
    loss = mlm_loss(logits, torch.full((2, 3), -100))
    loss.backward()
    assert loss.item() == 0.0 and logits.grad is not None


def test_mlm_refuses_labels_of_another_shape_or_out_of_vocabulary():
    with pytest.raises(ValueError, match="labels: expected shape"):
        mlm_loss(torch.zeros(2, 3, 4), torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="labels: expected token ids in"):
        mlm_loss(torch.zeros(2, 3, 4), torch.full((2, 3), 7))


def _batch():
    # [CLS]=2 ... [SEP]=3, padding 0
    ids = torch.tensor([[2, 10, 11, 12, 3, 0], [2, 13, 3, 0, 0, 0]])
    return ids, (ids != 0).long()


def test_masking_touches_only_real_words_and_labels_exactly_those():
    ids, mask = _batch()
    masked, labels = mask_tokens(ids, mask, 0.99, mask_token_id=4, special_ids=(0, 2, 3),
                                 generator=torch.Generator().manual_seed(0))
    chosen = labels != -100
    assert not chosen[ids == 0].any() and not chosen[ids == 2].any() and not chosen[ids == 3].any()
    assert (labels[chosen] == ids[chosen]).all()
    assert (masked[chosen] == 4).all()  # no vocab_size: every chosen token becomes [MASK]
    assert (masked[~chosen] == ids[~chosen]).all()


def test_masking_keeps_at_least_one_word_per_caption():
    ids, mask = _batch()
    _, labels = mask_tokens(ids, mask, 0.0, mask_token_id=4, special_ids=(0, 2, 3))
    assert ((labels != -100).sum(1) == 1).all()


def test_masking_follows_berts_80_10_10_split():
    ids = torch.randint(10, 50, (400, 30))
    masked, labels = mask_tokens(ids, torch.ones_like(ids), 0.5, mask_token_id=4,
                                 vocab_size=50, generator=torch.Generator().manual_seed(0))
    chosen = labels != -100
    assert abs(float(chosen.float().mean()) - 0.5) < 0.02
    as_mask = float((masked[chosen] == 4).float().mean())
    unchanged = float((masked[chosen] == ids[chosen]).float().mean())
    assert abs(as_mask - 0.8) < 0.02 and 0.09 < unchanged < 0.13  # 10% kept + random hits


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5])
def test_masking_refuses_a_probability_outside_0_1(p):
    ids, mask = _batch()
    with pytest.raises(ValueError, match="mask_prob: expected a finite number in"):
        mask_tokens(ids, mask, p, mask_token_id=4)
