"""Words and numbers for people: metric labels with units, parameter labels, rounding.

One place for how results are named and rounded, shared by the figures of ``ecosim run``
(:mod:`ecosim.plots`), the sweep report (:mod:`ecosim.report`), ``ecosim params`` and the
browser app. Units come from the metric catalogue :data:`ecosim.metrics.METRICS`; this module
adds the words. It imports no model code and no plotting library.

Example:
    >>> metric_label("employment_logistics")
    'Couriers employed (workers)'
    >>> format_value(0.016666666666666666)
    '0.01667'
    >>> format_estimate(0.79942, 0.001714)
    '0.7994 ± 0.0017'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from ecosim.metrics import METRICS

__all__ = [
    "METRIC_LABELS",
    "format_estimate",
    "format_value",
    "metric_label",
    "metric_unit",
    "parameter_labels",
]

#: Metric name -> what it is, in words (the unit is added from ``METRICS``).
METRIC_LABELS: dict[str, str] = {
    "gmv": "GMV",
    "orders": "Online orders",
    "platform_revenue": "Platform revenue",
    "platform_revenue_commission": "Platform revenue: commissions",
    "platform_revenue_ads": "Platform revenue: ads",
    "platform_revenue_listing": "Platform revenue: annual fees",
    "platform_revenue_deposits": "Platform revenue: forfeited deposits",
    "platform_revenue_fines": "Platform revenue: fines",
    "platform_revenue_iot_hosting": "Platform revenue: IoT hosting",
    "platform_revenue_data_services": "Platform revenue: data services",
    "platform_revenue_other": "Platform revenue: other",
    "take_rate": "Take rate",
    "active_merchants": "Open stores",
    "merchant_entries": "Store entries",
    "merchant_exits": "Store exits",
    "hhi": "Sales concentration, HHI",
    "cr4": "Top-4 stores' share, CR4",
    "new_store_sales_share": "New stores' share of sales",
    "mean_markup": "Mean markup over wholesale",
    "price_index": "Price index vs reference",
    "mean_rating": "Mean rating",
    "fraud_rate": "Fraud rate",
    "dispute_rate": "Dispute rate",
    "consumer_trust": "Consumer trust",
    "online_shopper_trust": "Online shoppers' trust",
    "mean_delivery_days": "Mean delivery time",
    "courier_utilisation": "Courier utilisation",
    "courier_overflow": "Parcels over courier capacity",
    "consumer_surplus": "Consumer surplus",
    "online_share": "Online share of purchases",
    "stockout_rate": "Stockout rate",
    "fake_reviews": "Fake reviews bought",
    "employment_total": "Ecosystem employment",
    "employment_merchants": "Store owners and staff",
    "employment_manufacturers": "Manufacturing staff",
    "employment_logistics": "Couriers employed",
    "employment_services": "Service-provider staff",
    "employment_platform": "Platform staff",
    "employment_offline_retail": "Offline shop staff",
    "unemployment_rate": "Unemployment rate",
    "mean_wage": "Mean wage",
    "supplier_bargaining_power": "Supplier bargaining power",
    "manufacturer_profit_share": "Manufacturers' profit share",
    "merchant_profit_share": "Stores' profit share",
    "platform_profit_share": "Platform's profit share",
    "iot_order_share": "IoT share of online orders",
    "maker_switch_share": "Consumables switching maker",
    "consumables_markup": "Consumables markup over cost",
    "maker_consumables_margin_share": "Makers' share of consumables margin",
    "other_store_consumables_sales": "Consumables sold by other stores",
    "bullwhip_ratio": "Bullwhip ratio, store orders",
    "production_bullwhip_ratio": "Bullwhip ratio, production",
    "services_revenue": "Services bought by stores",
    "household_cash": "Mean household cash",
    "other_spending": "Other household spending",
}

_PLATFORM_SHARE = "platform_share_"


def metric_unit(name: str) -> str:
    """The unit of a metric as the catalogue gives it (``""`` when unknown)."""
    if name.startswith(_PLATFORM_SHARE) and name not in METRICS:
        return "share of GMV"
    return METRICS.get(name, ("", ""))[0]


def metric_label(name: str, unit: bool = True) -> str:
    """A metric's name in words, with its unit in parentheses.

    Args:
        name: Metric column (``employment_logistics``).
        unit: Whether to append the unit.

    Returns:
        E.g. ``"Couriers employed (workers)"``. A metric missing from the table gets its
        name with spaces for underscores, capitalised, so a new metric never shows raw.
    """
    words = METRIC_LABELS.get(name)
    if words is None:
        if name.startswith(_PLATFORM_SHARE):
            words = f"Platform {name.removeprefix(_PLATFORM_SHARE)}'s share"
        else:
            words = name.replace("_", " ").capitalize()
    shown = metric_unit(name) if unit else ""
    return f"{words} ({shown})" if shown else words


def parameter_labels(keys: Iterable[str]) -> dict[str, str]:
    """Short, unambiguous labels of dotted config keys.

    Each key keeps its last two parts (``platforms.0.mall.commission_rate`` ->
    ``mall.commission_rate``; a list position is never the first part shown, so
    ``platforms.0.escrow`` stays whole), and more parts where two keys would read the same.

    Args:
        keys: Dotted keys, e.g. a sweep's varied parameters.

    Returns:
        Key -> label, in the order given.
    """
    keys = list(keys)

    def tail(key: str, n: int) -> str:
        parts = key.split(".")
        start = max(len(parts) - n, 0)
        while start > 0 and parts[start].isdigit():
            start -= 1
        return ".".join(parts[start:])

    labels = {}
    for key in keys:
        n = 2
        while True:
            label = tail(key, n)
            if label == key or all(tail(k, n) != label for k in keys if k != key):
                break
            n += 1
        labels[key] = label
    return labels


def _plain(x: float, decimals: int) -> str:
    """``x`` with a fixed number of decimals (thousands separated when none)."""
    if decimals <= 0:
        return f"{round(x, decimals):,.0f}"
    return f"{x:,.{decimals}f}"


def format_value(x: Any, digits: int = 4) -> str:
    """A number rounded to ``digits`` significant digits, written plainly.

    Trailing zeros are dropped, thousands separated, and very small or very large numbers
    written in scientific notation. Anything not a float is written as it is (ints with
    thousands separators); NaN is ``"–"``.

    Args:
        x: The value.
        digits: Significant digits kept (integer parts are never cut).

    Returns:
        E.g. ``0.01667``, ``12,346``, ``1.5e-07``.
    """
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if isinstance(x, int):
        return f"{x:,}"
    if math.isnan(x):
        return "–"
    if math.isinf(x) or x == 0:
        return str(x) if math.isinf(x) else "0"
    magnitude = math.floor(math.log10(abs(x)))
    if magnitude < -4 or magnitude >= 15:
        return re.sub(r"\.?0+e", "e", f"{x:.{digits - 1}e}").replace("e+", "e")
    text = _plain(x, max(digits - 1 - magnitude, 0))
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_estimate(mean: float, sd: float, sd_digits: int = 2) -> str:
    """``mean ± sd`` with the sd at ``sd_digits`` significant digits and the mean to match.

    Args:
        mean: The estimate.
        sd: Its spread (standard deviation, or an interval's half-width); NaN or 0 (one
            replication, or no spread) gives the mean alone.
        sd_digits: Significant digits of the spread.

    Returns:
        E.g. ``0.7994 ± 0.0017``, ``56,800 ± 1,200``.
    """
    if math.isnan(mean):
        return "–"
    if math.isnan(sd) or sd <= 0 or math.isinf(sd):
        return format_value(mean)
    decimals = sd_digits - 1 - math.floor(math.log10(sd))
    if decimals > 8:  # a spread far below the value's own size: it carries no information
        return format_value(mean, digits=6)
    return f"{_plain(mean, decimals)} ± {_plain(sd, decimals)}"
