"""Series data: the UEA/UCR loader (bundled sets, cache, missing values, normalisation) and the
synthetic accelerometer + gyroscope generator (determinism, balance, physics)."""
import math
import warnings

import numpy as np
import pytest
import torch

from mmcl_lite.data import (DATASETS, UEA_BUNDLED, SeriesSet, load_dataset, load_uea,
                            make_activities)
from mmcl_lite.data.series import activities as act
from mmcl_lite.data.series import rotations as rot
from mmcl_lite.data.series.prepare import fill_missing, pad_items, prepare_splits
from mmcl_lite.data.series.uea import _class_order


@pytest.fixture(scope="module")
def basic():
    return load_uea("BasicMotions")


@pytest.fixture(scope="module")
def vowels():
    return load_uea("japanesevowels")


def _valid(s: SeriesSet) -> torch.Tensor:
    """(N, 1, T) bool: the steps inside each item's length."""
    if s.lengths is None:
        return torch.ones(len(s), 1, s.length, dtype=torch.bool)
    return (torch.arange(s.length)[None, :] < s.lengths[:, None])[:, None, :]


# ------------------------------------------------------------------------------------- UEA
def test_basicmotions_shapes(basic):
    train, test = basic
    for s in (train, test):
        assert s.series.shape == (40, 6, 100) and s.series.dtype == torch.float32
        assert s.labels.dtype == torch.long and s.lengths is None
        assert s.class_names == ["badminton", "running", "standing", "walking"]
        assert s.channel_names == ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]
        assert torch.bincount(s.labels).tolist() == [10, 10, 10, 10]
        assert s.name == "BasicMotions"


def test_japanese_vowels_variable_length(vowels):
    train, test = vowels
    assert (len(train), len(test)) == (270, 370)
    assert train.channels == test.channels == 12 and train.length == test.length == 29
    assert train.num_classes == 9 and train.class_names == [str(i) for i in range(1, 10)]
    for s in (train, test):
        assert s.lengths.dtype == torch.long
        assert 7 <= int(s.lengths.min()) and int(s.lengths.max()) <= 29
        assert bool((s.series.masked_fill(_valid(s), 0) == 0).all())  # zeros beyond lengths
        # the last valid step is data, not padding (a z-score is rarely exactly zero)
        last = s.series[torch.arange(len(s)), :, s.lengths - 1]
        assert bool((last != 0).any(dim=1).all())
    assert int(test.lengths.max()) == 29


@pytest.mark.parametrize("which", ["basic", "vowels"])
def test_train_statistics_normalise_each_channel(which, request):
    train, test = request.getfixturevalue(which)
    mask = _valid(train).expand_as(train.series)
    x = train.series.double().transpose(0, 1)[mask.transpose(0, 1)].view(train.channels, -1)
    assert torch.allclose(x.mean(1), torch.zeros(train.channels, dtype=torch.float64),
                          atol=1e-5)
    assert torch.allclose(x.std(1, unbiased=False), torch.ones(train.channels,
                                                               dtype=torch.float64), atol=1e-4)
    assert torch.isfinite(test.series).all()


def test_names_are_case_insensitive(basic):
    again, _ = load_uea("BASICMOTIONS")
    assert torch.equal(again.series, basic[0].series)


def test_unbundled_name_lists_the_bundled_sets(tmp_path):
    with pytest.raises(ValueError, match=r"^name: ") as err:
        load_uea("Epilepsy", cache_dir=tmp_path)
    for name in UEA_BUNDLED:
        assert name in str(err.value)
    assert "not bundled" in str(err.value) and "download=True" in str(err.value)
    with pytest.raises(TypeError, match=r"^name: "):
        load_uea(3)
    with pytest.raises(TypeError, match=r"^download: "):
        load_uea("BasicMotions", download="yes")


def test_bundled_list_matches_aeon():
    from mmcl_lite.data.series.uea import _bundled_root, _pair

    for name in UEA_BUNDLED:
        assert all(p.is_file() for p in _pair(_bundled_root(), name)), name


TS_HEADER = """#a tiny problem written by the test
@problemName Tiny
@timeStamps false
@missing true
@univariate false
@dimensions 2
@equalLength true
@seriesLength 6
@classLabel true b a
@data
"""


def _write_tiny(folder, train_rows, test_rows):
    folder.mkdir(parents=True)
    for split, rows in (("TRAIN", train_rows), ("TEST", test_rows)):
        (folder / f"Tiny_{split}.ts").write_text(TS_HEADER + "\n".join(rows) + "\n")


def test_cached_ts_file_with_missing_values(tmp_path):
    _write_tiny(tmp_path / "Tiny",
                ["1,2,?,4,5,6:1,1,1,1,1,1:a",       # one interior gap
                 "?,2,3,4,?,?:0,2,4,6,?,?:b",       # a leading gap, trailing padding
                 "1,2,3,4,5,6:?,?,?,?,?,?:a"],      # a channel never observed
                ["6,5,4,3,2,1:1,2,?,?,5,6:b"])      # two interior gaps in the test split
    with pytest.warns(UserWarning, match=r"Tiny: 10 missing value\(s\)"):
        train, test = load_uea("tiny", cache_dir=tmp_path)
    assert train.class_names == ["a", "b"] and train.labels.tolist() == [0, 1, 0]
    assert train.lengths.tolist() == [6, 4, 6] and test.lengths is None
    assert torch.isfinite(train.series).all() and torch.isfinite(test.series).all()
    assert bool((train.series[1, :, 4:] == 0).all())
    # train statistics from observed values only: channel 0 holds 1..6 (twice) and 2, 3, 4
    seen = np.array([1, 2, 4, 5, 6, 2, 3, 4, 1, 2, 3, 4, 5, 6], dtype=float)
    mean, std = seen.mean(), seen.std()
    assert train.series[0, 0, 2].item() == pytest.approx((3 - mean) / std, abs=1e-6)  # 2..4
    assert train.series[1, 0, 0].item() == pytest.approx((2 - mean) / std, abs=1e-6)  # held
    assert bool((train.series[2, 1] == 0).all())  # unobserved: the train mean
    ch1 = np.array([1] * 6 + [0, 2, 4, 6], dtype=float)
    expect = (np.array([1, 2, 3, 4, 5, 6]) - ch1.mean()) / ch1.std()
    assert np.allclose(test.series[0, 1].numpy(), expect, atol=1e-6)  # 2 -> 3, 4 interpolated


def test_fill_missing_rules():
    x = pad_items([np.array([[np.nan, 1.0, np.nan, 3.0, np.nan]]),
                   np.array([[np.nan, np.nan]])], length=6)
    filled, lengths, observed, count = fill_missing(x)
    assert lengths.tolist() == [4, 1]           # trailing NaN shortens; all-NaN keeps one step
    assert np.allclose(filled[0, 0, :4], [1, 1, 2, 3])   # held at the start, linear inside
    assert np.isnan(filled[0, 0, 4:]).all() and count == 3
    assert observed[0, 0].tolist() == [False, True, False, True, False, False]
    (train, n_train), (test, _), _ = prepare_splits([np.array([[1.0, 3.0]])],
                                                    [np.array([[5.0]])])
    assert n_train is None and train[0, 0].tolist() == [-1.0, 1.0]
    assert test[0, 0].tolist() == [3.0, 0.0]     # train statistics; padded with zero


def test_class_order_is_numeric_when_labels_are_numbers():
    assert _class_order(["10", "2", "1", "2"]) == ["1", "2", "10"]
    assert _class_order(["walk", "run"]) == ["run", "walk"]


# -------------------------------------------------------------------------------- activities
def test_activities_shapes_and_determinism():
    a, b = make_activities(120, seed=3), make_activities(120, seed=3)
    assert torch.equal(a.series, b.series) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.series, make_activities(120, seed=4).series)
    assert a.series.shape == (120, 6, 128) and a.series.dtype == torch.float32
    assert a.lengths is None and a.class_names == list(act.ACTIVITIES)
    assert a.channel_names == ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]
    assert make_activities(10, length=16).series.shape == (10, 6, 16)


def test_activities_balanced_with_varied_attributes():
    s = make_activities(1200, seed=0)
    counts = torch.bincount(s.labels, minlength=len(act.ACTIVITIES))
    assert counts.max() - counts.min() <= 1
    assert set(s.attributes) == {"activity", "speed", "orientation", "noise"}
    assert torch.equal(s.attributes["activity"], s.labels)
    for key, values in s.attribute_names.items():
        attr = s.attributes[key]
        assert attr.dtype == torch.long and attr.shape == (1200,)
        assert sorted(attr.unique().tolist()) == list(range(len(values))), key
    assert s.attributes["orientation"].unique().tolist() == list(range(4))
    assert make_activities(60, orientation="none").attributes["orientation"].eq(0).all()


def test_activities_are_well_scaled():
    s = make_activities(600, seed=1)
    acc, gyro = s.series[:, :3], s.series[:, 3:]
    assert 0.9 < acc.norm(dim=1).mean() < 1.2      # gravity dominates: about 1 g
    assert gyro.abs().max() < 20                     # rad/s, a few at most
    per_class = torch.stack([acc[s.labels == k].norm(dim=1).std() for k in range(6)])
    assert per_class[act.ACTIVITIES.index("run")] > 3 * per_class[act.ACTIVITIES.index("sit")]


def test_sensor_orientation_keeps_vector_norms():
    """A fixed mount rotates both sensors alike: without sensor errors, |acc| and |gyro| at
    every step do not depend on it, while the channels themselves do."""
    runs = {o: make_activities(60, seed=2, orientation=o, noise=0.0, drift=0.0)
            for o in ("none", "yaw", "full")}
    ref = runs["none"].series
    for o in ("yaw", "full"):
        x = runs[o].series
        assert not torch.allclose(x, ref, atol=1e-2)
        for sl in (slice(0, 3), slice(3, 6)):
            assert torch.allclose(x[:, sl].norm(dim=1), ref[:, sl].norm(dim=1), atol=1e-4)


def test_static_activities_read_one_g_and_posture():
    s = make_activities(240, seed=5, orientation="full", noise=0.0, drift=0.0)
    sit, stand = act.ACTIVITIES.index("sit"), act.ACTIVITIES.index("stand")
    static = (s.labels == sit) | (s.labels == stand)
    norm = s.series[static, :3].norm(dim=1)
    assert (norm - 1).abs().max() < 0.1 and (norm.mean() - 1).abs() < 0.01
    jump = s.series[s.labels == act.ACTIVITIES.index("jump"), :3].norm(dim=1)
    assert jump.min(dim=1).values.max() < 0.2      # free fall in flight: about 0 g
    upright = make_activities(240, seed=5, orientation="none", noise=0.0, drift=0.0)
    acc_x = upright.series[:, 0].mean(1)
    sit, stand = (upright.labels == act.ACTIVITIES.index(a) for a in ("sit", "stand"))
    assert (acc_x[sit] > 0.1).all()                  # leaning back tilts gravity towards +x
    assert (acc_x[stand].abs() < 0.2).all() and acc_x[sit].mean() > acc_x[stand].mean() + 0.2


def test_gyro_integrates_to_the_orientation():
    g = torch.Generator().manual_seed(0)
    f = act._draw(24, 64, "full", g)
    r, acc, gyro = act._kinematics(f, 64)
    r, gyro = r.double(), gyro.double()
    step = rot.exp(gyro / act.SAMPLE_RATE)                  # (n, T, 3, 3)
    assert torch.allclose(r[:, :-1] @ step, r[:, 1:], atol=1e-5)
    integrated = r[:, 0]
    for k in range(64):
        integrated = integrated @ step[:, k]
    assert torch.allclose(integrated, r[:, -1], atol=1e-4)
    assert acc.shape == gyro.shape == (24, 64, 3)


def test_sensor_errors_follow_their_switches():
    clean = make_activities(60, seed=7, noise=0.0, drift=0.0).series
    noisy = make_activities(60, seed=7, noise=1.0, drift=0.0).series
    drifting = make_activities(60, seed=7, noise=0.0, drift=1.0).series
    assert 0.001 < (noisy - clean).std() < 0.1
    d = drifting - clean
    assert torch.allclose(d[:, :3], d[:, :3, :1].expand_as(d[:, :3]), atol=1e-5)  # constant
    assert (d[:, 3:, -1] - d[:, 3:, 0]).abs().max() > 1e-4                        # a walk


def test_rotation_helpers():
    g = torch.Generator().manual_seed(1)
    r = rot.random_rotation(50, g)
    eye = torch.eye(3, dtype=r.dtype).expand_as(r)
    assert torch.allclose(r.transpose(1, 2) @ r, eye, atol=1e-10)
    assert torch.allclose(torch.linalg.det(r), torch.ones(50, dtype=r.dtype))
    w = torch.randn(50, 3, generator=g, dtype=torch.float64)
    w = w / w.norm(dim=1, keepdim=True) * torch.rand(50, 1, generator=g, dtype=w.dtype) * 3
    assert torch.allclose(rot.log(rot.exp(w)), w, atol=1e-8)
    a = torch.tensor([0.3], dtype=torch.float64)
    z = torch.zeros_like(a)
    assert torch.allclose(rot.euler(z, a, z)[0, :, 0], torch.tensor(   # pitch tips x down
        [math.cos(0.3), 0, -math.sin(0.3)], dtype=torch.float64))


@pytest.mark.parametrize("kwargs, error, name", [
    ({"n": 5}, ValueError, "n"),
    ({"n": 12.0}, TypeError, "n"),
    ({"length": 8}, ValueError, "length"),
    ({"seed": -1}, ValueError, "seed"),
    ({"noise": -0.5}, ValueError, "noise"),
    ({"drift": float("nan")}, ValueError, "drift"),
    ({"orientation": "sideways"}, ValueError, "orientation"),
])
def test_make_activities_rejects_bad_parameters(kwargs, error, name):
    with pytest.raises(error, match=rf"^{name}: "):
        make_activities(**{"n": 60, **kwargs})


def test_orientation_error_lists_the_choices():
    with pytest.raises(ValueError, match=r"'none', 'yaw', 'full'"):
        make_activities(60, orientation="tumbling")


# ---------------------------------------------------------------------------------- registry
def test_registry_routes_series():
    assert {"activities", "basicmotions", "japanesevowels"} <= set(DATASETS)
    assert all(name.lower() in DATASETS for name in UEA_BUNDLED)
    train, test = load_dataset("activities", n=120, seed=1)
    assert (len(train), len(test)) == (90, 30) and isinstance(train, SeriesSet)
    train, test = load_dataset("JapaneseVowels")
    assert (len(train), len(test)) == (270, 370)
    train, _ = load_dataset("uea:gunpoint")
    assert train.series.shape == (50, 1, 150)
    with pytest.raises(ValueError, match=r"^data: .*'activities'.*'basicmotions'"):
        load_dataset("imagenet")


def test_padded_set_subsets_keep_lengths(vowels):
    train, _ = vowels
    few = train.per_class(2, seed=0)
    assert len(few) == 18 and few.lengths.shape == (18,)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a bundled set without gaps loads silently
        load_uea("GunPoint")
