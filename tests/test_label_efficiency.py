"""Label efficiency: labelled subsets, the supervised baseline, the three curves, the table."""
import dataclasses

import pytest
import torch

from mmcl_lite.augment import ImageViews
from mmcl_lite.data import load_digits, make_shapes, per_class_index
from mmcl_lite.evaluation import linear_probe_accuracy
from mmcl_lite.methods import SimCLR, Supervised
from mmcl_lite.train import fit
from mmcl_lite.training.label_efficiency import (label_efficiency, probe_curve,
                                                 supervised_accuracy, summarise)


@pytest.fixture(scope="module")
def data():
    return make_shapes(240, seed=0, image_size=16).split(0.25, seed=0)


def test_per_class_index_draws_k_of_every_class_reproducibly():
    labels = torch.tensor([0, 1, 2] * 10 + [2, 2])
    idx = per_class_index(labels, 3, seed=1)
    assert torch.bincount(labels[idx]).tolist() == [3, 3, 3]
    assert torch.equal(idx, per_class_index(labels, 3, seed=1))
    assert not torch.equal(idx, per_class_index(labels, 3, seed=2))
    assert torch.equal(per_class_index(labels, None), torch.arange(len(labels)))
    with pytest.raises(ValueError, match=r"^k: expected at most 10 \(the items of class 0\)"):
        per_class_index(labels, 11)
    with pytest.raises(ValueError, match="^k"):
        per_class_index(labels, 0)


def test_a_dataset_keeps_k_labels_per_class(data):
    train, _ = data
    few = train.per_class(2, seed=0)
    assert len(few) == 2 * train.num_classes
    assert torch.bincount(few.labels).tolist() == [2] * train.num_classes
    assert len(few.captions) == len(few)


def test_probe_curve_uses_each_seeds_subset():
    """Features that are the one-hot label plus noise: one label per class is already enough."""
    g = torch.Generator().manual_seed(0)
    y = torch.arange(60) % 3
    x = torch.nn.functional.one_hot(y).float() * 3 + 0.3 * torch.randn(60, 3, generator=g)
    curve = probe_curve(x[:45], y[:45], x[45:], y[45:], per_class=(1, 5, None), seeds=(0, 1))
    assert list(curve) == ["1", "5", "all"]
    assert [len(v) for v in curve.values()] == [2, 2, 1]   # "all" has nothing to draw
    assert min(min(v) for v in curve.values()) == 1.0
    assert curve["all"][0] == linear_probe_accuracy(x[:45], y[:45], x[45:], y[45:])


def test_supervised_learns_from_labels():
    """On digits, 40 steps on 500 labelled images reach 90%; with the labels shuffled there is
    nothing to learn and it stays near chance (10%)."""
    train, test = load_digits().split(0.25, seed=0)
    train = train.subset(slice(0, 500))
    views = ImageViews.weak().replace(flip_p=0.0)
    acc = supervised_accuracy(train, test, steps=40, batch_size=64, seed=0, views=views)
    assert acc > 0.9
    perm = torch.randperm(len(train), generator=torch.Generator().manual_seed(0))
    shuffled = dataclasses.replace(train, labels=train.labels[perm])
    assert supervised_accuracy(shuffled, test, steps=40, batch_size=64, seed=0,
                               views=views) < 0.3


def test_supervised_checks_its_labels(data):
    train, _ = data
    method = Supervised(n_classes=3, image_size=16)
    with pytest.raises(ValueError, match="^labels: expected class indices below n_classes=3"):
        fit(method, train, epochs=1, batch_size=16, progress=False)
    with pytest.raises(ValueError, match="^n_classes"):
        Supervised(n_classes=1)
    with pytest.raises(ValueError, match="^label_smoothing"):
        Supervised(label_smoothing=1.0)
    assert Supervised.for_data(train).config["n_classes"] == train.num_classes


def test_label_efficiency_returns_three_curves(data):
    train, test = data
    curves = label_efficiency(SimCLR(image_size=16, seed=0), train, test, per_class=(1, None),
                              seeds=(0, 1), steps=3, progress=False, image_size=16)
    assert list(curves) == ["self-supervised", "supervised", "raw inputs"]
    for curve in curves.values():
        assert list(curve) == ["1", "all"] and [len(v) for v in curve.values()] == [2, 1]
    summary = summarise(curves)
    mean, spread = summary["raw inputs"]["1"]
    assert mean == pytest.approx(sum(curves["raw inputs"]["1"]) / 2)
    assert spread == pytest.approx(abs(curves["raw inputs"]["1"][0]
                                       - curves["raw inputs"]["1"][1]))


def test_a_multi_crop_method_needs_views_given(data):
    from mmcl_lite.methods import SwAV

    train, test = data
    with pytest.raises(ValueError, match="^views: expected one-view augmentation"):
        label_efficiency(SwAV(image_size=16), train, test, per_class=(1,), seeds=(0,), steps=1,
                         progress=False)


def test_the_plot_draws_one_line_per_learner():
    import matplotlib
    matplotlib.use("Agg")
    from mmcl_lite.viz import plot_label_efficiency

    curves = {"a": {"1": [0.2, 0.4], "all": [0.9]}, "b": {"1": [0.1, 0.1], "all": [0.5]}}
    fig = plot_label_efficiency(curves)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b"]
    assert list(ax.get_lines()[0].get_ydata()) == pytest.approx([30.0, 90.0])
    with pytest.raises(ValueError, match="^curves"):
        plot_label_efficiency({})
