"""Phase 8, services: stores buy a service when its expected benefit beats its price;
providers deliver within the capacity their staff gives (a shortfall dilutes the effect).

Expected daily benefit of each service to a store (RMB/day), with g its gross margin per day:
- marketing: ``marketing_visibility x MARKETING_LIFT x g`` (ranking boost -> more sales);
- customer service: disputes avoided (``customer_service_dispute_cut x disputes x price``)
  plus own staff saved (``customer_service_staff_saving x wage bill``);
- operations: own staff saved (``operations_staff_saving x wage bill``);
- analytics: ``analytics_forecast_gain x ANALYTICS_VALUE x g`` (fewer stockouts, less stock).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.merchants import SERVICE_TYPES
from ecosim.economics import fee_rates, unit_cost, wage_rates

if TYPE_CHECKING:
    from ecosim.model import EcosystemModel

__all__ = ["bill_services", "cancel_services", "choose_services", "service_effects"]

MARKETING_LIFT = 0.3  # share more sales per unit of ranking score bought
ANALYTICS_VALUE = 0.15  # share of gross margin lost to forecast error without analytics
MARKETING, CUSTOMER_SERVICE, OPERATIONS, ANALYTICS = range(len(SERVICE_TYPES))


def delivery_ratio(model: EcosystemModel) -> np.ndarray:
    """Share of the promised service each provider delivers (capacity over clients, <= 1)."""
    prov = model.providers
    cap = (prov.staff + 1) * model.config.services.clients_per_staff  # the owner serves too
    return np.where(prov.clients > 0, np.minimum(1.0, cap / np.maximum(prov.clients, 1)), 1.0)


def service_effects(model: EcosystemModel) -> np.ndarray:
    """Effect strength (0..1) of each store's subscription to each service type [M, 4]."""
    mer = model.merchants
    ratio = delivery_ratio(model) if model.providers.n else np.ones(0)
    has = mer.provider >= 0
    out = np.zeros(mer.provider.shape)
    out[has] = ratio[mer.provider[has]]
    return out


def _benefits(model: EcosystemModel, rows: np.ndarray) -> np.ndarray:
    """Expected daily benefit (RMB/day) of each service type to each store [rows, 4]."""
    cfg = model.config.services
    mer = model.merchants
    units = mer.orders_ema[rows]
    margin = mer.price[rows] * (1 - fee_rates(model, rows)) - unit_cost(model, rows)
    gross = units * np.maximum(margin, 0.0)
    wage_bill = mer.staff[rows] * wage_rates(model)[0]
    disputes = units * model.metrics.get("dispute_rate", 0.0)
    out = np.zeros((rows.size, len(SERVICE_TYPES)))
    out[:, MARKETING] = cfg.marketing_visibility * MARKETING_LIFT * gross
    out[:, CUSTOMER_SERVICE] = (
        cfg.customer_service_dispute_cut * disputes * mer.price[rows]
        + cfg.customer_service_staff_saving * wage_bill
    )
    out[:, OPERATIONS] = cfg.operations_staff_saving * wage_bill
    out[:, ANALYTICS] = cfg.analytics_forecast_gain * ANALYTICS_VALUE * gross
    return out


def choose_services(model: EcosystemModel) -> None:
    """Stores due for review subscribe to (cheapest provider) or drop each service."""
    prov = model.providers
    mer = model.merchants
    if prov.n == 0:
        return
    cfg = model.config.services
    due = np.flatnonzero(mer.active & ((np.arange(mer.n) + model.day) % cfg.decision_interval == 0))
    if due.size == 0:
        return
    benefit = _benefits(model, due)
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


def cancel_services(model: EcosystemModel, rows: np.ndarray) -> None:
    """Closing stores end their subscriptions."""
    mer = model.merchants
    held = mer.provider[rows]
    np.subtract.at(model.providers.clients, held[held >= 0], 1)
    mer.provider[rows] = -1


def bill_services(model: EcosystemModel) -> None:
    """Subscribers pay their providers' daily price."""
    mer = model.merchants
    prov = model.providers
    prov.revenue_today[:] = 0.0
    rows, kinds = np.nonzero((mer.provider >= 0) & mer.active[:, None])
    if rows.size == 0:
        return
    who = mer.provider[rows, kinds]
    price = prov.price[who]
    model.ledger.pay("merchants", rows, "services", who, price)
    np.subtract.at(mer.profit_today, rows, price)
    prov.revenue_today += np.bincount(who, weights=price, minlength=prov.n)
    model.today["services_revenue"] += float(price.sum())
