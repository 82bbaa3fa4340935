"""Crash-safe file output: every file is written to a temporary name, then renamed.

A reader never sees a half-written file: either the old content, the new one, or none.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["atomic_write", "write_json", "write_parquet", "write_text"]

# mkstemp creates files readable by their owner only; outputs get the mode an ordinary
# open() would give them (0o666 less the process's umask), read once at import.
_UMASK = os.umask(0)
os.umask(_UMASK)
_FILE_MODE = 0o666 & ~_UMASK


def atomic_write(path: str | Path, writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp_path)`` then rename the temporary file to ``path`` atomically.

    Args:
        path: final destination; its parent folder is created.
        writer: function that writes the complete file at the path it is given (its
            return value is ignored).

    Returns:
        The final path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        os.chmod(tmp, _FILE_MODE)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write text atomically."""
    return atomic_write(path, lambda p: p.write_text(text))


def write_json(path: str | Path, data: Any) -> Path:
    """Write JSON (indented, keys sorted) atomically."""
    return write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def write_parquet(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write a DataFrame as Parquet (pyarrow) atomically."""
    return atomic_write(path, lambda p: frame.to_parquet(p, engine="pyarrow", index=True))
