"""sinkhorn and swav_loss: loop oracles from the SwAV paper/code, lightly's SwaVLoss, invariants."""
import math

import pytest
import torch

from mmcl_lite.losses import sinkhorn, swav_loss
from helpers import require


def sinkhorn_oracle(scores, epsilon, iterations):
    """SwAV's distributed_sinkhorn, one process, as float64 loops over a K x B matrix."""
    s = scores.double().tolist()
    b, k = len(s), len(s[0])
    q = [[math.exp(s[j][i] / epsilon) for j in range(b)] for i in range(k)]  # K x B
    total = sum(map(sum, q))
    q = [[x / total for x in row] for row in q]
    for _ in range(iterations):
        for i in range(k):  # each prototype (row) gets total weight 1/K
            r = sum(q[i])
            q[i] = [x / r / k for x in q[i]]
        for j in range(b):  # each sample (column) gets total weight 1/B
            c = sum(q[i][j] for i in range(k))
            for i in range(k):
                q[i][j] = q[i][j] / c / b
    return torch.tensor([[q[i][j] * b for i in range(k)] for j in range(b)], dtype=torch.float64)


def swav_oracle(scores, codes_from, temperature, epsilon, iterations, queue_scores=None):
    """Swapped prediction written out: mean over code crops i of mean over v != i of
    -(1/B) sum_b sum_k q_i[b, k] log softmax(scores_v[b] / temperature)[k]."""
    b = len(scores[0])
    total = 0.0
    for j, i in enumerate(codes_from):
        s = scores[i] if queue_scores is None else torch.cat([queue_scores[j], scores[i]])
        q = sinkhorn_oracle(s, epsilon, iterations)[-b:].tolist()
        per_view = []
        for v in range(len(scores)):
            if v == i:
                continue
            ce = 0.0
            for row, codes in zip(scores[v].double().tolist(), q):
                logits = [x / temperature for x in row]
                log_z = math.log(sum(math.exp(x) for x in logits))
                ce -= sum(c * (x - log_z) for c, x in zip(codes, logits))
            per_view.append(ce / b)
        total += sum(per_view) / len(per_view)
    return total / len(codes_from)


def _scores(seed, crops, b=6, k=5):
    g = torch.Generator().manual_seed(seed)
    # Cosine similarities to prototypes, as in SwAV: in [-1, 1].
    return [torch.nn.functional.normalize(torch.randn(b, k, generator=g), dim=1) for _ in range(crops)]


# ---------------------------------------------------------------- sinkhorn
@pytest.mark.parametrize("epsilon, iterations", [(0.05, 3), (0.5, 1), (0.1, 10)])
def test_sinkhorn_matches_loop_oracle(epsilon, iterations):
    (s,) = _scores(0, 1, b=7, k=4)
    torch.testing.assert_close(sinkhorn(s.double(), epsilon, iterations).double(),
                               sinkhorn_oracle(s, epsilon, iterations), rtol=1e-5, atol=1e-6)


def test_sinkhorn_matches_lightly():
    lightly_swav = require("lightly.loss.swav_loss")
    (s,) = _scores(1, 1, b=32, k=16)
    torch.testing.assert_close(sinkhorn(s, 0.05, 3), lightly_swav.sinkhorn(s, iterations=3, epsilon=0.05))


@pytest.mark.parametrize("b, k, iterations", [(16, 4, 50), (64, 16, 50), (6, 12, 50), (8, 8, 1000)])
def test_sinkhorn_marginals(b, k, iterations):
    (s,) = _scores(2, 1, b=b, k=k)
    q = sinkhorn(s, epsilon=0.05, iterations=iterations)
    assert (q >= 0).all()
    torch.testing.assert_close(q.sum(dim=1), torch.ones(b))                  # an assignment per sample
    torch.testing.assert_close(q.sum(dim=0), torch.full((k,), b / k), rtol=1e-3, atol=1e-3)  # equipartition
    # Even after 3 iterations the rows are exact: the sample normalisation comes last.
    torch.testing.assert_close(sinkhorn(s).sum(dim=1), torch.ones(b))


def test_sinkhorn_is_stable_no_gradient_float32():
    (s,) = _scores(3, 1)
    # exp(100 / 0.05) overflows float32: computing in log space (logsumexp) keeps it finite, and
    # only scores / epsilon matters, so the result equals that of the unscaled problem.
    torch.testing.assert_close(sinkhorn(100 * s, epsilon=5.0), sinkhorn(s, epsilon=0.05))
    q = sinkhorn(100 * s, epsilon=0.05, iterations=50)
    assert torch.isfinite(q).all()
    torch.testing.assert_close(q.sum(dim=1), torch.ones(len(q)))
    # Codes are targets: float32 even from bf16 scores, and never part of the graph.
    q = sinkhorn(s.bfloat16().requires_grad_())
    assert q.dtype == torch.float32 and not q.requires_grad


# ---------------------------------------------------------------- swav_loss
@pytest.mark.parametrize("crops, codes_from", [(2, (0, 1)), (4, (0, 1)), (3, (0,)), (5, (1, 2))])
def test_swav_loss_matches_loop_oracle(crops, codes_from):
    scores = _scores(4, crops)
    expected = swav_oracle(scores, codes_from, 0.1, 0.05, 3)
    torch.testing.assert_close(swav_loss(scores, codes_from), torch.tensor(expected, dtype=torch.float32))


def test_swav_loss_with_queue_matches_loop_oracle():
    scores = _scores(5, 4)
    queue = _scores(6, 2, b=10)
    expected = swav_oracle(scores, (0, 1), 0.1, 0.05, 3, queue_scores=queue)
    got = swav_loss(scores, (0, 1), queue_scores=queue)
    torch.testing.assert_close(got, torch.tensor(expected, dtype=torch.float32))
    assert not torch.isclose(got, swav_loss(scores, (0, 1)))  # the queue changes the codes


@pytest.mark.parametrize("high, low", [(2, 0), (2, 4), (3, 2)])
@pytest.mark.parametrize("with_queue", [False, True])
def test_swav_loss_matches_lightly(high, low, with_queue):
    lightly_loss = require("lightly.loss")
    scores = _scores(7, high + low, b=16, k=10)
    queue = _scores(8, high, b=24, k=10) if with_queue else None
    expected = lightly_loss.SwaVLoss()(scores[:high], scores[high:], queue_outputs=queue)
    # lightly appends the queue after the batch, SwAV prepends it: Sinkhorn does not care.
    got = swav_loss(scores, codes_from=tuple(range(high)), queue_scores=queue)
    torch.testing.assert_close(got, expected.reshape(()))


def test_codes_carry_no_gradient():
    s0, s1 = (s.requires_grad_() for s in _scores(9, 2))
    swav_loss([s0, s1], codes_from=(0,)).backward()
    assert s0.grad is None  # crop 0 only supplies the (no-grad) codes
    assert s1.grad is not None and s1.grad.abs().sum() > 0


def test_swav_loss_near_minimum_when_predictions_are_confident_and_balanced():
    k = 4
    s = 10 * torch.eye(k)  # each sample at its own prototype: codes one-hot and balanced
    loss = swav_loss([s, s.clone()], temperature=0.01)
    assert loss < 1e-3


@pytest.mark.parametrize("kwargs, error, name", [
    ({"scores": torch.randn(4, 3)}, TypeError, "scores"),
    ({"scores": [torch.randn(4, 3)]}, ValueError, "scores"),
    ({"scores": [torch.randn(4, 3), torch.randn(5, 3)]}, ValueError, r"scores\[1\]"),
    ({"scores": [torch.randn(4, 3), torch.randn(4)]}, ValueError, r"scores\[1\]"),
    ({"scores": [torch.randn(4, 3), torch.full((4, 3), float("nan"))]}, ValueError, r"scores\[1\]"),
    ({"codes_from": (0, 2)}, ValueError, "codes_from"),
    ({"codes_from": (1, 1)}, ValueError, "codes_from"),
    ({"temperature": 0}, ValueError, "temperature"),
    ({"epsilon": -0.05}, ValueError, "epsilon"),
    ({"sinkhorn_iterations": 0}, ValueError, "sinkhorn_iterations"),
    ({"queue_scores": [torch.randn(8, 3)]}, ValueError, "queue_scores"),
    ({"queue_scores": [torch.randn(8, 3), torch.randn(8, 2)]}, ValueError, r"queue_scores\[1\]"),
])
def test_swav_bad_input_raises_naming_the_argument(kwargs, error, name):
    kwargs = {"scores": [torch.randn(4, 3), torch.randn(4, 3)], **kwargs}
    with pytest.raises(error, match=name):
        swav_loss(**kwargs)


@pytest.mark.parametrize("args, name", [
    ((torch.randn(4),), "scores"),
    ((torch.tensor([[float("inf"), 0.0]]),), "scores"),
    ((torch.randn(4, 3), 0.0), "epsilon"),
    ((torch.randn(4, 3), 0.05, 0), "iterations"),
])
def test_sinkhorn_bad_input_raises_value_error_naming_the_argument(args, name):
    with pytest.raises(ValueError, match=name):
        sinkhorn(*args)
