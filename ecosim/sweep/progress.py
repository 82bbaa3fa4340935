"""What a running sweep shows on stderr: a progress bar and one-line messages."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["ProgressBar", "say"]


class ProgressBar:
    """A rich progress bar (items done, failures, elapsed time, ETA) on stderr, or nothing.

    Args:
        enabled: show the bar; when false every method does nothing.
        total: items to do.
        label: text before the bar (the sweep's or calibration's name).
        unit: what an item is, plural ("runs", "trials").
        best: a figure to show after the failures (e.g. the best objective so far), or
            ``None`` for none; updated by :meth:`advance`.
    """

    def __init__(
        self, enabled: bool, total: int, label: str, unit: str = "runs", best: str | None = None
    ) -> None:
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
            TextColumn(
                f"{unit}, [red]{{task.fields[failed]}} failed[/]"
                + ("" if best is None else ", best {task.fields[best]}")
            ),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._task = self._bar.add_task(label, total=total, failed=0, best=best)
        self._bar.start()

    def advance(self, failed: int, best: str | None = None) -> None:
        """One more item done; ``failed`` is the number of failures so far, ``best`` the
        figure shown after them (unchanged when ``None``)."""
        if self._bar is not None:
            fields = {"failed": failed} if best is None else {"failed": failed, "best": best}
            self._bar.update(self._task, advance=1, **fields)

    def close(self) -> None:
        """Stop drawing the bar (idempotent)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def say(enabled: bool, text: str) -> None:
    """Print one line to stderr when ``enabled``."""
    if enabled:
        print(text, file=sys.stderr, flush=True)
