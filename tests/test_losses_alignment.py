"""alignment / uniformity against loop oracles, Wang and Isola's own code, and invariants."""
import math

import pytest
import torch

from mmcl_lite.losses import alignment, uniformity


def _unit(v):
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


def _sq_dist(a, b):
    return sum((x - y) ** 2 for x, y in zip(a, b))


def alignment_oracle(z1, z2, alpha):
    """E over positive pairs of ||f(x) - f(y)||^alpha, f normalised; float64 loop."""
    pairs = list(zip(z1.double().tolist(), z2.double().tolist()))
    return sum(_sq_dist(_unit(a), _unit(b)) ** (alpha / 2) for a, b in pairs) / len(pairs)


def uniformity_oracle(z, t):
    """log E over distinct pairs i < j of exp(-t ||f(x_i) - f(x_j)||^2); float64 loop."""
    f = [_unit(r) for r in z.double().tolist()]
    terms = [math.exp(-t * _sq_dist(f[i], f[j])) for i in range(len(f)) for j in range(i + 1, len(f))]
    return math.log(sum(terms) / len(terms))


# Wang and Isola's reference code (github.com/SsnL/align_uniform), applied to normalised inputs.
def paper_align_loss(x, y, alpha=2):
    return (x - y).norm(p=2, dim=1).pow(alpha).mean()


def paper_uniform_loss(x, t=2):
    return torch.pdist(x, p=2).pow(2).mul(-t).exp().mean().log()


@pytest.mark.parametrize("alpha", [1, 2, 3.5])
def test_alignment_matches_oracle_and_paper_code(alpha):
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(7, 5, generator=g), torch.randn(7, 5, generator=g)
    expected = torch.tensor(alignment_oracle(z1, z2, alpha), dtype=torch.float64)
    torch.testing.assert_close(alignment(z1.double(), z2.double(), alpha), expected)
    n1, n2 = torch.nn.functional.normalize(z1, dim=1), torch.nn.functional.normalize(z2, dim=1)
    torch.testing.assert_close(alignment(z1, z2, alpha), paper_align_loss(n1, n2, alpha))


@pytest.mark.parametrize("t", [0.5, 2, 10])
def test_uniformity_matches_oracle_and_paper_code(t):
    g = torch.Generator().manual_seed(1)
    z = torch.randn(9, 4, generator=g)
    expected = torch.tensor(uniformity_oracle(z, t), dtype=torch.float64)
    torch.testing.assert_close(uniformity(z.double(), t), expected)
    torch.testing.assert_close(uniformity(z, t),
                               paper_uniform_loss(torch.nn.functional.normalize(z, dim=1), t))


def test_alignment_extremes():
    z = torch.randn(5, 3)
    assert alignment(z, 2 * z) < 1e-6                              # same directions
    torch.testing.assert_close(alignment(z, -z, alpha=2), torch.tensor(4.0))  # antipodal: ||2u||^2


def test_uniform_circle_beats_a_clump():
    angles = torch.arange(12) * (2 * math.pi / 12)
    circle = torch.stack([angles.cos(), angles.sin()], dim=1)
    clump = torch.tensor([[1.0, 0.0]]) + 0.05 * torch.randn(12, 2, generator=torch.Generator().manual_seed(2))
    assert uniformity(circle) < uniformity(clump) - 1.0
    # One point repeated: every pair at distance 0, the maximum exp(0) = 1, log 1 = 0.
    torch.testing.assert_close(uniformity(torch.ones(6, 3)), torch.tensor(0.0), atol=1e-6, rtol=0)


def test_uniformity_large_t_does_not_underflow_to_minus_inf():
    z = torch.eye(4)  # all pairwise squared distances are 2
    torch.testing.assert_close(uniformity(z, t=1000), torch.tensor(-2000.0))


def test_gradients_are_finite_even_with_duplicate_points():
    z = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], requires_grad=True)
    (uniformity(z) + alignment(z, z.flip(0))).backward()
    assert torch.isfinite(z.grad).all()


@pytest.mark.parametrize("fn, args, kwargs, name", [
    (alignment, (torch.randn(8), torch.randn(8)), {}, "z1"),
    (alignment, (torch.randn(4, 8), torch.randn(4, 9)), {}, "z2"),
    (alignment, (torch.randn(4, 8), torch.randn(4, 8)), {"alpha": 0}, "alpha"),
    (alignment, (torch.randn(4, 8), torch.full((4, 8), float("nan"))), {}, "z2"),
    (uniformity, (torch.randn(2, 3, 4),), {}, "z"),
    (uniformity, (torch.randn(1, 8),), {}, "z"),
    (uniformity, (torch.randn(4, 8),), {"t": -2}, "t"),
    (uniformity, (torch.full((4, 8), float("inf")),), {}, "z"),
])
def test_bad_input_raises_value_error_naming_the_argument(fn, args, kwargs, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        fn(*args, **kwargs)
