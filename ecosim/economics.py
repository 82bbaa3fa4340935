"""Platform money and store costs: fee rates, unit cost, wages, the booking of platform income.

A payment to a platform is booked by :func:`pay_platform`: the ledger payment, the
platform's revenue for the day and, when stores pay, their profit for the day. (A fine
drawn partly from a store's deposit and partly from its cash is two ledger payments and
one revenue entry, :func:`book_platform_revenue`, so that the day's revenue adds each fine
once.) Fee rates (commission plus payment fee, shares of the price) come from
:func:`tier_fee_rates` for a platform's tiers and :func:`fee_rates` for stores on their home
platform; a store's unit cost is :func:`unit_cost`, wholesale plus :func:`shipping_cost`.
Wages follow :func:`wage_rates`. See docs/model.md, sections 7.7 (payment, escrow and fees)
and 7.13 (labour market and wages).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.platforms import tier_rates
from ecosim.state import REVENUE_SOURCES

if TYPE_CHECKING:
    from ecosim.config import PlatformConfig
    from ecosim.state import State

__all__ = [
    "REVENUE_SOURCES",
    "SERVICES_SECTOR",
    "book_platform_revenue",
    "fee_rates",
    "home_platform",
    "listing_price",
    "order_prices",
    "pay_couriers",
    "pay_platform",
    "shipping_cost",
    "tier_fee_rates",
    "typical_shipping_cost",
    "unemployment_rate",
    "unit_cost",
    "wage_rates",
]

# Service providers' row in wage_rates (the order of phases.labour.SECTORS).
SERVICES_SECTOR = 3


def tier_fee_rates(plat: PlatformConfig, tier: np.ndarray) -> np.ndarray:
    """Commission plus payment fee (share of price, at most 1: a fee never exceeds the
    price) for stores of the given tiers on ``plat``."""
    commission, payment = tier_rates(plat, tier)
    return np.minimum(commission + payment, 1.0)


def home_platform(state: State, rows: np.ndarray) -> np.ndarray:
    """Platform index each store pays its fees to: the first one it lists on."""
    return np.argmax(state.merchants.listed[rows], axis=1)


def fee_rates(state: State, rows: np.ndarray) -> np.ndarray:
    """Fee rate (share of price) each store pays its home platform, by its tier."""
    mer = state.merchants
    home = home_platform(state, rows)
    rate = np.zeros(rows.size)
    for p, plat in enumerate(state.config.platforms):
        sel = home == p
        rate[sel] = tier_fee_rates(plat, mer.tier[rows[sel]])
    return rate


def listing_price(state: State, rows: np.ndarray, platform: int) -> np.ndarray:
    """Price (RMB) of stores ``rows`` on ``platform``: their price on their home platform,
    with the difference in fee rates passed through, ``p (1 - f_home) / (1 - f_platform)``,
    so that a multi-homing store nets the same per sale everywhere and a platform's fees show
    in its shoppers' prices (docs/model.md, section 7.14a)."""
    price = state.merchants.price[rows]
    home = home_platform(state, rows)
    elsewhere = np.flatnonzero(home != platform)
    if elsewhere.size == 0:
        return price
    tier = state.merchants.tier[rows[elsewhere]]
    there = tier_fee_rates(state.config.platforms[platform], tier)
    out = price.copy()
    out[elsewhere] *= (1 - fee_rates(state, rows[elsewhere])) / (1 - there)
    return out


def order_prices(state: State, orders: dict) -> np.ndarray:
    """Price (RMB) of each order: its store's :func:`listing_price` on the order's platform."""
    price = state.merchants.price[orders["merchant"]]
    for p in np.unique(orders["platform"]):
        sel = np.flatnonzero(orders["platform"] == p)
        price[sel] = listing_price(state, orders["merchant"][sel], int(p))
    return price


def shipping_cost(state: State, rows: np.ndarray) -> np.ndarray:
    """What each store pays per parcel it ships (RMB): its courier's price."""
    return state.couriers.price[state.merchants.courier[rows]]


def typical_shipping_cost(state: State, platform: int) -> float:
    """Shipping cost per parcel (RMB) a store about to open on ``platform`` expects: the
    mean courier price (the same on every platform today)."""
    return state.couriers.price.mean()


def pay_couriers(
    state: State, merchants: np.ndarray, platforms: np.ndarray, couriers: np.ndarray
) -> np.ndarray:
    """Stores pay the couriers of the parcels they ship (one entry per parcel).

    Args:
        state: the world.
        merchants: the shipping store of each parcel.
        platforms: the platform each parcel's order came through.
        couriers: the courier firm carrying each parcel.

    Returns:
        What each store paid for each parcel (RMB), a cost in its profit.
    """
    bill = state.couriers.price[couriers]
    state.ledger.pay("merchants", merchants, "couriers", couriers, bill)
    return bill


def unit_cost(state: State, rows: np.ndarray) -> np.ndarray:
    """Cost (RMB/unit) of a store's sale before platform fees: wholesale plus shipping."""
    return state.merchants.wholesale[rows] + shipping_cost(state, rows)


def book_platform_revenue(
    state: State, platform: np.ndarray | int, amount: np.ndarray, source: str = "other"
) -> None:
    """Add ``amount`` (RMB) to the platforms' revenue for the day, under ``source``.

    One platform for all (an int): the amounts' sum is added; one per entry (an array): each
    entry is added to its platform in turn. ``source`` is one of ``REVENUE_SOURCES``.
    """
    revenue = state.platforms.revenue_today
    if np.isscalar(platform):
        revenue[platform] += amount.sum()
    else:
        np.add.at(revenue, platform, amount)
    state.today.platform_revenue_by_source[source] += float(np.sum(amount))
    state.record.platform_revenue(platform, amount, source, REVENUE_SOURCES, state.platforms.n)


def pay_platform(
    state: State,
    payer: str,
    payer_idx: np.ndarray | int,
    platform: np.ndarray | int,
    amount: np.ndarray,
    source: str = "other",
) -> None:
    """Book a payment to a platform: ledger, the platform's revenue and the payer's profit.

    Args:
        state: the world.
        payer: ledger sector that pays (``merchants``, ``manufacturers``, ``households``,
            ``escrow``). When stores pay (``merchants``), the amount is also a cost in their
            profit for the day; ``payer_idx`` must then hold each store once.
        payer_idx: paying accounts (one per entry, or one for all).
        platform: receiving platform (one per entry, or one for all).
        amount: RMB per entry.
        source: what the platform is paid for, one of ``REVENUE_SOURCES``.
    """
    state.ledger.pay(payer, payer_idx, "platforms", platform, amount)
    if payer == "merchants":
        state.merchants.profit_today[payer_idx] -= amount
    book_platform_revenue(state, platform, amount, source)


def unemployment_rate(state: State) -> float:
    """Unemployed households over the labour force (all households)."""
    n = state.consumers.n
    return float((state.consumers.sector < 0).sum() / n) if n else 0.0


def wage_rates(state: State) -> np.ndarray:
    """Daily wage (RMB) of each labour sector, after the wage rule."""
    lab = state.config.labour
    lv = lab.wage_levels  # in the labour sectors' order, the other sector last
    level = np.array(
        [
            lv.merchants,
            lv.manufacturers,
            lv.logistics,
            lv.services,
            lv.platform,
            lv.offline_retail,
            lv.other,
        ]
    )
    wage = lab.wage * level
    if lab.wage_rule == "unemployment":
        u = unemployment_rate(state)
        wage = wage * max(
            lab.wage_floor, 1 - lab.wage_unemployment_elasticity * (u - state.initial_unemployment)
        )
    return wage
