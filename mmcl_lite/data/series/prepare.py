"""From raw series as read from a file to the padded, z-normalised tensors a SeriesSet holds.

Raw items arrive as a list of N float arrays (C, T_i): lengths may differ and NaN marks a
missing value. Three steps, in this order:

1. ``pad_items``: one float64 array (N, C, T), NaN beyond each item's end.
2. ``fill_missing``: each item's length is 1 + its last step where any channel is observed
   (trailing NaNs are padding, not data). Inside that length, a NaN of channel c is replaced by
   linear interpolation between the nearest observed steps of c before and after it,
       x[t] = x[a] + (x[b] - x[a]) (t - a) / (b - a),     a < t < b observed,
   and by the nearest observed value at either end (no extrapolation of a trend); a channel
   with no observed step in an item becomes its train mean (0 after step 3).
3. ``normalise``: per-channel z-score with statistics of the *train* items only, over their
   observed steps,  x' = (x - mean_c) / std_c,  applied to train and test alike (the test
   split must not leak into its own normalisation); then zeros beyond each length.
"""
from __future__ import annotations

import numpy as np
import torch

from ...checks import fail, said


def pad_items(items, length: int | None = None) -> np.ndarray:
    """(N, C, T) float64 with NaN beyond each item's end; T = ``length`` or the longest item."""
    items = [np.asarray(x, dtype=np.float64) for x in items]
    if not items:
        fail("items", "at least one series", said("none"))
    channels = {x.shape[0] if x.ndim == 2 else -1 for x in items}
    if len(channels) != 1 or -1 in channels:
        fail("items", "2-D arrays (C, T_i) with one number of channels C",
             said(f"channel counts {sorted(channels)}"))
    longest = max(x.shape[1] for x in items)
    length = longest if length is None else length
    if length < longest:
        fail("length", f"at least the longest item ({longest} steps)", length)
    out = np.full((len(items), items[0].shape[0], length), np.nan)
    for i, x in enumerate(items):
        out[i, :, :x.shape[1]] = x
    return out


def fill_missing(x: np.ndarray):
    """Fill interior gaps of a NaN-padded (N, C, T) array (see the module docstring).

    Returns (filled copy with NaN only beyond each length, lengths (N,) int64, observed (N, C, T)
    bool mask of the values that were in the data, number of values filled)."""
    x = np.array(x, dtype=np.float64)
    observed = np.isfinite(x)
    n, c, t = x.shape
    any_step = observed.any(axis=1)                                    # (N, T)
    # last observed step + 1; an item with nothing observed keeps one (filled) step
    lengths = np.where(any_step.any(axis=1), t - np.argmax(any_step[:, ::-1], axis=1), 1)
    inside = np.arange(t)[None, :] < lengths[:, None]                  # (N, T)
    holes = ~observed & inside[:, None, :]
    steps = np.arange(t)
    for i, ch in zip(*np.nonzero(holes.any(axis=2))):  # only rows with gaps: few, looped
        seen = observed[i, ch, :lengths[i]]
        if seen.any():
            # np.interp holds the end values flat outside the observed range
            x[i, ch, :lengths[i]] = np.interp(steps[:lengths[i]], steps[:lengths[i]][seen],
                                              x[i, ch, :lengths[i]][seen])
        else:
            x[i, ch, :lengths[i]] = np.nan  # set after normalisation (channel mean)
    x[~inside[:, None, :].repeat(c, axis=1)] = np.nan
    return x, lengths.astype(np.int64), observed & inside[:, None, :], int(holes.sum())


def channel_stats(x: np.ndarray, observed: np.ndarray):
    """Per-channel mean and standard deviation (C,) over the observed values of (N, C, T).
    A constant or unobserved channel gets std 1, so normalising leaves it finite."""
    v = np.where(observed, x, 0.0)
    count = observed.sum(axis=(0, 2))
    mean = v.sum(axis=(0, 2)) / np.maximum(count, 1)
    var = (np.where(observed, (x - mean[None, :, None]) ** 2, 0.0).sum(axis=(0, 2))
           / np.maximum(count, 1))
    std = np.sqrt(var)
    return mean, np.where(std > 1e-12, std, 1.0)


def normalise(x: np.ndarray, lengths: np.ndarray, mean: np.ndarray, std: np.ndarray):
    """float32 tensor (N, C, T): (x - mean) / std inside each length, 0 beyond and for any value
    still missing (a channel never observed in its item: 0 is the train mean)."""
    z = (x - mean[None, :, None]) / std[None, :, None]
    inside = np.arange(x.shape[2])[None, None, :] < lengths[:, None, None]
    z = np.where(inside & np.isfinite(z), z, 0.0)
    return torch.from_numpy(z.astype(np.float32))


def prepare_splits(train_items, test_items):
    """Both splits padded to one length T (the longest item of either), gaps filled and
    z-normalised with train statistics.

    Returns ((train (N, C, T) float32, train lengths (N,) int64 or None), (test ..., ...),
    number of values filled). Lengths are None for a split whose items all span T."""
    longest = max(np.asarray(x).shape[-1] for x in list(train_items) + list(test_items))
    train, n_train, seen, filled_train = fill_missing(pad_items(train_items, longest))
    test, n_test, _, filled_test = fill_missing(pad_items(test_items, longest))
    mean, std = channel_stats(train, seen)
    out = []
    for x, lengths in ((train, n_train), (test, n_test)):
        tensor = normalise(x, lengths, mean, std)
        out.append((tensor, None if bool((lengths == longest).all())
                    else torch.from_numpy(lengths)))
    return out[0], out[1], filled_train + filled_test
