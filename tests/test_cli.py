"""The command line as a new user meets it: every method trains, bad input is one line, exit 2."""
import os
import subprocess
import sys

import pytest

from mmcl_lite.__main__ import main
from mmcl_lite.methods import METHODS
from mmcl_lite.training import load_checkpoint


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_trains_from_the_cli(name, tmp_path, monkeypatch, capsys):
    """Case-insensitive names; a few steps in FAST mode; a table and a checkpoint that loads."""
    monkeypatch.setenv("MMCL_FAST", "1")
    out = tmp_path / "model.pt"
    series = METHODS[name].SETTINGS.get("encoder") == "dilated_conv"
    main(["train", "--method", name.lower(), "--data", "activities" if series else "shapes",
          "--epochs", "1", "--batch-size", "32", "--max-steps", "2", "--out", str(out)])
    printed = capsys.readouterr().out
    assert "random encoder" in printed and name in printed and f"checkpoint: {out}" in printed
    method, history = load_checkpoint(out, with_history=True)
    assert type(method).__name__ == name and len(history.steps) == 2


@pytest.mark.parametrize("argv, names", [
    (["train", "--method", "nope"], "--method"),
    (["train", "--data", "imagenet"], "--data"),
    (["train", "--encoder", "vit"], "--encoder"),
    (["train", "--epochs", "0"], "--epochs"),
    (["train", "--epochs", "two"], "--epochs"),
    (["train", "--batch-size", "0"], "--batch-size"),
    (["train", "--lr", "nan"], "--lr"),
    (["train", "--lr", "-1"], "--lr"),
    (["train", "--max-steps", "0"], "--max-steps"),
    (["train", "--batch-size", "100000", "--epochs", "1"], "batch_size"),
    (["train", "--data", "cifar10", "--epochs", "1"], "CIFAR-10"),
    (["bench", "nothing"], "what"),
    (["bench", "methods", "--methods", "SimCLR,Nope"], "methods"),
    (["bench", "methods", "--steps", "-3"], "--steps"),
    (["bench", "recipe", "--seeds", "1,x"], "--seeds"),
    (["bench", "recipe", "--seeds", "1,1"], "--seeds"),
    (["bench", "recipe", "--recipe", "simclr"], "--recipe"),
    (["bench", "series", "--datasets", "basicmotions,nope"], "datasets"),
    (["bench", "series", "--methods", "TS2Vec,SimCLR"], "methods"),
    (["bench", "series", "--seeds", "0"], "--seeds"),
    (["bench", "series", "--seeds", "0,1"], "--seeds"),
    (["bench", "series", "--steps", "0"], "--steps"),
    (["train", "--method", "cpc", "--data", "uea:NoSuchProblem"], "is not bundled"),
    (["train", "--method", "crosssensor", "--data", "japanesevowels"], "sensors"),
    (["train", "--method", "simclr", "--data", "basicmotions"], "data"),  # a ConvNet on series
    (["frobnicate"], "command"),
    (["zoo", "--names", "nope"], "name"),
    (["zoo", "--names", "simclr-shapes"], "overwrite"),   # a shipped run is never replaced silently
])
def test_bad_arguments_are_one_line_and_exit_2(argv, names, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("MMCL_FAST", "1")
    monkeypatch.setenv("MMCL_DATA", str(tmp_path))  # no CIFAR-10 here
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert names in err and "error" in err and "Traceback" not in err


def test_help_lists_methods_and_datasets(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for name in list(METHODS) + ["shapes", "digits", "cifar10"]:
        assert name in text


def test_a_real_process_prints_no_traceback(tmp_path):
    """The same through `python -m mmcl_lite`, as a user types it."""
    env = dict(os.environ, MMCL_FAST="1")
    run = subprocess.run([sys.executable, "-m", "mmcl_lite", "train", "--batch-size", "100000",
                          "--epochs", "1", "--out", str(tmp_path / "m.pt")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "batch_size" in run.stderr
    assert "Traceback" not in run.stderr


def test_bench_recipe_prints_every_seed_and_the_spread(monkeypatch, capsys):
    monkeypatch.setenv("MMCL_FAST", "1")
    main(["bench", "recipe", "--seeds", "0,3"])
    printed = capsys.readouterr().out
    assert "simclr-shapes over 2 seeds" in printed
    for label in ("seed 0:", "seed 3:", "mean", "spread"):
        assert label in printed, label


def test_bench_series_prints_the_table_with_baselines_and_published_rows(monkeypatch, capsys):
    """FAST: two steps of one method, one seed, on BasicMotions; the table on stdout, the
    progress on stderr."""
    monkeypatch.setenv("MMCL_FAST", "1")
    main(["bench", "series", "--datasets", "basicmotions", "--methods", "ts2vec",
          "--seeds", "1"])
    captured = capsys.readouterr()
    table = captured.out[captured.out.index("SVM test accuracy"):]
    for label in ("BasicMotions", "TS2Vec",
                  "TS2Vec, random weights", "raw SVM", "DTW 1-NN", "MiniRocket",
                  "TS2Vec (published)", "TS-TCC (published)", "over 1 seed"):
        assert label in table, label
    assert "seed 0: SVM" in captured.err and "seed 0: SVM" not in captured.out
