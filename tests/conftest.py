import os

import pytest
import torch

os.environ.setdefault("MMCL_FAST", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def tiny_shapes():
    from mmcl_lite.data import make_shapes

    return make_shapes(96, seed=3, image_size=16)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
