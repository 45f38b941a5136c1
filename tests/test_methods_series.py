"""TS2Vec, CPC, TS-TCC, CrossSensor: the method protocol on series, padding, causality, sensor
groups and checkpoints, on tiny data (small encoders, batches of 8, a few steps)."""
import math

import pytest
import torch

from mmcl_lite.data import SeriesSet, make_activities
from mmcl_lite.methods import CPC, METHODS, TS2Vec, TSTCC, CrossSensor
from mmcl_lite.methods.series.cross_sensor import sensor_groups
from mmcl_lite.train import fit
from mmcl_lite.training import load_checkpoint, save_checkpoint

TINY = dict(width=8, depth=3, repr_dim=16)
CLASSES = {"TS2Vec": TS2Vec, "CPC": CPC, "TSTCC": TSTCC, "CrossSensor": CrossSensor}


@pytest.fixture(scope="module")
def data():
    return make_activities(48, length=64, seed=0)


@pytest.fixture(scope="module")
def padded():
    """Six channels of variable length (the real steps of item i: 20 + 4 i), zeros beyond."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(12, 6, 64, generator=g)
    lengths = 20 + 4 * torch.arange(12)
    x = x * (torch.arange(64)[None, None, :] < lengths[:, None, None])
    names = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]
    return SeriesSet(series=x, labels=torch.arange(12) % 2, class_names=["a", "b"],
                     lengths=lengths, channel_names=names)


def tiny(name, data, **changes):
    return CLASSES[name].for_data(data, seed=0, **TINY, **changes)


def _batch(data, n=8):
    return {k: v[:n] for k, v in data.fields().items()}


@pytest.mark.parametrize("name", CLASSES)
@pytest.mark.parametrize("which", ["data", "padded"])
def test_training_step_is_finite_and_trains_the_encoder(name, which, request):
    data = request.getfixturevalue(which)
    method = tiny(name, data)
    assert METHODS[name] is type(method) and method.modality == "series"
    out = method.training_step(_batch(data))
    assert torch.isfinite(out["loss"]) and out["loss"].ndim == 0
    out["loss"].backward()
    grads = [p.grad for p in method.encoder.parameters()]
    assert all(g is not None for g in grads) and sum(g.abs().sum() for g in grads) > 0
    assert method.encode(data.series[:4]).shape == (4, method.feature_dim)


@pytest.mark.parametrize("name", CLASSES)
def test_padding_stays_out_of_the_representation(name, padded):
    """What lies beyond an item's length does not change its features when lengths are given."""
    method = tiny(name, padded).eval()
    x, lengths = padded.series[:6], padded.lengths[:6]
    noisy = x + 5 * torch.randn(x.shape) * (torch.arange(64) >= lengths[:, None, None])
    with torch.no_grad():
        torch.testing.assert_close(method.encode(noisy, lengths=lengths),
                                   method.encode(x, lengths=lengths))


@pytest.mark.parametrize("name", CLASSES)
def test_pool_padding_chooses_the_window_of_the_max_pool(name, padded):
    """pool_padding=True (the default, as the TS2Vec and TS-TCC code) max-pools the per-step
    map over the whole padded window; False over each item's real steps only, so a wider
    window of padding leaves its features as they are."""
    x, lengths = padded.series[:6], padded.lengths[:6]
    wider = torch.cat([x, torch.zeros(6, 6, 16)], dim=-1)
    real_steps = torch.arange(64)[None, None, :] < lengths[:, None, None]
    for pool_padding in (True, False):
        method = tiny(name, padded, pool_padding=pool_padding).eval()
        encoders = getattr(method.encoder, "encoders", [method.encoder])  # CrossSensor: per group
        assert all(e.pool_padding is pool_padding for e in encoders)
        e = encoders[0]
        with torch.no_grad():
            part = x[:, : e.in_channels]
            h = e.per_timestep(part, lengths=lengths)
            expected = (h if pool_padding else h.masked_fill(~real_steps, -torch.inf)).amax(-1)
            torch.testing.assert_close(e(part, lengths=lengths), expected)
            if not pool_padding:
                torch.testing.assert_close(e(wider[:, : e.in_channels], lengths=lengths),
                                           expected)


@pytest.mark.parametrize("name", CLASSES)
def test_fit_checkpoint_round_trip(name, data, tmp_path):
    method = tiny(name, data)
    history = fit(method, data, epochs=2, batch_size=8, max_steps=3, progress=False,
                  device="cpu")
    assert history.status == "completed" and len(history.steps) == 3
    assert all(math.isfinite(s["loss"]) for s in history.steps)
    loaded = load_checkpoint(save_checkpoint(method, tmp_path / f"{name}.pt", history))
    assert type(loaded) is type(method) and loaded.config == method.config
    method.eval(), loaded.eval()
    with torch.no_grad():
        assert torch.equal(loaded.encode(data.series[:8]), method.encode(data.series[:8]))
    assert type(method.fresh_copy()) is type(method)


def test_cpc_features_do_not_see_the_future(data):
    """CPC's encoder is causal: changing steps > t leaves the features at steps <= t alone."""
    method = tiny("CPC", data).eval()
    x = data.series[:4].clone()
    changed = x.clone()
    changed[..., 40:] = torch.randn(changed[..., 40:].shape)
    with torch.no_grad():
        a, b = method.encoder.per_timestep(x), method.encoder.per_timestep(changed)
    torch.testing.assert_close(a[..., :40], b[..., :40])
    assert not torch.allclose(a[..., 40:], b[..., 40:])


def test_ts2vec_masks_steps_with_its_probability(data):
    """mask_p = 0 and a crop of the whole series: the loss depends on the weights only, so two
    steps with one generator state give the same loss; mask_p > 0 draws different masks."""
    method = tiny("TS2Vec", data, mask_p=0.0)
    batch = _batch(data)
    method.seed_views(3)
    a = method.training_step(batch)["loss"]
    method.seed_views(3)
    assert torch.equal(a, method.training_step(batch)["loss"])
    with pytest.raises(ValueError, match="^mask_p"):
        TS2Vec(mask_p=1.0)


def test_tstcc_keeps_both_views_in_its_config(data):
    method = tiny("TSTCC", data)
    assert method.config["views"]["max_segments"] == 1
    assert method.config["strong_views"]["max_segments"] == 5
    again = TSTCC.from_config(method.config)
    assert again.strong_views == method.strong_views and again.views == method.views


def test_cross_sensor_groups_come_from_channel_names(data):
    assert sensor_groups(data.channel_names) == [[0, 1, 2], [3, 4, 5]]
    assert sensor_groups(["lpc1", "lpc2"]) is None and sensor_groups(None) is None
    method = tiny("CrossSensor", data)
    assert method.config["groups"] == [[0, 1, 2], [3, 4, 5]]
    x = data.series[:5]
    feats = [method.encode_group(x, g) for g in (0, 1)]
    assert all(f.shape == (5, TINY["repr_dim"]) for f in feats)
    torch.testing.assert_close(method.encode(x), torch.cat(feats, 1))
    unnamed = SeriesSet(series=data.series, labels=data.labels, class_names=data.class_names)
    with pytest.raises(ValueError, match="^data: expected series whose channel names"):
        CrossSensor.for_data(unnamed)
    with pytest.raises(ValueError, match="^groups"):
        CrossSensor(in_channels=6)
    with pytest.raises(ValueError, match="^groups"):
        CrossSensor(in_channels=6, groups=[[0, 1, 2], [2, 3]])   # overlapping


@pytest.mark.parametrize("name", ["TS2Vec", "CPC", "TSTCC"])
def test_bad_inputs_name_the_argument(name, data):
    method = tiny(name, data)
    with pytest.raises(ValueError, match="^series: expected a \\(B, 6, T\\)"):
        method.encode(torch.zeros(2, 3, 32))
    with pytest.raises(TypeError, match="^series"):
        method.encode(torch.zeros(2, 6, 32, dtype=torch.long))
    with pytest.raises(ValueError, match="^encoder"):
        CLASSES[name](encoder="convnet")
    with pytest.raises(ValueError, match="^data"):
        fit(tiny(name, data, in_channels=3), data, epochs=1, batch_size=8, progress=False)


@pytest.mark.parametrize("name", ["CPC", "TSTCC"])
def test_a_horizon_as_long_as_the_series_is_refused(name, data):
    method = tiny(name, data, horizons=64)     # the series have 64 steps
    with pytest.raises(ValueError, match="^horizons: expected fewer than the series' 64 steps"):
        fit(method, data, epochs=1, batch_size=8, progress=False)


def test_ts2vec_represents_with_the_mean_of_its_weights(data):
    """swa: after fit, the averaged encoder holds the mean of the weights after each step;
    encode uses it (swa=False: the last weights)."""
    method = tiny("TS2Vec", data)
    seen = []
    original = method.on_step_end

    def record(step, total):
        seen.append([p.detach().clone() for p in method.encoder.parameters()])
        original(step, total)

    method.on_step_end = record
    fit(method, data, epochs=1, batch_size=8, max_steps=3, progress=False, device="cpu")
    assert int(method.n_averaged) == 3
    for i, p in enumerate(method.averaged.parameters()):
        torch.testing.assert_close(p, torch.stack([s[i] for s in seen]).mean(0))
    x = data.series[:4]
    method.eval()
    with torch.no_grad():
        torch.testing.assert_close(method.encode(x), method.averaged(x))
        method.config["swa"] = False
        torch.testing.assert_close(method.encode(x), method.encoder(x))
