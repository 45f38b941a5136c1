"""Momentum (EMA) copies of a network: MoCo's key encoder, BYOL's target network.

A slow-moving average of the online weights gives targets that change smoothly from step to
step: MoCo's queue then holds keys that stay comparable for thousands of steps, and BYOL's
online network chases a target that cannot jump along with it (which would allow collapse).
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn as nn

from ..checks import check_int, check_probability, fail, said


def copy_frozen(module: nn.Module) -> nn.Module:
    """A deep copy of ``module`` whose parameters have ``requires_grad=False`` and no ``.grad``:
    the starting point of a momentum / target network (updated by :func:`ema_update`, never by
    the optimiser)."""
    frozen = copy.deepcopy(module)
    for p in frozen.parameters():
        p.requires_grad_(False)
        p.grad = None
    return frozen


@torch.no_grad()
def ema_update(target: nn.Module, online: nn.Module, tau: float) -> None:
    r"""In place, for every parameter:  theta_target <- tau * theta_target + (1 - tau) * theta_online.

    ``tau = 1`` leaves the target unchanged, ``tau = 0`` makes it an exact copy of the online
    network. Buffers (BatchNorm running statistics) are not averaged but copied from the online
    network, so that the target's eval-mode statistics match the weights it mostly follows.
    ``target`` and ``online`` must have the same architecture (same parameter names and shapes).
    """
    tau = check_probability(tau, "tau")
    for kind, t_items, o_items in (("parameter", target.named_parameters(), online.named_parameters()),
                                   ("buffer", target.named_buffers(), online.named_buffers())):
        t_items, o_items = list(t_items), list(o_items)
        if [(n, t.shape) for n, t in t_items] != [(n, o.shape) for n, o in o_items]:
            fail("target", f"the online network's architecture (same {kind} names and shapes)",
                 said(f"{kind}s that do not match"))
        for (_, t), (_, o) in zip(t_items, o_items):
            if kind == "buffer" or not t.is_floating_point():
                t.copy_(o)
            else:
                t.mul_(tau).add_(o.detach().to(t.dtype), alpha=1.0 - tau)


def cosine_tau(step: int, total_steps: int, base_tau: float) -> float:
    r"""BYOL's momentum schedule: tau rises from ``base_tau`` at step 0 to 1 at ``total_steps``::

        tau(k) = 1 - (1 - base_tau) * (cos(pi * k / K) + 1) / 2

    Early on the target follows the online network quickly; at the end it is almost frozen.
    ``step`` is clamped into [0, total_steps].
    """
    check_int(total_steps, "total_steps", minimum=1)
    check_probability(base_tau, "base_tau")
    k = min(max(step, 0), total_steps)
    return 1.0 - (1.0 - base_tau) * (math.cos(math.pi * k / total_steps) + 1.0) / 2.0
