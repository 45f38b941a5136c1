import pickle

import numpy as np
import pytest
import torch

from mmcl_lite.data import ImageSet, index_batches, load_cifar10, load_digits, make_shapes
from mmcl_lite.data.images.shapes import BACKGROUNDS, COLOURS, SHAPES, SIZES


def test_shapes_deterministic_and_well_formed():
    a, b = make_shapes(50, seed=1), make_shapes(50, seed=1)
    assert torch.equal(a.images, b.images) and a.captions == b.captions
    assert not torch.equal(a.images, make_shapes(50, seed=2).images)
    assert a.images.dtype == torch.uint8 and a.images.shape == (50, 3, 32, 32)
    assert a.num_classes == len(SHAPES) >= 5
    assert set(a.attributes) >= {"shape", "colour", "size", "position", "background", "rotation"}


def test_shapes_classes_balanced_and_factors_vary():
    s = make_shapes(600, seed=0, image_size=16)
    counts = torch.bincount(s.labels, minlength=len(SHAPES))
    assert counts.max() - counts.min() <= 1
    for name, values in [("colour", COLOURS), ("size", SIZES), ("background", BACKGROUNDS)]:
        assert len(torch.unique(s.attributes[name])) == len(values)


def test_caption_matches_attributes():
    s = make_shapes(30, seed=4)
    for i in range(30):
        cap = s.captions[i]
        for attr in ("shape", "colour", "size", "background"):
            word = s.attribute_names[attr][int(s.attributes[attr][i])]
            assert word in cap, (attr, word, cap)
        assert cap.startswith("a ")


def test_shape_changes_pixels_less_than_nuisances():
    """Raw pixels should be a poor representation: mean image differs little between classes."""
    s = make_shapes(1200, seed=0, image_size=16)
    x = s.float_images().flatten(1)
    class_means = torch.stack([x[s.labels == c].mean(0) for c in range(s.num_classes)])
    between = class_means.var(0).mean()
    within = x.var(0).mean()
    assert between < 0.05 * within


def test_make_shapes_bad_input():
    with pytest.raises(ValueError, match="n"):
        make_shapes(0)
    with pytest.raises(ValueError, match="image_size"):
        make_shapes(10, image_size=4)


def test_digits():
    d = load_digits()
    assert d.images.shape == (1797, 1, 16, 16) and d.num_classes == 10
    assert load_digits(image_size=8).images.max() == 255


def test_imageset_validation_split_subset():
    with pytest.raises(ValueError, match="images"):
        ImageSet(images=torch.zeros(2, 3, 4, 4), labels=torch.zeros(2, dtype=torch.long),
                 class_names=["a"])
    s = make_shapes(40, image_size=8)
    tr, te = s.split(0.25, seed=0)
    assert len(tr) == 30 and len(te) == 10
    sub = s.subset([3, 1])
    assert sub.captions == [s.captions[3], s.captions[1]]
    assert torch.equal(sub.attributes["colour"], s.attributes["colour"][[3, 1]])


def test_index_batches():
    g = torch.Generator().manual_seed(0)
    batches = list(index_batches(10, 3, generator=g))
    assert len(batches) == 3 and all(len(b) == 3 for b in batches)
    assert len(torch.cat(batches).unique()) == 9
    assert len(list(index_batches(10, 3, drop_last=False, shuffle=False))) == 4
    with pytest.raises(ValueError, match="batch_size"):
        list(index_batches(10, 11))


def _write_fake_cifar(root, n_per_batch=20):
    """A small archive in CIFAR-10's own on-disk format (pickled dicts of uint8 rows)."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    names = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5",
             "test_batch"]
    for name in names:
        entry = {"data": rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8),
                 "labels": rng.integers(0, 10, n_per_batch).tolist(), "batch_label": name}
        with open(folder / name, "wb") as fh:
            pickle.dump(entry, fh)
    with open(folder / "batches.meta", "wb") as fh:
        pickle.dump({"label_names": [f"class{i}" for i in range(10)]}, fh)
    return folder


def test_cifar10_from_disk_and_cache(tmp_path):
    folder = _write_fake_cifar(tmp_path)
    train = load_cifar10(tmp_path, train=True)
    test = load_cifar10(tmp_path, train=False)
    assert train.images.shape == (100, 3, 32, 32) and len(test) == 20
    with open(folder / "data_batch_1", "rb") as fh:
        first = pickle.load(fh)
    assert torch.equal(train.images[0].flatten(), torch.from_numpy(first["data"][0]))
    assert (tmp_path / "cifar10_train.pt").exists()
    import shutil
    shutil.rmtree(folder)  # the cache alone is enough now
    again = load_cifar10(tmp_path, train=True)
    assert torch.equal(again.images, train.images) and again.class_names[0] == "class0"


def test_cifar10_offline_message(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True"):
        load_cifar10(tmp_path / "nothing", download=False)
