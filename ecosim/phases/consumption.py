"""Phase 1, consumption: consumables run down and are due for reorder; durable needs arrive.

Home stocks are not decremented daily: each (household, consumable) holds the day its stock
runs out, so a need is due when that day is within the reorder point.

Nor are all households scanned every day: a household's next need is predictable from its
stock, so each (household, consumable) key sits in a :class:`NeedQueue`, filed under the
first day it can be due, and a day's work grows with the keys filed for that day (the
households that act), not with the population. The queue is conservative: a key may be
checked early (it is then filed again), never late. Keys leave and re-enter it as follows:

- due today: becomes a need; tomorrow, unless an order for it shipped (``pending``), it is
  filed again by its stock (satisfied offline) or for tomorrow (still unmet: no affordable
  option, a stockout);
- shipped (:func:`ecosim.phases.fulfilment.ship`): filed for the day after the parcel
  arrives, when delivery has cleared ``pending`` and refilled the stock (or not, if lost);
- checked but not yet due: filed again by its stock, or for tomorrow if it was checked
  early. A key is filed by the largest threshold it could have before its next check: the
  device threshold where a device is switched on (the device's store may be closed today and
  relinked tonight), the plain reorder point otherwise.

Code that switches a device on during a run (``iot_on`` from False to True) must call
:func:`refile` for it, since its threshold can then rise; rule changes that raise either
threshold rebuild the queue by themselves.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from ecosim.demand import SATURATION
from ecosim.orders import ORDER_FIELDS

if TYPE_CHECKING:
    from ecosim.model import EcosystemModel

__all__ = ["NeedQueue", "due_by_scan", "file_after_delivery", "need_queue", "needs_today", "refile"]


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


def _thresholds(model: EcosystemModel) -> tuple[float, float]:
    cfg = model.config.consumers
    return cfg.reorder_point_days, cfg.iot_threshold_days


def _first_check(model: EcosystemModel, keys: np.ndarray, day: int) -> np.ndarray:
    """First day, not before ``day``, each key can be due: by its stock and the largest
    threshold it can have until then (see the module docstring)."""
    cons = model.consumers
    plain, device = _thresholds(model)
    lead = np.where(cons.iot_on.ravel()[keys], max(plain, device), plain)
    first = np.ceil(cons.stock_out.ravel()[keys] - lead)
    first = np.nan_to_num(first, nan=day, posinf=2**40, neginf=day)
    return np.maximum(first, day).astype(np.int64)


def need_queue(model: EcosystemModel) -> NeedQueue:
    """The model's need queue, (re)built by one full scan when missing or out of date."""
    cons = model.consumers
    k = len(model.consumables)
    now = _thresholds(model)
    queue: NeedQueue | None = getattr(model, "need_queue", None)
    stale = queue is None or queue.size != cons.n * k or queue.n_slots != k
    if stale or any(a > b for a, b in zip(now, queue.thresholds, strict=True)):
        queue = NeedQueue(k, cons.n * k, now)
        # Keys in transit are filed too: checked early, they are filed again (never lost).
        keys = np.arange(cons.n * k, dtype=np.int64)
        queue.file(keys, _first_check(model, keys, model.day))
        model.need_queue = queue
    return queue


def refile(model: EcosystemModel, rows: np.ndarray, slots: np.ndarray) -> None:
    """Check these (household, consumable) pairs again tomorrow (their threshold rose)."""
    queue: NeedQueue | None = getattr(model, "need_queue", None)
    if queue is not None:
        queue.file_on(np.asarray(rows) * queue.n_slots + np.asarray(slots), model.day + 1)


def file_after_delivery(model: EcosystemModel, consumer, slot, arrival) -> None:
    """Shipped consumables: check the household again the day after its parcel arrives."""
    queue: NeedQueue | None = getattr(model, "need_queue", None)
    if queue is None or slot.size == 0:
        return
    queue.file(consumer * queue.n_slots + slot, arrival + 1)


def _device_live(model: EcosystemModel, keys: np.ndarray) -> np.ndarray:
    """Whether the device of each (household, consumable) key reorders: on, store open."""
    cons = model.consumers
    live = cons.iot_on.ravel()[keys]
    merchant = cons.device_merchant.ravel()[keys[live]]
    ok = merchant >= 0
    ok[ok] = model.merchants.active[merchant[ok]]
    live[live] = ok
    return live


def due_by_scan(model: EcosystemModel) -> tuple[np.ndarray, np.ndarray]:
    """(rows, slots) of every consumable due today, by scanning all households (for checks)."""
    cons = model.consumers
    cfg = model.config.consumers
    device_live = cons.iot_on & model.merchants.active[np.maximum(cons.device_merchant, 0)]
    device_live &= cons.device_merchant >= 0
    threshold = np.where(device_live, cfg.iot_threshold_days, cfg.reorder_point_days)
    return np.nonzero(~cons.pending & (cons.stock_out - threshold <= model.day))


def _due_consumables(model: EcosystemModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, slots, device live) of the consumables due today, row-major, from the queue."""
    cons = model.consumers
    cfg = model.config.consumers
    day = model.day
    queue = need_queue(model)
    k = queue.n_slots
    pending = cons.pending.ravel()
    stock_out = cons.stock_out.ravel()
    # Yesterday's needs that did not ship (bought offline, unaffordable, stocked out) are
    # filed again by their stock; shipped ones wait in the queue for their delivery.
    carry = queue.carry[~pending[queue.carry]]
    queue.file(carry, _first_check(model, carry, day))
    keys = queue.pop(day)
    # A key in transit found here was filed twice (an order placed outside the queue);
    # it is looked at again tomorrow so that it cannot be lost.
    busy = pending[keys]
    queue.file_on(keys[busy], day + 1)
    keys = keys[~busy]
    live = _device_live(model, keys)
    threshold = np.where(live, cfg.iot_threshold_days, cfg.reorder_point_days)
    due = stock_out[keys] - threshold <= day
    later = keys[~due]
    queue.file(later, _first_check(model, later, day + 1))
    keys = queue.carry = keys[due]
    rows, slots = np.divmod(keys, k)
    return rows, slots, live[due]


def _batch(consumer, category, slot) -> dict[str, np.ndarray]:
    n = consumer.size
    return {
        "consumer": consumer.astype(np.int64),
        "merchant": np.full(n, -1, dtype=np.int64),
        "platform": np.full(n, -1, dtype=np.int64),
        "category": category.astype(np.int64),
        "slot": slot.astype(np.int64),
        "iot": np.zeros(n, dtype=bool),
    }


def needs_today(model: EcosystemModel) -> tuple[dict, dict]:
    """Households' needs for the day.

    Returns:
        (needs that go shopping, needs a smart device reorders without search), as order
        batches without merchant or platform.
    """
    cons = model.consumers
    cfg = model.config.consumers
    # Device owners reorder earlier (their threshold) and only through a live linked store.
    rows, slots, by_device = _due_consumables(model)
    cats = np.asarray(model.consumables, dtype=np.int64)[slots]
    iot = _batch(rows[by_device], cats[by_device], slots[by_device])
    iot["iot"][:] = True
    iot["merchant"] = cons.device_merchant[rows[by_device], slots[by_device]]

    search = [_batch(rows[~by_device], cats[~by_device], slots[~by_device])]
    # Durables: Poisson arrivals by thinning, so the work grows with the needs, not with n.
    # Durable spending follows income and saturates at SATURATION times the mean income.
    elasticity = cfg.income_spending_elasticity
    cap = SATURATION**elasticity
    for c in model.durables:
        rate = model.config.categories[c].need_rate
        n_cand = model.rng.poisson(rate * cap * cons.n)
        cand = model.rng.integers(0, cons.n, n_cand)
        rel_income = np.minimum(cons.income[cand] / model.mean_base_income, SATURATION)
        keep = model.rng.random(n_cand) * cap < rel_income**elasticity
        who = cand[keep]
        search.append(_batch(who, np.full(who.size, c), np.full(who.size, -1)))
    out = {k: np.concatenate([b[k] for b in search]) for k in ORDER_FIELDS}
    return out, iot
