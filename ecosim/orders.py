"""Batches of orders and the calendars of parcels and supplier shipments in transit.

A batch is a dict of equal-length numpy arrays (one entry per order). Shipments are filed
under the day they arrive, so a day's deliveries are found without scanning what is in transit.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

__all__ = ["Calendar", "concat", "empty_orders", "take"]

ORDER_FIELDS = {
    "consumer": np.int64,
    "merchant": np.int64,
    "platform": np.int64,
    "category": np.int64,
    "slot": np.int64,  # consumable slot of the category, -1 for durables
    "iot": bool,  # placed by a device without search
}


def empty_orders() -> dict[str, np.ndarray]:
    """A batch with no orders."""
    return {k: np.empty(0, dtype=t) for k, t in ORDER_FIELDS.items()}


def take(batch: dict[str, np.ndarray], sel: np.ndarray | slice) -> dict[str, np.ndarray]:
    """The orders of ``batch`` selected by a mask, an index array or a slice."""
    if isinstance(sel, np.ndarray) and sel.dtype == bool:
        sel = np.flatnonzero(sel)  # one pass over the mask instead of one per field
    return {k: v[sel] for k, v in batch.items()}


def concat(batches: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One batch from several with the same fields."""
    batches = [b for b in batches if b]
    if not batches:
        return empty_orders()
    return {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}


class Calendar:
    """Batches filed by the day they fall due."""

    def __init__(self) -> None:
        self._by_day: dict[int, list[dict[str, np.ndarray]]] = defaultdict(list)

    def file(self, batch: dict[str, np.ndarray], due: np.ndarray) -> None:
        """File each entry of ``batch`` under its due day."""
        if due.size == 0:
            return
        order = np.argsort(due, kind="stable")
        due_sorted = due[order]
        # Run boundaries of the sorted days (np.unique would hash them all again).
        cut = np.flatnonzero(due_sorted[1:] != due_sorted[:-1]) + 1
        for lo, hi in zip(np.r_[0, cut], np.r_[cut, due_sorted.size], strict=True):
            self._by_day[int(due_sorted[lo])].append(take(batch, order[lo:hi]))

    def pop(self, day: int) -> dict[str, np.ndarray] | None:
        """Remove and return everything due on ``day`` (or earlier), None if nothing."""
        due_days = [d for d in self._by_day if d <= day]
        if not due_days:
            return None
        return concat([b for d in sorted(due_days) for b in self._by_day.pop(d)])

    def total(self, field: str | None = None) -> float:
        """Entries in transit, or the sum of ``field`` over them."""
        if field is None:
            return float(
                sum(next(iter(b.values())).size for bs in self._by_day.values() for b in bs)
            )
        return float(sum(b[field].sum() for bs in self._by_day.values() for b in bs))
