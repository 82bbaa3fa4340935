"""Check an output folder before any work: a file in the way or an unwritable place is
reported at once, not after a long simulation."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["output_dir_problem"]


def output_dir_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be used as an output folder, or ``None`` when it can.

    A usable folder either exists and is writable, or can be created: its nearest existing
    ancestor is a writable folder. Nothing is created or written.

    Args:
        path: the folder that will receive output files.

    Returns:
        A short description of the problem (e.g. ``exists and is not a folder``), or ``None``.
    """
    path = Path(path)
    if path.is_symlink() and not path.exists():
        return "is a broken symbolic link"
    if path.exists():
        if not path.is_dir():
            return "exists and is not a folder"
        if not os.access(path, os.W_OK | os.X_OK):
            return "is not writable"
        return None
    ancestor = path.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"cannot be created: {ancestor} is not a folder"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"cannot be created: {ancestor} is not writable"
    return None
