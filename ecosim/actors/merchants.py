"""Sellers on the platforms: marketplace (C2C) and mall (B2C) stores, honest or opportunistic."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.table import RowAgent, Table

if TYPE_CHECKING:
    from ecosim.model import EcosystemModel

__all__ = [
    "MALL",
    "MARKETPLACE",
    "Merchant",
    "MerchantTable",
    "add_merchants",
    "cheap_version_factor",
    "cost_factor",
]

MARKETPLACE, MALL = 0, 1
HISTORY = 128  # days of sales and profit kept per merchant (ring buffer; windows <= 120)
ONLINE_GUESS = 0.15  # share of demand a new store expects to come online (first workload)
SERVICE_TYPES = ("marketing", "customer_service", "operations", "analytics")


class MerchantTable(Table):
    """Columns of merchant state; rows never move, exits set ``active`` to False."""

    def __init__(self, n_platforms: int) -> None:
        super().__init__(0)
        self.add_column("active", dtype=bool, fill=True)
        self.add_column("listed", dtype=bool, width=n_platforms)  # listed on platform p
        self.add_column("category", dtype=np.int32)
        self.add_column("tier", dtype=np.int8)
        self.add_column("opportunistic", dtype=bool)
        self.add_column("flagship", dtype=bool)  # a manufacturer's own store
        self.add_column("region", dtype=np.int32)
        self.add_column("relevance")  # fixed listing trait used by ranking (z-score)
        self.add_column("niche", dtype=np.int64)  # query niche key (see phases.ranking)
        self.add_column("quality_listed")
        self.add_column("quality_true")
        self.add_column("price")
        self.add_column("wholesale")  # contract price per unit (RMB)
        self.add_column("supplier", dtype=np.int64, fill=-1)  # manufacturer row
        self.add_column("courier", dtype=np.int64)
        self.add_column("stock")  # units on hand
        self.add_column("on_order")  # units ordered, not yet arrived
        self.add_column("rating_sum")  # sum of ratings shown (genuine + undetected fake)
        self.add_column("rating_count")
        self.add_column("strikes", dtype=np.int32)  # fake-review detections
        self.add_column("deposit")  # held by the platform (RMB)
        self.add_column("deposit_platform", dtype=np.int64)  # the platform holding it
        self.add_column("ad_bid")  # RMB per click
        self.add_column("entry_day", dtype=np.int64)
        self.add_column("staff", dtype=np.int64)
        self.add_column("provider", dtype=np.int64, width=len(SERVICE_TYPES), fill=-1)
        self.add_column("orders_ema")  # orders/day, exponential moving average (workload)
        self.add_column("iot_ema")  # of which placed by smart devices (orders/day)
        self.add_column("units_hist", width=HISTORY)  # units demanded per day (ring)
        self.add_column("sales_hist", width=HISTORY)  # RMB sold per day (ring)
        self.add_column("profit_hist", width=HISTORY)  # RMB profit per day (ring)
        self.add_column("profit_today")
        self.add_column("last_period_profit", fill=np.nan)
        self.add_column("price_step", fill=1.0)  # adaptive pricing direction (+1/-1)


def cheap_version_factor(model: EcosystemModel) -> float:
    """Cost of the worse goods opportunists sell, as a share of the real thing's cost."""
    cfg = model.config.merchants
    return max(1 - cfg.cost_saving_per_quality * cfg.quality_gap, 0.1)


def cost_factor(model: EcosystemModel, rows: np.ndarray) -> np.ndarray:
    """Share of the manufacturer's unit cost the goods of each store cost to make."""
    return np.where(model.merchants.opportunistic[rows], cheap_version_factor(model), 1.0)


def add_merchants(
    model: EcosystemModel,
    n: int,
    platform: np.ndarray,
    category: np.ndarray,
    *,
    tier: np.ndarray | None = None,
    opportunistic: np.ndarray | None = None,
    price: np.ndarray | None = None,
    flagship_of: np.ndarray | None = None,
) -> np.ndarray:
    """Open ``n`` stores (initial population or entrants) and their Mesa agents.

    Args:
        model: the model.
        n: number of new stores.
        platform: platform index of each store (it lists there).
        category: category index of each store.
        tier: MARKETPLACE or MALL per store (drawn from ``mall_share`` when None).
        opportunistic: whether each store cheats (drawn when None).
        price: initial price (RMB); wholesale times one plus the initial markup when None.
        flagship_of: manufacturer rows for manufacturers' own flagship stores.

    Returns:
        The new rows.
    """
    cfg = model.config.merchants
    rng = model.rng
    cats = model.config.categories
    if tier is None:
        tier = np.where(rng.random(n) < cfg.mall_share, MALL, MARKETPLACE)
    if opportunistic is None:
        opportunistic = rng.random(n) < cfg.opportunistic_share
    urban = rng.random(n) < model.config.regions.merchant_urban_share
    region = np.where(
        urban,
        rng.integers(0, model.config.regions.n_urban, n),
        rng.integers(0, model.n_regions, n),
    )
    q_mean = np.array([cats[c].quality_mean for c in category])
    q_sd = np.array([cats[c].quality_sd for c in category])
    quality = np.clip(q_mean + q_sd * rng.standard_normal(n), 0.05, 1.0)
    relevance = rng.standard_normal(n)
    niche = rng.integers(0, 2**31, n)
    if flagship_of is None:
        supplier = model.manufacturers.pick_supplier(category, rng)
    else:
        supplier = np.asarray(flagship_of)
        opportunistic = np.zeros(n, dtype=bool)
        quality = model.manufacturers.quality[supplier]
    wholesale = model.manufacturers.offer_price(supplier)
    if flagship_of is not None:
        wholesale = model.manufacturers.unit_cost[supplier].copy()
    # Opportunists buy a cheaper, worse version of what they list.
    wholesale = wholesale * np.where(opportunistic, cheap_version_factor(model), 1.0)
    listed_quality = quality.copy()
    true_quality = np.where(opportunistic, np.maximum(quality - cfg.quality_gap, 0.0), quality)
    if price is None:
        price = wholesale * (1 + cfg.initial_markup)
    courier = model.couriers.cheapest(rng, n)
    listed = np.zeros((n, len(model.config.platforms)), dtype=bool)
    listed[np.arange(n), platform] = True
    expected_units = model.expected_daily_units[category] / np.maximum(
        model.listings_per_category[category], 1
    )
    rows = model.merchants.append(
        n,
        listed=listed,
        category=category,
        tier=tier,
        opportunistic=opportunistic,
        flagship=flagship_of is not None,
        region=region,
        relevance=relevance,
        niche=niche,
        quality_listed=listed_quality,
        quality_true=true_quality,
        price=price,
        wholesale=wholesale,
        supplier=supplier,
        courier=courier,
        stock=np.round(expected_units * cfg.initial_stock_days),
        entry_day=model.day,
        deposit_platform=platform,
        orders_ema=expected_units * ONLINE_GUESS,
    )
    model.ledger.grow("merchants", n)
    model.goods.created("initial_stock", model.merchants.stock[rows].sum())
    model.ledger.endow("merchants", rows, np.full(n, cfg.initial_cash))
    # The deposit moves from the store's cash into the platform's keeping.
    for p, plat in enumerate(model.config.platforms):
        mine = rows[(platform == p) & (tier == MALL)]
        dep = plat.mall.deposit
        mine_m = rows[(platform == p) & (tier == MARKETPLACE)]
        dep_m = plat.marketplace.deposit
        for idx, amount in ((mine, dep), (mine_m, dep_m)):
            if idx.size and amount > 0:
                model.ledger.pay("merchants", idx, "escrow", p, np.full(idx.size, amount))
                model.merchants.deposit[idx] = amount
    model.merchant_agents.extend(Merchant(model, int(r)) for r in rows)
    return rows


class Merchant(RowAgent):
    """A store, as a Mesa agent: a view onto row ``row`` of ``model.merchants``."""

    @property
    def price(self) -> float:
        """Listed price (RMB/unit)."""
        return float(self.model.merchants.price[self.row])

    @property
    def active(self) -> bool:
        """Whether the store is still open."""
        return bool(self.model.merchants.active[self.row])

    @property
    def opportunistic(self) -> bool:
        """Whether the store ships worse than it lists and buys fake reviews."""
        return bool(self.model.merchants.opportunistic[self.row])

    @property
    def cash(self) -> float:
        """Cash (RMB)."""
        return float(self.model.ledger.balances["merchants"][self.row])
