"""Helpers shared by the tests."""
import importlib
import os

import pytest


def require(module: str):
    """A test-only dependency (lightly, open_clip, ...). In CI (``CI`` set) a missing one is a
    failure, so a broken install cannot turn the cross-checks into skips; locally it skips."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module)
