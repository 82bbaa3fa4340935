"""The world's state: everything the daily phases read and write, declared in one place.

:class:`State` holds the actor tables (one numpy column per attribute, one row per actor),
the money (``ledger``) and goods (``goods``) accounts, the calendars of shipments in
transit, the random generator, the configuration, the day and today's running totals
(:class:`Tally`). The phases (``ecosim.phases``) are functions of the state; the model
(``ecosim.model.EcosystemModel``) builds it, calls the phases in order and gives Mesa's
agent views onto its rows. See docs/architecture.md.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ecosim.recorder import Recorder

if TYPE_CHECKING:
    from ecosim.actors.tables import (
        ConsumerTable,
        LogisticsTable,
        ManufacturerTable,
        MerchantTable,
        PlatformTable,
        ServiceTable,
    )
    from ecosim.config import EcosimConfig
    from ecosim.goods import GoodsAccount
    from ecosim.ledger import Ledger
    from ecosim.orders import Calendar, NeedQueue

__all__ = ["REVENUE_SOURCES", "State", "Tally"]


def _no_rows() -> np.ndarray:
    return np.empty(0, dtype=np.int64)


# Where platform revenue comes from: each payment to a platform names one (docs/model.md,
# section 7.7); "other" collects payments booked without a source.
REVENUE_SOURCES = (
    "commission",  # commission and payment-processing fees on sales
    "ads",  # sponsored-slot clicks
    "listing",  # annual listing fees, pro rata
    "deposits",  # deposits forfeited by closed stores
    "fines",  # fines for detected fake reviews
    "iot_hosting",  # device makers' fees per device-placed order
    "data_services",  # manufacturers' point-of-sale data subscriptions
    "other",
)


def _revenue_sources() -> dict[str, float]:
    return dict.fromkeys(REVENUE_SOURCES, 0.0)


@dataclass
class Tally:
    """Today's running totals, reset at the start of every day (counts and RMB).

    Read by the metrics (``ecosim.phases.metrics``) and by the model's end-of-day
    bookkeeping; ``tally["gmv"]`` reads a field by name.
    """

    # online orders (fulfilment)
    orders_attempted: float = 0.0  # orders the buyers could pay, before stockouts
    stockouts: float = 0.0  # of which lost to an empty shelf
    orders: float = 0.0  # orders shipped
    gmv: float = 0.0  # RMB of orders shipped
    sales_fees: float = 0.0  # RMB, commission and payment fees due on the orders shipped
    iot_orders: float = 0.0  # of which placed by smart devices
    repeat_orders: float = 0.0  # of which consumables (a household's slot)
    iot_repeat_orders: float = 0.0  # of which consumables reordered by a device
    # IoT-eligible consumables shipped (phases.metrics.tally_consumables)
    consumable_orders: float = 0.0
    maker_repeats: float = 0.0  # of which by a household that bought the slot online before
    maker_switches: float = 0.0  # of which from another maker than its previous one
    consumable_markup_sum: float = 0.0  # sum of (price - making cost) / making cost
    consumable_margin: float = 0.0  # RMB, sum of price - making cost
    consumable_maker_margin: float = 0.0  # RMB, of which manufacturers' (wholesale - cost)
    other_store_sales: float = 0.0  # RMB, sold by stores that are no maker's device channel
    order_merchants: np.ndarray = field(default_factory=_no_rows)  # store of each order
    iot_merchants: np.ndarray = field(default_factory=_no_rows)  # store of each device order
    orders_by_platform: np.ndarray = field(default_factory=_no_rows)  # orders per platform
    # shopping and offline retail
    consumer_surplus: float = 0.0  # RMB, sum over searches of (mu / a)(logsum - offline)
    offline_sales: float = 0.0  # RMB sold by offline retail
    offline_units: float = 0.0  # units sold by offline retail
    # deliveries and reviews
    delivered: float = 0.0  # parcels due today
    arrived: float = 0.0  # of which not lost
    delivery_days: float = 0.0  # days in transit, summed over parcels that arrived
    fraud: float = 0.0  # arrived below the listed quality
    disputes: float = 0.0
    genuine_ratings: float = 0.0
    genuine_rating_sum: float = 0.0
    fake_reviews: float = 0.0  # bought today
    # households' budgets
    other_spending: float = 0.0  # RMB paid for other goods and services (phases.spending)
    # supply chain, services and stores
    restock_ordered: float = 0.0  # units stores asked their manufacturers for
    produced_for_stores: float = 0.0  # units manufacturers started for the online channel
    wholesale_margin: float = 0.0  # RMB, manufacturers' margin on units sold to stores
    services_revenue: float = 0.0  # RMB paid by stores to service providers
    provider_entries: float = 0.0  # service providers opened
    provider_exits: float = 0.0  # service providers closed
    entries: float = 0.0  # stores opened (flagships included)
    direct_entries: float = 0.0  # manufacturers' flagship stores opened
    exits: float = 0.0  # stores closed
    # platforms' revenue today by source (RMB), summing to their revenue_today
    platform_revenue_by_source: dict[str, float] = field(default_factory=_revenue_sources)

    def __getitem__(self, name: str) -> float:
        return getattr(self, name)


@dataclass(eq=False)
class State:
    """The world of one simulation. Built by ``EcosystemModel``; fields without a default
    are set, in this order, while the world is built (the random draws of building it
    follow that order)."""

    config: EcosimConfig  # the run's rules; scheduled changes edit it (a private copy)
    rng: np.random.Generator  # the one random generator of the run (the model's)
    day: int = 0  # the day being simulated (1, 2, ...); 0 while building
    date: datetime.date = field(init=False)  # the calendar date of ``day`` (ecosim.dates)
    today: Tally = field(default_factory=Tally)

    # categories and geography (fixed)
    consumables: list[int] = field(init=False)  # category indices of consumables
    durables: list[int] = field(init=False)
    slot_of: np.ndarray = field(init=False)  # consumable slot of each category, -1 durable
    n_regions: int = field(init=False)
    distance_km: np.ndarray = field(init=False)  # [region, region]
    expected_daily_units: np.ndarray = field(init=False)  # per category, whole population

    # the actors: columnar tables, one row per actor
    consumers: ConsumerTable = field(init=False)
    manufacturers: ManufacturerTable = field(init=False)
    couriers: LogisticsTable = field(init=False)
    platforms: PlatformTable = field(init=False)
    providers: ServiceTable = field(init=False)
    merchants: MerchantTable = field(init=False)  # rows never move; closed stores stay

    # money, goods and what is in transit
    ledger: Ledger = field(init=False)
    goods: GoodsAccount = field(init=False)
    shipments: Calendar = field(init=False)  # parcels to households, by arrival day
    inbound: Calendar = field(init=False)  # manufacturers' shipments to stores, by arrival
    production: Calendar = field(init=False)  # manufacturers' batches, by day finished
    need_queue: NeedQueue | None = None  # households' next checks (phases.consumption)

    # markets
    mean_base_income: float = field(init=False)  # RMB/day
    household_wealth: np.ndarray = field(init=False)  # RMB, cash after yesterday's spending
    offline_price: np.ndarray = field(init=False)  # RMB/unit per category
    listings_per_category: np.ndarray = field(init=False)  # initial stores per category
    expected_online_share: np.ndarray = field(init=False)  # start-up estimate, per category
    store_orders_guess: np.ndarray = field(init=False)  # orders/day a new store expects [C]
    busiest_store_orders: np.ndarray = field(init=False)  # orders/day of a top-ranked one [C]
    prior_rating: float = field(init=False)  # rating shown for a store without ratings
    display: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # per platform
    courier_wait: np.ndarray = field(init=False)  # days a parcel handed over next waits
    market_demand: np.ndarray = field(init=False)  # online orders per (platform x category) (ring)

    # labour
    offline_staff: np.ndarray = field(init=False)  # [1] offline retail's headcount
    other_staff: np.ndarray = field(init=False)  # [1] the rest of the economy's headcount
    offline_units_ema: float = field(init=False)  # offline retail's workload (units/day)
    wage_bill: list[np.ndarray] = field(init=False)  # today's, per sector and firm (RMB)
    overstaffed_days: list[np.ndarray] = field(init=False)  # per sector and firm
    initial_unemployment: float = field(init=False)  # share, at start-up

    # end-of-day bookkeeping and read-outs
    profit_ema: dict[str, float] = field(init=False)  # RMB/day by channel level
    platform_cash_start: float = 0.0  # platforms' cash at the start of today (RMB)
    demand_hist: np.ndarray = field(init=False)  # online units demanded per day (ring)
    upstream_hist: np.ndarray = field(init=False)  # units stores ordered upstream (ring)
    production_hist: np.ndarray = field(init=False)  # units started for stores (ring)
    metrics: dict[str, float] = field(default_factory=dict)  # the last day's metrics
    last_negotiation: dict[str, np.ndarray] = field(default_factory=dict)  # latest contracts
    # agent-level panels and event logs (docs/outputs.md); records nothing by default
    record: Recorder = field(default_factory=Recorder)
