"""Input checks shared by the losses.

A loss is a pure function of tensors, and a wrong shape there rarely crashes: it broadcasts into a
plausible-looking wrong number. These helpers turn such mistakes into an error that names the
argument, says what was expected and what came. They import nothing but torch.
"""
from __future__ import annotations

import math
import numbers

import torch


def check_tensor(x, name: str, shape: str) -> torch.Tensor:
    """``x`` must be a finite floating-point tensor whose rank matches ``shape`` ("(N, D)" ...)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor {shape}, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor {shape}, got dtype {x.dtype}")
    rank = shape.count(",") + 1  # "(N, M, D)" -> 3
    if x.ndim != rank:
        raise ValueError(f"{name} must be a {rank}-D tensor {shape}, got shape {tuple(x.shape)}")
    if 0 in x.shape:
        raise ValueError(f"{name} must be non-empty {shape}, got shape {tuple(x.shape)}")
    check_finite(x, name)
    return x


def check_finite(x: torch.Tensor, name: str) -> None:
    """Reject NaN/inf up front: inside a loss they would only show up later as a NaN gradient."""
    finite = torch.isfinite(x)
    if not bool(finite.all()):
        bad = int((~finite).sum())
        raise ValueError(f"{name} must be finite, got {bad} NaN/inf value(s) "
                         f"in a tensor of shape {tuple(x.shape)}")


def check_rows(x: torch.Tensor, name: str, minimum: int, why: str) -> None:
    """At least ``minimum`` rows (samples); ``why`` says what the rows are needed for."""
    if x.shape[0] < minimum:
        raise ValueError(f"{name} must have at least {minimum} rows ({why}), "
                         f"got shape {tuple(x.shape)}")


def check_same_shape(x: torch.Tensor, name: str, ref: torch.Tensor, ref_name: str) -> None:
    if x.shape != ref.shape:
        raise ValueError(f"{name} must have the same shape as {ref_name} {tuple(ref.shape)}, "
                         f"got {tuple(x.shape)}")


def check_positive(value, name: str):
    """A finite number > 0 (a Python number or a one-element tensor, e.g. a learnable one).

    Returned unchanged, so that a tensor keeps its gradient.
    """
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"{name} must be a scalar, got a tensor of shape {tuple(value.shape)}")
        number = float(value.detach())
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
    else:
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__}")
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {number}")
    return value


def check_scalar(value, name: str) -> torch.Tensor:
    """A finite real scalar (any sign), returned as a tensor (keeps the gradient if it had one)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = torch.tensor(float(value))
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a number or a scalar tensor, got {type(value).__name__}")
    if value.numel() != 1:
        raise ValueError(f"{name} must be a scalar, got a tensor of shape {tuple(value.shape)}")
    check_finite(value, name)
    return value.reshape(())


def check_int(value, name: str, minimum: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_reduction(reduction) -> str:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction
