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
        "platforms' revenue today, the sum of the platform_revenue_<source> metrics",
    ),
    "platform_revenue_commission": (
        "RMB/day",
        "commission and payment-processing fees booked today (at escrow release, or at "
        "payment without escrow)",
    ),
    "platform_revenue_ads": ("RMB/day", "stores' sponsored-slot click charges"),
    "platform_revenue_listing": ("RMB/day", "stores' annual listing fees, pro rata"),
    "platform_revenue_deposits": ("RMB/day", "deposits forfeited by closed stores"),
    "platform_revenue_fines": ("RMB/day", "fines for detected fake reviews"),
    "platform_revenue_iot_hosting": ("RMB/day", "device makers' fees per device-placed order"),
    "platform_revenue_data_services": (
        "RMB/day",
        "manufacturers' subscriptions to the point-of-sale data service",
    ),
    "platform_revenue_other": ("RMB/day", "payments to platforms booked without a source"),
    "take_rate": (
        "share",
        "commission and payment fees due on the orders shipped today / gmv (the fee rate of "
        "today's sales, in 0..1; 0 without sales)",
    ),
    "active_merchants": ("stores", "stores open at the end of the day"),
    "merchant_entries": ("stores/day", "stores opened today"),
    "merchant_exits": ("stores/day", "stores closed today (losses or delisting)"),
    "hhi": (
        "0..1",
        "sales-weighted mean over categories of sum of squared 30-day sales shares; 0 without "
        "sales",
    ),
    "cr4": (
        "share",
        "sales-weighted mean over categories of the top four stores' 30-day share; 0 without sales",
    ),
    "new_store_sales_share": (
        "share",
        "share of open stores' 30-day sales made by stores opened in the last 90 days (entrants;"
        " the initial stores never count); 0 without sales",
    ),
    "mean_markup": (
        "share",
        "30-day-sales-weighted mean of (price - wholesale) / wholesale; 0 without sales",
    ),
    "price_index": (
        "ratio",
        "30-day-sales-weighted mean of price / category reference price; 0 without sales",
    ),
    "mean_rating": ("0..1", "mean of genuine ratings left today; 0 without ratings"),
    "fraud_rate": (
        "share",
        "parcels arrived today whose quality fell short of the listing / parcels arrived; 0 "
        "without arrivals",
    ),
    "dispute_rate": ("share", "disputes opened / parcels due today; 0 without parcels due"),
    "consumer_trust": (
        "probability",
        "mean household trust in online sellers; 0 without households",
    ),
    "online_shopper_trust": (
        "probability",
        "mean trust of the households with an online parcel due in the last 30 days "
        "(consumer_trust when there are none)",
    ),
    "mean_delivery_days": (
        "days",
        "mean delivery time of parcels that arrived today; 0 without arrivals",
    ),
    "courier_utilisation": (
        "share",
        "parcels dispatched today / dispatch capacity today (surge included), summed over "
        "courier firms (0..1; 0 without capacity)",
    ),
    "courier_overflow": (
        "parcels",
        "parcels waiting in the couriers' queues at the end of the day, to be dispatched on "
        "later days (docs/model.md 7.5)",
    ),
    "consumer_surplus": ("RMB/day", "sum over today's searches of (mu/a) x (logsum - offline)"),
    "online_share": (
        "share",
        "online sales value / (online + offline) sales value today; 0 without sales",
    ),
    "stockout_rate": (
        "share",
        "online orders lost to stockouts / orders attempted; 0 without orders",
    ),
    "fake_reviews": ("reviews/day", "fake reviews bought today"),
    "employment_total": ("workers", "sum of the six ecosystem sectors' headcounts"),
    "employment_merchants": ("workers", "open stores' owners (self-employed) plus hired staff"),
    "employment_manufacturers": ("workers", "production staff"),
    "employment_logistics": ("workers", "couriers"),
    "employment_services": (
        "workers",
        "open service providers' owners (self-employed) plus their hired staff",
    ),
    "employment_platform": ("workers", "platform staff"),
    "employment_offline_retail": ("workers", "offline shop staff"),
    "unemployment_rate": ("share", "unemployed households / all households; 0 without households"),
    "mean_wage": ("RMB/day", "mean daily wage of employed households; 0 without employed"),
    "supplier_bargaining_power": (
        "share",
        "volume-weighted mean of (w - c) / (p - c); 0 without contracts with volume",
    ),
    "manufacturer_profit_share": (
        "share",
        "manufacturers' wholesale margin on units sold to stores / (that + stores' profit + "
        "platform's profit), 10-day moving averages, a loss counted as zero; all three 0 "
        "while no level has a positive profit",
    ),
    "merchant_profit_share": ("share", "stores' share of the same profit total"),
    "platform_profit_share": ("share", "platform's share of the same profit total"),
    "iot_order_share": (
        "share",
        "online orders placed by smart devices / online orders; 0 without orders",
    ),
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
        "var(daily units stores order from manufacturers, before rationing) / "
        "var(daily online units demanded), over the last 91 days (fewer at the start); "
        "1 when demand did not vary",
    ),
    "production_bullwhip_ratio": (
        "ratio",
        "var(daily units manufacturers start for stores) / var(daily online units "
        "demanded), same window and empty case as bullwhip_ratio",
    ),
    "services_revenue": ("RMB/day", "payments of stores to service providers today"),
    "services_profit": (
        "RMB/day",
        "service providers' profit today: services_revenue - their operating costs - wages",
    ),
    "services_job_share": (
        "share",
        "employment_services / employment_total; 0 without ecosystem jobs",
    ),
    "service_tool_share": (
        "share",
        "open stores using any service tool (a free tool or a paid service) / open stores; 0 "
        "without stores",
    ),
    "service_paying_share": (
        "share",
        "open stores paying for at least one service / open stores; 0 without stores",
    ),
    "service_users_paying_share": (
        "share",
        "open stores paying for at least one service / open stores using any service tool; "
        "0 without users",
    ),
    "service_uptake_marketing": (
        "share",
        "open stores paying a marketing provider / open stores; 0 without stores",
    ),
    "service_uptake_customer_service": (
        "share",
        "open stores paying a customer service provider / open stores; 0 without stores",
    ),
    "service_uptake_operations": (
        "share",
        "open stores paying an operations provider / open stores; 0 without stores",
    ),
    "service_uptake_analytics": (
        "share",
        "open stores paying an analytics provider / open stores; 0 without stores",
    ),
    "free_tool_share_marketing": (
        "share",
        "open stores using the free marketing tool (and not paying for it) / open "
        "stores; 0 without stores",
    ),
    "free_tool_share_customer_service": (
        "share",
        "open stores using the free customer service tool (and not paying for it) / open "
        "stores; 0 without stores",
    ),
    "free_tool_share_operations": (
        "share",
        "open stores using the free operations tool (and not paying for it) / open "
        "stores; 0 without stores",
    ),
    "free_tool_share_analytics": (
        "share",
        "open stores using the free analytics tool (and not paying for it) / open "
        "stores; 0 without stores",
    ),
    "providers_marketing": ("firms", "open marketing providers"),
    "providers_customer_service": ("firms", "open customer service providers"),
    "providers_operations": ("firms", "open operations providers"),
    "providers_analytics": ("firms", "open analytics providers"),
    "provider_entries": ("firms/day", "service providers opened today"),
    "provider_exits": ("firms/day", "service providers closed today (losses or no cash)"),
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


def bullwhip_ratio(upstream: np.ndarray, demand: np.ndarray) -> float:
    """Variance of daily orders upstream over variance of daily consumer demand.

    Both are same-length daily series over the same days (population variances). When
    demand did not vary (fewer than two days, or a flat series) amplification cannot be
    measured and the ratio is 1 (neither amplified nor damped), so it is always finite.

    Example:
        >>> bullwhip_ratio(np.array([0.0, 4.0, 0.0, 4.0]), np.array([1.0, 3.0, 1.0, 3.0]))
        4.0
    """
    n = min(upstream.size, demand.size)
    vd = float(np.var(demand[:n])) if n >= 2 else 0.0
    if vd <= 1e-12:
        return 1.0
    return float(np.var(upstream[:n])) / vd


def ratio(a: float, b: float) -> float:
    """``a / b``, or 0 when ``b`` is not positive (a day without the denominator's events)."""
    return a / b if b > 0 else 0.0
