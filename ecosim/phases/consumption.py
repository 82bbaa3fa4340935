"""Phase 1, consumption: consumables run down and are due for reorder; durable needs arrive.

Home stocks are not decremented daily: each (household, consumable) holds the day its stock
runs out, so a need is due when that day is within the reorder point.

Nor are all households scanned every day: a household's next need is predictable from its
stock, so each (household, consumable) key sits in a need queue
(``ecosim.orders.NeedQueue``), filed under the first day it can be due, and a day's work
grows with the keys filed for that day (the households that act), not with the population.
The queue is conservative: a key may be checked early (it is then filed again), never late.
Keys leave and re-enter it as follows:

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

On a shopping festival (``ecosim.dates``) durable needs arrive ``m`` times as often, and
households buy consumables ahead: each (household, consumable) adds a Poisson number of
units with mean ``(m_c - 1)`` days of its consumption, shopped like any other need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.dates import consumable_multiplier, durable_multiplier
from ecosim.orders import ORDER_FIELDS, NeedQueue, concat, take

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = [
    "NeedQueue",
    "buy_ahead",
    "check_device_prices",
    "device_price_limit",
    "due_by_scan",
    "file_after_delivery",
    "need_queue",
    "needs_today",
    "refile",
    "refill_home_stock",
    "relink_devices",
]


def _thresholds(state: State) -> tuple[float, float]:
    cfg = state.config.consumers
    return cfg.reorder_point_days, cfg.iot_threshold_days


def _first_check(state: State, keys: np.ndarray, day: int) -> np.ndarray:
    """First day, not before ``day``, each key can be due: by its stock and the largest
    threshold it can have until then (see the module docstring)."""
    cons = state.consumers
    plain, device = _thresholds(state)
    lead = np.where(cons.iot_on.ravel()[keys], max(plain, device), plain)
    first = np.ceil(cons.stock_out.ravel()[keys] - lead)
    first = np.nan_to_num(first, nan=day, posinf=2**40, neginf=day)
    return np.maximum(first, day).astype(np.int64)


def need_queue(state: State) -> NeedQueue:
    """The households' need queue, (re)built by one full scan when missing or out of date."""
    cons = state.consumers
    k = len(state.consumables)
    now = _thresholds(state)
    queue = state.need_queue
    if (
        queue is None
        or queue.size != cons.n * k
        or queue.n_slots != k
        or any(a > b for a, b in zip(now, queue.thresholds, strict=True))
    ):
        queue = NeedQueue(k, cons.n * k, now)
        # Keys in transit are filed too: checked early, they are filed again (never lost).
        keys = np.arange(cons.n * k, dtype=np.int64)
        queue.file(keys, _first_check(state, keys, state.day))
        state.need_queue = queue
    return queue


def refile(state: State, rows: np.ndarray, slots: np.ndarray) -> None:
    """Check these (household, consumable) pairs again tomorrow (their threshold rose)."""
    queue: NeedQueue | None = state.need_queue
    if queue is not None:
        queue.file_on(np.asarray(rows) * queue.n_slots + np.asarray(slots), state.day + 1)


def file_after_delivery(state: State, consumer, slot, arrival) -> None:
    """Shipped consumables: check the household again the day after its parcel arrives."""
    queue: NeedQueue | None = state.need_queue
    if queue is None or slot.size == 0:
        return
    queue.file(consumer * queue.n_slots + slot, arrival + 1)


def _device_live(state: State, keys: np.ndarray) -> np.ndarray:
    """Whether the device of each (household, consumable) key reorders: on, store open."""
    cons = state.consumers
    live = cons.iot_on.ravel()[keys]
    merchant = cons.device_merchant.ravel()[keys[live]]
    ok = merchant >= 0
    ok[ok] = state.merchants.active[merchant[ok]]
    live[live] = ok
    return live


def due_by_scan(state: State) -> tuple[np.ndarray, np.ndarray]:
    """(rows, slots) of every consumable due today, by scanning all households (for checks)."""
    cons = state.consumers
    cfg = state.config.consumers
    device_live = cons.iot_on & state.merchants.active[np.maximum(cons.device_merchant, 0)]
    device_live &= cons.device_merchant >= 0
    threshold = np.where(device_live, cfg.iot_threshold_days, cfg.reorder_point_days)
    rows, slots = np.nonzero(~cons.pending & (cons.stock_out - threshold <= state.day))
    return rows, slots


def _due_consumables(state: State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, slots, device live) of the consumables due today, row-major, from the queue."""
    cons = state.consumers
    cfg = state.config.consumers
    day = state.day
    queue = need_queue(state)
    k = queue.n_slots
    pending = cons.pending.ravel()
    stock_out = cons.stock_out.ravel()
    # Yesterday's needs that did not ship (bought offline, unaffordable, stocked out) are
    # filed again by their stock; shipped ones wait in the queue for their delivery.
    carry = queue.carry[~pending[queue.carry]]
    queue.file(carry, _first_check(state, carry, day))
    keys = queue.pop(day)
    # A key in transit found here was filed twice (an order placed outside the queue);
    # it is looked at again tomorrow so that it cannot be lost.
    busy = pending[keys]
    queue.file_on(keys[busy], day + 1)
    keys = keys[~busy]
    live = _device_live(state, keys)
    threshold = np.where(live, cfg.iot_threshold_days, cfg.reorder_point_days)
    due = stock_out[keys] - threshold <= day
    later = keys[~due]
    queue.file(later, _first_check(state, later, day + 1))
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


def needs_today(state: State) -> tuple[dict, dict]:
    """Households' needs for the day.

    Returns:
        (needs that go shopping, needs a smart device reorders without search), as order
        batches without merchant or platform.
    """
    cons = state.consumers
    cfg = state.config.consumers
    # Device owners reorder earlier (their threshold) and only through a live linked store.
    rows, slots, by_device = _due_consumables(state)
    cats = np.asarray(state.consumables, dtype=np.int64)[slots]
    iot = _batch(rows[by_device], cats[by_device], slots[by_device])
    iot["iot"][:] = True
    iot["merchant"] = cons.device_merchant[rows[by_device], slots[by_device]]

    search = [_batch(rows[~by_device], cats[~by_device], slots[~by_device])]
    ahead = buy_ahead(state)
    if ahead[0].size:
        search.append(_batch(ahead[0], ahead[1], ahead[2]))
    # Durables: Poisson arrivals by thinning, so the work grows with the needs, not with n.
    # Durable spending follows income and saturates at income_saturation times the mean.
    elasticity = cfg.income_spending_elasticity
    saturation = cfg.income_saturation
    cap = saturation**elasticity
    festival = durable_multiplier(state.config.calendar, state.date)
    for c in state.durables:
        rate = state.config.categories[c].need_rate * festival
        n_cand = state.rng.poisson(rate * cap * cons.n)
        cand = state.rng.integers(0, cons.n, n_cand)
        rel_income = np.minimum(cons.income[cand] / state.mean_base_income, saturation)
        keep = state.rng.random(n_cand) * cap < rel_income**elasticity
        who = cand[keep]
        search.append(_batch(who, np.full(who.size, c), np.full(who.size, -1)))
    out = {k: np.concatenate([b[k] for b in search]) for k in ORDER_FIELDS}
    return out, iot


def buy_ahead(state: State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Consumables households buy ahead today, one entry per unit: (households, categories,
    slots), by household and slot. Empty except on a festival day."""
    extra_days = consumable_multiplier(state.config.calendar, state.date) - 1.0
    if extra_days <= 0 or not state.consumables:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    cons = state.consumers
    units = state.rng.poisson(cons.rate * extra_days)
    keys = np.repeat(np.arange(units.size), units.ravel())
    rows, slots = np.divmod(keys, units.shape[1])
    return rows, np.asarray(state.consumables, dtype=np.int64)[slots], slots


def refill_home_stock(state: State, consumers: np.ndarray, slots: np.ndarray) -> None:
    """One unit per entry arrives in a household's home stock of a consumable."""
    has = slots >= 0
    k_all = len(state.consumables)
    # Sorted keys and their run lengths: what np.unique(..., return_counts=True) gives, without
    # its hash table, slow on int64 keys in numpy 2.x (docs/performance.md).
    keys = np.sort(consumers[has] * k_all + slots[has])
    if keys.size == 0:
        return
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    uniq = keys[starts]
    units = np.diff(np.r_[starts, keys.size])
    # A key is the flat (C-order) index of its (household, consumable) cell.
    cons = state.consumers
    rate = np.take(cons.rate, uniq)
    np.put(
        cons.stock_out,
        uniq,
        np.maximum(np.take(cons.stock_out, uniq), state.day) + units / np.maximum(rate, 1e-12),
    )


def relink_devices(state: State) -> None:
    """Point every device at its maker's reorder channel, re-choosing channels that closed.

    A maker's channel is its flagship store while that is open, else the one store it
    authorises: the open store it supplies with the most orders (``orders_ema``, then stock,
    then the older row), kept until it closes (docs/model.md, IoT reordering). A maker with
    no open store has no channel; its owners then shop like everyone else. The work is one
    pass over the makers; the households are re-pointed only on days a channel changes.
    """
    mfr = state.manufacturers
    mer = state.merchants
    if mer.n == 0:
        return
    channel = mfr.channel
    flag_open = (mfr.flagship >= 0) & mer.active[np.maximum(mfr.flagship, 0)]
    alive = (channel >= 0) & mer.active[np.maximum(channel, 0)]
    stale = np.flatnonzero(~alive | (flag_open & (channel != mfr.flagship)))
    changed = False
    for f in stale:
        if flag_open[f]:
            new = int(mfr.flagship[f])
        else:
            stores = np.flatnonzero(mer.active & (mer.supplier == f) & ~mer.flagship)
            if stores.size:
                best = np.lexsort((stores, -mer.stock[stores], -mer.orders_ema[stores]))[0]
                new = int(stores[best])
            else:
                new = -1
        changed |= new != channel[f]
        channel[f] = new
    if changed:
        cons = state.consumers
        owned = cons.device >= 0
        cons.device_merchant[owned] = channel[cons.device[owned]]


def device_price_limit(state: State) -> np.ndarray:
    """Per category, the price (RMB) above which device owners shop instead of letting the
    device reorder: ``iot_price_tolerance`` times the category's offline price, the price
    every household knows (a fixed anchor, so the limit cannot drift with the channels' own
    prices)."""
    return state.config.consumers.iot_price_tolerance * state.offline_price


def check_device_prices(
    state: State, needs: dict[str, np.ndarray], orders: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Device orders whose store asks more than :func:`device_price_limit` are not placed:
    the owner sees the price and shops for this refill instead (the device stays on). This
    bounds a maker's pricing power over locked-in reorders.

    Returns:
        (needs that go shopping, the device orders that go ahead).
    """
    if orders["consumer"].size == 0:
        return needs, orders
    dear = state.merchants.price[orders["merchant"]] > device_price_limit(state)[orders["category"]]
    if not dear.any():
        return needs, orders
    search = take(orders, dear)
    search["merchant"][:] = -1
    search["iot"][:] = False
    return concat([needs, search]), take(orders, ~dear)
