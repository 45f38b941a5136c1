"""Writing files so that a failure never leaves a half-written one behind."""
from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path, write) -> Path:
    """``write(file)`` into ``<path>.tmp-<pid>`` next to ``path``, flushed to disk, then renamed
    over ``path`` (an atomic step on one file system). On any failure, Ctrl-C included, the
    temporary file is removed, ``path`` keeps its previous content and the error is re-raised."""
    path = Path(path)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
