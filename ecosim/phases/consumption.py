"""Phase 1, consumption: consumables run down and are due for reorder; durable needs arrive.

Home stocks are not decremented daily: each (household, consumable) holds the day its stock
runs out, so a need is due when that day is within the reorder point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.orders import ORDER_FIELDS

if TYPE_CHECKING:
    from ecosim.model import EcosystemModel

__all__ = ["needs_today"]

SATURATION = 3.0  # income (x mean) above which durable purchases rise no further


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
    day = model.day
    # Device owners reorder earlier (their threshold) and only through a live linked store.
    device_live = cons.iot_on & model.merchants.active[np.maximum(cons.device_merchant, 0)]
    device_live &= cons.device_merchant >= 0
    threshold = np.where(device_live, cfg.iot_threshold_days, cfg.reorder_point_days)
    due = ~cons.pending & (cons.stock_out - threshold <= day)
    rows, slots = np.nonzero(due)
    cats = np.asarray(model.consumables, dtype=np.int64)[slots]
    by_device = device_live[rows, slots]
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
