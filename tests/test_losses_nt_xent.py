"""nt_xent against SimCLR's Algorithm 1 as a loop, lightly's NTXentLoss, and invariants."""
import math

import pytest
import torch

from mmcl_lite.losses import info_nce, nt_xent
from helpers import require


def simclr_algorithm_1(z1, z2, temperature):
    """Chen et al. 2020, Algorithm 1, in float64 Python numbers.

    z_{2k-1}, z_{2k} are the two views of sample k; s_ij = cosine similarity;
    l(i, j) = -log( exp(s_ij/t) / sum_{k != i} exp(s_ik/t) );
    L = 1/(2N) sum_k [ l(2k-1, 2k) + l(2k, 2k-1) ].
    """
    z = []
    for a, b in zip(z1.double().tolist(), z2.double().tolist()):
        z += [a, b]  # interleaved as in the paper (1-based 2k-1, 2k -> 0-based 2k, 2k+1)

    def s(i, j):
        dot = sum(x * y for x, y in zip(z[i], z[j]))
        return dot / math.sqrt(sum(x * x for x in z[i]) * sum(y * y for y in z[j]))

    def l(i, j):
        den = sum(math.exp(s(i, k) / temperature) for k in range(len(z)) if k != i)
        return -math.log(math.exp(s(i, j) / temperature) / den)

    n = len(z1)
    return sum(l(2 * k, 2 * k + 1) + l(2 * k + 1, 2 * k) for k in range(n)) / (2 * n)


@pytest.mark.parametrize("n, d, temperature", [(2, 3, 0.5), (5, 8, 0.1), (8, 16, 0.5), (7, 4, 1.0)])
def test_matches_simclr_algorithm_1(n, d, temperature):
    g = torch.Generator().manual_seed(n)
    z1, z2 = torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)
    expected = simclr_algorithm_1(z1, z2, temperature)
    torch.testing.assert_close(nt_xent(z1.double(), z2.double(), temperature),
                               torch.tensor(expected, dtype=torch.float64))
    torch.testing.assert_close(nt_xent(z1, z2, temperature), torch.tensor(expected, dtype=torch.float32))


@pytest.mark.parametrize("n, d, temperature", [(4, 8, 0.5), (32, 64, 0.1), (16, 128, 0.2)])
def test_matches_lightly_ntxent(n, d, temperature):
    lightly_loss = require("lightly.loss")
    g = torch.Generator().manual_seed(d)
    z1, z2 = torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)
    expected = lightly_loss.NTXentLoss(temperature=temperature)(z1, z2)
    torch.testing.assert_close(nt_xent(z1, z2, temperature), expected)


def test_gradients_match_lightly():
    lightly_loss = require("lightly.loss")
    g = torch.Generator().manual_seed(5)
    a, b = torch.randn(6, 8, generator=g), torch.randn(6, 8, generator=g)
    grads = []
    for fn in (nt_xent, lightly_loss.NTXentLoss(temperature=0.5)):
        z1, z2 = a.clone().requires_grad_(), b.clone().requires_grad_()
        fn(z1, z2).backward()
        grads.append((z1.grad, z2.grad))
    torch.testing.assert_close(grads[0], grads[1])


def test_symmetric_in_the_two_views():
    g = torch.Generator().manual_seed(1)
    z1, z2 = torch.randn(6, 8, generator=g), torch.randn(6, 8, generator=g)
    torch.testing.assert_close(nt_xent(z1, z2), nt_xent(z2, z1))


def test_identical_embeddings_give_log_of_2n_minus_1():
    z = torch.ones(4, 8)  # every anchor sees 2N - 1 equal candidates
    torch.testing.assert_close(nt_xent(z, z), torch.tensor(math.log(7)))


def test_perfect_alignment_orthogonal_negatives_near_zero():
    e = torch.eye(8)
    assert nt_xent(e, e, temperature=0.02) < 1e-6


def test_self_mask_leaves_finite_gradients():
    g = torch.Generator().manual_seed(2)
    z1 = torch.randn(5, 8, generator=g, requires_grad=True)
    z2 = torch.randn(5, 8, generator=g, requires_grad=True)
    loss = nt_xent(z1, z2)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(z1.grad).all() and torch.isfinite(z2.grad).all()


def test_scale_invariant_and_differs_from_one_way_info_nce():
    g = torch.Generator().manual_seed(3)
    z1, z2 = torch.randn(6, 8, generator=g), torch.randn(6, 8, generator=g)
    torch.testing.assert_close(nt_xent(10 * z1, 0.1 * z2), nt_xent(z1, z2))
    # NT-Xent also uses same-view negatives, so every anchor's denominator is larger than in
    # InfoNCE with in-batch negatives, taken in both directions.
    both_ways = (info_nce(z1, z2, temperature=0.5) + info_nce(z2, z1, temperature=0.5)) / 2
    assert nt_xent(z1, z2) > both_ways


@pytest.mark.parametrize("args, kwargs, name", [
    ((torch.randn(8), torch.randn(8)), {}, "z1"),
    ((torch.randn(4, 8), torch.randn(4, 8, 1)), {}, "z2"),
    ((torch.randn(4, 8), torch.randn(3, 8)), {}, "z2"),
    ((torch.randn(1, 8), torch.randn(1, 8)), {}, "z1"),
    ((torch.randn(4, 8), torch.randn(4, 8)), {"temperature": 0}, "temperature"),
    ((torch.randn(4, 8), torch.randn(4, 8)), {"temperature": -1.0}, "temperature"),
    ((torch.randn(4, 8), torch.randn(4, 8)), {"temperature": float("inf")}, "temperature"),
    ((torch.randn(4, 8), torch.tensor([[float("nan")] * 8] * 4)), {}, "z2"),
    ((torch.full((4, 8), float("-inf")), torch.randn(4, 8)), {}, "z1"),
])
def test_bad_input_raises_value_error_naming_the_argument(args, kwargs, name):
    with pytest.raises(ValueError, match=name):
        nt_xent(*args, **kwargs)
