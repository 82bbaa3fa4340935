"""Batches of orders and the calendars of parcels and supplier shipments in transit.

A batch is a dict of equal-length numpy arrays (one entry per order). Shipments are filed
under the day they arrive, so a day's deliveries are found without scanning what is in transit;
households' consumables are filed the same way under the day they must next be checked
(:class:`NeedQueue`, used by ``ecosim.phases.consumption``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np

__all__ = ["ORDER_FIELDS", "Calendar", "NeedQueue", "concat", "empty_orders", "take"]

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
    """One batch from several.

    A field that only some batches have (the page rank of searched orders, which device
    orders lack) is filled in the others with -1 (integers), False (flags) or NaN.
    """
    batches = [b for b in batches if b]
    if not batches:
        return empty_orders()
    fields = batches[0].keys()
    if all(b.keys() == fields for b in batches):  # the usual case, e.g. a day's parcels
        return {k: np.concatenate([b[k] for b in batches]) for k in fields}
    union = dict.fromkeys(k for b in batches for k in b)
    return {k: np.concatenate([_field(b, k, batches) for b in batches]) for k in union}


def _field(batch: dict[str, np.ndarray], key: str, batches: list[dict]) -> np.ndarray:
    if key in batch:
        return batch[key]
    dtype = next(b[key].dtype for b in batches if key in b)
    fill = False if dtype.kind == "b" else (-1 if np.issubdtype(dtype, np.integer) else np.nan)
    return np.full(next(iter(batch.values())).size, fill, dtype=dtype)


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

    def sum_by(
        self, key: str, n: int, value: Callable[[dict[str, np.ndarray]], np.ndarray]
    ) -> np.ndarray:
        """Per-``key`` sums of ``value(batch)`` over the entries in transit (``n`` keys)."""
        out = np.zeros(n)
        for batches in self._by_day.values():
            for b in batches:
                out += np.bincount(b[key], weights=value(b), minlength=n)
        return out


class NeedQueue:
    """A bucket queue of (household, consumable) keys ``row * n_slots + slot`` by check day.

    Args:
        n_slots: consumable categories per household.
        size: households x consumables covered (the queue is rebuilt if this changes).
        thresholds: (reorder point, device threshold) in days that the filing days assume;
            a larger one later means the queue must be rebuilt.
    """

    def __init__(self, n_slots: int, size: int, thresholds: tuple[float, float]) -> None:
        self.n_slots = n_slots
        self.size = size
        self.thresholds = thresholds
        self._by_day: defaultdict[int, list[np.ndarray]] = defaultdict(list)
        self.carry = np.empty(0, dtype=np.int64)  # keys that became needs on the last day

    def file(self, keys: np.ndarray, days: np.ndarray) -> None:
        """File ``keys`` under ``days`` (integer day numbers, same length)."""
        if keys.size == 0:
            return
        first = days.min()
        # Days span a few months at most: as 16-bit offsets the stable sort is a radix sort.
        span = days - first
        order = np.argsort(span.astype(np.uint16) if span.max() < 2**16 else span, kind="stable")
        days_sorted = days[order]
        cut = np.flatnonzero(days_sorted[1:] != days_sorted[:-1]) + 1
        for lo, hi in zip(np.r_[0, cut], np.r_[cut, days_sorted.size], strict=True):
            self._by_day[int(days_sorted[lo])].append(keys[order[lo:hi]])

    def file_on(self, keys: np.ndarray, day: int) -> None:
        """File every key under one day."""
        if keys.size:
            self._by_day[day].append(keys)

    def pop(self, day: int) -> np.ndarray:
        """Remove the keys filed for ``day`` or earlier: sorted, without duplicates."""
        due = [d for d in self._by_day if d <= day]
        if not due:
            return np.empty(0, dtype=np.int64)
        keys = np.concatenate([k for d in due for k in self._by_day.pop(d)])
        # Chunks are mostly sorted already, and a stable sort (timsort) merges sorted runs
        # in near-linear time; np.unique would hash or quicksort from scratch.
        keys = np.sort(keys, kind="stable")
        return keys[np.r_[True, keys[1:] != keys[:-1]]] if keys.size else keys

    def __len__(self) -> int:
        return sum(k.size for ks in self._by_day.values() for k in ks)
