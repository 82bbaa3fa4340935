"""Phase 12, metrics: the day's row of every metric in ``ecosim.metrics.METRICS``.

See docs/model.md, section 7.16 and Appendix B.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.economics import unemployment_rate, wage_rates
from ecosim.metrics import bullwhip_ratio, grouped_concentration, ratio
from ecosim.phases.contracts import supplier_bargaining_power
from ecosim.phases.labour import SECTORS, staff_arrays
from ecosim.phases.ranking import SALES_WINDOW, recent_sum

if TYPE_CHECKING:
    from ecosim.model import EcosystemModel

__all__ = ["collect"]


def _labour_and_channel(model: EcosystemModel) -> dict[str, float]:
    t = model.today
    staff = staff_arrays(model)
    out = {f"employment_{name}": float(staff[s].sum()) for s, name in enumerate(SECTORS)}
    out["employment_merchants"] += float(model.merchants.active.sum())  # self-employed owners
    out["employment_total"] = float(sum(out.values()))
    out["unemployment_rate"] = unemployment_rate(model)
    sector = model.consumers.sector
    employed = sector[sector >= 0]
    out["mean_wage"] = float(wage_rates(model)[employed].mean()) if employed.size else 0.0
    out["supplier_bargaining_power"] = supplier_bargaining_power(model)
    # A level that loses money earns no share: shares of the positive parts stay in 0..1 and
    # sum to one, where shares of a total near zero (the stores' shake-out) would explode.
    gains = {key: max(value, 0.0) for key, value in model.profit_ema.items()}
    total = sum(gains.values())
    for key, name in (
        ("manufacturers", "manufacturer"),
        ("merchants", "merchant"),
        ("platform", "platform"),
    ):
        out[f"{name}_profit_share"] = gains[key] / total if total > 0 else float("nan")
    out["iot_order_share"] = ratio(t["iot_orders"], t["orders"])
    # ring buffers: rotate so that weeks are contiguous days
    shift = -(model.day % model.demand_hist.size) - 1
    out["bullwhip_ratio"] = bullwhip_ratio(
        np.roll(model.upstream_hist, shift), np.roll(model.demand_hist, shift), period=7
    )
    out["services_revenue"] = t["services_revenue"]
    return out


def collect(model: EcosystemModel) -> dict[str, float]:
    """The model's metrics for the day just simulated."""
    t = model.today
    mer = model.merchants
    live = mer.active
    # Open stores only: closed ones keep their rows, and summing them would cost per store
    # that ever existed (docs/performance.md).
    w = recent_sum(mer.sales_hist, model.day, SALES_WINDOW, np.flatnonzero(live))
    h, cr4 = grouped_concentration(w, mer.category[live])
    markup = (mer.price[live] - mer.wholesale[live]) / mer.wholesale[live]
    ref = np.array([c.reference_price for c in model.config.categories])[mer.category[live]]
    capacity = model.couriers.capacity(model.config.logistics.parcels_per_courier_day).sum()
    online_value = t["gmv"]
    out = {
        "gmv": online_value,
        "orders": t["orders"],
        "platform_revenue": float(model.platforms.revenue_today.sum()),
        "take_rate": ratio(float(model.platforms.revenue_today.sum()), online_value),
        "active_merchants": float(live.sum()),
        "merchant_entries": t["entries"],
        "merchant_exits": t["exits"],
        "hhi": h,
        "cr4": cr4,
        "mean_markup": float(np.average(markup, weights=w)) if w.sum() > 0 else 0.0,
        "price_index": float(np.average(mer.price[live] / ref, weights=w)) if w.sum() > 0 else 0.0,
        "mean_rating": ratio(t["genuine_rating_sum"], t["genuine_ratings"]),
        "fraud_rate": ratio(t["fraud"], t["arrived"]),
        "dispute_rate": ratio(t["disputes"], t["delivered"]),
        "consumer_trust": float(model.consumers.trust.mean()) if model.consumers.n else 0.0,
        "mean_delivery_days": ratio(t["delivery_days"], t["arrived"]),
        "courier_utilisation": ratio(float(model.couriers.parcels_today.sum()), capacity),
        "consumer_surplus": t["consumer_surplus"],
        "online_share": ratio(online_value, online_value + t["offline_sales"]),
        "stockout_rate": ratio(t["stockouts"], t["orders_attempted"]),
        "fake_reviews": t["fake_reviews"],
    }
    out.update(_labour_and_channel(model))
    if len(model.config.platforms) > 1:
        gmv_p = model.platforms.gmv_today
        for p, plat in enumerate(model.config.platforms):
            total = float(gmv_p.sum())
            out[f"platform_share_{plat.name}"] = float(gmv_p[p]) / total if total > 0 else np.nan
    return out
