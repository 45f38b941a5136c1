"""Scarce, noisy and missing pairs: the data splits, multi-positive InfoNCE and MIL-NCE against
loop oracles, pseudo-pair rules, spectral co-clustering against scikit-learn's."""
import math

import pytest
import torch

from mmcl_lite.data import make_shapes
from mmcl_lite.data.pairing import (check_mask, make_linear_pairs, missing_mask, noisy_pairs,
                                    split_pairing)
from mmcl_lite.losses import clip_loss, mil_nce, multi_positive_nce, pseudo_pairs
from mmcl_lite.models import spectral_coclusters


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(200, seed=1, image_size=16)


def test_split_keeps_the_paired_fraction_and_never_pairs_the_pools(shapes):
    split = split_pairing(shapes, 0.05, seed=0)
    assert len(split.paired) == 10 and split.images.captions is None
    assert len(split.images) + len(split.captions) + len(split.paired) == len(shapes)
    image_keys = {tuple(x.flatten().tolist()) for x in split.images.images}
    paired_keys = {tuple(x.flatten().tolist()) for x in split.paired.images}
    assert not image_keys & paired_keys
    # the caption pool comes from other items: its attributes are those items'
    assert len(split.caption_attributes["shape"]) == len(split.captions)


@pytest.mark.parametrize("fraction", [0.0, -0.1, 1.5])
def test_split_refuses_a_fraction_outside_0_1(shapes, fraction):
    with pytest.raises(ValueError, match="paired_fraction: expected a finite number in"):
        split_pairing(shapes, fraction)


def test_split_needs_captions():
    from mmcl_lite.data import load_digits
    with pytest.raises(ValueError, match="data: expected a set with captions"):
        split_pairing(load_digits(), 0.1)


def test_noisy_pairs_shuffle_exactly_the_unpaired_ones(shapes):
    noisy = noisy_pairs(shapes, 0.3, seed=0)
    changed = torch.tensor([a != b for a, b in zip(noisy.captions, shapes.captions)])
    assert int((~noisy.paired).sum()) == 60
    # a derangement of the chosen items: none keeps its caption (two equal captions aside)
    assert changed[~noisy.paired].float().mean() > 0.95 and not changed[noisy.paired].any()
    assert sorted(noisy.captions) == sorted(shapes.captions)


def test_missing_mask_and_its_check():
    mask = missing_mask(50, 0.2, seed=0)
    assert mask.dtype == torch.bool and int(mask.sum()) == 10
    with pytest.raises(ValueError, match=r"mask: expected shape \(40,\)"):
        check_mask(mask, 40)


def test_linear_pairs_share_their_latent():
    data = make_linear_pairs(500, d1=30, d2=20, rank=3, noise=0.1, seed=0)
    torch.testing.assert_close(data.u1.T @ data.u1, torch.eye(3), atol=1e-5, rtol=0)
    # the noiseless parts are exact projections of z
    torch.testing.assert_close(data.x @ data.u1, data.z, atol=0.5, rtol=0)
    with pytest.raises(ValueError, match="d1: expected an int >= 3"):
        make_linear_pairs(10, d1=2, rank=3)


def _loop_multi_positive(logits, positives):
    total = 0.0
    for row, pos in zip(logits.tolist(), positives.tolist()):
        num = sum(math.exp(v) for v, p in zip(row, pos) if p)
        total += -math.log(num / sum(math.exp(v) for v in row))
    return total / len(logits)


def test_multi_positive_nce_matches_a_loop_and_reduces_to_infonce():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 7, generator=g, dtype=torch.float64)
    positives = torch.rand(5, 7, generator=g) < 0.4
    positives[:, 0] = True
    expected = torch.tensor(_loop_multi_positive(logits, positives), dtype=torch.float64)
    torch.testing.assert_close(multi_positive_nce(logits, positives), expected)
    square = torch.randn(4, 4, generator=g, dtype=torch.float64)
    eye = torch.eye(4, dtype=torch.bool)
    torch.testing.assert_close(multi_positive_nce(square, eye),
                               torch.nn.functional.cross_entropy(square, torch.arange(4)))


def test_multi_positive_nce_needs_a_positive_in_every_row():
    with pytest.raises(ValueError, match="positives: expected at least one positive in every row"):
        multi_positive_nce(torch.zeros(2, 3), torch.tensor([[True, False, False],
                                                            [False, False, False]]))


def test_mil_nce_matches_a_loop_and_equals_clip_one_way_for_bags_of_one():
    g = torch.Generator().manual_seed(1)
    img, txt = torch.randn(4, 6, generator=g), torch.randn(4, 3, 6, generator=g)
    scale = math.log(10.0)
    ni = torch.nn.functional.normalize(img, dim=1)
    nt = torch.nn.functional.normalize(txt, dim=2)
    logits = 10.0 * ni @ nt.reshape(-1, 6).T
    own = torch.eye(4, dtype=torch.bool).repeat_interleave(3, dim=1)
    expected = _loop_multi_positive(logits.double(), own)
    assert float(mil_nce(img, txt, scale)) == pytest.approx(expected, rel=1e-5)
    one = torch.randn(4, 1, 6, generator=g)
    i2t = torch.nn.functional.cross_entropy(
        10.0 * ni @ torch.nn.functional.normalize(one[:, 0], dim=1).T, torch.arange(4))
    torch.testing.assert_close(mil_nce(img, one, scale), i2t)
    # a padding slot never counts: masking it equals dropping it
    mask = torch.ones(4, 3, dtype=torch.bool)
    mask[:, 2] = False
    torch.testing.assert_close(mil_nce(img, txt, scale, mask), mil_nce(img, txt[:, :2], scale))


def test_mil_nce_refuses_a_single_item_and_mismatched_shapes():
    with pytest.raises(ValueError, match="image_emb: expected at least 2 rows"):
        mil_nce(torch.randn(1, 4), torch.randn(1, 2, 4), 1.0)
    with pytest.raises(ValueError, match="text_emb: expected shape"):
        mil_nce(torch.randn(3, 4), torch.randn(3, 2, 5), 1.0)


def test_pseudo_pair_rules():
    s = torch.tensor([[0.9, 0.1, 0.0],
                      [0.8, 0.2, 0.1],
                      [0.0, 0.3, 0.7]])
    rows, cols = pseudo_pairs(s, "mutual")
    assert list(zip(rows.tolist(), cols.tolist())) == [(0, 0), (2, 2)]   # row 1's best is taken
    rows, cols = pseudo_pairs(s, "topb")
    assert list(zip(rows.tolist(), cols.tolist())) == [(0, 0), (1, 0), (2, 2)]
    rows, cols = pseudo_pairs(s, "topb", threshold=0.75)
    assert list(zip(rows.tolist(), cols.tolist())) == [(0, 0), (1, 0)]
    with pytest.raises(ValueError, match="rule: expected one of"):
        pseudo_pairs(s, "best")


def test_coclusters_recover_planted_blocks_as_scikit_learn_does():
    from sklearn.cluster import SpectralCoclustering
    from sklearn.metrics import adjusted_rand_score

    g = torch.Generator().manual_seed(0)
    rows, cols = torch.arange(60) % 3, torch.arange(45) % 3
    a = 0.05 + (rows[:, None] == cols[None, :]).float() + 0.3 * torch.rand(60, 45, generator=g)
    r, c = spectral_coclusters(a, 3)
    assert adjusted_rand_score(rows, r) == 1.0 and adjusted_rand_score(cols, c) == 1.0
    ref = SpectralCoclustering(3, random_state=0).fit(a.numpy())
    assert adjusted_rand_score(ref.row_labels_, r) == 1.0
    with pytest.raises(ValueError, match="affinity: expected non-negative weights"):
        spectral_coclusters(a - 1, 3)


def test_pseudo_pair_loss_on_the_diagonal_is_clips_loss():
    from mmcl_lite.losses import pseudo_pair_loss
    g = torch.Generator().manual_seed(2)
    a, b = torch.randn(6, 5, generator=g), torch.randn(6, 5, generator=g)
    logits = torch.nn.functional.normalize(a, dim=1) @ torch.nn.functional.normalize(b, dim=1).T
    diag = torch.arange(6)
    torch.testing.assert_close(pseudo_pair_loss(logits, diag, diag), clip_loss(a, b, 0.0))
    with pytest.raises(ValueError, match="rows: expected at least one proposed pair"):
        pseudo_pair_loss(logits, diag[:0], diag[:0])


def test_principal_angles_of_known_subspaces():
    from mmcl_lite.evaluation import principal_angles
    e = torch.eye(4)
    assert principal_angles(e[:, :2], e[:, [0, 2]]).tolist() == [0.0, 90.0]
    tilted = torch.tensor([[1.0], [1.0], [0.0], [0.0]])
    assert principal_angles(e[:, :1], tilted).item() == pytest.approx(45.0, abs=1e-4)


def test_unpaired_batches_lift_linear_retrieval_as_nakada_et_al_find():
    """Their first experiment, shrunk: 300 pairs, then 2,000 samples per modality in batches
    whose pairing is unknown (top-B pseudo-pairs). Top-1 retrieval on held-out pairs rises."""
    from mmcl_lite.training.linear_pairs import train_linear_clip
    kw = dict(d1=40, d2=39, rank=10, noise=0.3, signal=1.0)
    paired = make_linear_pairs(300, seed=0, **kw)
    loadings = (paired.u1, paired.u2)
    test = make_linear_pairs(1000, seed=1, loadings=loadings, **kw)
    unpaired = make_linear_pairs(2000, seed=2, loadings=loadings, **kw)
    _, record = train_linear_clip(paired, unpaired, test, epochs=30, lr=1e-2, seed=0)
    before, after = (phase["epochs"][-1] for phase in record["phases"])
    assert after["top1"] >= before["top1"] + 0.04, (before, after)
    assert after["precision"] > 0.8   # most proposed pairs are the true partners


def test_unpaired_set_marks_its_pairs_and_keeps_the_pools_apart(shapes):
    from mmcl_lite.data.pairing import unpaired_set
    data = unpaired_set(shapes, 0.1, paired_share=0.5, seed=0)
    n_paired = int(data.paired.sum())
    assert abs(n_paired / len(data) - 0.5) < 0.1
    true = {tuple(x.flatten().tolist()): c for x, c in zip(shapes.images, shapes.captions)}
    own = torch.tensor([true[tuple(x.flatten().tolist())] == c
                        for x, c in zip(data.images, data.captions)])
    assert own[data.paired].all() and own[~data.paired].float().mean() < 0.05
    assert (data.attributes["caption_label"][data.paired] == data.labels[data.paired]).all()
    with pytest.raises(ValueError, match="paired_fraction: expected a fraction that leaves"):
        unpaired_set(shapes, 1.0)


def test_unpaired_clip_trains_on_pairs_first_then_on_pseudo_pairs(shapes):
    from mmcl_lite.data.pairing import unpaired_set
    from mmcl_lite.methods import UnpairedCLIP
    from mmcl_lite.train import fit
    data = unpaired_set(shapes, 0.1, seed=0)
    model = UnpairedCLIP.for_data(data, seed=0, text_width=32, text_heads=2, embed_dim=16,
                                  pseudo_rule="topb", pseudo_start=0.5)
    history = fit(model, data, epochs=4, batch_size=32, progress=False)
    first, last = history.steps[0], history.steps[-1]
    assert "proposed" not in first and last["proposed"] > 0 and 0 <= last["precision"] <= 1
    assert all(math.isfinite(s["loss"]) and s["unpaired_loss"] >= 0 for s in history.steps)
    # the teacher is a frozen copy that followed the student by EMA
    assert not any(p.requires_grad for p in model.teacher.parameters())
    assert model.batch_fields(shapes)["paired"].all()   # no mark: every caption is a pair
    with pytest.raises(ValueError, match="pseudo_threshold: expected a finite number in"):
        UnpairedCLIP.for_data(data, pseudo_threshold=2.0)


def test_contrastive_cross_covariance_is_minus_the_clip_gradient_and_finds_the_loadings():
    """-dL/dW of the image-to-text CLIP loss with s_ij = x_i^T W y_j is S(P), P the softmax of
    the logits; at equal logits its top singular vectors span the true loadings."""
    import torch.nn.functional as F
    from mmcl_lite.evaluation import principal_angles
    from mmcl_lite.training.linear_pairs import contrastive_cross_covariance
    pairs = make_linear_pairs(400, d1=12, d2=10, rank=3, noise=0.3, signal=1.0, seed=0)
    w = (0.1 * torch.randn(12, 10, generator=torch.Generator().manual_seed(1))).requires_grad_()
    logits = pairs.x @ w @ pairs.y.T
    F.cross_entropy(logits, torch.arange(400)).backward()
    s = contrastive_cross_covariance(pairs.x, pairs.y, logits.detach().softmax(1))
    assert torch.allclose(s, -w.grad, atol=1e-5)
    u, _, vh = torch.linalg.svd(contrastive_cross_covariance(pairs.x, pairs.y))
    assert principal_angles(u[:, :3], pairs.u1).max() < 15
    assert principal_angles(vh[:3].T, pairs.u2).max() < 15
    with pytest.raises(ValueError, match="y: expected 400 rows"):
        contrastive_cross_covariance(pairs.x, pairs.y[:5])
