"""Bad inputs across the public API, one table: each gets the right exception type and a
message that starts with the argument's name, in the kit's one style ("name: expected X, got
Y"). Nothing deep inside torch or Python, and nothing silent."""
import math
import urllib.error

import pytest
import torch

from mmcl_lite import evaluate
from mmcl_lite.augment import ImageViews, MultiCropViews, SeriesViews
from mmcl_lite.data import ImageSet, SeriesSet, load_dataset, make_shapes
from mmcl_lite.data.images import load_cifar10, load_digits
from mmcl_lite.losses import (alignment, clip_loss, info_nce, nt_xent, sinkhorn, swav_loss,
                              uniformity)
from mmcl_lite.methods import BYOL, CLIP, MoCo, SimCLR, SimSiam, SwAV, method_by_name
from mmcl_lite.models import KeyQueue, MLPHead, build_encoder, ema_update
from mmcl_lite.runtime import OfflineError, seed_everything
from mmcl_lite.train import fit
from mmcl_lite.training import load_checkpoint

SHAPES = make_shapes(40, image_size=16)
Z = torch.randn(8, 4)
NAN = torch.full((8, 4), float("nan"))
IMAGES = torch.zeros(4, 3, 8, 8, dtype=torch.uint8)
LABELS = torch.zeros(4, dtype=torch.long)


def _method():
    return SimCLR(proj_dim=8, proj_hidden=16, image_size=16)


CASES = [
    # ---- data
    ("ImageSet float images", lambda: ImageSet(IMAGES.float(), LABELS, ["a"]), ValueError, "images"),
    ("ImageSet list images", lambda: ImageSet([1, 2], LABELS, ["a"]), TypeError, "images"),
    ("ImageSet labels length", lambda: ImageSet(IMAGES, LABELS[:3], ["a"]), ValueError, "labels"),
    ("ImageSet labels dtype", lambda: ImageSet(IMAGES, LABELS.float(), ["a"]), TypeError, "labels"),
    ("ImageSet label out of range", lambda: ImageSet(IMAGES, LABELS + 5, ["a"]), ValueError, "labels"),
    ("ImageSet captions length", lambda: ImageSet(IMAGES, LABELS, ["a"], captions=["x"]), ValueError, "captions"),
    ("ImageSet paired mask", lambda: ImageSet(IMAGES, LABELS, ["a"], paired=torch.ones(4)), TypeError, "paired"),
    ("subset float index", lambda: SHAPES.subset(torch.tensor([0.5])), TypeError, "index"),
    ("subset short mask", lambda: SHAPES.subset(torch.ones(3, dtype=torch.bool)), ValueError, "index"),
    ("subset out of range", lambda: SHAPES.subset([999]), ValueError, "index"),
    ("split fraction", lambda: SHAPES.split(1.5), ValueError, "test_fraction"),
    ("SeriesSet int series", lambda: SeriesSet(torch.zeros(4, 2, 8, dtype=torch.long), LABELS, ["a"]), TypeError, "series"),
    ("SeriesSet NaN series", lambda: SeriesSet(torch.full((4, 2, 8), math.nan), LABELS, ["a"]), ValueError, "series"),
    ("SeriesSet rank", lambda: SeriesSet(torch.zeros(4, 8), LABELS, ["a"]), ValueError, "series"),
    ("make_shapes n", lambda: make_shapes(0), ValueError, "n"),
    ("make_shapes float n", lambda: make_shapes(10.5), TypeError, "n"),
    ("make_shapes image_size", lambda: make_shapes(10, image_size=4), ValueError, "image_size"),
    ("load_digits image_size", lambda: load_digits(image_size=3), ValueError, "image_size"),
    ("unknown dataset", lambda: load_dataset("imagenet"), ValueError, "data"),
    # ---- views
    ("brightness inf", lambda: ImageViews(brightness=math.inf), ValueError, "brightness"),
    ("hue nan", lambda: ImageViews(hue=math.nan), ValueError, "hue"),
    ("flip_p > 1", lambda: ImageViews(flip_p=1.5), ValueError, "flip_p"),
    ("crop_scale reversed", lambda: ImageViews(crop_scale=(0.9, 0.2)), ValueError, "crop_scale"),
    ("crop_scale number", lambda: ImageViews(crop_scale=0.5), TypeError, "crop_scale"),
    ("views of 0-255 floats", lambda: ImageViews()(255 * torch.rand(2, 3, 8, 8)), ValueError, "images"),
    ("views of a list", lambda: ImageViews()([1, 2]), TypeError, "images"),
    ("multicrop n_local", lambda: MultiCropViews.swav(16, n_local=-1), ValueError, "n_local"),
    ("series views jitter", lambda: SeriesViews(jitter_sigma=-1.0), ValueError, "jitter_sigma"),
    ("series views rank", lambda: SeriesViews()(torch.zeros(2, 8)), ValueError, "series"),
    # ---- losses
    ("nt_xent temperature 0", lambda: nt_xent(Z, Z, temperature=0.0), ValueError, "temperature"),
    ("nt_xent NaN", lambda: nt_xent(NAN, Z), ValueError, "z1"),
    ("nt_xent shapes", lambda: nt_xent(Z, Z[:4]), ValueError, "z2"),
    ("nt_xent one row", lambda: nt_xent(Z[:1], Z[:1]), ValueError, "z1"),
    ("nt_xent list", lambda: nt_xent([[1.0]], Z), TypeError, "z1"),
    ("info_nce reduction", lambda: info_nce(Z, Z, reduction="avg"), ValueError, "reduction"),
    ("clip_loss huge scale", lambda: clip_loss(Z, Z, 1000.0), ValueError, "logit_scale"),
    ("uniformity collapsed to 0", lambda: uniformity(torch.zeros(8, 4)), ValueError, "z"),
    ("alignment zero rows", lambda: alignment(torch.zeros(8, 4), Z), ValueError, "z1"),
    ("sinkhorn iterations", lambda: sinkhorn(Z, iterations=0), ValueError, "iterations"),
    ("swav_loss codes_from", lambda: swav_loss([Z, Z], codes_from=(5,)), ValueError, "codes_from"),
    # ---- models
    ("encoder name", lambda: build_encoder("vit"), ValueError, "encoder"),
    ("encoder channels", lambda: build_encoder("convnet", in_channels=0), ValueError, "in_channels"),
    ("head layers", lambda: MLPHead(4, 8, 2, num_layers=0), ValueError, "num_layers"),
    ("queue size", lambda: KeyQueue(0, 4), ValueError, "size"),
    ("queue keys shape", lambda: KeyQueue(4, 4).enqueue(torch.zeros(2, 3)), ValueError, "keys"),
    ("ema tau", lambda: ema_update(MLPHead(2, 2, 2), MLPHead(2, 2, 2), 1.5), ValueError, "tau"),
    # ---- methods
    ("unknown setting", lambda: SimCLR(temprature=0.1), TypeError, "SimCLR"),
    ("temperature negative", lambda: SimCLR(temperature=-1.0), ValueError, "temperature"),
    ("proj_dim float", lambda: SimCLR(proj_dim=1.5), TypeError, "proj_dim"),
    ("seed negative", lambda: SimCLR(seed=-1), ValueError, "seed"),
    ("MoCo ema", lambda: MoCo(ema=2.0), ValueError, "ema"),
    ("MoCo queue_size", lambda: MoCo(queue_size=-5), ValueError, "queue_size"),
    ("BYOL ema_schedule", lambda: BYOL(ema_schedule="linear"), ValueError, "ema_schedule"),
    ("SimSiam stop_gradient", lambda: SimSiam(stop_gradient="yes"), TypeError, "stop_gradient"),
    ("SwAV queue_size", lambda: SwAV(queue_size=-5), ValueError, "queue_size"),
    ("SwAV views", lambda: SwAV(views="multicrop"), TypeError, "views"),
    ("CLIP without captions", lambda: CLIP(), ValueError, "captions"),
    ("CLIP text tower", lambda: CLIP(text_tower="gpt", captions=["a b"]), ValueError, "text_tower"),
    ("method name", lambda: method_by_name("simclrr"), ValueError, "method"),
    ("batch without images", lambda: _method().training_step({"labels": LABELS}), ValueError, "batch"),
    ("channels mismatch", lambda: SimCLR(in_channels=1).batch_fields(SHAPES), ValueError, "data"),
    # ---- training
    ("fit epochs 0", lambda: fit(_method(), SHAPES, epochs=0), ValueError, "epochs"),
    ("fit batch too big", lambda: fit(_method(), SHAPES, batch_size=100000), ValueError, "batch_size"),
    ("fit lr nan", lambda: fit(_method(), SHAPES, lr=math.nan), ValueError, "lr"),
    ("fit weight_decay negative", lambda: fit(_method(), SHAPES, weight_decay=-1.0), ValueError, "weight_decay"),
    ("fit data list", lambda: fit(_method(), [1, 2, 3]), TypeError, "data"),
    ("fit method", lambda: fit("SimCLR", SHAPES), TypeError, "method"),
    ("seed_everything str", lambda: seed_everything("0"), TypeError, "seed"),
    ("load_checkpoint missing", lambda: load_checkpoint("/nonexistent/model.pt"), ValueError, "path"),
    # ---- evaluation
    ("knn k 0", lambda: evaluate.knn_accuracy(Z, LABELS.repeat(2), Z, LABELS.repeat(2), k=0), ValueError, "k"),
    ("knn NaN features", lambda: evaluate.knn_accuracy(NAN, LABELS.repeat(2), Z, LABELS.repeat(2)), ValueError, "train_x"),
    ("knn label count", lambda: evaluate.knn_accuracy(Z, LABELS, Z, LABELS.repeat(2)), ValueError, "train_y"),
    ("probe backend", lambda: evaluate.linear_probe_accuracy(Z, LABELS.repeat(2), Z, LABELS.repeat(2), backend="sklaern"), ValueError, "backend"),
    ("embed wrong rank", lambda: evaluate.embed(_method(), torch.zeros(3, 4)), ValueError, "data"),
    ("embed 0-255 floats", lambda: evaluate.embed(_method(), 255 * torch.rand(2, 3, 16, 16)), ValueError, "data"),
    ("zero-shot attribute", lambda: evaluate.attribute_labels(SHAPES, "texture"), ValueError, "attribute"),
    ("retrieval shapes", lambda: evaluate.retrieval_metrics(Z, Z[:4]), ValueError, "text_emb"),
    ("held-out pair", lambda: evaluate.split_by_combinations(SHAPES, [("hexagon", "red")]), ValueError, "held_out"),
    # ---- empty inputs
    ("nt_xent empty", lambda: nt_xent(torch.zeros(0, 4), torch.zeros(0, 4)), ValueError, "z1"),
    ("knn empty", lambda: evaluate.knn_accuracy([], [], Z, LABELS.repeat(2)), ValueError, "train_x"),
    ("embed empty", lambda: evaluate.embed(_method(), torch.zeros(0, 3, 16, 16)), ValueError, "data"),
    ("zero-shot no classes", lambda: evaluate.zero_shot_classifier(None, []), ValueError, "class_names"),
    ("CLIP empty captions", lambda: CLIP(captions=[]), ValueError, "captions"),
    ("methods none", lambda: method_by_name(""), ValueError, "method"),
    ("fit history list", lambda: fit(_method(), SHAPES, batch_size=8, history=[]), TypeError, "history"),
]


@pytest.mark.parametrize("label, call, error, name", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(label, call, error, name):
    with pytest.raises(error) as info:
        call()
    assert str(info.value).startswith(f"{name}:"), str(info.value)
    assert "expected" in str(info.value)


def test_the_table_is_large():
    assert len(CASES) >= 50


def test_cifar_download_offline_says_what_to_do(tmp_path, monkeypatch):
    import torchvision.datasets

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("no route to host")
    monkeypatch.setattr(torchvision.datasets, "CIFAR10", no_network)
    with pytest.raises(OfflineError, match="Offline: copy"):
        load_cifar10(tmp_path, download=True)
    with pytest.raises(FileNotFoundError, match="Offline: copy"):
        load_cifar10(tmp_path, download=False)
