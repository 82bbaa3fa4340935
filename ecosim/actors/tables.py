"""The actors' state: one columnar table per kind of actor, one row per actor.

These tables are what ``ecosim.state.State`` holds; the modules next to this one create
them (``create_consumers``...) and give each row a Mesa agent view.
"""

from __future__ import annotations

import numpy as np

from ecosim.actors.table import Table

__all__ = [
    "HISTORY",
    "MALL",
    "MARKETPLACE",
    "SERVICE_TYPES",
    "UNEMPLOYED",
    "ConsumerTable",
    "LogisticsTable",
    "ManufacturerTable",
    "MerchantTable",
    "PlatformTable",
    "ServiceTable",
]

UNEMPLOYED = -1  # a household's sector code without a job
MARKETPLACE, MALL = 0, 1  # store tiers
HISTORY = 128  # days of sales and profit kept per merchant (ring buffer; windows <= 120)
SERVICE_TYPES = ("marketing", "customer_service", "operations", "analytics")


class ConsumerTable(Table):
    """Columns of household state (one row per household).

    Consumable columns have one entry per consumable category (``state.consumables``):
    ``stock_out`` is the day (float) the home stock runs out, so stock needs no daily update:
    it is ``rate * (stock_out - day)`` units at any day.
    """

    region: np.ndarray
    price_sensitivity: np.ndarray
    trust: np.ndarray
    last_online_day: np.ndarray
    home: np.ndarray
    base_income: np.ndarray
    income: np.ndarray
    sector: np.ndarray
    employer: np.ndarray
    rate: np.ndarray
    stock_out: np.ndarray
    pending: np.ndarray
    device: np.ndarray
    iot_on: np.ndarray
    device_merchant: np.ndarray
    last_maker: np.ndarray

    def __init__(self, n: int, n_consumables: int) -> None:
        super().__init__(n)
        self.add_column("region", dtype=np.int32)
        self.add_column("price_sensitivity", fill=1.0)  # multiplier of 1/mu, mean 1
        self.add_column("trust")  # probability an online seller is honest (initial_trust)
        self.add_column("last_online_day", dtype=np.int32, fill=-(2**30))  # last parcel due
        self.add_column("home", dtype=np.int32, fill=-1)  # platform index; -1 multi-homing
        self.add_column("base_income", fill=0.0)  # RMB/day when employed at the mean wage
        self.add_column("income", fill=0.0)  # RMB/day received
        self.add_column("sector", dtype=np.int8, fill=UNEMPLOYED)  # employer sector
        self.add_column("employer", dtype=np.int64, fill=-1)  # row in the sector's table
        k = n_consumables
        self.add_column("rate", width=k)  # units/day consumed
        self.add_column("stock_out", width=k)  # day the home stock is exhausted
        self.add_column("pending", dtype=bool, width=k)  # an order is on its way
        self.add_column("device", dtype=np.int64, width=k, fill=-1)  # manufacturer of device
        self.add_column("iot_on", dtype=bool, width=k)  # device reorders automatically
        self.add_column("device_merchant", dtype=np.int64, width=k, fill=-1)
        # maker of the last online order of each consumable (-1 none yet): repeat buying
        self.add_column("last_maker", dtype=np.int64, width=k, fill=-1)


class ManufacturerTable(Table):
    """Columns of manufacturer state (one row per manufacturer)."""

    category: np.ndarray
    unit_cost: np.ndarray
    quality: np.ndarray
    capacity: np.ndarray
    wholesale_markup: np.ndarray
    staff: np.ndarray
    produced_today: np.ndarray
    output_ema: np.ndarray
    data_service: np.ndarray
    finished_stock: np.ndarray
    in_production: np.ndarray
    orders_hist: np.ndarray
    pos_hist: np.ndarray
    flagship: np.ndarray
    brand: np.ndarray
    channel: np.ndarray

    def __init__(self, n: int) -> None:
        super().__init__(n)
        self.add_column("category", dtype=np.int32)
        self.add_column("unit_cost")  # RMB/unit
        self.add_column("quality")
        self.add_column("capacity")  # units/day
        self.add_column("wholesale_markup")  # offer to new partners, share of unit cost
        self.add_column("staff", dtype=np.int64)
        self.add_column("produced_today")
        self.add_column("output_ema")  # units/day, exponential moving average (workload)
        self.add_column("data_service", dtype=bool)  # buys the platform's data service
        self.add_column("finished_stock")  # units ready to ship to stores
        self.add_column("in_production")  # units started, not finished yet
        self.add_column("orders_hist", width=HISTORY)  # units stores asked for per day (ring)
        self.add_column("pos_hist", width=HISTORY)  # units its stores' buyers wanted (ring)
        self.add_column("flagship", dtype=np.int64, fill=-1)  # merchant row of own store
        self.add_column("brand", fill=1.0)  # brand strength: device sales follow brand^k
        # merchant row where its devices reorder: its flagship, else one store it authorises
        self.add_column("channel", dtype=np.int64, fill=-1)

    def pick_supplier(self, category: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A random manufacturer of each given category (uniform among that category's)."""
        out = np.empty(len(category), dtype=np.int64)
        for c in np.unique(category):
            mine = np.flatnonzero(self.category == c)
            sel = category == c
            out[sel] = mine[rng.integers(0, mine.size, sel.sum())]
        return out

    def device_shares(self, concentration: float) -> np.ndarray:
        """Each maker's share of its category's device sales, brand^k normalised per category.

        Args:
            concentration: the exponent k (0 gives every maker of a category an equal share).
        """
        weight = self.brand**concentration
        total = np.bincount(self.category, weights=weight)
        return weight / total[self.category]

    def pick_device_maker(
        self, category: np.ndarray, concentration: float, rng: np.random.Generator
    ) -> np.ndarray:
        """The maker of each device bought, drawn in proportion to ``device_shares``."""
        shares = self.device_shares(concentration)
        out = np.empty(len(category), dtype=np.int64)
        for c in np.unique(category):
            mine = np.flatnonzero(self.category == c)
            sel = category == c
            out[sel] = rng.choice(mine, size=int(sel.sum()), p=shares[mine])
        return out

    def offer_price(self, supplier: np.ndarray) -> np.ndarray:
        """Wholesale price (RMB/unit) offered to a new partner before negotiation."""
        return self.unit_cost[supplier] * (1 + self.wholesale_markup[supplier])


class LogisticsTable(Table):
    """Columns of courier-firm state (one row per firm)."""

    price: np.ndarray
    staff: np.ndarray
    parcels_today: np.ndarray
    volume_hist: np.ndarray
    backlog: np.ndarray
    capacity_today: np.ndarray
    dispatched_today: np.ndarray

    def __init__(self, n: int, window: int) -> None:
        super().__init__(n)
        self.add_column("price")  # RMB/parcel
        self.add_column("staff", dtype=np.int64)  # couriers employed
        self.add_column("parcels_today")  # parcels handed over today
        self.add_column("volume_hist", width=window)  # parcels handed over per day (ring)
        self.add_column("backlog")  # parcels waiting for dispatch (queue, first come first served)
        self.add_column("capacity_today")  # parcels the firm could dispatch today, surge included
        self.add_column("dispatched_today")  # parcels dispatched today (from the queue's front)

    def capacity(self, parcels_per_courier_day: float) -> np.ndarray:
        """Parcels each firm's own staff can dispatch in a day (no festival surge), at least
        one so that a queue always moves."""
        return np.maximum(self.staff * parcels_per_courier_day, 1.0)

    def cheapest(self, rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
        """Couriers chosen by ``n`` merchants: logit in price with scale ``scale`` (RMB),
        cheaper more often."""
        weights = np.exp(-(self.price - self.price.min()) / scale)
        return rng.choice(self.n, size=n, p=weights / weights.sum())


class MerchantTable(Table):
    """Columns of merchant state; rows never move, exits set ``active`` to False."""

    active: np.ndarray
    listed: np.ndarray
    category: np.ndarray
    tier: np.ndarray
    opportunistic: np.ndarray
    flagship: np.ndarray
    region: np.ndarray
    relevance: np.ndarray
    niche: np.ndarray
    quality_listed: np.ndarray
    quality_true: np.ndarray
    price: np.ndarray
    wholesale: np.ndarray
    supplier: np.ndarray
    courier: np.ndarray
    stock: np.ndarray
    on_order: np.ndarray
    festival_days: np.ndarray
    festival_error: np.ndarray
    rating_sum: np.ndarray
    rating_count: np.ndarray
    strikes: np.ndarray
    deposit: np.ndarray
    deposit_platform: np.ndarray
    ad_bid: np.ndarray
    entry_day: np.ndarray
    staff: np.ndarray
    provider: np.ndarray
    free_tools: np.ndarray
    orders_ema: np.ndarray
    iot_ema: np.ndarray
    units_hist: np.ndarray
    sales_hist: np.ndarray
    profit_hist: np.ndarray
    profit_today: np.ndarray
    last_period_profit: np.ndarray
    price_step: np.ndarray

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
        self.add_column("festival_days")  # extra days of demand the festival plan is for
        self.add_column("festival_error", fill=1.0)  # that plan's forecast error (factor)
        self.add_column("rating_sum")  # sum of ratings shown (genuine + undetected fake)
        self.add_column("rating_count")
        self.add_column("strikes", dtype=np.int32)  # fake-review detections
        self.add_column("deposit")  # held by the platform (RMB)
        self.add_column("deposit_platform", dtype=np.int64)  # the platform holding it
        self.add_column("ad_bid")  # RMB per click
        self.add_column("entry_day", dtype=np.int64)
        self.add_column("staff", dtype=np.int64)
        self.add_column("provider", dtype=np.int64, width=len(SERVICE_TYPES), fill=-1)
        self.add_column("free_tools", dtype=bool, width=len(SERVICE_TYPES))  # free basic tools
        self.add_column("orders_ema")  # orders/day, exponential moving average (workload)
        self.add_column("iot_ema")  # of which placed by smart devices (orders/day)
        self.add_column("units_hist", width=HISTORY)  # units demanded per day (ring)
        self.add_column("sales_hist", width=HISTORY)  # RMB sold per day (ring)
        self.add_column("profit_hist", width=HISTORY)  # RMB profit per day (ring)
        self.add_column("profit_today")
        self.add_column("last_period_profit", fill=np.nan)
        self.add_column("price_step", fill=1.0)  # adaptive pricing direction (+1/-1)


class PlatformTable(Table):
    """Columns of platform state (one row per platform)."""

    staff: np.ndarray
    revenue_today: np.ndarray
    gmv_today: np.ndarray
    orders_ema: np.ndarray
    trust: np.ndarray
    outcome_hist: np.ndarray
    parcel_hist: np.ndarray

    def __init__(self, n: int) -> None:
        super().__init__(n)
        self.add_column("staff", dtype=np.int64)
        self.add_column("revenue_today")  # RMB
        self.add_column("gmv_today")  # RMB
        self.add_column("orders_ema")  # orders/day, exponential moving average (workload)
        # trust (docs/model.md, section 7.6): what the public hears of deliveries on it
        self.add_column("trust", fill=1.0)  # public signal: share of recent deliveries gone well
        self.add_column("outcome_hist", width=HISTORY)  # deliveries' outcomes per day (ring)
        self.add_column("parcel_hist", width=HISTORY)  # deliveries per day (ring)


class ServiceTable(Table):
    """Columns of provider state (one row per provider)."""

    kind: np.ndarray
    active: np.ndarray
    price: np.ndarray
    staff: np.ndarray
    clients: np.ndarray
    revenue_today: np.ndarray
    profit_today: np.ndarray
    profit_hist: np.ndarray
    entry_day: np.ndarray

    def __init__(self, n: int) -> None:
        super().__init__(n)
        self.add_column("kind", dtype=np.int32)  # index into SERVICE_TYPES
        self.add_column("active", dtype=bool, fill=True)  # open
        self.add_column("price")  # RMB/day per client
        self.add_column("staff", dtype=np.int64)  # hired staff (the owner is not counted)
        self.add_column("clients", dtype=np.int64)
        self.add_column("revenue_today")  # RMB
        self.add_column("profit_today")  # RMB: revenue - costs - wages
        self.add_column("profit_hist", width=HISTORY)  # RMB profit per day (ring)
        self.add_column("entry_day", dtype=np.int64)
