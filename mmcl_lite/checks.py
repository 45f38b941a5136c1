"""The one validation helper of the kit: every public entry point checks its input here.

One message style everywhere, ``"name: expected X, got Y"``, raised as ``TypeError`` when the
kind of thing is wrong (a list where a tensor belongs, a float where an int belongs) and as
``ValueError`` when the kind is right but the value is not (a rank, a range, a NaN). A wrong
shape inside a loss rarely crashes: it broadcasts into a plausible-looking wrong number, so
these checks run before any computation. This module imports nothing but torch.
"""
from __future__ import annotations

import math
import numbers

import torch


class BadValue(ValueError):
    """An input of the right kind with a wrong value (raised by :func:`fail`)."""


class NonFinite(BadValue):
    """A NaN or an infinity where finite numbers belong (raised by :func:`check_finite`);
    during training it means divergence, and ``fit`` stops cleanly on it."""


class BadType(TypeError):
    """An input of the wrong kind (raised by :func:`fail`)."""


def describe_value(value) -> str:
    """A short description of ``value`` for the "got ..." part of a message."""
    if isinstance(value, torch.Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    if isinstance(value, (str, int, float, bool)) or value is None:
        return repr(value)
    return f"a {type(value).__name__}"


def fail(name: str, expected: str, got, error=ValueError):
    """Raise ``f"{name}: expected {expected}, got {got}"`` as :class:`BadValue` (a ValueError)
    or, with ``error=TypeError``, :class:`BadType` (a TypeError); ``got`` is described unless
    it is :func:`said` text. The command line turns exactly these into one-line errors."""
    got = got if isinstance(got, _Said) else describe_value(got)
    raise (BadType if issubclass(error, TypeError) else BadValue)(
        f"{name}: expected {expected}, got {got}")


class _Said(str):
    """A "got ..." text that is already worded (not a value to describe)."""


def said(text: str) -> _Said:
    """Mark ``text`` as the literal "got ..." part of a message: ``fail(n, x, said("3 rows"))``."""
    return _Said(text)


# ------------------------------------------------------------------------------ numbers
def check_int(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """An int (not a bool) in [minimum, maximum]."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        fail(name, "an int", value, TypeError)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        fail(name, _range_text("an int", minimum, maximum), value)
    return int(value)


def check_number(value, name: str, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False) -> float:
    """A finite real number (not a bool) in the interval given by low/high (closed unless open)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        fail(name, "a number", value, TypeError)
    number = float(value)
    below = low is not None and (number <= low if low_open else number < low)
    above = high is not None and (number >= high if high_open else number > high)
    if not math.isfinite(number) or below or above:
        lo = "" if low is None else ("(" if low_open else "[") + f"{low:g}"
        hi = "" if high is None else f"{high:g}" + (")" if high_open else "]")
        where = (f" in {lo}, {hi}" if low is not None and high is not None
                 else f" > {low:g}" if low_open and low is not None
                 else f" >= {low:g}" if low is not None
                 else f" < {high:g}" if high_open and high is not None
                 else f" <= {high:g}" if high is not None else "")
        fail(name, f"a finite number{where}", value)
    return number


def check_positive(value, name: str):
    """A finite number > 0, as a Python number or a one-element tensor (e.g. a learnable one).

    Returned unchanged, so that a tensor keeps its gradient.
    """
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            fail(name, "a scalar", value)
        number = float(value.detach())
        if not (math.isfinite(number) and number > 0):
            fail(name, "a finite number > 0", number)
        return value
    check_number(value, name, low=0, low_open=True)
    return value


def check_scalar(value, name: str) -> torch.Tensor:
    """A finite real scalar (any sign), returned as a tensor (keeps the gradient if it had one)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = torch.tensor(float(value))
    if not isinstance(value, torch.Tensor):
        fail(name, "a number or a scalar tensor", value, TypeError)
    if value.numel() != 1:
        fail(name, "a scalar", value)
    check_finite(value, name)
    return value.reshape(())


def check_probability(value, name: str, allow_one: bool = True) -> float:
    """A number in [0, 1] (or [0, 1) when ``allow_one`` is False)."""
    return check_number(value, name, 0.0, 1.0, high_open=not allow_one)


def check_range(pair, name: str, low: float, high: float | None, low_open: bool = False) -> tuple:
    """A (min, max) pair with low <= min <= max <= high (low < min when ``low_open``)."""
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        fail(name, "a (min, max) pair", pair, TypeError)
    a = check_number(pair[0], name, low, high, low_open=low_open)
    b = check_number(pair[1], name, low, high, low_open=low_open)
    if a > b:
        fail(name, "min <= max", said(repr(tuple(pair))))
    return (a, b)


def _range_text(kind: str, minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f"{kind} in [{minimum}, {maximum}]"
    return f"{kind} >= {minimum}" if minimum is not None else f"{kind} <= {maximum}"


# ------------------------------------------------------------------------------ choices
def check_choice(value, name: str, choices, case_insensitive: bool = False):
    """One of ``choices`` (returned as the canonical spelling when ``case_insensitive``)."""
    choices = list(choices)
    if case_insensitive and isinstance(value, str):
        for c in choices:
            if isinstance(c, str) and c.lower() == value.lower():
                return c
    elif value in choices:
        return value
    fail(name, f"one of {choices}", value)


def check_bool(value, name: str) -> bool:
    if not isinstance(value, bool):
        fail(name, "True or False", value, TypeError)
    return value


def check_type(value, name: str, types, what: str):
    """``value`` is an instance of ``types``; ``what`` names the expected kind."""
    if not isinstance(value, types):
        fail(name, what, value, TypeError)
    return value


# ------------------------------------------------------------------------------ tensors
def check_tensor(x, name: str, shape: str, floating: bool = True) -> torch.Tensor:
    """A non-empty finite tensor whose rank matches ``shape`` ("(N, D)" ...); floating-point
    unless ``floating`` is False."""
    if not isinstance(x, torch.Tensor):
        fail(name, f"a torch.Tensor {shape}", x, TypeError)
    if floating and not x.is_floating_point():
        fail(name, f"a floating-point tensor {shape}", x, TypeError)
    rank = shape.count(",") + 1  # "(N, M, D)" -> 3
    if x.ndim != rank:
        fail(name, f"a {rank}-D tensor {shape}", said(f"shape {tuple(x.shape)}"))
    if 0 in x.shape:
        fail(name, f"a non-empty tensor {shape}", said(f"shape {tuple(x.shape)}"))
    if x.is_floating_point():
        check_finite(x, name)
    return x


def check_finite(x: torch.Tensor, name: str) -> None:
    """Reject NaN/inf up front: inside a loss they would only show up later as a NaN gradient."""
    finite = torch.isfinite(x)
    if not bool(finite.all()):
        bad = int((~finite).sum())
        raise NonFinite(f"{name}: expected finite values, got {bad} NaN/inf value(s) in a "
                        f"tensor of shape {tuple(x.shape)}")


def check_rows(x: torch.Tensor, name: str, minimum: int, why: str) -> None:
    """At least ``minimum`` rows (samples); ``why`` says what the rows are needed for."""
    if x.shape[0] < minimum:
        fail(name, f"at least {minimum} rows ({why})", said(f"shape {tuple(x.shape)}"))


def check_nonzero_rows(x: torch.Tensor, name: str) -> None:
    """Every row has a non-zero norm: an all-zero row has no direction to L2-normalise, and
    would silently count as a point on the sphere."""
    zero = x.detach().abs().sum(dim=-1) == 0
    if bool(zero.any()):
        fail(name, "rows with a non-zero norm (each is L2-normalised)",
             said(f"{int(zero.sum())} all-zero row(s) in shape {tuple(x.shape)}"))


def check_same_shape(x: torch.Tensor, name: str, ref: torch.Tensor, ref_name: str) -> None:
    if x.shape != ref.shape:
        fail(name, f"the same shape as {ref_name} {tuple(ref.shape)}",
             said(f"{tuple(x.shape)}"))


def check_same_length(n: int, name: str, ref: int, ref_name: str) -> None:
    """``n`` items where ``ref_name`` has ``ref`` (one per item)."""
    if n != ref:
        fail(name, f"{ref} items (one per item of {ref_name})", said(f"{n}"))


def check_images(images, name: str = "images") -> torch.Tensor:
    """A batch of images (B, C, H, W): uint8 in 0..255, or floating point in [0, 1]."""
    if not isinstance(images, torch.Tensor):
        fail(name, "a torch.Tensor (B, C, H, W)", images, TypeError)
    if images.ndim != 4:
        fail(name, "a 4-D tensor (B, C, H, W)", said(f"shape {tuple(images.shape)}"))
    if images.dtype != torch.uint8:
        if not images.is_floating_point():
            fail(name, "uint8 (0..255) or float (0..1) images", images, TypeError)
        check_finite(images, name)
        if images.numel() and (float(images.min()) < -1e-3 or float(images.max()) > 1 + 1e-3):
            fail(name, "float images in [0, 1] (uint8 for 0..255)",
                 said(f"values in [{float(images.min()):.3g}, {float(images.max()):.3g}]"))
    return images


def check_series(series, name: str = "series") -> torch.Tensor:
    """A batch of series (N, C, T), floating point and finite."""
    if not isinstance(series, torch.Tensor):
        fail(name, "a torch.Tensor (N, C, T)", series, TypeError)
    if series.ndim != 3:
        fail(name, "a 3-D tensor (N, C, T)", said(f"shape {tuple(series.shape)}"))
    if not series.is_floating_point():
        fail(name, "a floating-point tensor (N, C, T)", series, TypeError)
    check_finite(series, name)
    return series


def check_reduction(reduction) -> str:
    return check_choice(reduction, "reduction", ("mean", "sum", "none"))


def check_lengths(lengths, batch: int, length: int) -> torch.Tensor:
    """(B,) integer lengths in [1, T]."""
    if not isinstance(lengths, torch.Tensor) or lengths.dtype.is_floating_point \
            or lengths.dtype == torch.bool:
        fail("lengths", f"an integer tensor ({batch},)", lengths, TypeError)
    if lengths.shape != (batch,):
        fail("lengths", f"shape ({batch},), one length per series", said(f"{tuple(lengths.shape)}"))
    if int(lengths.min()) < 1 or int(lengths.max()) > length:
        fail("lengths", f"lengths in [1, {length}]",
             said(f"[{int(lengths.min())}, {int(lengths.max())}]"))
    return lengths
