"""The series losses (CPC, TS2Vec's hierarchical loss, TS-TCC's temporal contrasting) against
plain loop oracles written from the papers, their edge cases and their bad inputs."""
import math

import pytest
import torch

from mmcl_lite.losses import (cpc_loss, hierarchical_contrastive_loss, instance_contrastive_loss,
                              temporal_contrast_loss, temporal_contrastive_loss)


def _unit(v):
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


def _dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def _nll(logits, positive):
    """-log softmax(logits)[positive], in float64 Python numbers."""
    top = max(logits)
    return -(logits[positive] - top - math.log(sum(math.exp(v - top) for v in logits)))


# --------------------------------------------------------------------------------------- CPC
def cpc_oracle(contexts, targets, weights, temperature, lengths=None):
    """Loop over k, b, t: W_k c_{b,t} against z_{b,s} (every step s of b) and z_{b',t+k}
    (every other series b'), positive z_{b,t+k}; mean per horizon, then over horizons."""
    c = contexts.double().tolist()          # [b][channel][t]
    z = targets.double().tolist()
    w = weights.double().tolist()           # [k][d][dc]
    n_series, t_len = len(z), len(z[0][0])
    lens = [t_len] * n_series if lengths is None else lengths.tolist()
    zs = [[_unit([z[b][i][s] for i in range(len(z[b]))]) for s in range(t_len)]
          for b in range(n_series)]
    per_horizon = []
    for k in range(1, len(w) + 1):
        terms = []
        for b in range(n_series):
            for t in range(lens[b] - k):
                ct = [c[b][j][t] for j in range(len(c[b]))]
                p = _unit([_dot(row, ct) for row in w[k - 1]])
                logits = [_dot(p, zs[b][s]) / temperature for s in range(lens[b])]
                positive = t + k
                logits += [_dot(p, zs[o][t + k]) / temperature for o in range(n_series)
                           if o != b and t + k < lens[o]]
                terms.append(_nll(logits, positive))
        per_horizon.append(sum(terms) / len(terms))
    return sum(per_horizon) / len(per_horizon)


def _cpc_inputs(b=3, dc=5, d=4, t=7, k=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(b, dc, t, generator=g), torch.randn(b, d, t, generator=g),
            torch.randn(k, d, dc, generator=g))


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
def test_cpc_matches_loop_oracle(temperature):
    c, z, w = _cpc_inputs()
    expected = cpc_oracle(c, z, w, temperature)
    got = cpc_loss(c.double(), z.double(), w.double(), temperature=temperature)
    torch.testing.assert_close(got, torch.tensor(expected, dtype=torch.float64))


def test_cpc_matches_loop_oracle_with_padded_series():
    c, z, w = _cpc_inputs(b=4, t=9)
    lengths = torch.tensor([9, 5, 2, 7])   # series 2 is too short for any anchor at k >= 2
    expected = cpc_oracle(c, z, w, 0.2, lengths)
    got = cpc_loss(c.double(), z.double(), w.double(), temperature=0.2, lengths=lengths)
    torch.testing.assert_close(got, torch.tensor(expected, dtype=torch.float64))
    # the padding's values do not matter
    z2 = z.clone()
    z2[1, :, 5:] = 100.0
    torch.testing.assert_close(cpc_loss(c, z2, w, 0.2, lengths=lengths),
                               cpc_loss(c, z, w, 0.2, lengths=lengths))


def test_cpc_module_list_equals_weight_tensor_and_one_series_works():
    c, z, w = _cpc_inputs(b=1)
    linears = torch.nn.ModuleList(torch.nn.Linear(5, 4, bias=False) for _ in range(3))
    with torch.no_grad():
        for lin, wk in zip(linears, w):
            lin.weight.copy_(wk)
    torch.testing.assert_close(cpc_loss(c, z, linears), cpc_loss(c, z, w))
    # B = 1: only the series' other steps are negatives
    torch.testing.assert_close(cpc_loss(c.double(), z.double(), w.double()),
                               torch.tensor(cpc_oracle(c, z, w, 0.1), dtype=torch.float64))


def test_cpc_identical_targets_give_log_of_the_candidates():
    c, _, w = _cpc_inputs(b=3, t=6)
    z = torch.ones(3, 4, 6)
    # T steps of the series + B - 1 other series, all scored alike
    torch.testing.assert_close(cpc_loss(c, z, w), torch.tensor(math.log(6 + 3 - 1)))


def test_cpc_gradient_reaches_contexts_targets_and_predictors():
    c, z, w = (x.requires_grad_() for x in _cpc_inputs())
    cpc_loss(c, z, w).backward()
    for x in (c, z, w):
        assert x.grad is not None and bool(torch.isfinite(x.grad).all()) and x.grad.abs().sum() > 0


def test_cpc_bad_inputs():
    c, z, w = _cpc_inputs(t=3)
    with pytest.raises(ValueError, match="^predictors.*fewer than 3 horizons"):
        cpc_loss(c, z, w)                       # K = 3 >= T = 3
    c, z, w = _cpc_inputs(t=7)
    with pytest.raises(ValueError, match="^predictors"):
        cpc_loss(c, z, w, lengths=torch.tensor([3, 2, 3]))   # no series reaches t + 3
    with pytest.raises(ValueError, match="^predictors"):
        cpc_loss(c, z, torch.randn(3, 4, 4))    # Dc mismatch
    with pytest.raises(ValueError, match="^predictors"):
        cpc_loss(c, z, [torch.nn.Linear(5, 3)])  # outputs D = 3, targets have 4
    with pytest.raises(TypeError, match="^predictors"):
        cpc_loss(c, z, [])
    with pytest.raises(ValueError, match="^contexts"):
        cpc_loss(c[:, :, :5], z, w)
    with pytest.raises(ValueError, match="^targets"):
        cpc_loss(c, z[0], w)
    with pytest.raises(TypeError, match="^targets"):
        cpc_loss(c, z.long(), w)
    with pytest.raises(ValueError, match="^targets"):
        cpc_loss(c, torch.full_like(z, float("nan")), w)
    with pytest.raises(ValueError, match="^temperature"):
        cpc_loss(c, z, w, temperature=0)
    with pytest.raises(ValueError, match="^lengths"):
        cpc_loss(c, z, w, lengths=torch.tensor([7, 8, 7]))
    with pytest.raises(TypeError, match="^lengths"):
        cpc_loss(c, z, w, lengths=torch.tensor([7.0, 7.0, 7.0]))


# ------------------------------------------------------------------------------- TS2Vec
def _nll_other_view(vectors, i, j):
    """-log( exp(v_i . v_j) / sum_{m != i} exp(v_i . v_m) ), plain dot products."""
    logits = [_dot(vectors[i], vectors[m]) for m in range(len(vectors)) if m != i]
    return _nll(logits, j if j < i else j - 1)


def _instance_oracle(z1, z2):
    """z1, z2 as nested lists [b][t][d]."""
    b, t = len(z1), len(z1[0])
    if b == 1:
        return 0.0
    terms = []
    for s in range(t):
        vectors = [z1[i][s] for i in range(b)] + [z2[i][s] for i in range(b)]
        terms += [_nll_other_view(vectors, i, (i + b) % (2 * b)) for i in range(2 * b)]
    return sum(terms) / len(terms)


def _temporal_oracle(z1, z2):
    b, t = len(z1), len(z1[0])
    if t == 1:
        return 0.0
    terms = []
    for i in range(b):
        vectors = z1[i] + z2[i]
        terms += [_nll_other_view(vectors, s, (s + t) % (2 * t)) for s in range(2 * t)]
    return sum(terms) / len(terms)


def _halve(z):
    """Max-pool of kernel 2 along time, a last odd step dropped."""
    return [[[max(a, b) for a, b in zip(seq[2 * s], seq[2 * s + 1])] for s in range(len(seq) // 2)]
            for seq in z]


def hierarchical_oracle(z1, z2, alpha, temporal_unit):
    """TS2Vec's loss with loops: z (B, D, T) tensors; levels until T == 1, then mean."""
    a = z1.double().transpose(1, 2).tolist()  # [b][t][d]
    b = z2.double().transpose(1, 2).tolist()
    levels = []
    while len(a[0]) > 1:
        level = alpha * _instance_oracle(a, b)
        if len(levels) >= temporal_unit:
            level += (1 - alpha) * _temporal_oracle(a, b)
        levels.append(level)
        a, b = _halve(a), _halve(b)
    levels.append(alpha * _instance_oracle(a, b))
    return sum(levels) / len(levels)


@pytest.mark.parametrize("alpha,unit,shape", [(0.5, 0, (3, 4, 7)), (0.3, 1, (2, 3, 10)),
                                              (1.0, 0, (3, 2, 5)), (0.0, 0, (2, 3, 6)),
                                              (0.5, 0, (1, 3, 6)), (0.5, 5, (3, 2, 9))])
def test_hierarchical_matches_loop_oracle(alpha, unit, shape):
    g = torch.Generator().manual_seed(sum(shape))
    z1, z2 = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
    expected = hierarchical_oracle(z1, z2, alpha, unit)
    got = hierarchical_contrastive_loss(z1.double(), z2.double(), alpha=alpha, temporal_unit=unit)
    torch.testing.assert_close(got, torch.tensor(expected, dtype=torch.float64))


def test_instance_and_temporal_terms_match_their_oracles_and_are_symmetric():
    g = torch.Generator().manual_seed(5)
    z1, z2 = torch.randn(4, 3, 5, generator=g).double(), torch.randn(4, 3, 5, generator=g).double()
    a, b = z1.transpose(1, 2).tolist(), z2.transpose(1, 2).tolist()
    torch.testing.assert_close(instance_contrastive_loss(z1, z2),
                               torch.tensor(_instance_oracle(a, b), dtype=torch.float64))
    torch.testing.assert_close(temporal_contrastive_loss(z1, z2),
                               torch.tensor(_temporal_oracle(a, b), dtype=torch.float64))
    torch.testing.assert_close(hierarchical_contrastive_loss(z1, z2),
                               hierarchical_contrastive_loss(z2, z1))


def test_hierarchical_edge_cases():
    z = torch.randn(1, 3, 1)
    assert float(hierarchical_contrastive_loss(z, z)) == 0.0   # one series, one step: no pairs
    z1, z2 = torch.randn(3, 4, 1), torch.randn(3, 4, 1)        # one step: the instance term alone
    torch.testing.assert_close(hierarchical_contrastive_loss(z1, z2, alpha=0.25),
                               0.25 * instance_contrastive_loss(z1, z2))
    z1, z2 = torch.randn(3, 4, 8, requires_grad=True), torch.randn(3, 4, 8, requires_grad=True)
    hierarchical_contrastive_loss(z1, z2).backward()
    assert z1.grad.abs().sum() > 0 and z2.grad.abs().sum() > 0


def test_hierarchical_bad_inputs():
    z = torch.randn(2, 3, 4)
    with pytest.raises(ValueError, match="^z2"):
        hierarchical_contrastive_loss(z, z[:, :, :3])
    with pytest.raises(ValueError, match="^z1"):
        hierarchical_contrastive_loss(z[0], z[0])
    with pytest.raises(ValueError, match="^alpha"):
        hierarchical_contrastive_loss(z, z, alpha=1.5)
    with pytest.raises(ValueError, match="^temporal_unit"):
        hierarchical_contrastive_loss(z, z, temporal_unit=-1)
    with pytest.raises(ValueError, match="^z1"):
        hierarchical_contrastive_loss(torch.full_like(z, float("inf")), z)


# ----------------------------------------------------------------------------- TS-TCC
def temporal_contrast_oracle(context, future, weights, temperature):
    """Loop over k and b: W_k c_b against z_{b', t+k} for every b', positive b' = b."""
    c, z, w = context.double().tolist(), future.double().tolist(), weights.double().tolist()
    terms = []
    for k in range(len(w)):
        for b in range(len(c)):
            p = [_dot(row, c[b]) for row in w[k]]
            logits = [_dot(p, [z[o][i][k] for i in range(len(z[o]))]) / temperature
                      for o in range(len(c))]
            terms.append(_nll(logits, b))
    return sum(terms) / len(terms)


@pytest.mark.parametrize("temperature", [0.2, 1.0])
def test_temporal_contrast_matches_loop_oracle(temperature):
    g = torch.Generator().manual_seed(7)
    c, z, w = torch.randn(5, 6, generator=g), torch.randn(5, 4, 3, generator=g), \
        torch.randn(3, 4, 6, generator=g)
    expected = temporal_contrast_oracle(c, z, w, temperature)
    got = temporal_contrast_loss(c.double(), z.double(), w.double(), temperature)
    torch.testing.assert_close(got, torch.tensor(expected, dtype=torch.float64))
    linears = torch.nn.ModuleList(torch.nn.Linear(6, 4, bias=False) for _ in range(3))
    with torch.no_grad():
        for lin, wk in zip(linears, w):
            lin.weight.copy_(wk)
    torch.testing.assert_close(temporal_contrast_loss(c, z, linears, temperature),
                               temporal_contrast_loss(c, z, w, temperature))


def test_temporal_contrast_bad_inputs():
    c, z, w = torch.randn(4, 6), torch.randn(4, 5, 3), torch.randn(3, 5, 6)
    with pytest.raises(ValueError, match="^context"):
        temporal_contrast_loss(c[:1], z[:1], w)
    with pytest.raises(ValueError, match="^future"):
        temporal_contrast_loss(c, z[:3], w)
    with pytest.raises(ValueError, match="^predictors"):
        temporal_contrast_loss(c, z, w[:2])
    with pytest.raises(ValueError, match="^predictors"):
        temporal_contrast_loss(c, z, torch.randn(3, 5, 7))
    with pytest.raises(ValueError, match="^temperature"):
        temporal_contrast_loss(c, z, w, temperature=-1)
