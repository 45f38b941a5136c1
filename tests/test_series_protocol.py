"""The protocol beyond images: a series dataset trains and evaluates through the same code."""
import pytest
import torch

from mmcl_lite import evaluate
from mmcl_lite.augment import SeriesViews, views_from_config
from mmcl_lite.data import SeriesSet
from mmcl_lite.methods import BYOL, SimCLR
from mmcl_lite.train import fit


def _waves(n=96, length=64, seed=0) -> SeriesSet:
    """Two channels; class 0 a sine, class 1 a square wave, random phase, frequency and noise."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    t = torch.linspace(0, 1, length)
    freq = 2 + 3 * torch.rand(n, 1, generator=g)
    phase = 6.28 * torch.rand(n, 1, generator=g)
    s = torch.sin(6.28 * freq * t + phase)
    s = torch.where(labels[:, None] == 1, torch.sign(s), s)
    x = torch.stack([s, torch.cos(6.28 * freq * t + phase)], dim=1)
    x = x + 0.1 * torch.randn(x.shape, generator=g)
    return SeriesSet(series=x, labels=labels, class_names=["sine", "square"],
                     channel_names=["a", "b"])


def test_series_views_keep_shape_and_take_a_generator():
    x = _waves().series[:8]
    views = SeriesViews()
    v1 = views(x, generator=torch.Generator().manual_seed(0))
    v2 = views(x, generator=torch.Generator().manual_seed(0))
    assert v1.shape == x.shape and torch.equal(v1, v2) and not torch.equal(v1, x)
    # no crop, no scaling, no jitter: the identity
    same = SeriesViews(crop_scale=(1.0, 1.0), scale_sigma=0.0, jitter_sigma=0.0)(x)
    torch.testing.assert_close(same, x)
    assert views_from_config({"crop_scale": [0.5, 1.0], "scale_sigma": 0.1,
                              "jitter_sigma": 0.05}) == views
    with pytest.raises(ValueError, match="^series"):
        views(torch.full((2, 2, 8), float("nan")))


@pytest.mark.parametrize("cls", [SimCLR, BYOL])
def test_a_method_trains_on_series_and_evaluation_follows(cls):
    torch.manual_seed(0)
    data = _waves()
    train, test = data.split(0.25)
    method = cls(encoder="dilated_conv", in_channels=2, proj_dim=16, proj_hidden=32)
    assert method.modality == "series" and isinstance(method.views, SeriesViews)
    history = fit(method, train, epochs=2, batch_size=24, knn_monitor=(train, test),
                  progress=False)
    assert history.status == "completed" and len(history.steps) == 2 * (len(train) // 24)
    z = evaluate.embed(method, test)
    assert z.shape == (len(test), method.feature_dim) and bool(torch.isfinite(z).all())
    rows = evaluate.compare(method, train, test)
    assert set(rows) == {"raw inputs", "random encoder", cls.__name__}
    rebuilt = cls.from_config(method.config)
    assert rebuilt.views == method.views and rebuilt.modality == "series"


def test_series_set_checks_and_selects():
    data = _waves(n=10)
    mask = torch.zeros(10, dtype=torch.bool)
    mask[[1, 4]] = True
    assert torch.equal(data.subset(mask).labels, data.labels[[1, 4]])
    with pytest.raises(TypeError, match="^index"):
        data.subset(torch.tensor([0.5, 1.5]))
    with pytest.raises(ValueError, match="^lengths"):
        SeriesSet(series=data.series, labels=data.labels, class_names=["a", "b"],
                  lengths=torch.full((10,), 999))
    with pytest.raises(TypeError, match="^series"):
        SeriesSet(series=data.series.long(), labels=data.labels, class_names=["a", "b"])
    with pytest.raises(ValueError, match="^data"):  # images method, series data
        SimCLR().batch_fields(data)
    with pytest.raises(ValueError, match="^data"):  # 2-channel data, 3-channel encoder
        SimCLR(encoder="dilated_conv").batch_fields(data)
