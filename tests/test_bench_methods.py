"""compare_methods: every method trained on one budget, a table of baselines + methods."""
import math

import pytest

from mmcl_lite import evaluate
from mmcl_lite.apps.bench_methods import ALL_METHODS, BenchResult, compare_methods
from mmcl_lite.data import make_shapes


@pytest.fixture(scope="module")
def tiny_split():
    return make_shapes(96, seed=1, image_size=16).split(0.25, seed=0)


def test_compare_methods_table_shape(tiny_split, capsys):
    result = compare_methods(tiny_split, steps=2, batch_size=16, progress=False,
                             knn_monitor="test", snapshot_data="test")
    assert isinstance(result, BenchResult) and isinstance(result, dict)
    assert list(result) == ["raw pixels", "random encoder", *ALL_METHODS]
    for name, row in result.items():
        assert 0.0 <= row["linear"] <= 1.0 and 0.0 <= row["knn"] <= 1.0, name
    for name in ALL_METHODS:
        assert result[name]["steps"] == 2 and result[name]["seconds"] > 0
        assert result.histories[name].status == "completed"
        assert len(result.histories[name].snapshots) == 2               # epoch 0 and epoch 1
        assert len(result.histories[name].snapshots[-1][1]) == len(result.snapshot_data)
        assert "knn" in result.histories[name].epochs[-1]
        assert result.methods[name].encode(tiny_split[1].images[:3]).shape[0] == 3
    assert math.isnan(result["raw pixels"]["seconds"])
    printed = capsys.readouterr().out
    assert "estimate" in printed and result.table in printed
    lines = result.table.splitlines()
    assert len(lines) == 2 + len(result)                 # title, header, one line per row
    assert lines[1].split() == ["linear", "knn", "seconds"]
    assert lines[2].split()[-1] == "-"                    # a baseline has no training time


def test_compare_methods_digits_subset_one_channel():
    result = compare_methods("digits", steps=1, batch_size=16, methods=["SimSiam"], n_images=80,
                             progress=False, estimate=False)
    assert list(result) == ["raw pixels", "random encoder", "SimSiam"]
    assert result.train.channels == 1 and result.methods["SimSiam"].config["in_channels"] == 1


@pytest.mark.parametrize("kwargs, error", [
    (dict(data="cifar"), ValueError),
    (dict(data=42), TypeError),
    (dict(methods=["NoSuchMethod"]), ValueError),
    (dict(steps=0), ValueError),
])
def test_compare_methods_bad_arguments(tiny_split, kwargs, error):
    kwargs = {"data": tiny_split, "steps": 1, **kwargs}
    with pytest.raises(error):
        compare_methods(batch_size=16, progress=False, estimate=False, **kwargs)


def test_format_table_numbers_and_missing():
    text = evaluate.format_table({"a": {"linear": 0.5, "seconds": 1234.4},
                                  "b": {"linear": 0.25, "seconds": float("nan")}},
                                 columns=("linear", "seconds"))
    assert text.splitlines()[1].split() == ["a", "50.0%", "1234"]
    assert text.splitlines()[2].split() == ["b", "25.0%", "-"]


def test_cli_bench_methods_passes_its_options(monkeypatch):
    """`python -m mmcl_lite bench methods ...` hands data, budget, batch, methods, lr and seed on,
    and only what was given: the defaults are compare_methods' own (training.defaults)."""
    import mmcl_lite.apps.bench_methods as bench_methods
    from mmcl_lite.__main__ import main

    calls = []
    monkeypatch.setattr(bench_methods, "compare_methods", lambda *a, **k: calls.append((a, k)))
    main(["bench", "methods", "--data", "digits", "--methods", "SwAV,BYOL", "--steps", "7",
          "--batch-size", "512", "--lr", "0.004", "--seed", "3"])
    main(["bench", "methods"])
    (args, kwargs), (default_args, default_kwargs) = calls
    assert args == ("digits",)
    assert kwargs == {"steps": 7, "batch_size": 512, "methods": ["SwAV", "BYOL"], "lr": 0.004,
                      "seed": 3}
    assert default_args == ("shapes",)
    assert default_kwargs == {"seed": 0}
