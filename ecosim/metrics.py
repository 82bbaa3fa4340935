"""Outcome metrics: the catalogue ``METRICS`` and small pure functions.

Every metric, its unit and formula is listed in ``METRICS`` (and in docs/model.md, Appendix
B); the day's row is computed by ``ecosim.phases.metrics.collect``. This module imports no
model code, so that commands which only read results (reports, sweep specs) stay fast.

Example:
    >>> hhi(np.array([50.0, 50.0]))
    0.5
    >>> concentration_ratio(np.array([4.0, 3.0, 2.0, 1.0, 0.0]), 2)
    0.7
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "METRICS",
    "bullwhip_ratio",
    "concentration_ratio",
    "grouped_concentration",
    "hhi",
    "ratio",
]

METRICS: dict[str, tuple[str, str]] = {
    "gmv": ("RMB/day", "value of online orders shipped today"),
    "orders": ("orders/day", "online orders shipped today"),
    "platform_revenue": (
        "RMB/day",
        "commission, payment fees, listing fees, ads, fines, "
        "forfeited deposits, data and IoT-hosting services",
    ),
    "take_rate": ("share", "platform_revenue / gmv"),
    "active_merchants": ("stores", "stores open at the end of the day"),
    "merchant_entries": ("stores/day", "stores opened today"),
    "merchant_exits": ("stores/day", "stores closed today (losses or delisting)"),
    "hhi": ("0..1", "sales-weighted mean over categories of sum of squared 30-day sales shares"),
    "cr4": ("share", "sales-weighted mean over categories of the top four stores' 30-day share"),
    "mean_markup": ("share", "sales-weighted mean of (price - wholesale) / wholesale"),
    "price_index": ("ratio", "sales-weighted mean of price / category reference price"),
    "mean_rating": ("0..1", "mean of genuine ratings left today"),
    "fraud_rate": ("share", "delivered parcels whose quality fell short of the listing"),
    "dispute_rate": ("share", "disputes opened / parcels due today"),
    "consumer_trust": (
        "probability",
        "mean over all households of their trust in online sellers (0 with no households)",
    ),
    "online_shopper_trust": (
        "probability",
        "mean trust of the households with an online parcel due in the last 30 days "
        "(consumer_trust when there are none)",
    ),
    "mean_delivery_days": ("days", "mean delivery time of parcels that arrived today"),
    "courier_utilisation": ("share", "parcels handed to couriers today / courier capacity"),
    "consumer_surplus": ("RMB/day", "sum over today's searches of (mu/a) x (logsum - offline)"),
    "online_share": ("share", "online sales value / (online + offline) sales value today"),
    "stockout_rate": ("share", "online orders lost to stockouts / orders attempted"),
    "fake_reviews": ("reviews/day", "fake reviews bought today"),
    "employment_total": ("workers", "sum of the six ecosystem sectors' headcounts"),
    "employment_merchants": ("workers", "open stores' owners (self-employed) plus hired staff"),
    "employment_manufacturers": ("workers", "production staff"),
    "employment_logistics": ("workers", "couriers"),
    "employment_services": ("workers", "staff of service providers"),
    "employment_platform": ("workers", "platform staff"),
    "employment_offline_retail": ("workers", "offline shop staff"),
    "unemployment_rate": ("share", "unemployed households / all households"),
    "mean_wage": ("RMB/day", "mean daily wage of employed households"),
    "supplier_bargaining_power": ("share", "volume-weighted mean of (w - c) / (p - c)"),
    "manufacturer_profit_share": (
        "share",
        "manufacturers' wholesale margin on units sold to stores / (that + stores' profit + "
        "platform's profit), 10-day moving averages, a loss counted as zero; all three 0 "
        "while no level has a positive profit",
    ),
    "merchant_profit_share": ("share", "stores' share of the same profit total"),
    "platform_profit_share": ("share", "platform's share of the same profit total"),
    "iot_order_share": ("share", "online orders placed by smart devices / online orders"),
    "maker_switch_share": (
        "share",
        "IoT-eligible consumables shipped today whose maker differs from the household's "
        "previous online maker of that consumable / those with a previous maker (0 if none)",
    ),
    "consumables_markup": (
        "share",
        "mean over IoT-eligible consumables shipped today of (price - making cost) / making "
        "cost (0 if none)",
    ),
    "maker_consumables_margin_share": (
        "share",
        "manufacturers' part (wholesale - making cost; all of it at flagships) of the "
        "IoT-eligible consumables margin (price - making cost) shipped today (0 if none)",
    ),
    "other_store_consumables_sales": (
        "RMB/day",
        "IoT-eligible consumables sold online today by stores that are no maker's device "
        "channel (flagship or authorised store)",
    ),
    "bullwhip_ratio": (
        "ratio",
        "var(weekly units stores order upstream, before rationing) / "
        "var(weekly online units demanded), last 91 days; 0 while weekly demand has not "
        "varied (the ratio is undefined then)",
    ),
    "services_revenue": ("RMB/day", "payments of stores to service providers today"),
    "household_cash": ("RMB", "mean household cash at the end of the day"),
    "other_spending": (
        "RMB/day",
        "households' spending on goods and services outside the modelled categories",
    ),
}


def hhi(sales: np.ndarray) -> float:
    """Herfindahl-Hirschman index of sales (0..1); 0 when there are no sales."""
    total = sales.sum()
    if total <= 0:
        return 0.0
    share = sales / total
    return float((share * share).sum())


def concentration_ratio(sales: np.ndarray, k: int = 4) -> float:
    """Share of the ``k`` largest sellers in total sales (0..1)."""
    total = sales.sum()
    if total <= 0:
        return 0.0
    top = np.sort(sales)[::-1][:k]
    return float(top.sum() / total)


def grouped_concentration(sales: np.ndarray, groups: np.ndarray, k: int = 4) -> tuple[float, float]:
    """HHI and CR-k within each group (category), averaged with sales weights."""
    total = sales.sum()
    if total <= 0:
        return 0.0, 0.0
    h = cr = 0.0
    for g in np.unique(groups):
        s = sales[groups == g]
        w = s.sum() / total
        h += w * hhi(s)
        cr += w * concentration_ratio(s, k)
    return h, cr


def bullwhip_ratio(upstream: np.ndarray, demand: np.ndarray, period: int = 1) -> float:
    """Variance of orders upstream over variance of consumer demand (0 if demand is flat).

    Both series are first summed over blocks of ``period`` days, so a periodic review (orders
    every few days) is not mistaken for amplification.
    """
    n = (min(upstream.size, demand.size) // period) * period
    up = upstream[:n].reshape(-1, period).sum(axis=1)
    dem = demand[:n].reshape(-1, period).sum(axis=1)
    vd = float(np.var(dem))
    # Flat demand leaves the ratio undefined; 0 keeps every daily metric a finite number.
    return float(np.var(up)) / vd if vd > 0 else 0.0


def ratio(a: float, b: float) -> float:
    """``a / b``, or 0 when ``b`` is not positive (a day without the denominator's events)."""
    return a / b if b > 0 else 0.0
