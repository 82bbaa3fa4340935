"""Where a sweep's results came from: package versions, the git commit, timestamps."""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["git_info", "now", "versions"]

_PACKAGES = (
    "ecosim", "mesa", "numpy", "pandas", "pyarrow", "pydantic", "salib", "dask", "distributed",
)  # fmt: skip


def versions() -> dict[str, str | None]:
    """Python's version and those of the packages a sweep's results depend on (``None``: absent)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def _git(*args: str) -> str | None:
    repo = Path(__file__).resolve().parents[2]
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_info() -> dict[str, Any]:
    """The checkout's commit and whether tracked files differ from it (``None``: not a checkout)."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")
