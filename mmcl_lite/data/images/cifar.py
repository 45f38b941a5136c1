"""CIFAR-10 through torchvision, cached as uint8 tensors.

Online, ``load_cifar10(download=True)`` lets torchvision fetch and verify the archive once; we
then read CIFAR's own on-disk format (pickled batches of 10,000 rows of 3072 bytes) into one
uint8 tensor and cache it as a ``.pt`` file so later loads take a fraction of a second.
Offline, point ``root`` at a folder that holds ``cifar-10-batches-py/`` or the cache.
"""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import torch

from ...checks import fail, said
from ...files import write_atomically
from ...runtime import OfflineError
from ..imageset import ImageSet

FOLDER = "cifar-10-batches-py"
TRAIN_FILES = [f"data_batch_{i}" for i in range(1, 6)]
TEST_FILES = ["test_batch"]


def default_root() -> Path:
    """``$MMCL_DATA`` or ``~/.cache/mmcl_lite``: where downloads and tensor caches live."""
    return Path(os.environ.get("MMCL_DATA", Path.home() / ".cache" / "mmcl_lite"))


def _read_batches(folder: Path, files: list[str]) -> tuple[np.ndarray, np.ndarray]:
    images, labels = [], []
    for name in files:
        with open(folder / name, "rb") as fh:
            entry = pickle.load(fh, encoding="latin1")
        images.append(np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        labels.extend(entry["labels"] if "labels" in entry else entry["fine_labels"])
    return np.concatenate(images), np.asarray(labels, dtype=np.int64)


def _class_names(folder: Path) -> list[str]:
    with open(folder / "batches.meta", "rb") as fh:
        return list(pickle.load(fh, encoding="latin1")["label_names"])


def load_cifar10(root=None, train: bool = True, download: bool = False) -> ImageSet:
    """CIFAR-10 (50,000 train / 10,000 test, 32x32 RGB, 10 classes) as an ImageSet.

    Looks for, in order: the tensor cache ``root/cifar10_{train|test}.pt``; the extracted
    archive ``root/cifar-10-batches-py``; with ``download=True`` torchvision's downloader.
    Raises FileNotFoundError saying what to do when none is there.
    """
    root = Path(root) if root is not None else default_root()
    split = "train" if train else "test"
    cache = root / f"cifar10_{split}.pt"
    if cache.exists():
        try:
            blob = torch.load(cache, weights_only=True)
        except Exception as err:  # truncated or foreign: say so, never run what is in it
            fail("root", f"a readable CIFAR-10 cache at {str(cache)!r}",
                 said(f"a damaged file ({type(err).__name__}); delete it and it is rebuilt"))
        return ImageSet(images=blob["images"], labels=blob["labels"],
                        class_names=list(blob["class_names"]), name=f"cifar10-{split}")
    folder = root / FOLDER
    if not folder.exists():
        if not download:
            raise FileNotFoundError(
                f"CIFAR-10 not found under {root}. Online: load_cifar10(root, download=True). "
                f"Offline: copy the extracted '{FOLDER}' folder (from cifar-10-python.tar.gz) "
                f"into {root}, or use make_shapes()/load_digits(), which need no download.")
        from torchvision.datasets import CIFAR10

        root.mkdir(parents=True, exist_ok=True)
        try:
            CIFAR10(str(root), train=train, download=True)  # fetches, checks the archive's md5
        except OSError as err:  # URLError, timeouts, DNS: no network
            raise OfflineError(
                f"CIFAR-10 could not be downloaded ({err}). Offline: copy the extracted "
                f"'{FOLDER}' folder (from cifar-10-python.tar.gz) into {root}, or use "
                "make_shapes()/load_digits(), which need no download.") from err
    images, labels = _read_batches(folder, TRAIN_FILES if train else TEST_FILES)
    names = _class_names(folder)
    blob = {"images": torch.from_numpy(images), "labels": torch.from_numpy(labels),
            "class_names": names}
    write_atomically(cache, lambda f: torch.save(blob, f))
    return ImageSet(images=blob["images"], labels=blob["labels"], class_names=names,
                    name=f"cifar10-{split}")
