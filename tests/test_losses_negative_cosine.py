"""negative_cosine_similarity / symmetric_negative_cosine: oracle, lightly, stop-gradient, BYOL."""
import math

import pytest
import torch

from mmcl_lite.losses import negative_cosine_similarity, symmetric_negative_cosine
from helpers import require


def oracle(p, z):
    """-(1/N) sum_i p_i.z_i / (||p_i|| ||z_i||), float64 loop."""
    total = 0.0
    for a, b in zip(p.double().tolist(), z.double().tolist()):
        dot = sum(x * y for x, y in zip(a, b))
        total += dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    return -total / len(p)


def _pair(seed, n=6, d=8):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)


def test_matches_loop_oracle():
    p, z = _pair(0)
    torch.testing.assert_close(negative_cosine_similarity(p.double(), z.double()),
                               torch.tensor(oracle(p, z), dtype=torch.float64))


def test_matches_lightly_value():
    lightly_loss = require("lightly.loss")
    p, z = _pair(1, n=32, d=64)
    torch.testing.assert_close(negative_cosine_similarity(p, z),
                               lightly_loss.NegativeCosineSimilarity()(p, z))


def test_stop_gradient_really_stops_it():
    p, z = (x.requires_grad_() for x in _pair(2))
    negative_cosine_similarity(p, z).backward()
    assert z.grad is None or not z.grad.any()
    assert p.grad is not None and p.grad.abs().sum() > 0


def test_gradient_on_p_matches_lightly_with_an_explicit_detach():
    # lightly's NegativeCosineSimilarity leaves the stop-gradient to the caller (its SimSiam
    # example detaches z); here it is part of the loss. With z detached by hand they agree.
    lightly_loss = require("lightly.loss")
    a, b = _pair(3)
    grads = []
    for fn in (negative_cosine_similarity,
               lambda p, z: lightly_loss.NegativeCosineSimilarity()(p, z.detach())):
        p, z = a.clone().requires_grad_(), b.clone().requires_grad_()
        fn(p, z).backward()
        grads.append(p.grad)
        assert z.grad is None
    torch.testing.assert_close(grads[0], grads[1])


def test_extremes():
    p, _ = _pair(4)
    torch.testing.assert_close(negative_cosine_similarity(p, 3 * p), torch.tensor(-1.0))
    torch.testing.assert_close(negative_cosine_similarity(p, -p), torch.tensor(1.0))


def test_symmetric_version_matches_its_formula_and_is_symmetric():
    p1, p2 = _pair(5)
    z1, z2 = _pair(6)
    expected = 0.5 * (oracle(p1, z2) + oracle(p2, z1))
    got = symmetric_negative_cosine(p1, p2, z1, z2)
    torch.testing.assert_close(got, torch.tensor(expected, dtype=torch.float32))
    # Swapping the two views (p1, z1) <-> (p2, z2) changes nothing.
    torch.testing.assert_close(symmetric_negative_cosine(p2, p1, z2, z1), got)


def test_symmetric_version_stops_gradient_on_both_targets():
    p1, p2, z1, z2 = (x.requires_grad_() for x in (*_pair(7), *_pair(8)))
    symmetric_negative_cosine(p1, p2, z1, z2).backward()
    assert z1.grad is None and z2.grad is None
    assert p1.grad.abs().sum() > 0 and p2.grad.abs().sum() > 0


def test_byol_loss_is_an_affine_map_of_it():
    p, z = _pair(9)
    pn, zn = torch.nn.functional.normalize(p, dim=1), torch.nn.functional.normalize(z, dim=1)
    byol = (pn - zn).pow(2).sum(dim=1).mean()  # Grill et al.: ||p/|p| - z/|z| ||^2 = 2 - 2cos
    torch.testing.assert_close(byol, 2 + 2 * negative_cosine_similarity(p, z))


@pytest.mark.parametrize("fn, args, name", [
    (negative_cosine_similarity, (torch.randn(8), torch.randn(8)), "p"),
    (negative_cosine_similarity, (torch.randn(4, 8), torch.randn(4, 6)), "z"),
    (negative_cosine_similarity, (torch.full((4, 8), float("nan")), torch.randn(4, 8)), "p"),
    (negative_cosine_similarity, (torch.randn(4, 8), torch.full((4, 8), float("inf"))), "z"),
    (symmetric_negative_cosine, (torch.randn(4, 8), torch.randn(4, 8), torch.randn(4, 8),
                                 torch.randn(3, 8)), "z2"),
    (symmetric_negative_cosine, (torch.randn(4, 8), torch.randn(4, 8, 2), torch.randn(4, 8),
                                 torch.randn(4, 8)), "p2"),
    (symmetric_negative_cosine, (torch.randn(4, 8), torch.randn(4, 8),
                                 torch.full((4, 8), float("nan")), torch.randn(4, 8)), "z1"),
])
def test_bad_input_raises_value_error_naming_the_argument(fn, args, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        fn(*args)
