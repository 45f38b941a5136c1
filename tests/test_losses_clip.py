"""clip_loss against a loop oracle, open_clip's ClipLoss, InfoNCE both ways, and invariants."""
import math

import pytest
import torch

from mmcl_lite.losses import clip_loss, info_nce
from helpers import require


def oracle(image_emb, text_emb, logit_scale):
    """Radford et al. 2021, Figure 3, as float64 loops: mean of the image->text and text->image
    cross-entropies of exp(logit_scale) * cosine similarity."""
    scale = math.exp(logit_scale)

    def unit(v):
        norm = math.sqrt(sum(x * x for x in v))
        return [x / norm for x in v]

    images = [unit(r) for r in image_emb.double().tolist()]
    texts = [unit(r) for r in text_emb.double().tolist()]
    logits = [[scale * sum(a * b for a, b in zip(i, t)) for t in texts] for i in images]
    n = len(images)

    def ce(rows):
        return sum(-rows[r][r] + math.log(sum(math.exp(x) for x in rows[r])) for r in range(n)) / n

    transposed = [[logits[j][i] for j in range(n)] for i in range(n)]
    return (ce(logits) + ce(transposed)) / 2


def _pair(seed, n=6, d=8):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)


@pytest.mark.parametrize("logit_scale", [0.0, math.log(1 / 0.07), math.log(100)])
def test_matches_loop_oracle(logit_scale):
    i, t = _pair(0)
    expected = torch.tensor(oracle(i, t, logit_scale), dtype=torch.float64)
    torch.testing.assert_close(clip_loss(i.double(), t.double(), torch.tensor(logit_scale).double()),
                               expected)
    torch.testing.assert_close(clip_loss(i, t, logit_scale), expected.float())  # a float works too


@pytest.mark.parametrize("n, d", [(4, 8), (32, 64)])
def test_matches_open_clip(n, d):
    open_clip_loss = require("open_clip.loss")
    i, t = _pair(n, n, d)
    logit_scale = torch.tensor(math.log(1 / 0.07))
    # open_clip's ClipLoss expects normalised features (the model normalises) and exp(logit_scale).
    ni, nt = torch.nn.functional.normalize(i, dim=1), torch.nn.functional.normalize(t, dim=1)
    expected = open_clip_loss.ClipLoss()(ni, nt, logit_scale.exp())
    torch.testing.assert_close(clip_loss(i, t, logit_scale), expected)


def test_symmetric_under_swapping_the_towers():
    i, t = _pair(1)
    torch.testing.assert_close(clip_loss(t, i, 2.0), clip_loss(i, t, 2.0))


def test_is_info_nce_in_both_directions():
    i, t = _pair(2)
    s = 2.5
    both = (info_nce(i, t, temperature=math.exp(-s)) + info_nce(t, i, temperature=math.exp(-s))) / 2
    torch.testing.assert_close(clip_loss(i, t, s), both)


def test_gradient_reaches_both_towers_and_the_learnable_scale():
    i, t = (x.requires_grad_() for x in _pair(3))
    logit_scale = torch.tensor(math.log(1 / 0.07), requires_grad=True)
    clip_loss(i, t, logit_scale).backward()
    for x in (i, t, logit_scale):
        assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_matched_pairs_give_near_zero_loss():
    e = torch.eye(5)
    assert clip_loss(e, e, math.log(100)) < 1e-6


@pytest.mark.parametrize("args, error, name", [
    ((torch.randn(8), torch.randn(8), 1.0), ValueError, "image_emb"),
    ((torch.randn(4, 8), torch.randn(4, 7), 1.0), ValueError, "text_emb"),
    ((torch.randn(1, 8), torch.randn(1, 8), 1.0), ValueError, "image_emb"),
    ((torch.randn(4, 8), torch.full((4, 8), float("nan")), 1.0), ValueError, "text_emb"),
    ((torch.randn(4, 8), torch.randn(4, 8), float("inf")), ValueError, "logit_scale"),
    ((torch.randn(4, 8), torch.randn(4, 8), torch.ones(2)), ValueError, "logit_scale"),
    ((torch.randn(4, 8), torch.randn(4, 8), "2.0"), TypeError, "logit_scale"),
])
def test_bad_input_raises_naming_the_argument(args, error, name):
    with pytest.raises(error, match=name):
        clip_loss(*args)
