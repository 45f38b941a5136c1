"""CPC: predict the future of a series from its past, contrastively.

van den Oord, Li and Vinyals, "Representation Learning with Contrastive Predictive Coding",
arXiv:1807.03748, 2018.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..checks import check_lengths, check_positive, check_tensor, fail, said


def cpc_loss(contexts, targets, predictors, temperature=0.1, lengths=None):
    r"""InfoNCE of each context's prediction k steps ahead, against other steps and other series.

    ``contexts`` c (B, Dc, T) summarise each series up to step t (a causal network's output),
    ``targets`` z (B, D, T) are the per-step encodings, and ``predictors`` hold one linear map
    W_k per horizon k = 1..K. For every anchor (b, t) with t + k inside series b, the
    prediction p = W_k c_{b,t} must pick out z_{b,t+k} among the candidates

        N(b, t, k) = { z_{b,s} : every step s of series b }            (other time steps)
                   u { z_{b',t+k} : every other series b' of the batch }  (other series)

    that is T + B - 1 candidates, the positive z_{b,t+k} once. With p and z L2-normalised and
    tau the temperature::

        l(b, t, k) = -log( exp(p . z_{b,t+k} / tau) / sum_{n in N(b,t,k)} exp(p . n / tau) )
        loss       = 1/K sum_k  mean over the anchors (b, t) of l(b, t, k)

    Each horizon weighs the same although a longer one has fewer anchors (T - k per series).
    CPC scores with the raw bilinear product z^T W_k c; here p and z are normalised and divided
    by tau, like the kit's ``info_nce``, which keeps the logits bounded.

    Args:
        contexts: (B, Dc, T) causal summaries c_t.
        targets: (B, D, T) per-step encodings z_t.
        predictors: K maps from Dc to D, one per horizon: a sequence of modules (e.g. an
            ``nn.ModuleList`` of ``nn.Linear(Dc, D)``) or a weight tensor (K, D, Dc).
            K must be smaller than T.
        temperature: tau > 0.
        lengths: (B,) true lengths of right-padded series, or None: steps at or beyond a
            series' length are neither anchors, targets nor candidates.

    Returns:
        A scalar tensor.
    """
    check_tensor(contexts, "contexts", "(B, Dc, T)")
    check_tensor(targets, "targets", "(B, D, T)")
    b, d, t = targets.shape
    if contexts.shape[0] != b or contexts.shape[2] != t:
        fail("contexts", f"shape (B, Dc, T) with B = {b} and T = {t} as targets "
             f"{tuple(targets.shape)}", said(f"{tuple(contexts.shape)}"))
    check_positive(temperature, "temperature")
    maps = _predictor_maps(predictors, contexts.shape[1], d)
    horizons = len(maps)
    valid_len = torch.full((b,), t, device=targets.device)
    if lengths is not None:
        valid_len = check_lengths(lengths, b, t).to(targets.device)
    longest = int(valid_len.max())
    if horizons >= longest:
        fail("predictors", f"fewer than {longest} horizons (each series needs steps t and "
             f"t + k for every k = 1..K; the longest here has {longest} steps)",
             said(f"K = {horizons}"))

    z = F.normalize(targets, dim=1).transpose(1, 2)                   # (B, T, D)
    steps = torch.arange(t, device=z.device)
    inside = steps[None, :] < valid_len[:, None]                      # (B, T) real steps
    losses = []
    for k, predict in enumerate(maps, start=1):
        c = contexts[:, :, : t - k].transpose(1, 2)                   # anchors t < T - k
        p = F.normalize(predict(c.reshape(-1, c.shape[-1])).reshape(b, t - k, d), dim=-1)
        # other steps of the same series: (B, T-k, T), the positive at s = t + k
        same = torch.einsum("btd,bsd->bts", p, z).masked_fill(~inside[:, None, :], -torch.inf)
        # the same step t + k of every series: (B, T-k, B); b' = b is the positive again
        other = torch.einsum("btd,ctd->btc", p, z[:, k:])
        # (drop b' = b, and series b' whose step t + k is padding)
        drop = torch.eye(b, dtype=torch.bool, device=z.device)[:, None, :] \
            | ~inside[:, k:].T[None, :, :]
        other = other.masked_fill(drop, -torch.inf)
        logits = torch.cat([same, other], dim=-1) / temperature       # (B, T-k, T + B)
        target = (steps[: t - k] + k).expand(b, -1)                    # (B, T-k)
        anchor = inside[:, k:]                                         # t + k inside series b
        losses.append(F.cross_entropy(logits[anchor], target[anchor]))
    return torch.stack(losses).mean()


def _predictor_maps(predictors, context_dim: int, dim: int) -> list:
    """The K maps (N, Dc) -> (N, D), from a weight tensor (K, D, Dc) or a sequence of modules."""
    if isinstance(predictors, torch.Tensor):
        check_tensor(predictors, "predictors", "(K, D, Dc)")
        if predictors.shape[1:] != (dim, context_dim):
            fail("predictors", f"weights (K, D, Dc) = (K, {dim}, {context_dim})",
                 said(f"shape {tuple(predictors.shape)}"))
        return [lambda c, w=w: c @ w.T for w in predictors]
    if not hasattr(predictors, "__len__") or len(predictors) == 0 or not all(
            callable(m) for m in predictors):
        fail("predictors", "a (K, D, Dc) tensor or a non-empty list of modules Dc -> D",
             predictors, TypeError)
    return [_checked(m, k, context_dim, dim) for k, m in enumerate(predictors, start=1)]


def _checked(module, k: int, context_dim: int, dim: int):
    def predict(c):
        out = module(c)
        if not isinstance(out, torch.Tensor) or out.shape != (c.shape[0], dim):
            fail("predictors", f"maps from Dc = {context_dim} to D = {dim} (predictor of "
                 f"horizon {k})", said(f"an output of shape {tuple(getattr(out, 'shape', ()))}"))
        return out
    return predict
