"""Sellers on the platforms: marketplace (C2C) and mall (B2C) stores, honest or opportunistic."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.table import RowAgent
from ecosim.actors.tables import MALL, MARKETPLACE

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = ["Merchant", "add_merchants", "cheap_version_factor", "cost_factor"]

# Technical: range of the uniform key that assigns a store to a query niche (its value modulo
# the number of niches); any range far above the number of niches gives the same niches.
NICHE_KEYS = 2**31


def cheap_version_factor(state: State) -> float:
    """Cost of the worse goods opportunists sell, as a share of the real thing's cost."""
    cfg = state.config.merchants
    return max(1 - cfg.cost_saving_per_quality * cfg.quality_gap, cfg.min_cost_factor)


def cost_factor(state: State, rows: np.ndarray) -> np.ndarray:
    """Share of the manufacturer's unit cost the goods of each store cost to make."""
    return np.where(state.merchants.opportunistic[rows], cheap_version_factor(state), 1.0)


def add_merchants(
    state: State,
    n: int,
    platform: np.ndarray,
    category: np.ndarray,
    *,
    tier: np.ndarray | None = None,
    opportunistic: np.ndarray | None = None,
    price: np.ndarray | None = None,
    flagship_of: np.ndarray | None = None,
) -> np.ndarray:
    """Open ``n`` stores (initial population or entrants); the model gives them Mesa agents.

    Args:
        state: the world.
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
    cfg = state.config.merchants
    rng = state.rng
    cats = state.config.categories
    if tier is None:
        tier = np.where(rng.random(n) < cfg.mall_share, MALL, MARKETPLACE)
    if opportunistic is None:
        opportunistic = rng.random(n) < cfg.opportunistic_share
    urban = rng.random(n) < state.config.regions.merchant_urban_share
    region = np.where(
        urban,
        rng.integers(0, state.config.regions.n_urban, n),
        rng.integers(0, state.n_regions, n),
    )
    q_mean = np.array([cats[c].quality_mean for c in category])
    q_sd = np.array([cats[c].quality_sd for c in category])
    quality = np.clip(q_mean + q_sd * rng.standard_normal(n), cfg.min_quality, 1.0)
    relevance = rng.standard_normal(n)
    niche = rng.integers(0, NICHE_KEYS, n)
    if flagship_of is None:
        supplier = state.manufacturers.pick_supplier(category, rng)
    else:
        supplier = np.asarray(flagship_of)
        opportunistic = np.zeros(n, dtype=bool)
        quality = state.manufacturers.quality[supplier]
    wholesale = state.manufacturers.offer_price(supplier)
    if flagship_of is not None:
        wholesale = state.manufacturers.unit_cost[supplier].copy()
    # Opportunists buy a cheaper, worse version of what they list.
    wholesale = wholesale * np.where(opportunistic, cheap_version_factor(state), 1.0)
    listed_quality = quality.copy()
    true_quality = np.where(opportunistic, np.maximum(quality - cfg.quality_gap, 0.0), quality)
    if price is None:
        price = wholesale * (1 + cfg.initial_markup)
    courier = state.couriers.cheapest(rng, n, state.config.logistics.courier_choice_scale)
    listed = np.zeros((n, len(state.config.platforms)), dtype=bool)
    listed[np.arange(n), platform] = True
    # orders a day a new store expects: its share of the category's expected online demand
    expected_units = state.store_orders_guess[category]
    # Its first stock is sized for the orders of the category's top-ranked store: demand is
    # spread unevenly over stores (ranks) before anyone has sold, and a store has only its
    # first forecast to reorder from; sized on its share of the whole demand, online and
    # offline, a store in a category mostly bought offline held a year of its sales, whose
    # holding cost closed it (docs/model.md, section 5).
    first_stock = cfg.initial_stock_days * state.busiest_store_orders[category]
    rows = state.merchants.append(
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
        stock=np.round(first_stock),
        entry_day=state.day,
        deposit_platform=platform,
        orders_ema=expected_units,
    )
    state.ledger.grow("merchants", n)
    state.goods.created("initial_stock", state.merchants.stock[rows].sum())
    state.ledger.endow("merchants", rows, np.full(n, cfg.initial_cash))
    # The deposit moves from the store's cash into the platform's keeping.
    for p, plat in enumerate(state.config.platforms):
        mine = rows[(platform == p) & (tier == MALL)]
        dep = plat.mall.deposit
        mine_m = rows[(platform == p) & (tier == MARKETPLACE)]
        dep_m = plat.marketplace.deposit
        for idx, amount in ((mine, dep), (mine_m, dep_m)):
            if idx.size and amount > 0:
                state.ledger.pay("merchants", idx, "escrow", p, np.full(idx.size, amount))
                state.merchants.deposit[idx] = amount
    state.record.entries(state.day, rows, state.merchants, flagship_of is not None)
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
