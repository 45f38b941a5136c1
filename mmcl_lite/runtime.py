"""The few global switches: which device to use, FAST mode, seeding, mixed precision.

Everything else in the kit asks these functions instead of reading the environment itself,
so a notebook or a test can change behaviour in one place.
"""
from __future__ import annotations

import contextlib
import os
import random

import numpy as np
import torch

from .checks import check_int

_TRUE = {"1", "true", "yes", "on"}


def fast_mode() -> bool:
    """True when ``MMCL_FAST`` is set to 1/true/yes/on (``make test`` and CI set it).

    FAST mode shrinks data and epochs so that each notebook runs as a quick smoke test on a
    CPU (``make test-notebooks`` runs them so); its numbers are not meaningful.
    """
    return os.environ.get("MMCL_FAST", "").strip().lower() in _TRUE


class OfflineError(RuntimeError):
    """Something was asked for from the network (a dataset, pretrained weights) that is neither
    cached nor downloadable here; the message says what to do offline."""


def device(prefer: str | None = None) -> torch.device:
    """The device to compute on: ``prefer`` or ``$MMCL_DEVICE`` if given, else CUDA, MPS, CPU."""
    name = prefer or os.environ.get("MMCL_DEVICE")
    if name:
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def as_device(dev) -> torch.device:
    """Normalise ``None`` / str / torch.device to a torch.device (None means :func:`device`)."""
    return device() if dev is None else torch.device(dev)


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA); return a CPU ``torch.Generator`` with that seed.

    On the CPU this makes runs repeat exactly. CUDA kernels may still be non-deterministic.
    """
    check_int(seed, "seed")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return torch.Generator().manual_seed(seed)


def autocast(dev: torch.device):
    """bf16 autocast on CUDA (fast and needs no loss scaling); a no-op context elsewhere."""
    dev = torch.device(dev)
    if dev.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def describe() -> str:
    """One line for a notebook's setup cell: device, FAST mode, torch version, threads."""
    dev = device()
    extra = f" ({torch.cuda.get_device_name(0)})" if dev.type == "cuda" else ""
    return (f"device={dev}{extra}  FAST={'on' if fast_mode() else 'off'}  "
            f"torch={torch.__version__}  cpu_threads={torch.get_num_threads()}")
