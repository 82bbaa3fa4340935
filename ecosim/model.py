"""The ecosystem model: builds the world's state and runs the daily phases in order.

The state (``ecosim.state.State``) holds every table, account and calendar; the phases
(``ecosim.phases``) are functions of it; the model builds it, calls the phases (see
:meth:`EcosystemModel.step`), collects the metrics and gives Mesa's agent views onto the
tables' rows. See docs/architecture.md.

Example:
    >>> from ecosim import EcosystemModel, load_config
    >>> cfg = load_config(None, ["consumers.n=300", "merchants.n_initial=20"])
    >>> model = EcosystemModel(cfg, rng=1)
    >>> model.run(5)
    >>> len(model.datacollector.get_model_vars_dataframe())
    5
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from ecosim.actors.consumers import Consumer, create_consumers
from ecosim.actors.logistics import LogisticsFirm, create_couriers, staff_couriers
from ecosim.actors.manufacturers import Manufacturer, create_manufacturers, stock_manufacturers
from ecosim.actors.merchants import Merchant, add_merchants
from ecosim.actors.offline import OfflineRetail
from ecosim.actors.platforms import Platform
from ecosim.actors.services import ServiceProvider, create_providers, fund_providers
from ecosim.actors.tables import (
    HISTORY,
    MARKETPLACE,
    SERVICE_TYPES,
    MerchantTable,
    PlatformTable,
)
from ecosim.config import EcosimConfig, get_dotted
from ecosim.dates import date_of
from ecosim.economics import unemployment_rate, wage_rates
from ecosim.goods import GoodsAccount
from ecosim.ledger import Ledger
from ecosim.metrics import METRICS
from ecosim.orders import Calendar, concat
from ecosim.phases import (
    consumption,
    contracts,
    delivery,
    fulfilment,
    labour,
    listing,
    metrics,
    panels,
    payment,
    ranking,
    reference,
    restocking,
    services,
    shopping,
    spending,
    strategy,
)
from ecosim.phases.labour import GOLDEN
from ecosim.recorder import Recorder
from ecosim.state import State, Tally
from ecosim.steady import (
    opportunist_stock_share,
    page_looks,
    platform_shares,
    steady_state,
    top_looks_factor,
)

__all__ = ["BULLWHIP_WINDOW", "Collector", "EcosystemModel", "build_state"]

# Days (13 weeks) of daily data over which the bullwhip ratios are estimated: part of the
# metrics' definition (docs/model.md, section 7.16), not behaviour.
BULLWHIP_WINDOW = 91
# Technical: best-response rounds before day 1 (the prices move < 0.1% by then).
SETTLING_ROUNDS = 20


def build_state(config: EcosimConfig, rng: np.random.Generator) -> State:
    """The world on day 0: regions, actors, accounts, first staff and smart devices.

    Args:
        config: the run's configuration (the state keeps and edits this object).
        rng: the run's random generator; building draws from it in a fixed order.
    """
    state = State(config, rng)
    state.date = date_of(config.calendar.start_date, 0)
    cats = config.categories
    state.consumables = [i for i, c in enumerate(cats) if c.kind == "consumable"]
    state.durables = [i for i, c in enumerate(cats) if c.kind == "durable"]
    state.slot_of = np.full(len(cats), -1, dtype=np.int64)
    state.slot_of[state.consumables] = np.arange(len(state.consumables))
    _make_regions(state)
    n = config.consumers.n
    state.expected_daily_units = np.array(
        [n * (c.consumption_rate if c.kind == "consumable" else c.need_rate) for c in cats]
    )
    state.goods = GoodsAccount()
    state.shipments = Calendar()
    state.inbound = Calendar()
    state.production = Calendar()

    state.consumers = create_consumers(state)
    state.manufacturers = create_manufacturers(state)
    state.couriers = create_couriers(state)
    state.platforms = PlatformTable(len(config.platforms))
    state.providers = create_providers(state)
    state.merchants = MerchantTable(len(config.platforms))
    state.ledger = Ledger(
        {
            "households": n,
            "merchants": 0,
            "manufacturers": state.manufacturers.n,
            "platforms": state.platforms.n,
            "escrow": state.platforms.n,
            "couriers": state.couriers.n,
            "services": state.providers.n,
            "offline": 1,
        }
    )
    state.mean_base_income = float(state.consumers.base_income.mean()) if n else 1.0
    state.consumers.income[:] = state.consumers.base_income
    state.ledger.endow(
        "households",
        np.arange(n),
        state.consumers.base_income * config.consumers.initial_cash_days,
    )
    state.household_wealth = state.ledger.balances["households"].copy()
    fund_providers(state, np.arange(state.providers.n))
    unit_cost = np.array(
        [
            state.manufacturers.unit_cost[state.manufacturers.category == c].mean()
            for c in range(len(cats))
        ]
    )
    state.offline_price = unit_cost * (1 + config.offline.markup)
    state.courier_wait = np.zeros(state.couriers.n)
    state.demand_hist = np.zeros(BULLWHIP_WINDOW)
    state.upstream_hist = np.zeros(BULLWHIP_WINDOW)
    state.production_hist = np.zeros(BULLWHIP_WINDOW)

    state.platforms.trust[:] = config.consumers.initial_trust
    state.prior_rating = float(np.mean([c.quality_mean for c in cats]))
    state.market_demand = np.zeros((len(config.platforms) * len(cats), HISTORY))
    # Start near where the market settles (docs/model.md, section 5): stores, stocks,
    # workloads and staff are sized for the online demand free entry supports.
    steady = steady_state(state)
    state.expected_online_share = steady.online_share
    online_units = state.expected_online_share * state.expected_daily_units
    staff_couriers(state, float(online_units.sum()))
    stock_manufacturers(state, state.expected_daily_units)
    _open_initial_stores(state, steady.stores.sum(axis=0))
    delivery.enforce(state)  # stores whose record already breaks the platform's rules go
    if config.merchants.pricing == "best_response":
        _settle_prices(state)
    _init_labour(state)
    _give_devices(state)
    return state


def _make_regions(state: State) -> None:
    rcfg = state.config.regions
    state.n_regions = rcfg.n_urban + rcfg.n_rural
    xy = state.rng.random((state.n_regions, 2)) * rcfg.map_size_km
    state.distance_km = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))


def _open_initial_stores(state: State, supported: np.ndarray) -> None:
    """The first stores: ``merchants.n_initial`` of them (spread by expected sales value), or
    (0, the default) as many as each category supports (``supported``, from
    ``steady_state``), one at least per category."""
    cfg = state.config.merchants
    cats = state.config.categories
    if cfg.n_initial > 0:
        # a given number, spread over categories in proportion to expected sales value
        n = cfg.n_initial
        value = state.expected_daily_units * np.array([c.reference_price for c in cats])
        weight = value if value.sum() > 0 else np.ones(len(cats))
        per_cat = np.maximum(1, np.floor(n * weight / weight.sum())).astype(int)
        per_cat[np.argmax(per_cat)] += max(n - per_cat.sum(), 0)
    else:
        per_cat = np.maximum(1, np.rint(supported)).astype(int)
    category = np.repeat(np.arange(len(cats)), per_cat)
    state.listings_per_category = np.bincount(category, minlength=len(cats)).astype(float)
    # a new store expects its share of the category's online demand
    online_units = state.expected_online_share * state.expected_daily_units
    state.store_orders_guess = online_units / np.maximum(state.listings_per_category, 1)
    # ...and the top-ranked store several times that (shoppers look at the top of a page more)
    looks = page_looks(state)
    top = np.array([top_looks_factor(looks, n) for n in state.listings_per_category])
    state.busiest_store_orders = state.store_orders_guess * top
    shares = platform_shares(state)
    platform = state.rng.choice(shares.size, size=category.size, p=shares)
    # the settled market's share of opportunists, not the entrants' (they are caught sooner)
    cheats = state.rng.random(category.size) < opportunist_stock_share(state)
    rows = add_merchants(state, category.size, platform, category, opportunistic=cheats)
    if shares.size > 1:
        multi = rows[state.rng.random(rows.size) < cfg.multihoming_share]
        state.merchants.listed[multi] = True
    # Incumbents have traded before day 1: their home platform's ranking sales window of the
    # genuine ratings their expected orders bring, at their true quality (the mean rating, so
    # no draw), so shoppers know an opportunist's record as they would in the settled market.
    mer = state.merchants
    window = np.array([plat.ranking.sales_window for plat in state.config.platforms], float)
    record_days = window[platform]
    ratings = np.rint(
        state.config.consumers.rating_prob * record_days * state.store_orders_guess[category]
    )
    mer.rating_count[rows] = ratings
    mer.rating_sum[rows] = ratings * mer.quality_true[rows]
    # ...and an opportunist the fake reviews it bought meanwhile (phase 6's expected numbers):
    # the undetected ones among its ratings, the detected ones as strikes. Opportunists have
    # been trading for different times (ages spread evenly over the record, by row, as
    # labour.whole_workers spreads its thresholds), so some are already caught and others
    # will be, as in the settled market.
    cheats = rows[mer.opportunistic[rows]]
    age = record_days[mer.opportunistic[rows]] * ((0.5 + GOLDEN * cheats) % 1.0)
    for p, plat in enumerate(state.config.platforms):
        mine = np.argmax(mer.listed[cheats], axis=1) == p
        if plat.reputation_rule == "none" or not mine.any():
            continue
        bought = np.rint(cfg.fake_reviews_per_day * age[mine])
        caught = np.rint(bought * plat.fake_review_detection)
        mer.rating_count[cheats[mine]] += bought - caught
        mer.rating_sum[cheats[mine]] += bought - caught
        mer.strikes[cheats[mine]] += caught.astype(np.int32)


def _settle_prices(state: State, rounds: int = SETTLING_ROUNDS) -> None:
    """Best-response prices iterated to their fixed point before day 1, so the first days
    do not replay a price war from the initial markup (no random draw is used)."""
    ranking.build_pages(state)  # the ratings on display, which the best response reads
    rows = np.flatnonzero(state.merchants.active)
    for _ in range(rounds):
        state.merchants.price[rows] = strategy.best_response_prices(state, rows)


def _init_labour(state: State) -> None:
    """First workloads from the expected online and offline volumes, then firms hire what they
    need."""
    online = float((state.expected_online_share * state.expected_daily_units).sum())
    state.offline_staff = np.zeros(1, dtype=np.int64)
    state.other_staff = np.zeros(1, dtype=np.int64)
    state.offline_units_ema = float(state.expected_daily_units.sum()) - online
    mfr = state.manufacturers
    per_mfr = np.bincount(mfr.category, minlength=len(state.config.categories))
    mfr.output_ema[:] = state.expected_daily_units[mfr.category] / per_mfr[mfr.category]
    state.platforms.orders_ema[:] = online * platform_shares(state)
    staff = labour.staff_arrays(state)
    state.wage_bill = [np.zeros(a.size) for a in staff]
    state.overstaffed_days = [np.zeros(a.size, dtype=np.int64) for a in staff]
    labour.hire_initial(state)
    state.initial_unemployment = unemployment_rate(state)
    if state.config.labour.enabled:
        wage = wage_rates(state)[np.maximum(state.consumers.sector, 0)]
        benefit = state.config.labour.benefit
        state.consumers.income[:] = np.where(state.consumers.sector >= 0, wage, benefit)
    state.profit_ema = {"manufacturers": 0.0, "merchants": 0.0, "platform": 0.0}


def _give_devices(state: State) -> None:
    """Households own smart devices for IoT-eligible consumables with ``iot_adoption``, bought
    from makers in proportion to brand strength (``ManufacturerTable.device_shares``)."""
    cons = state.consumers
    share = state.config.consumers.iot_adoption
    for c in state.consumables:
        if not state.config.categories[c].iot_eligible or share <= 0:
            continue
        k = state.slot_of[c]
        owners = np.flatnonzero(state.rng.random(cons.n) < share)
        makers = state.manufacturers.pick_device_maker(
            np.full(owners.size, c), state.config.manufacturers.brand_concentration, state.rng
        )
        cons.device[owners, k] = makers
        cons.iot_on[owners, k] = True
    consumption.relink_devices(state)


class EcosystemModel(mesa.Model):
    """An e-commerce ecosystem: households, stores, manufacturers, couriers, platforms.

    Args:
        config: the validated configuration (``load_config``); defaults when None.
        rng: seed of the model's numpy generator; ``config.seed`` when None.
        output_dir: folder where the panels and event logs of ``config.outputs`` are
            written as Parquet while the model runs (see :meth:`finish_outputs`); None keeps
            them in memory (:meth:`panel`, :meth:`events`).

    Attributes:
        state: the world (``ecosim.state.State``). Every field of the state can also be read
            and set as an attribute of the model (``model.merchants``, ``model.day``...).
        consumers, merchants, manufacturers, couriers, platforms, providers: columnar actor
            tables (of the state).
        ledger: every account's money (RMB); ``ledger.residual()`` is zero up to rounding.
        goods: units created and removed, for the goods-conservation check.
        metrics: the last day's metrics (see ``ecosim.metrics.METRICS``).
        merchant_agents, manufacturer_agents, ...: Mesa agent views onto the tables' rows.
    """

    state: State

    def __init__(
        self,
        config: EcosimConfig | None = None,
        rng: int | None = None,
        output_dir: str | Path | None = None,
    ) -> None:
        config = EcosimConfig() if config is None else config
        seed = config.seed if rng is None else rng
        super().__init__(rng=seed)
        # Scheduled rule changes edit this copy, never the caller's config.
        self.state = build_state(config.model_copy(deep=True), self.rng)
        self.state.record = _recorder(self.state, seed, output_dir)
        self.merchant_agents: list[Merchant] = []
        self._merchant_viewed = np.zeros(0, dtype=bool)  # rows whose agent is registered
        self._sync_merchant_agents()
        self._consumer_agents: list[Consumer] | None = None  # built on first use
        self.needs_found: list[tuple[int, int, int, int]] = []  # reference path's needs
        self.manufacturer_agents = [Manufacturer(self, i) for i in range(self.manufacturers.n)]
        self.courier_agents = [LogisticsFirm(self, i) for i in range(self.couriers.n)]
        self.platform_agents = [Platform(self, i) for i in range(self.platforms.n)]
        self.provider_agents: list[ServiceProvider] = []
        self._provider_viewed = np.zeros(0, dtype=bool)
        self._sync_provider_agents()
        self.offline = OfflineRetail(self)
        self.datacollector = Collector(
            self, model_reporters={name: _reporter(name) for name in self._metric_names()}
        )

    def _metric_names(self) -> list[str]:
        names = list(METRICS)
        if len(self.config.platforms) > 1:
            names += [f"platform_share_{p.name}" for p in self.config.platforms]
        return names

    def _sync_merchant_agents(self) -> None:
        """Agents for the stores opened since the last call; closed stores' agents removed."""
        mer = self.state.merchants
        known = len(self.merchant_agents)
        self.merchant_agents.extend(Merchant(self, r) for r in range(known, mer.n))
        viewed = np.concatenate([self._merchant_viewed, np.ones(mer.n - known, dtype=bool)])
        for r in np.flatnonzero(viewed & ~mer.active):
            self.merchant_agents[r].remove()
        self._merchant_viewed = viewed & mer.active

    def _sync_provider_agents(self) -> None:
        """Agents for the providers opened since the last call; closed ones' agents removed."""
        prov = self.state.providers
        known = len(self.provider_agents)
        self.provider_agents.extend(ServiceProvider(self, r) for r in range(known, prov.n))
        viewed = np.concatenate([self._provider_viewed, np.ones(prov.n - known, dtype=bool)])
        for r in np.flatnonzero(viewed & ~prov.active):
            self.provider_agents[r].remove()
        self._provider_viewed = viewed & prov.active

    @property
    def consumer_agents(self) -> list[Consumer]:
        """The households as Mesa agents (views onto rows of ``consumers``).

        Built on first use: the columnar phases never need them, and a million of them take
        seconds and hundreds of MB to create.
        """
        if self._consumer_agents is None:
            self._consumer_agents = [Consumer(self, i) for i in range(self.consumers.n)]
        return self._consumer_agents

    @consumer_agents.setter
    def consumer_agents(self, agents: list[Consumer]) -> None:
        self._consumer_agents = agents

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """Simulate one day: the phases of docs/model.md, section 3, in order."""
        s = self.state
        self._start_day()
        by_agents = s.config.consumer_path == "reference"  # the plain-Mesa household path
        # 1-2. consumption; smart devices reorder from their linked store without search
        needs, iot_orders = reference.needs_today(self) if by_agents else consumption.needs_today(s)
        needs, iot_orders = consumption.check_device_prices(s, needs, iot_orders)
        iot_orders["platform"] = np.argmax(s.merchants.listed[iot_orders["merchant"]], axis=1)
        # 3. shopping on the platforms' ranked pages, against offline retail
        pages = ranking.build_pages(s)
        if by_agents:
            online, offline = reference.shop(self, needs, pages)
        else:
            online, offline = shopping.shop(s, needs, pages)
        payment.settle_offline(s, offline)
        orders = concat([iot_orders, online])
        listing.record_demand(s, orders)
        # 4-5. payment for what can be served from stock; shipping through couriers
        orders = fulfilment.reserve_stock(s, orders)
        orders = payment.pay_online(s, orders)
        fulfilment.ship(s, orders)
        metrics.tally_consumables(s, orders)
        payment.book_orders(s, orders)
        # 6. deliveries, ratings, disputes, fake reviews, enforcement
        delivery.deliver(s)
        delivery.learn_from_market(s)
        delivery.fake_reviews(s)
        delivery.enforce(s)
        # 7. restocking; contracts renegotiated on their schedule
        restocking.receive(s)
        restocking.reorder(s)
        restocking.plan_production(s)
        contracts.renegotiate(s)
        # 8. services
        services.choose_services(s)
        services.bill_services(s)
        # 9. labour: staffing, matching, layoffs, wages and benefits; households' budgets
        fulfilment.record_courier_load(s)
        labour.labour_market(s)
        spending.spend_budgets(s)
        # 10. strategy: costs, prices and bids, exit and entry, going direct
        strategy.charge_fixed_costs(s)
        strategy.record_profits(s)
        strategy.set_prices(s)
        listing.review_listings(s)
        strategy.exit_losers(s)
        strategy.entry(s)
        services.review_providers(s)  # providers: profits, exit, entry, prices
        contracts.go_direct(s)
        # devices reorder through their maker's channel, re-chosen when that store closes
        consumption.relink_devices(s)
        # 11. platform: data services booked; end-of-day accounts
        payment.bill_data_services(s)
        payment.sweep_closed_accounts(s)
        metrics.book_profits(s)
        # 12. metrics
        s.metrics = metrics.collect(s)
        panels.collect(s)
        self._sync_merchant_agents()
        self._sync_provider_agents()
        self.datacollector.collect(self)

    def _start_day(self) -> None:
        """Today's number and empty tallies; rule changes due today take effect."""
        s = self.state
        s.day = int(self.steps)
        s.date = date_of(s.config.calendar.start_date, s.day)
        s.today = Tally()
        s.platforms.revenue_today[:] = 0.0
        s.platforms.gmv_today[:] = 0.0
        s.couriers.parcels_today[:] = 0.0
        s.manufacturers.produced_today[:] = 0.0
        s.merchants.profit_today[:] = 0.0
        s.wage_bill = [np.zeros(a.size) for a in labour.staff_arrays(s)]
        slot = s.day % s.merchants.units_hist.shape[1]
        for hist in (
            s.merchants.units_hist,
            s.merchants.sales_hist,
            s.merchants.profit_hist,
            s.manufacturers.orders_hist,
            s.manufacturers.pos_hist,
        ):
            hist[:, slot % hist.shape[1]] = 0.0
        s.platform_cash_start = s.ledger.balances["platforms"].sum()
        self._apply_schedule()

    def _apply_schedule(self) -> None:
        """Rule changes due today take effect before anything else happens."""
        for change in self.config.schedule:
            if change.day == self.day:
                parent_key, _, leaf = change.key.rpartition(".")
                parent = get_dotted(self.config, parent_key) if parent_key else self.config
                old = getattr(parent, leaf)
                setattr(parent, leaf, change.value)  # validated by the schema on assignment
                self.state.record.rule_change(self.day, change.key, old, getattr(parent, leaf))

    def run(self, steps: int | None = None) -> None:
        """Simulate ``steps`` days (``config.steps`` when None)."""
        for _ in range(self.config.steps if steps is None else steps):
            self.step()

    # ------------------------------------------------------------------ read-outs
    def panel(self, name: str = "stores") -> pd.DataFrame:
        """A panel of ``config.outputs.panels``: one row per actor per period (see
        docs/outputs.md). With an ``output_dir``, readable once :meth:`finish_outputs` ran."""
        return self.state.record.frame(name)

    def events(self, name: str) -> pd.DataFrame:
        """An event log of ``config.outputs.events``: one row per event (docs/outputs.md)."""
        return self.state.record.frame(name)

    def finish_outputs(self) -> list[Path]:
        """Write the buffered rows of every panel and log and give the files their final
        names (``panel_stores.parquet``...); a last period shorter than the panel frequency
        is written first. Returns the files written."""
        panels.finish(self.state)
        return self.state.record.close()

    def timeseries(self) -> pd.DataFrame:
        """Daily metrics, one row per simulated day, indexed by ``day`` (1, 2, ...)."""
        frame = self.datacollector.get_model_vars_dataframe()
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="day")
        return frame

    def dates(self, days: Iterable[int]) -> list[str]:
        """ISO dates (``2014-11-11``) of the given simulated days (1 is the start date)."""
        start = self.config.calendar.start_date
        return [date_of(start, int(d)).isoformat() for d in days]

    def goods_in_system(self) -> float:
        """Units held now: manufacturers' finished goods and work in progress, stores' stock,
        shipments to stores, parcels to households."""
        return (
            float(self.manufacturers.finished_stock.sum())
            + self.production.total("units")
            + float(self.merchants.stock.sum())
            + self.inbound.total("units")
            + self.shipments.total()
        )

    def merchant_table(self) -> pd.DataFrame:
        """One row per open store: platform, category, tier, price, 30-day sales and share."""
        mer = self.merchants
        live = np.flatnonzero(mer.active)
        sales = ranking.recent_sum(mer.sales_hist[live], self.day, ranking.SALES_WINDOW)
        cat_total = np.bincount(
            mer.category[live], weights=sales, minlength=len(self.config.categories)
        )
        names = [p.name for p in self.config.platforms]
        cats = [c.name for c in self.config.categories]
        shown = mer.rating_sum[live] / np.maximum(mer.rating_count[live], 1)
        return pd.DataFrame(
            {
                "merchant": live,
                "platform": [names[i] for i in np.argmax(mer.listed[live], axis=1)],
                "category": [cats[c] for c in mer.category[live]],
                "tier": np.where(mer.tier[live] == MARKETPLACE, "marketplace", "mall"),
                "price": mer.price[live],
                "sales_30d": sales,
                "share": np.divide(
                    sales,
                    cat_total[mer.category[live]],
                    out=np.zeros_like(sales),
                    where=cat_total[mer.category[live]] > 0,
                ),
                "rating": np.where(mer.rating_count[live] > 0, shown, np.nan),
                "opportunistic": mer.opportunistic[live],
            }
        )

    def network(self) -> nx.DiGraph:
        """The ecosystem as a graph: platforms, manufacturers, open stores, couriers, open
        service providers.

        Node attributes: ``kind``, ``label``, ``sales`` (RMB: stores and platforms over the
        last 30 days, manufacturers their wholesale value over 30 days, couriers their
        billing over the capacity window, providers today's billing times 30). Edge ``kind``:
        ``listing`` (store -> platform), ``supply`` (manufacturer -> store), ``delivery``
        (store -> courier), ``service`` (provider -> store).
        """
        g = nx.DiGraph()
        mer = self.merchants
        live = np.flatnonzero(mer.active)
        sales = ranking.recent_sum(mer.sales_hist, self.day, ranking.SALES_WINDOW)
        for p, plat in enumerate(self.config.platforms):
            g.add_node(
                f"platform:{p}",
                kind="platform",
                label=plat.name,
                sales=float(sales[live][mer.listed[live, p]].sum()),
            )
        units = ranking.recent_sum(mer.units_hist[live], self.day, ranking.SALES_WINDOW)
        mfr_sales = np.bincount(
            mer.supplier[live], weights=mer.wholesale[live] * units, minlength=self.manufacturers.n
        )
        for f in range(self.manufacturers.n):
            cat = self.config.categories[self.manufacturers.category[f]].name
            g.add_node(
                f"manufacturer:{f}",
                kind="manufacturer",
                label=f"{cat} maker {f}",
                sales=float(mfr_sales[f]),
            )
        for c in range(self.couriers.n):
            g.add_node(
                f"courier:{c}",
                kind="courier",
                label=f"courier {c}",
                sales=float(self.couriers.volume_hist[c].sum() * self.couriers.price[c]),
            )
        for m in live.tolist():
            node = f"merchant:{m}"
            g.add_node(node, kind="merchant", label=f"store {m}", sales=float(sales[m]))
            for p in np.flatnonzero(mer.listed[m]).tolist():
                g.add_edge(node, f"platform:{p}", kind="listing")
            g.add_edge(f"manufacturer:{mer.supplier[m]}", node, kind="supply")
            g.add_edge(node, f"courier:{mer.courier[m]}", kind="delivery")
        prov = self.providers
        for i in np.flatnonzero(prov.active).tolist():
            kind = SERVICE_TYPES[prov.kind[i]]
            # sales: today's billing over the sales window, the providers' comparable figure
            g.add_node(
                f"service:{i}",
                kind="service",
                label=f"{kind} provider {i}",
                sales=float(prov.revenue_today[i] * ranking.SALES_WINDOW),
            )
        rows, kinds = np.nonzero((mer.provider >= 0) & mer.active[:, None])
        for m, k in zip(rows.tolist(), kinds.tolist(), strict=True):
            g.add_edge(f"service:{mer.provider[m, k]}", f"merchant:{m}", kind="service")
        return g


class Collector(mesa.DataCollector):
    """Mesa's DataCollector of the daily metrics, whose agent table is the store panel.

    ``get_model_vars_dataframe()`` gives one row per day, as in any Mesa model;
    ``get_agent_vars_dataframe()`` gives the store panel (``outputs.panels`` must hold
    ``stores``, as it does by default), indexed by ``day`` and ``store`` (the store's row).
    """

    def __init__(self, model: EcosystemModel, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ecosystem = model

    def get_agent_vars_dataframe(self) -> pd.DataFrame:
        """The store panel, indexed by (``day``, ``store``)."""
        return self.ecosystem.panel("stores").set_index(["day", "store"])

    def get_agenttype_vars_dataframe(self, agent_type: type) -> pd.DataFrame:
        """The panel of one kind of agent (``Merchant``, ``Manufacturer``, ``LogisticsFirm``,
        ``Platform``, ``Consumer``), indexed by ``day`` and the actor's row."""
        name, row = _PANEL_OF[agent_type]
        return self.ecosystem.panel(name).set_index(["day", row])


# Mesa agent class -> (its panel, the panel's row column)
_PANEL_OF: dict[type, tuple[str, str]] = {
    Merchant: ("stores", "store"),
    Manufacturer: ("manufacturers", "manufacturer"),
    LogisticsFirm: ("couriers", "courier"),
    Platform: ("platforms", "platform"),
    Consumer: ("households", "household"),
}


def _recorder(state: State, seed: int, folder: str | Path | None) -> Recorder:
    """The run's panels and logs, as ``config.outputs`` asks for them."""
    out = state.config.outputs
    every = 1 if out.frequency == "daily" else 7
    record = Recorder(out.panels, out.events, folder, out.flush_days, every)
    if record.on["households"]:
        sample = panels.household_sample(
            state.consumers.n, out.household_share, out.household_count, seed
        )
        record.flows["households"] = {"sample": sample}
    return record


def _forward(name: str) -> property:
    """A model attribute that reads and sets field ``name`` of the model's state."""

    def get(model: EcosystemModel):
        return getattr(model.state, name)

    def put(model: EcosystemModel, value) -> None:
        setattr(model.state, name, value)

    return property(get, put, doc=f"``state.{name}``")


# Every field of the state is an attribute of the model too (the viz app, analyses and
# tests read ``model.merchants``, ``model.day``...). ``rng`` is Mesa's own, the same object.
for _field in dataclasses.fields(State):
    if _field.name != "rng":
        setattr(EcosystemModel, _field.name, _forward(_field.name))


def _reporter(name: str):
    def report(model: EcosystemModel) -> float:
        return model.metrics.get(name, float("nan"))

    report.__name__ = name
    return report
