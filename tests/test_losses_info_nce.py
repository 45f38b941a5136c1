"""info_nce against a per-query loop oracle, lightly's MoCo-style NTXentLoss, and invariants."""
import math

import pytest
import torch

from mmcl_lite.losses import info_nce
from helpers import require


def _unit(v):
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


def _dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def oracle(query, positive_key, negative_keys=None, temperature=0.1):
    """Loop over queries, float64 Python numbers: -log(e^{q.k+/t} / (e^{q.k+/t} + sum_j e^{q.k_j/t}))."""
    q = [_unit(r) for r in query.double().tolist()]
    k = [_unit(r) for r in positive_key.double().tolist()]
    losses = []
    for i in range(len(q)):
        if negative_keys is None:
            negs = [k[j] for j in range(len(k)) if j != i]
        elif negative_keys.ndim == 2:
            negs = [_unit(r) for r in negative_keys.double().tolist()]
        else:
            negs = [_unit(r) for r in negative_keys[i].double().tolist()]
        pos = math.exp(_dot(q[i], k[i]) / temperature)
        den = pos + sum(math.exp(_dot(q[i], n) / temperature) for n in negs)
        losses.append(-math.log(pos / den))
    return losses


@pytest.mark.parametrize("temperature", [0.07, 0.1, 0.5, 1.0])
@pytest.mark.parametrize("kind", ["in_batch", "shared", "per_query"])
def test_matches_loop_oracle(kind, temperature):
    g = torch.Generator().manual_seed(0)
    n, m, d = 6, 5, 8
    q, k = torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)
    neg = {"in_batch": None, "shared": torch.randn(m, d, generator=g),
           "per_query": torch.randn(n, m, d, generator=g)}[kind]
    expected = oracle(q, k, neg, temperature)
    got = info_nce(q.double(), k.double(), None if neg is None else neg.double(), temperature,
                   reduction="none")
    assert got.shape == (n,)
    torch.testing.assert_close(got, torch.tensor(expected, dtype=torch.float64))
    torch.testing.assert_close(info_nce(q, k, neg, temperature),
                               torch.tensor(sum(expected) / n, dtype=torch.float32))
    torch.testing.assert_close(info_nce(q, k, neg, temperature, reduction="sum"),
                               torch.tensor(sum(expected), dtype=torch.float32))


def test_per_query_negatives_generalise_shared_ones():
    g = torch.Generator().manual_seed(1)
    q, k, queue = torch.randn(4, 8, generator=g), torch.randn(4, 8, generator=g), torch.randn(7, 8, generator=g)
    torch.testing.assert_close(info_nce(q, k, queue), info_nce(q, k, queue.expand(4, 7, 8)))


def test_matches_lightly_ntxent_with_memory_bank_as_moco_queue():
    """lightly's NTXentLoss(memory_bank_size=(M, D)) is MoCo's loss: logits [q.k+, q.bank].

    Its forward normalises out0 (queries) and out1 (keys), reads the bank *before* enqueuing the
    keys, and uses that (M, D) bank as negatives for every query: so feeding info_nce a copy of
    the bank taken before each call must give the same number, step after step.
    """
    lightly_loss = require("lightly.loss")
    torch.manual_seed(0)
    m, d, n, t = 32, 16, 8, 0.2
    reference = lightly_loss.NTXentLoss(temperature=t, memory_bank_size=(m, d))
    for step in range(3):  # step 1 uses the random initial bank, later steps earlier batches' keys
        bank = reference.memory_bank.bank.clone()
        q = torch.randn(n, d, requires_grad=True)  # requires_grad makes lightly enqueue the keys
        k = torch.randn(n, d)
        expected = reference(q, k)
        torch.testing.assert_close(info_nce(q, k, bank, temperature=t), expected)
    # The keys of the last step were enqueued behind the earlier ones.
    assert torch.allclose(reference.memory_bank.bank[step * n:(step + 1) * n],
                          torch.nn.functional.normalize(k, dim=1))


def test_identical_embeddings_give_log_n():
    z = torch.randn(1, 8).expand(5, 8)
    torch.testing.assert_close(info_nce(z, z), torch.tensor(math.log(5)))
    # With M explicit negatives there are M + 1 candidates.
    torch.testing.assert_close(info_nce(z, z, z[:3].clone()), torch.tensor(math.log(4)))


def test_perfect_alignment_far_negatives_near_zero():
    e = torch.eye(6)  # orthogonal: positive similarity 1, negative similarity 0
    assert info_nce(e, e, temperature=0.05) < 1e-6
    # MoCo-style: negatives pointing away from every query.
    assert info_nce(e, e, -torch.ones(10, 6), temperature=0.05) < 1e-6


def test_nonnegative_and_log_n_minus_loss_is_a_finite_mi_bound():
    g = torch.Generator().manual_seed(2)
    for n in (2, 8, 64):
        loss = info_nce(torch.randn(n, 16, generator=g), torch.randn(n, 16, generator=g))
        assert loss >= 0
        bound = math.log(n) - loss  # van den Oord et al.: I(q; k) >= log(n) - loss
        assert torch.isfinite(bound) and bound <= math.log(n)


def test_scale_invariant_because_inputs_are_normalised():
    g = torch.Generator().manual_seed(3)
    q, k, neg = torch.randn(4, 8, generator=g), torch.randn(4, 8, generator=g), torch.randn(9, 8, generator=g)
    torch.testing.assert_close(info_nce(3 * q, 0.5 * k, 7 * neg), info_nce(q, k, neg))


def test_gradient_flows_to_every_input_and_a_learnable_temperature():
    g = torch.Generator().manual_seed(4)
    q = torch.randn(4, 8, generator=g, requires_grad=True)
    k = torch.randn(4, 8, generator=g, requires_grad=True)
    neg = torch.randn(4, 3, 8, generator=g, requires_grad=True)
    t = torch.tensor(0.2, requires_grad=True)
    info_nce(q, k, neg, temperature=t).backward()
    for x in (q, k, neg, t):
        assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("args, kwargs, name", [
    ((torch.randn(8), torch.randn(8)), {}, "query"),                       # wrong rank
    ((torch.randn(4, 8), torch.randn(4, 7)), {}, "positive_key"),          # mismatched shapes
    ((torch.randn(4, 8), torch.randn(5, 8)), {}, "positive_key"),
    ((torch.randn(1, 8), torch.randn(1, 8)), {}, "query"),                 # no in-batch negatives
    ((torch.randn(4, 8), torch.randn(4, 8)), {"temperature": 0.0}, "temperature"),
    ((torch.randn(4, 8), torch.randn(4, 8)), {"temperature": -0.1}, "temperature"),
    ((torch.randn(4, 8), torch.randn(4, 8)), {"temperature": float("nan")}, "temperature"),
    ((torch.full((4, 8), float("nan")), torch.randn(4, 8)), {}, "query"),  # non-finite
    ((torch.randn(4, 8), torch.randn(4, 8)), {"negative_keys": torch.full((3, 8), float("inf"))},
     "negative_keys"),
    ((torch.randn(4, 8), torch.randn(4, 8)), {"negative_keys": torch.randn(3, 7)}, "negative_keys"),
    ((torch.randn(4, 8), torch.randn(4, 8)), {"negative_keys": torch.randn(5, 3, 8)}, "negative_keys"),
    ((torch.randn(4, 8), torch.randn(4, 8)), {"negative_keys": torch.randn(8)}, "negative_keys"),
    ((torch.randn(4, 8), torch.randn(4, 8)), {"reduction": "avg"}, "reduction"),
])
def test_bad_input_raises_value_error_naming_the_argument(args, kwargs, name):
    with pytest.raises(ValueError, match=name):
        info_nce(*args, **kwargs)


def test_one_query_is_fine_with_explicit_negatives():
    assert torch.isfinite(info_nce(torch.randn(1, 8), torch.randn(1, 8), torch.randn(5, 8)))


def test_non_tensor_raises_type_error():
    with pytest.raises(TypeError, match="query"):
        info_nce([[1.0, 2.0]], torch.randn(1, 2))
