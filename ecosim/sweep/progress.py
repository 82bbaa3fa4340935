"""What a running sweep shows on stderr: a progress bar and one-line messages."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["ProgressBar", "say"]


class ProgressBar:
    """A rich progress bar (runs done, failures, elapsed time, ETA) on stderr, or nothing.

    Args:
        enabled: show the bar; when false every method does nothing.
        total: runs to do.
        label: text before the bar (the sweep's name).
    """

    def __init__(self, enabled: bool, total: int, label: str) -> None:
        self._bar: Any = None
        if not enabled:
            return
        # Imported only when a bar is shown: pool processes import this package too, and
        # should not pay for rich at start-up.
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs, [red]{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._task = self._bar.add_task(label, total=total, failed=0)
        self._bar.start()

    def advance(self, failed: int) -> None:
        """One more run recorded; ``failed`` is the number of failures so far."""
        if self._bar is not None:
            self._bar.update(self._task, advance=1, failed=failed)

    def close(self) -> None:
        """Stop drawing the bar (idempotent)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def say(enabled: bool, text: str) -> None:
    """Print one line to stderr when ``enabled``."""
    if enabled:
        print(text, file=sys.stderr, flush=True)
