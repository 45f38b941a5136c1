"""Series views: each batched transform checked for the invariants that define it.

Common to all: shape, dtype and device kept; zero strength is the identity; a seeded generator
repeats; items of one batch get their own parameters; the input is never modified. Then one
test per transform for what it must preserve (values, order, smoothness, the overlap of
TS2Vec's crops ...), the bad inputs, and SeriesViews' composition, presets and config.
"""
import dataclasses

import pytest
import torch
import torch.nn.functional as F

from mmcl_lite.augment import SeriesViews, overlapping_crops, series_ops, views_from_config
from mmcl_lite.augment import timestamp_mask

# name -> (apply(x, generator) at a visible strength, apply at zero strength, exact identity?)
TRANSFORMS = {
    "jitter": (lambda x, g: series_ops.jitter(x, 0.3, g),
               lambda x, g: series_ops.jitter(x, 0.0, g), True),
    "scaling": (lambda x, g: series_ops.scaling(x, 0.3, g),
                lambda x, g: series_ops.scaling(x, 0.0, g), True),
    "magnitude_warp": (lambda x, g: series_ops.magnitude_warp(x, 0.3, 4, g),
                       lambda x, g: series_ops.magnitude_warp(x, 0.0, 4, g), False),
    "time_warp": (lambda x, g: series_ops.time_warp(x, 0.5, 4, g),
                  lambda x, g: series_ops.time_warp(x, 0.0, 4, g), False),
    "permute_segments": (lambda x, g: series_ops.permute_segments(x, 5, g),
                         lambda x, g: series_ops.permute_segments(x, 1, g), True),
    "mask_timestamps": (lambda x, g: series_ops.mask_timestamps(x, 0.3, g),
                        lambda x, g: series_ops.mask_timestamps(x, 0.0, g), True),
    "frequency_perturb": (lambda x, g: series_ops.frequency_perturb(x, 0.3, 0.3, 0.5, g),
                          lambda x, g: series_ops.frequency_perturb(x, 0.0, 0.0, 0.5, g), False),
    "crop_resample": (lambda x, g: series_ops.crop_resample(x, (0.3, 0.7), g),
                      lambda x, g: series_ops.crop_resample(x, (1.0, 1.0), g), False),
}


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _series(b=6, c=3, t=64, seed=0, dtype=torch.float32):
    """Smooth multichannel series (sines) plus a little noise, so every transform shows."""
    g = _gen(seed)
    steps = torch.linspace(0, 1, t, dtype=torch.float64)
    freq = 1 + 4 * torch.rand(b, c, 1, generator=g, dtype=torch.float64)
    x = torch.sin(6.283 * freq * steps) + 0.1 * torch.randn(b, c, t, generator=g,
                                                            dtype=torch.float64)
    return x.to(dtype)


def _ramp(b=8, c=2, t=48):
    """x[b, c, t] = t + 100 c: every value names its step and channel."""
    steps = torch.arange(t, dtype=torch.float32)
    return (steps + 100 * torch.arange(c, dtype=torch.float32)[:, None]).expand(b, c, t).clone()


# ------------------------------------------------------------------------------ common
@pytest.mark.parametrize("name", TRANSFORMS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shape_dtype_device_kept_and_input_untouched(name, dtype):
    apply, _, _ = TRANSFORMS[name]
    x = _series(dtype=dtype)
    before = x.clone()
    v = apply(x, _gen())
    assert v.shape == x.shape and v.dtype == dtype and v.device == x.device
    assert torch.equal(x, before) and not torch.equal(v, x)
    assert bool(torch.isfinite(v).all())


@pytest.mark.parametrize("name", TRANSFORMS)
def test_zero_strength_is_the_identity(name):
    _, identity, exact = TRANSFORMS[name]
    x = _series()
    v = identity(x, _gen())
    if exact:
        assert torch.equal(v, x)
    else:  # an interpolated curve, a resampling or the FFT: equal up to float error
        torch.testing.assert_close(v, x, atol=1e-5, rtol=1e-5)
    assert v is not x  # a new tensor even then


@pytest.mark.parametrize("name", TRANSFORMS)
def test_seeded_generator_repeats_and_items_differ(name):
    apply, _, _ = TRANSFORMS[name]
    x = _series(b=1).expand(8, -1, -1).contiguous()  # eight copies of one series
    v1, v2 = apply(x, _gen(3)), apply(x, _gen(3))
    assert torch.equal(v1, v2)
    assert not torch.equal(v1, apply(x, _gen(4)))
    # the same series, eight different views: the parameters are per item
    different = sum(not torch.equal(v1[0], v1[i]) for i in range(1, 8))
    assert different >= 6


@pytest.mark.parametrize("name", TRANSFORMS)
def test_bfloat16_keeps_its_dtype(name):
    apply, _, _ = TRANSFORMS[name]
    v = apply(_series().bfloat16(), _gen())
    assert v.dtype == torch.bfloat16 and bool(torch.isfinite(v.float()).all())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", TRANSFORMS)
def test_a_cpu_generator_gives_the_same_views_on_the_gpu(name):
    apply, _, _ = TRANSFORMS[name]
    x = _series()
    on_cpu, on_gpu = apply(x, _gen(1)), apply(x.cuda(), _gen(1))
    assert on_gpu.device.type == "cuda"
    torch.testing.assert_close(on_gpu.cpu(), on_cpu, atol=1e-4, rtol=1e-4)
    cuda_gen = torch.Generator(device="cuda").manual_seed(0)  # drawn on the device itself
    assert apply(x.cuda(), cuda_gen).device.type == "cuda"


# ------------------------------------------------------------------------------ amplitude
def test_jitter_adds_zero_mean_noise_of_the_set_std():
    x = _series(b=32, t=256)
    residual = series_ops.jitter(x, 0.2, _gen()) - x
    assert abs(float(residual.mean())) < 0.01
    assert abs(float(residual.std()) - 0.2) < 0.01


def test_scaling_multiplies_each_channel_by_one_factor():
    x = 1 + torch.rand(16, 3, 40, generator=_gen())  # away from zero, so v / x is defined
    ratio = series_ops.scaling(x, 0.2, _gen(1)) / x
    assert float(ratio.std(dim=-1).max()) < 1e-5          # constant along time
    factors = ratio[..., 0]                                # (B, C): one per item and channel
    assert len(torch.unique(factors)) == factors.numel()
    assert abs(float(factors.mean()) - 1) < 0.1 and 0.1 < float(factors.std()) < 0.3


def test_magnitude_warp_is_a_smooth_gain_near_one():
    x = 1 + torch.rand(64, 2, 200, generator=_gen())
    gain = series_ops.magnitude_warp(x, 0.2, 4, _gen(1)) / x
    assert abs(float(gain.mean()) - 1) < 0.05
    assert float(gain.std(dim=-1).mean()) > 0.02          # it does vary along time ...
    second = gain.diff(n=2, dim=-1).abs().max()
    first = gain.diff(dim=-1).abs().max()
    assert float(second) < 0.01 and float(second) < float(first) / 5  # ... but smoothly
    assert not torch.allclose(gain[:, 0], gain[:, 1])     # a curve per channel


# ------------------------------------------------------------------------------ time
def test_time_warp_is_monotone_with_its_ends_fixed_and_shared_by_channels():
    x = _ramp(b=16, t=100)
    v = series_ops.time_warp(x, 0.5, 4, _gen())
    assert bool((v.diff(dim=-1) >= 0).all())              # time keeps its order
    torch.testing.assert_close(v[..., 0], x[..., 0])
    torch.testing.assert_close(v[..., -1], x[..., -1])
    assert float((v - x).abs().amax(dim=(1, 2)).min()) > 0.5  # every item is really warped
    torch.testing.assert_close(v[:, 1] - v[:, 0], x[:, 1] - x[:, 0])  # channels warp together
    # a large sigma draws negative speeds; they are floored, so time still never runs back
    assert bool((series_ops.time_warp(x, 3.0, 4, _gen()).diff(dim=-1) >= 0).all())


def test_crop_resample_samples_a_window_of_the_set_size():
    x = _ramp(b=32, t=100)
    v = series_ops.crop_resample(x, (0.3, 0.6), _gen())
    span = v[:, 0, -1] - v[:, 0, 0]                        # the window's length - 1, in steps
    assert bool((span >= 0.3 * 100 - 1 - 1e-3).all()) and bool((span <= 0.6 * 100).all())
    assert bool((v.diff(dim=-1) >= 0).all()) and float(v.min()) >= 0 and float(v[:, 0].max()) <= 99


def _runs(index_row: torch.Tensor) -> int:
    """How many contiguous runs (steps +1 apart) make up a row of indices."""
    return 1 + int((index_row.diff() != 1).sum())


def test_permutation_shuffles_contiguous_segments_of_the_same_values():
    x = _ramp(b=64, t=48)
    v = series_ops.permute_segments(x, 5, _gen())
    assert torch.equal(v.sort(dim=-1).values, x.sort(dim=-1).values)  # same multiset
    assert torch.equal(v[:, 1] - v[:, 0], x[:, 1] - x[:, 0])          # channels permuted alike
    runs = [_runs(v[i, 0]) for i in range(64)]
    assert max(runs) <= 5 and min(runs) == 1 and len(set(runs)) >= 4
    # random data too: each (item, channel) keeps its values
    y = _series()
    assert torch.equal(series_ops.permute_segments(y, 8, _gen()).sort(dim=-1).values,
                       y.sort(dim=-1).values)
    # more segments than steps: at most one per step, still a permutation
    z = _ramp(b=4, t=5)
    assert torch.equal(series_ops.permute_segments(z, 50, _gen()).sort(dim=-1).values, z)


# ------------------------------------------------------------------------------ masking
def test_masking_zeroes_whole_steps_at_the_set_rate():
    x = 1 + torch.rand(32, 3, 200, generator=_gen())       # no zeros of its own
    v = series_ops.mask_timestamps(x, 0.3, _gen(1))
    masked = v == 0
    assert torch.equal(masked[:, 0], masked[:, 1]) and torch.equal(masked[:, 0], masked[:, 2])
    assert torch.equal(v[~masked], x[~masked])             # kept steps untouched
    assert abs(float((~masked[:, 0]).float().mean()) - 0.7) < 0.02


def test_timestamp_mask_is_a_bool_keep_mask():
    keep = timestamp_mask(64, 300, 0.5, generator=_gen())
    assert keep.shape == (64, 300) and keep.dtype == torch.bool and keep.device.type == "cpu"
    assert abs(float(keep.float().mean()) - 0.5) < 0.02
    assert torch.equal(keep, timestamp_mask(64, 300, 0.5, generator=_gen()))
    assert bool(timestamp_mask(4, 10, 0.0).all())


# ------------------------------------------------------------------------------ frequency
def test_frequency_perturbation_removes_and_adds_components():
    x = _series(b=16, t=128, dtype=torch.float64)
    spectrum = torch.fft.rfft(x).abs()
    removed = series_ops.frequency_perturb(x, 0.4, 0.0, 0.1, _gen())
    assert removed.dtype == torch.float64 and removed.shape == x.shape
    out = torch.fft.rfft(removed).abs()
    gone = (out < 1e-9) & (spectrum > 1e-6)
    assert abs(float(gone.double().mean()) - 0.4) < 0.05   # the set fraction is removed ...
    torch.testing.assert_close(out[~gone], spectrum[~gone])  # ... and nothing else changes
    assert bool((out.square().sum(-1) < spectrum.square().sum(-1)).all())  # energy drops
    added = torch.fft.rfft(series_ops.frequency_perturb(x, 0.0, 0.3, 0.1, _gen())).abs()
    boost = added - spectrum
    peak = spectrum.amax(dim=-1, keepdim=True)
    assert bool((boost > -1e-9).all()) and bool((boost <= 0.1 * peak + 1e-9).all())
    assert abs(float((boost > 1e-9).double().mean()) - 0.3) < 0.05


# ------------------------------------------------------------------------------ crops
def test_overlapping_crops_share_their_overlap():
    x = _ramp(b=32, t=64)
    before = x.clone()
    lengths = set()
    for seed in range(20):
        v1, v2, l = overlapping_crops(x, 4, _gen(seed))
        assert isinstance(l, int) and 4 <= l <= 64
        assert v1.shape[:2] == v2.shape[:2] == (32, 2) and min(v1.shape[-1], v2.shape[-1]) >= l
        assert torch.equal(v1[..., -l:], v2[..., :l])      # the same steps of x
        for v in (v1, v2):                                 # windows of x: consecutive steps
            assert bool((v.diff(dim=-1) == 1).all())
            assert float(v[:, 0].min()) >= 0 and float(v[:, 0].max()) <= 63
        lengths.add(l)
        starts = v1[:, 0, 0]                               # where each item's crop begins
        if v1.shape[-1] + v2.shape[-1] - l < 64:           # room to move: items differ
            assert len(torch.unique(starts)) > 1
    assert len(lengths) > 5 and torch.equal(x, before)
    v1, v2, l = overlapping_crops(x, 64, _gen())           # the whole series is the overlap
    assert l == 64 and torch.equal(v1, x) and torch.equal(v2, x)
    a, b = overlapping_crops(x, 4, _gen(7))[:2], overlapping_crops(x, 4, _gen(7))[:2]
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


# ------------------------------------------------------------------------------ bad inputs
BAD = [
    ("NaN series", lambda: series_ops.jitter(torch.full((2, 2, 8), float("nan")), 0.1),
     ValueError, "x"),
    ("wrong rank", lambda: series_ops.scaling(torch.zeros(2, 8), 0.1), ValueError, "x"),
    ("integer series", lambda: series_ops.time_warp(torch.zeros(2, 2, 8, dtype=torch.long), 0.1),
     TypeError, "x"),
    ("negative sigma", lambda: series_ops.jitter(torch.zeros(2, 2, 8), -0.1), ValueError,
     "sigma"),
    ("negative warp sigma", lambda: series_ops.magnitude_warp(torch.zeros(2, 2, 8), -1.0),
     ValueError, "sigma"),
    ("negative knots", lambda: series_ops.time_warp(torch.zeros(2, 2, 8), 0.1, -1), ValueError,
     "knots"),
    ("max_segments < 1", lambda: series_ops.permute_segments(torch.zeros(2, 2, 8), 0),
     ValueError, "max_segments"),
    ("float max_segments", lambda: series_ops.permute_segments(torch.zeros(2, 2, 8), 2.5),
     TypeError, "max_segments"),
    ("mask p = 1", lambda: series_ops.mask_timestamps(torch.zeros(2, 2, 8), 1.0), ValueError,
     "p"),
    ("mask p < 0", lambda: timestamp_mask(2, 8, -0.1), ValueError, "p"),
    ("remove_p = 1", lambda: series_ops.frequency_perturb(torch.zeros(2, 2, 8), 1.0, 0.0),
     ValueError, "remove_p"),
    ("add_p > 1", lambda: series_ops.frequency_perturb(torch.zeros(2, 2, 8), 0.0, 1.5),
     ValueError, "add_p"),
    ("crop_scale 0", lambda: series_ops.crop_resample(torch.zeros(2, 2, 8), (0.0, 1.0)),
     ValueError, "crop_scale"),
    ("series shorter than min_length",
     lambda: overlapping_crops(torch.zeros(2, 2, 8), min_length=9), ValueError, "x"),
    ("min_length 0", lambda: overlapping_crops(torch.zeros(2, 2, 8), min_length=0), ValueError,
     "min_length"),
    ("views mask_p", lambda: SeriesViews(mask_p=1.0), ValueError, "mask_p"),
    ("views max_segments", lambda: SeriesViews(max_segments=0), ValueError, "max_segments"),
    ("views warp sigma", lambda: SeriesViews(time_warp_sigma=-1.0), ValueError,
     "time_warp_sigma"),
    ("views NaN", lambda: SeriesViews.strong()(torch.full((2, 2, 8), float("nan"))), ValueError,
     "series"),
]


@pytest.mark.parametrize("label, call, error, name", BAD, ids=[b[0] for b in BAD])
def test_bad_inputs_name_the_argument(label, call, error, name):
    with pytest.raises(error, match=f"^{name}:"):
        call()


def test_a_short_series_error_says_both_lengths():
    with pytest.raises(ValueError, match=r"min_length = 9.*T = 8"):
        overlapping_crops(torch.zeros(2, 2, 8), min_length=9)


# ------------------------------------------------------------------------------ SeriesViews
def _original_series_views(series, generator, crop=(0.5, 1.0), scale=0.1, jitter=0.05):
    """SeriesViews as it was before the transforms were split out (crop, scale, jitter)."""
    x = series.float()
    b, c, t = x.shape
    rand = lambda *s: torch.rand(*s, generator=generator, device="cpu")  # noqa: E731
    randn = lambda *s: torch.randn(*s, generator=generator, device="cpu")  # noqa: E731
    length = (crop[0] + (crop[1] - crop[0]) * rand(b)) * t
    start = rand(b) * (t - length)
    pos = start[:, None] + torch.linspace(0, 1, t)[None, :] * (length[:, None] - 1).clamp_min(0)
    grid_x = 2 * pos / max(t - 1, 1) - 1
    grid = torch.stack([grid_x, torch.zeros_like(grid_x)], dim=-1)[:, None]
    v = F.grid_sample(x[:, :, None, :], grid, mode="bilinear", padding_mode="border",
                      align_corners=True)[:, :, 0]
    return v * (1 + scale * randn(b, c, 1)) + jitter * randn(b, c, t)


def test_default_views_are_exactly_the_original_ones():
    x = _series()
    assert torch.equal(SeriesViews()(x, _gen(5)), _original_series_views(x, _gen(5)))
    custom = SeriesViews(crop_scale=(0.2, 0.9), scale_sigma=0.3, jitter_sigma=0.2)
    assert torch.equal(custom(x, _gen(5)),
                       _original_series_views(x, _gen(5), (0.2, 0.9), 0.3, 0.2))


def test_presets():
    x = _ramp(b=16, t=40)
    weak = SeriesViews.weak()
    assert weak.crop_scale == (1.0, 1.0) and weak.scale_sigma > 0 and weak.jitter_sigma > 0
    assert weak.max_segments == 1 and weak.mask_p == 0 and weak.freq_remove_p == 0
    strong = SeriesViews.strong()
    assert strong.max_segments == 5 and strong.jitter_sigma > 0 and strong.crop_scale == (1, 1)
    # strong without its jitter is a pure permutation: the values are kept
    shuffled = SeriesViews.strong(jitter_sigma=0.0)(x, _gen())
    assert torch.equal(shuffled.sort(dim=-1).values, x) and not torch.equal(shuffled, x)
    freq = SeriesViews.frequency()
    assert freq.freq_remove_p > 0 and freq.freq_add_p > 0 and freq.jitter_sigma == 0
    assert SeriesViews.frequency(freq_add_p=0.5).freq_add_p == 0.5
    for views in (weak, strong, freq):
        v = views(x, _gen())
        assert v.shape == x.shape and v.dtype == torch.float32 and not torch.equal(v, x)


def test_every_transform_composes_and_masks_come_last():
    x = 1 + torch.rand(8, 3, 64, generator=_gen())
    before = x.clone()
    views = SeriesViews(crop_scale=(0.6, 1.0), magnitude_warp_sigma=0.2, time_warp_sigma=0.2,
                        max_segments=4, mask_p=0.5, freq_remove_p=0.1, freq_add_p=0.1)
    v1, v2 = views.pair(x, _gen())
    assert v1.shape == x.shape and not torch.equal(v1, v2) and torch.equal(x, before)
    masked = v1 == 0
    assert torch.equal(masked[:, 0], masked[:, 1]) and 0.3 < float(masked.float().mean()) < 0.7
    assert torch.equal(views(x, _gen(9)), views(x, _gen(9)))
    same = SeriesViews(crop_scale=(1.0, 1.0), scale_sigma=0.0, jitter_sigma=0.0)
    assert torch.equal(same(x), x) and same(x) is not x


@pytest.mark.parametrize("views", [
    SeriesViews(), SeriesViews.weak(), SeriesViews.strong(), SeriesViews.frequency(),
    SeriesViews(crop_scale=(0.4, 0.8), magnitude_warp_sigma=0.2, time_warp_sigma=0.1, knots=6,
                max_segments=3, mask_p=0.25, freq_remove_p=0.05, freq_add_p=0.2,
                freq_add_scale=0.3),
], ids=["default", "weak", "strong", "frequency", "everything"])
def test_config_round_trip(views):
    config = dataclasses.asdict(views)
    as_json = {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}
    assert views_from_config(config) == views and views_from_config(as_json) == views
    assert isinstance(views_from_config(as_json).crop_scale, tuple)


def test_a_partial_series_config_is_still_series():
    assert views_from_config({"max_segments": 3}) == SeriesViews(max_segments=3)
    assert views_from_config({"mask_p": 0.5}) == SeriesViews(mask_p=0.5)


def test_rotation_turns_both_sensors_alike_and_keeps_lengths():
    from mmcl_lite.augment.series.transforms import rotation

    x = torch.randn(6, 7, 30, generator=torch.Generator().manual_seed(0))
    v = rotation(x, ((0, 1, 2), (3, 4, 5)), torch.Generator().manual_seed(1))
    assert torch.equal(v[:, 6], x[:, 6])                           # other channels untouched
    for s in (slice(0, 3), slice(3, 6)):
        torch.testing.assert_close(v[:, s].norm(dim=1), x[:, s].norm(dim=1))
    # the least-squares map of item b's accelerometer is a rotation that also maps its gyroscope
    r = torch.linalg.lstsq(x[:, :3].transpose(1, 2), v[:, :3].transpose(1, 2)).solution
    torch.testing.assert_close(r @ r.transpose(1, 2), torch.eye(3).expand(6, 3, 3), atol=1e-4,
                               rtol=0)
    torch.testing.assert_close(x[:, 3:6].transpose(1, 2) @ r, v[:, 3:6].transpose(1, 2),
                               atol=1e-4, rtol=0)
    assert not torch.allclose(r[0], r[1])                          # one rotation per item
    views = SeriesViews(rotate_axes=[[0, 1, 2], [3, 4, 5]])
    assert views.rotate_axes == ((0, 1, 2), (3, 4, 5))
    with pytest.raises(ValueError, match="^rotate_axes"):
        SeriesViews(rotate_axes=[[0, 1]])
    with pytest.raises(ValueError, match="^rotate_axes"):
        SeriesViews(rotate_axes=[[0, 1, 2], [2, 3, 4]])
    with pytest.raises(ValueError, match="^rotate_axes: expected channel indices below"):
        views(torch.randn(2, 4, 10))
