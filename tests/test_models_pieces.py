"""models.ema / models.queue / models.prototypes: the invariants the methods rely on."""
import collections
import math

import pytest
import torch
import torch.nn as nn

from mmcl_lite.models import KeyQueue, Prototypes, copy_frozen, cosine_tau, ema_update


def _net(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3)).double()


# ---------------------------------------------------------------- EMA
@pytest.mark.parametrize("tau", [0.0, 0.3, 0.99, 1.0])
def test_ema_update_formula(tau):
    target, online = _net(0), _net(1)
    online(torch.randn(8, 4, dtype=torch.float64))  # give BN running stats something to copy
    before = {n: p.clone() for n, p in target.named_parameters()}
    ema_update(target, online, tau)
    for (name, t), o in zip(target.named_parameters(), online.parameters()):
        expected = tau * before[name] + (1 - tau) * o
        torch.testing.assert_close(t, expected, rtol=0, atol=1e-15)
    for t, o in zip(target.buffers(), online.buffers()):
        assert torch.equal(t, o)  # buffers are copied, not averaged


def test_ema_endpoints_are_exact():
    target, online = _net(0), _net(1)
    frozen = [p.clone() for p in target.parameters()]
    ema_update(target, online, 1.0)
    assert all(torch.equal(t, f) for t, f in zip(target.parameters(), frozen))
    ema_update(target, online, 0.0)
    assert all(torch.equal(t, o) for t, o in zip(target.parameters(), online.parameters()))


def test_ema_update_checks():
    with pytest.raises(ValueError, match="tau"):
        ema_update(_net(0), _net(1), 1.5)
    with pytest.raises(ValueError, match="target"):
        ema_update(nn.Linear(4, 5), nn.Linear(4, 6), 0.5)


def test_copy_frozen_is_an_independent_frozen_copy():
    online = _net(0)
    online(torch.randn(8, 4, dtype=torch.float64)).sum().backward()
    target = copy_frozen(online)
    for t, o in zip(target.parameters(), online.parameters()):
        assert torch.equal(t, o) and not t.requires_grad and t.grad is None
        assert t.data_ptr() != o.data_ptr()
    assert all(p.requires_grad for p in online.parameters())


def test_cosine_tau_schedule():
    base, total = 0.99, 100
    assert cosine_tau(0, total, base) == pytest.approx(base, abs=1e-15)
    assert cosine_tau(total, total, base) == 1.0
    assert cosine_tau(total // 2, total, base) == pytest.approx((1 + base) / 2)
    taus = [cosine_tau(k, total, base) for k in range(total + 1)]
    assert all(a <= b for a, b in zip(taus, taus[1:]))
    assert cosine_tau(-5, total, base) == cosine_tau(0, total, base)
    assert cosine_tau(total + 5, total, base) == 1.0
    assert cosine_tau(3, 10, 1.0) == 1.0
    k = 37
    assert cosine_tau(k, total, base) == pytest.approx(
        1 - (1 - base) * (math.cos(math.pi * k / total) + 1) / 2)
    with pytest.raises(ValueError, match="total_steps"):
        cosine_tau(0, 0, base)
    with pytest.raises(ValueError, match="base_tau"):
        cosine_tau(0, 10, -0.1)


# ---------------------------------------------------------------- queue
def test_queue_order_and_wrap_around():
    q = KeyQueue(size=5, dim=2)
    assert len(q) == 0 and q.keys().shape == (0, 2)
    rows = torch.arange(20, dtype=torch.float32).view(10, 2)  # row i = (2i, 2i+1)
    q.enqueue(rows[:3])
    assert len(q) == 3 and torch.equal(q.keys(), rows[:3])
    q.enqueue(rows[3:7])  # 7 > 5: wraps, rows 0 and 1 fall out
    assert len(q) == 5 and q.full
    assert torch.equal(q.keys(), rows[2:7])  # oldest first
    assert int(q.ptr) == 2
    q.enqueue(rows[7:10])
    assert torch.equal(q.keys(), rows[5:10])
    q.enqueue(rows[:5])  # exactly the size
    assert torch.equal(q.keys(), rows[:5])


def test_queue_matches_a_deque_oracle():
    g = torch.Generator().manual_seed(0)
    q, oracle = KeyQueue(size=7, dim=3), collections.deque(maxlen=7)
    for _ in range(30):
        b = int(torch.randint(1, 8, (1,), generator=g))
        keys = torch.randn(b, 3, generator=g)
        q.enqueue(keys)
        oracle.extend(keys)
        assert len(q) == len(oracle)
        assert torch.equal(q.keys(), torch.stack(list(oracle)))


def test_queue_errors_and_state():
    q = KeyQueue(size=4, dim=3)
    with pytest.raises(ValueError, match="keys"):
        q.enqueue(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="^keys: expected a batch that fits"):
        q.enqueue(torch.zeros(5, 3))
    with pytest.raises(ValueError, match="keys"):
        q.enqueue(torch.zeros(3))
    with pytest.raises(ValueError, match="size"):
        KeyQueue(size=0, dim=3)
    keys = torch.randn(3, 3, requires_grad=True)
    q.enqueue(keys)
    assert not q.keys().requires_grad
    r = KeyQueue(size=4, dim=3)
    r.load_state_dict(q.state_dict())  # buffers: saved with the model
    assert len(r) == 3 and torch.equal(r.keys(), q.keys())
    r.reset()
    assert len(r) == 0


# ---------------------------------------------------------------- prototypes
def test_prototypes_are_normalised_and_score_cosines():
    torch.manual_seed(0)
    protos = Prototypes(dim=6, k=4)
    torch.testing.assert_close(protos.weight.norm(dim=1), torch.ones(4))
    with torch.no_grad():
        protos.weight.mul_(torch.rand(4, 1) * 3 + 0.1)  # an optimiser step moves them off
    protos.normalize_()
    torch.testing.assert_close(protos.weight.norm(dim=1), torch.ones(4))
    z = torch.randn(5, 6)
    expected = torch.nn.functional.cosine_similarity(z[:, None], protos.weight[None], dim=2)
    torch.testing.assert_close(protos(z), expected)
    with pytest.raises(ValueError, match="z"):
        protos(torch.randn(5, 7))


def test_frozen_prototypes_get_no_gradient():
    protos = Prototypes(dim=6, k=4)
    z = torch.randn(5, 6, requires_grad=True)
    protos.freeze()
    protos(z).square().sum().backward()
    assert protos.weight.grad is None and z.grad is not None
    protos.freeze(False)
    protos(z).square().sum().backward()
    assert protos.weight.grad is not None and protos.weight.grad.abs().sum() > 0


def test_mlp_head_slices_to_plain_sequential():
    from mmcl_lite.models import MLPHead

    head = MLPHead(8, 16, 4)
    body = head[:-1]
    assert isinstance(body, torch.nn.Sequential) and len(body) == len(head) - 1
    x = torch.randn(5, 8)
    head.eval()
    assert torch.equal(head[-1](body(x)), head(x))
    assert isinstance(head[0], torch.nn.Linear)
