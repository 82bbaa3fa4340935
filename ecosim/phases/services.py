"""Phase 8, services: stores buy a service when its expected benefit beats its price;
providers deliver within the capacity their staff gives (a shortfall dilutes the effect).

Expected daily benefit of each service to a store (RMB/day), with g its gross margin per day:
- marketing: ``marketing_visibility x marketing_sales_lift x g`` (ranking boost -> more sales);
- customer service: disputes avoided (``customer_service_dispute_cut x disputes x price``)
  plus own staff saved (``customer_service_staff_saving x wage bill``);
- operations: own staff saved (``operations_staff_saving x wage bill``);
- analytics: ``analytics_forecast_gain x analytics_margin_at_risk x g`` (fewer stockouts,
  less stock).

Every behavioural number is a field of ``config.services`` (docs/model.md, section 7.12).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.tables import SERVICE_TYPES
from ecosim.economics import fee_rates, unit_cost, wage_rates

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = [
    "bill_services",
    "cancel_services",
    "choose_services",
    "dispute_cut",
    "forecast_gain",
    "service_effects",
    "staff_saving",
    "visibility",
]

MARKETING, CUSTOMER_SERVICE, OPERATIONS, ANALYTICS = range(len(SERVICE_TYPES))


def delivery_ratio(state: State) -> np.ndarray:
    """Share of the promised service each provider delivers (capacity over clients, <= 1)."""
    prov = state.providers
    cap = (prov.staff + 1) * state.config.services.clients_per_staff  # the owner serves too
    return np.where(prov.clients > 0, np.minimum(1.0, cap / np.maximum(prov.clients, 1)), 1.0)


def service_effects(state: State) -> np.ndarray:
    """Effect strength (0..1) of each store's subscription to each service type [M, 4]."""
    mer = state.merchants
    ratio = delivery_ratio(state) if state.providers.n else np.ones(0)
    has = mer.provider >= 0
    out = np.zeros(mer.provider.shape)
    out[has] = ratio[mer.provider[has]]
    return out


def _benefits(state: State, rows: np.ndarray) -> np.ndarray:
    """Expected daily benefit (RMB/day) of each service type to each store [rows, 4]."""
    cfg = state.config.services
    mer = state.merchants
    units = mer.orders_ema[rows]
    margin = mer.price[rows] * (1 - fee_rates(state, rows)) - unit_cost(state, rows)
    gross = units * np.maximum(margin, 0.0)
    wage_bill = mer.staff[rows] * wage_rates(state)[0]
    disputes = units * state.metrics.get("dispute_rate", 0.0)
    out = np.zeros((rows.size, len(SERVICE_TYPES)))
    out[:, MARKETING] = cfg.marketing_visibility * cfg.marketing_sales_lift * gross
    out[:, CUSTOMER_SERVICE] = (
        cfg.customer_service_dispute_cut * disputes * mer.price[rows]
        + cfg.customer_service_staff_saving * wage_bill
    )
    out[:, OPERATIONS] = cfg.operations_staff_saving * wage_bill
    out[:, ANALYTICS] = cfg.analytics_forecast_gain * cfg.analytics_margin_at_risk * gross
    return out


def choose_services(state: State) -> None:
    """Stores due for review subscribe to (cheapest provider) or drop each service."""
    prov = state.providers
    mer = state.merchants
    if prov.n == 0:
        return
    cfg = state.config.services
    due = np.flatnonzero(mer.active & ((np.arange(mer.n) + state.day) % cfg.decision_interval == 0))
    if due.size == 0:
        return
    benefit = _benefits(state, due)
    for k in range(len(SERVICE_TYPES)):
        offers = np.flatnonzero(prov.kind == k)
        if offers.size == 0:
            continue
        cheapest = offers[np.argmin(prov.price[offers])]
        current = mer.provider[due, k]
        price_now = np.where(current >= 0, prov.price[np.maximum(current, 0)], prov.price[cheapest])
        want = benefit[:, k] > price_now
        drop = (current >= 0) & ~want
        join = (current < 0) & want
        np.subtract.at(prov.clients, current[drop], 1)
        mer.provider[due[drop], k] = -1
        mer.provider[due[join], k] = cheapest
        prov.clients[cheapest] += int(join.sum())


def cancel_services(state: State, rows: np.ndarray) -> None:
    """Closing stores end their subscriptions."""
    mer = state.merchants
    held = mer.provider[rows]
    np.subtract.at(state.providers.clients, held[held >= 0], 1)
    mer.provider[rows] = -1


def bill_services(state: State) -> None:
    """Subscribers pay their providers' daily price."""
    mer = state.merchants
    prov = state.providers
    prov.revenue_today[:] = 0.0
    rows, kinds = np.nonzero((mer.provider >= 0) & mer.active[:, None])
    if rows.size == 0:
        return
    who = mer.provider[rows, kinds]
    price = prov.price[who]
    state.ledger.pay("merchants", rows, "services", who, price)
    np.subtract.at(mer.profit_today, rows, price)
    prov.revenue_today += np.bincount(who, weights=price, minlength=prov.n)
    state.today.services_revenue += float(price.sum())


def visibility(state: State) -> np.ndarray:
    """Ranking score each store gains from marketing services."""
    effect = service_effects(state)[:, MARKETING]
    return state.config.services.marketing_visibility * effect


def dispute_cut(state: State) -> np.ndarray:
    """Share by which outsourced customer service cuts each store's disputes."""
    effect = service_effects(state)[:, CUSTOMER_SERVICE]
    return state.config.services.customer_service_dispute_cut * effect


def staff_saving(state: State) -> np.ndarray:
    """Share of each store's own staff need replaced by customer service and operations."""
    eff = service_effects(state)
    cfg = state.config.services
    saving = (
        cfg.customer_service_staff_saving * eff[:, CUSTOMER_SERVICE]
        + cfg.operations_staff_saving * eff[:, OPERATIONS]
    )
    return np.minimum(saving, cfg.max_staff_saving)


def forecast_gain(state: State) -> np.ndarray:
    """Share by which analytics cut each store's demand-forecast error (0..1).

    The platform's point-of-sale data service is a different lever: it changes what the
    store's supplier plans from, not the store's forecast (``phases.restocking``).
    """
    effect = service_effects(state)[:, ANALYTICS]
    return state.config.services.analytics_forecast_gain * effect
