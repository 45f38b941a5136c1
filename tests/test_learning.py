"""Every self-supervised method learns: seeded training on the demo's shapes lifts the kNN
accuracy of its encoder clearly above what the same weights gave before training (epoch 0 of
the kNN monitor: the random-encoder baseline of that very initialisation).

The data and views are the demo's recipe (``zoo.recipe("simclr-shapes")``: 24-px views with
free rotation and strong colour changes), with batch 128 and AdamW (lr 2e-3, weight decay 0.01).
SimCLR's check runs in ``make test`` (about half a minute); the others need minutes each on 2
CPU cores and run with ``make test-learning``. The epochs and margins come from full runs of
this recipe (43 epochs, 1,505 steps), whose kNN curves had passed these margins by the epochs
used here: SimCLR +20 points by epoch 5, MoCo +17 and SwAV +19 by epoch 10. BYOL's EMA and
learning-rate schedules span the whole run, so a 15-epoch run learns more slowly than epoch 15
of a 43-epoch one: it measured +8.3 points, hence its smaller margin (``BUDGETS``); SimSiam
trains with BYOL's heads and predictor learning rate (``_settings``) and is held to the same.
"""
import pytest

from mmcl_lite import zoo
from mmcl_lite.augment import MultiCropViews
from mmcl_lite.methods import METHODS
from mmcl_lite.runtime import seed_everything
from mmcl_lite.train import fit
from mmcl_lite.training.defaults import DEMO

# method: (epochs of the demo's data, required kNN gain over epoch 0)
BUDGETS = {"SimCLR": (5, 0.12), "MoCo": (10, 0.10), "BYOL": (15, 0.05), "SwAV": (10, 0.10),
           "SimSiam": (15, 0.05)}
# SimSiam with the paper's CIFAR heads (projector 2,048, predictor bottleneck 512) did not learn
# on this recipe (1,505 steps: linear 32.2%, kNN 20.9%, against the random encoder's 37.9% and
# 25.3%). BYOL's narrower heads with a predictor at 10x the learning rate do: kNN 39.9% after
# 1,505 steps, +8.6 points by epoch 15 of that run, and +7.6 in this 15-epoch run (whose schedule
# is shorter), hence its margin. A method listed here is an expected, strict failure.
KNOWN_NOT_LEARNING = set()


@pytest.fixture(scope="module")
def shapes():
    return zoo.recipe_data("simclr-shapes")


def _settings(name: str) -> dict:
    if name == "SwAV":  # its views are multi-crop; crops that keep the object (notebook 06)
        views = DEMO["views"].replace(crop_scale=(0.6, 1.0))
        return dict(seed=0, views=MultiCropViews(global_views=views, local_views=views,
                                                 n_global=2, n_local=0))
    if name == "SimSiam":  # BYOL's narrower heads and fast predictor (see methods.SimSiam)
        return dict(seed=0, views=DEMO["views"], proj_dim=128, proj_hidden=512,
                    pred_hidden=512, predictor_lr_scale=10.0)
    return dict(seed=0, views=DEMO["views"])


def _knn_gain(name: str, shapes) -> tuple[float, list]:
    train, test = shapes
    seed_everything(0)
    method = METHODS[name](**_settings(name))
    epochs, _ = BUDGETS[name]
    history = fit(method, train, epochs=epochs, batch_size=128, lr=2e-3, weight_decay=0.01,
                  seed=0, progress=False, knn_monitor=(train, test))
    assert history.status == "completed", history.message
    knn = history.metric("knn")
    return knn[-1] - knn[0], list(knn)


@pytest.mark.slow
def test_simclr_learns_beyond_its_random_encoder(shapes):
    gain, curve = _knn_gain("SimCLR", shapes)
    assert gain > BUDGETS["SimCLR"][1], curve


@pytest.mark.learning
@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason="does not learn on this recipe yet"))
    if n in KNOWN_NOT_LEARNING else n for n in BUDGETS if n != "SimCLR"])
def test_each_method_learns_beyond_its_random_encoder(name, shapes):
    gain, curve = _knn_gain(name, shapes)
    assert gain > BUDGETS[name][1], (name, curve)
