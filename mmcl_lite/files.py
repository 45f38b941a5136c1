"""Writing files so that a failure never leaves a half-written one behind, and reading back the
JSON records the kit writes."""
from __future__ import annotations

import json
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


def write_json(path, record, **dumps) -> Path:
    """``record`` as indented JSON at ``path`` (its folder created), written atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record, indent=1, **dumps).encode()
    return write_atomically(path, lambda f: f.write(text))


def read_json_record(path, fmt: str, what: str) -> dict:
    """The JSON object at ``path`` whose "format" is ``fmt``; otherwise a ValueError
    "path: expected <what>, got ..." (a missing file, bad JSON or another format)."""
    from .checks import fail, said

    path = Path(path)
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        fail("path", what, said(f"{str(path)!r} ({type(err).__name__}: {err})"))
    if not isinstance(record, dict) or record.get("format") != fmt:
        fail("path", f"{what} (format {fmt!r})", said(f"{str(path)!r}"))
    return record
