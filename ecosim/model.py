"""The ecosystem model: actors on columnar state, stepped one day at a time in DESIGN order.

Example:
    >>> from ecosim import EcosystemModel, load_config
    >>> cfg = load_config(None, ["consumers.n=300", "merchants.n_initial=20"])
    >>> model = EcosystemModel(cfg, rng=1)
    >>> model.run(5)
    >>> len(model.datacollector.get_model_vars_dataframe())
    5
"""

from __future__ import annotations

from collections import defaultdict

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from ecosim.actors.consumers import Consumer, create_consumers
from ecosim.actors.logistics import LogisticsFirm, create_couriers
from ecosim.actors.manufacturers import Manufacturer, create_manufacturers
from ecosim.actors.merchants import (
    MARKETPLACE,
    ONLINE_GUESS,
    SERVICE_TYPES,
    Merchant,
    add_merchants,
)
from ecosim.actors.offline import OfflineRetail
from ecosim.actors.platforms import Platform, PlatformTable
from ecosim.actors.services import ServiceProvider, create_providers
from ecosim.config import EcosimConfig, get_dotted
from ecosim.economics import pay_platform, unemployment_rate, wage_rates
from ecosim.goods import GoodsAccount
from ecosim.ledger import Ledger
from ecosim.metrics import METRICS
from ecosim.orders import Calendar, concat
from ecosim.phases import (
    contracts,
    delivery,
    fulfilment,
    labour,
    payment,
    ranking,
    reference,
    restocking,
    services,
    shopping,
    strategy,
)
from ecosim.phases.consumption import needs_today
from ecosim.phases.metrics import collect

__all__ = ["BULLWHIP_WINDOW", "EcosystemModel"]

BULLWHIP_WINDOW = 91  # days (13 weeks) over which the bullwhip ratio compares variances


class EcosystemModel(mesa.Model):
    """An e-commerce ecosystem: households, stores, manufacturers, couriers, platforms.

    Args:
        config: the validated configuration (``load_config``); defaults when None.
        rng: seed of the model's numpy generator; ``config.seed`` when None.

    Attributes:
        consumers, merchants, manufacturers, couriers, platforms: columnar actor tables.
        ledger: every account's money (RMB); ``ledger.residual()`` is zero up to rounding.
        goods: units created and removed, for the goods-conservation check.
        metrics: the last day's metrics (see ``ecosim.metrics.METRICS``).
    """

    def __init__(self, config: EcosimConfig | None = None, rng: int | None = None) -> None:
        config = EcosimConfig() if config is None else config
        super().__init__(rng=config.seed if rng is None else rng)
        # Scheduled rule changes edit this copy, never the caller's config.
        self.config = config.model_copy(deep=True)
        self.day = 0
        cats = self.config.categories
        self.consumables = [i for i, c in enumerate(cats) if c.kind == "consumable"]
        self.durables = [i for i, c in enumerate(cats) if c.kind == "durable"]
        self.slot_of = np.full(len(cats), -1, dtype=np.int64)
        self.slot_of[self.consumables] = np.arange(len(self.consumables))
        self._make_regions()
        n = self.config.consumers.n
        self.expected_daily_units = np.array(
            [n * (c.consumption_rate if c.kind == "consumable" else c.need_rate) for c in cats]
        )
        self.today: defaultdict[str, float] = defaultdict(float)
        self.goods = GoodsAccount()
        self.shipments = Calendar()  # parcels to households, by arrival day
        self.inbound = Calendar()  # manufacturers' shipments to stores, by arrival day

        self.consumers = create_consumers(self)
        self.manufacturers = create_manufacturers(self)
        self.couriers = create_couriers(self)
        self.platforms = PlatformTable(len(self.config.platforms))
        self.providers = create_providers(self)
        from ecosim.actors.merchants import MerchantTable

        self.merchants = MerchantTable(len(self.config.platforms))
        self.ledger = Ledger(
            {
                "households": n,
                "merchants": 0,
                "manufacturers": self.manufacturers.n,
                "platforms": self.platforms.n,
                "escrow": self.platforms.n,
                "couriers": self.couriers.n,
                "services": self.providers.n,
                "offline": 1,
            }
        )
        self.mean_base_income = float(self.consumers.base_income.mean()) if n else 1.0
        self.consumers.income[:] = self.consumers.base_income
        self.ledger.endow(
            "households",
            np.arange(n),
            self.consumers.base_income * self.config.consumers.initial_cash_days,
        )
        unit_cost = np.array(
            [
                self.manufacturers.unit_cost[self.manufacturers.category == c].mean()
                for c in range(len(cats))
            ]
        )
        self.offline_price = unit_cost * (1 + self.config.offline.markup)
        self._overload = np.zeros(self.couriers.n)
        self.demand_hist = np.zeros(BULLWHIP_WINDOW)  # online units demanded per day (ring)
        self.upstream_hist = np.zeros(BULLWHIP_WINDOW)  # units stores ordered upstream (ring)

        self.merchant_agents: list[Merchant] = []
        self._open_initial_stores()
        self._init_labour()
        self._give_devices()
        self._consumer_agents: list[Consumer] | None = None  # built on first use
        self.manufacturer_agents = [Manufacturer(self, i) for i in range(self.manufacturers.n)]
        self.courier_agents = [LogisticsFirm(self, i) for i in range(self.couriers.n)]
        self.platform_agents = [Platform(self, i) for i in range(self.platforms.n)]
        self.provider_agents = [ServiceProvider(self, i) for i in range(self.providers.n)]
        self.offline = OfflineRetail(self)
        self.prior_rating = float(np.mean([c.quality_mean for c in cats]))
        self.display: list[tuple[np.ndarray, np.ndarray]] = []
        self.metrics: dict[str, float] = {}
        self.last_negotiation: dict[str, np.ndarray] = {}  # inputs and outcome, latest contracts
        self.datacollector = mesa.DataCollector(
            model_reporters={name: _reporter(name) for name in self._metric_names()}
        )

    # ------------------------------------------------------------------ set-up
    def _make_regions(self) -> None:
        rcfg = self.config.regions
        self.n_regions = rcfg.n_urban + rcfg.n_rural
        xy = self.rng.random((self.n_regions, 2)) * rcfg.map_size_km
        self.distance_km = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))

    def _open_initial_stores(self) -> None:
        cfg = self.config.merchants
        cats = self.config.categories
        n = cfg.n_initial
        # Stores spread over categories in proportion to expected sales value, one at least.
        value = self.expected_daily_units * np.array([c.reference_price for c in cats])
        per_cat = np.maximum(1, np.floor(n * value / value.sum())).astype(int)
        per_cat[np.argmax(per_cat)] += max(n - per_cat.sum(), 0)
        category = np.repeat(np.arange(len(cats)), per_cat)
        self.listings_per_category = np.bincount(category, minlength=len(cats)).astype(float)
        shares = np.array([p.initial_share for p in self.config.platforms], dtype=float)
        shares = (
            shares / shares.sum() if shares.sum() > 0 else np.full(shares.size, 1 / shares.size)
        )
        platform = self.rng.choice(shares.size, size=category.size, p=shares)
        rows = add_merchants(self, category.size, platform, category)
        if shares.size > 1:
            multi = rows[self.rng.random(rows.size) < cfg.multihoming_share]
            self.merchants.listed[multi] = True

    def _init_labour(self) -> None:
        """First workloads from expected volumes, then firms hire what they need."""
        guess = ONLINE_GUESS  # share of demand expected online before anything is known
        self.offline_staff = np.zeros(1, dtype=np.int64)
        self.other_staff = np.zeros(1, dtype=np.int64)
        self.offline_units_ema = float(self.expected_daily_units.sum() * (1 - guess))
        mfr = self.manufacturers
        per_mfr = np.bincount(mfr.category, minlength=len(self.config.categories))
        mfr.output_ema[:] = self.expected_daily_units[mfr.category] / per_mfr[mfr.category]
        self.platforms.orders_ema[:] = self.expected_daily_units.sum() * guess / self.platforms.n
        staff = labour.staff_arrays(self)
        self.wage_bill = [np.zeros(a.size) for a in staff]
        self.overstaffed_days = [np.zeros(a.size, dtype=np.int64) for a in staff]
        labour.hire_initial(self)
        self.initial_unemployment = unemployment_rate(self)
        if self.config.labour.enabled:
            wage = wage_rates(self)[np.maximum(self.consumers.sector, 0)]
            benefit = self.config.labour.benefit
            self.consumers.income[:] = np.where(self.consumers.sector >= 0, wage, benefit)
        self.profit_ema = {"manufacturers": 0.0, "merchants": 0.0, "platform": 0.0}

    def _give_devices(self) -> None:
        """Households own smart devices for IoT-eligible consumables with ``iot_adoption``."""
        cons = self.consumers
        share = self.config.consumers.iot_adoption
        for c in self.consumables:
            if not self.config.categories[c].iot_eligible or share <= 0:
                continue
            k = self.slot_of[c]
            owners = np.flatnonzero(self.rng.random(cons.n) < share)
            makers = self.manufacturers.pick_supplier(np.full(owners.size, c), self.rng)
            cons.device[owners, k] = makers
            cons.iot_on[owners, k] = True
        self.relink_devices()

    def relink_devices(self) -> None:
        """Link each device whose store is gone (or never set) to a live store of its maker:
        its flagship if it has one, else a store it supplies, else any store of the category."""
        cons = self.consumers
        mer = self.merchants
        linked = np.maximum(cons.device_merchant, 0)
        dead = (cons.device >= 0) & ((cons.device_merchant < 0) | ~mer.active[linked])
        rows, slots = np.nonzero(dead)
        if rows.size == 0:
            return
        makers = cons.device[rows, slots]
        link = np.full(rows.size, -1, dtype=np.int64)
        for f in np.unique(makers):
            mine = makers == f
            flag = self.manufacturers.flagship[f]
            if flag >= 0 and mer.active[flag]:
                link[mine] = flag
                continue
            stores = np.flatnonzero(mer.active & (mer.supplier == f))
            if stores.size == 0:
                category = self.manufacturers.category[f]
                stores = np.flatnonzero(mer.active & (mer.category == category))
            if stores.size:
                link[mine] = stores[self.rng.integers(0, stores.size, mine.sum())]
        cons.device_merchant[rows, slots] = link

    def _metric_names(self) -> list[str]:
        names = list(METRICS)
        if len(self.config.platforms) > 1:
            names += [f"platform_share_{p.name}" for p in self.config.platforms]
        return names

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

    # ------------------------------------------------------------------ helpers for phases
    def travel_days(self, from_region: np.ndarray, to_region: np.ndarray) -> np.ndarray:
        """Uncongested delivery time (days) between regions."""
        cfg = self.config.logistics
        return cfg.base_days + cfg.days_per_1000km * self.distance_km[from_region, to_region] / 1e3

    def delivery_estimate(self, from_region, to_region, courier) -> np.ndarray:
        """Delivery days a shopper expects: travel time plus yesterday's congestion delay."""
        cong = self.config.logistics.congestion_days * self._overload[courier]
        return self.travel_days(from_region, to_region) + cong

    def refill_home_stock(self, consumers: np.ndarray, slots: np.ndarray) -> None:
        """One unit per entry arrives in a household's home stock of a consumable."""
        has = slots >= 0
        k_all = len(self.consumables)
        uniq, units = np.unique(consumers[has] * k_all + slots[has], return_counts=True)
        i, k = np.divmod(uniq, k_all)
        cons = self.consumers
        cons.stock_out[i, k] = np.maximum(cons.stock_out[i, k], self.day) + units / np.maximum(
            cons.rate[i, k], 1e-12
        )

    def close_stores(self, rows: np.ndarray, forfeit: bool) -> None:
        """Close stores: stock written off, deposit refunded (or forfeited), cash withdrawn."""
        mer = self.merchants
        rows = rows[mer.active[rows]]
        if rows.size == 0:
            return
        mer.active[rows] = False
        self.goods.removed("written_off", float(mer.stock[rows].sum()))
        mer.stock[rows] = 0.0
        deposit = mer.deposit[rows]
        held = deposit > 0
        if held.any():
            plat = mer.deposit_platform[rows[held]]
            if forfeit:
                pay_platform(self, "escrow", plat, plat, deposit[held])
            else:
                self.ledger.pay("escrow", plat, "merchants", rows[held], deposit[held])
            mer.deposit[rows] = 0.0
        mer.listed[rows] = False
        services.cancel_services(self, rows)
        self.today["exits"] += float(rows.size)
        for r in rows:
            self.merchant_agents[r].remove()

    def services_visibility(self) -> np.ndarray:
        """Ranking score each store gains from marketing services."""
        effect = services.service_effects(self)[:, services.MARKETING]
        return self.config.services.marketing_visibility * effect

    def services_dispute_cut(self) -> np.ndarray:
        """Share by which outsourced customer service cuts each store's disputes."""
        effect = services.service_effects(self)[:, services.CUSTOMER_SERVICE]
        return self.config.services.customer_service_dispute_cut * effect

    def services_staff_saving(self) -> np.ndarray:
        """Share of each store's own staff need replaced by customer service and operations."""
        eff = services.service_effects(self)
        cfg = self.config.services
        saving = (
            cfg.customer_service_staff_saving * eff[:, services.CUSTOMER_SERVICE]
            + cfg.operations_staff_saving * eff[:, services.OPERATIONS]
        )
        return np.minimum(saving, 0.9)

    def services_forecast_gain(self) -> np.ndarray:
        """Share by which analytics, or the supplier's usage data, cut forecast noise."""
        effect = services.service_effects(self)[:, services.ANALYTICS]
        analytics = self.config.services.analytics_forecast_gain * effect
        mer = self.merchants
        supplier = np.maximum(mer.supplier, 0)
        has_data = self.manufacturers.data_service[supplier] & (mer.supplier >= 0)
        locked = np.clip(mer.iot_ema / np.maximum(mer.orders_ema, 1e-9), 0.0, 1.0)
        gain = self.config.manufacturers.forecast_gain_from_data * (0.5 + 0.5 * locked)
        return np.maximum(analytics, has_data * gain)

    # ------------------------------------------------------------------ the day
    def _start_day(self) -> None:
        self.day = int(self.steps)
        self.today = defaultdict(float)
        self.platforms.revenue_today[:] = 0.0
        self.platforms.gmv_today[:] = 0.0
        self.couriers.parcels_today[:] = 0.0
        self.manufacturers.produced_today[:] = 0.0
        self.merchants.profit_today[:] = 0.0
        self.offline.sales_today = self.offline.units_today = 0.0
        self.today_order_merchants = np.empty(0, dtype=np.int64)
        self.today_iot_merchants = np.empty(0, dtype=np.int64)
        self.today_orders_by_platform = np.zeros(self.platforms.n)
        self.wage_bill = [np.zeros(a.size) for a in labour.staff_arrays(self)]
        slot = self.day % self.merchants.units_hist.shape[1]
        for hist in (
            self.merchants.units_hist,
            self.merchants.sales_hist,
            self.merchants.profit_hist,
        ):
            hist[:, slot % hist.shape[1]] = 0.0
        self._platform_cash_start = self.ledger.balances["platforms"].sum()
        self._apply_schedule()

    def _apply_schedule(self) -> None:
        """Rule changes due today take effect before anything else happens."""
        for change in self.config.schedule:
            if change.day == self.day:
                parent_key, _, leaf = change.key.rpartition(".")
                parent = get_dotted(self.config, parent_key) if parent_key else self.config
                setattr(parent, leaf, change.value)  # validated by the schema on assignment

    def step(self) -> None:
        """Simulate one day: the phases of DESIGN.md in order."""
        self._start_day()
        # 1-2. consumption; smart devices reorder from their linked store without search
        if self.config.consumer_path == "reference":
            search_needs, iot_orders = reference.needs_today(self)
        else:
            search_needs, iot_orders = needs_today(self)
        iot_orders["platform"] = np.argmax(self.merchants.listed[iot_orders["merchant"]], axis=1)
        # 3. shopping on the platforms' ranked pages, against offline retail
        pages = ranking.build_pages(self)
        shop = reference.shop if self.config.consumer_path == "reference" else shopping.shop
        online, offline = shop(self, search_needs, pages)
        payment.settle_offline(self, offline)
        orders = concat([iot_orders, online])
        # 4-5. payment for what can be served from stock; shipping through couriers
        orders = fulfilment.reserve_stock(self, orders)
        orders = payment.pay_online(self, orders)
        fulfilment.ship(self, orders)
        self._book_orders(orders)
        # 6. deliveries, ratings, disputes, fake reviews, enforcement
        delivery.deliver(self)
        delivery.fake_reviews(self)
        delivery.enforce(self)
        # 7. restocking; contracts renegotiated on their schedule
        restocking.receive(self)
        restocking.reorder(self)
        contracts.renegotiate(self)
        # 8. services
        services.choose_services(self)
        services.bill_services(self)
        # 9. labour: staffing, matching, layoffs, wages and benefits
        self._courier_load()
        labour.labour_market(self)
        # 10. strategy: costs, prices and bids, exit and entry, going direct
        strategy.charge_fixed_costs(self)
        mer = self.merchants
        mer.profit_hist[:, self.day % mer.profit_hist.shape[1]] = mer.profit_today
        strategy.set_prices(self)
        strategy.exit_losers(self)
        strategy.entry(self)
        contracts.go_direct(self)
        if self.today["exits"] or self.today["direct_entries"]:
            self.relink_devices()  # devices of closed stores find a new one
        # 11. platform: data services booked
        self._platform_services()
        self._sweep_closed_accounts()
        self._book_profits()
        # 12. metrics
        self.metrics = collect(self)
        self.datacollector.collect(self)

    def _courier_load(self) -> None:
        """Today's overload (for tomorrow's delivery estimates) and the volume history."""
        cfg = self.config.logistics
        cour = self.couriers
        cap = np.maximum(cour.capacity(cfg.parcels_per_courier_day), 1.0)
        self._overload = np.maximum(cour.parcels_today / cap - 1.0, 0.0)
        cour.volume_hist[:, self.day % cour.volume_hist.shape[1]] = cour.parcels_today

    def _book_orders(self, orders: dict) -> None:
        """Workload records of today's orders; device makers pay IoT hosting per device order."""
        self.today_order_merchants = orders["merchant"]
        self.today_iot_merchants = orders["merchant"][orders["iot"]]
        self.today_orders_by_platform = np.bincount(orders["platform"], minlength=self.platforms.n)
        iot = np.flatnonzero(orders["iot"])
        if iot.size == 0:
            return
        makers = self.consumers.device[orders["consumer"][iot], orders["slot"][iot]]
        plat = orders["platform"][iot]
        fee = np.array([p.iot_hosting_fee for p in self.config.platforms])[plat]
        pay_platform(self, "manufacturers", makers, plat, fee)

    def _platform_services(self) -> None:
        """Manufacturers with the data service pay the (first) platform for it daily."""
        mfr = self.manufacturers
        price = self.config.platforms[0].data_service_price
        buyers = np.flatnonzero(mfr.data_service)
        if buyers.size and price > 0:
            fee = np.full(buyers.size, price)
            pay_platform(self, "manufacturers", buyers, 0, fee)

    def _book_profits(self) -> None:
        """Smoothed profits of the three channel levels, and the bullwhip histories."""
        mer = self.merchants
        today = {
            # the online channel's share: margin on what stores buy (offline sales excluded)
            "manufacturers": self.today["wholesale_margin"],
            "merchants": float(mer.profit_today[mer.active].sum()),
            "platform": self.ledger.balances["platforms"].sum() - self._platform_cash_start,
        }
        for key, value in today.items():
            self.profit_ema[key] += 0.1 * (value - self.profit_ema[key])
        self.demand_hist[self.day % self.demand_hist.size] = self.today["orders_attempted"]
        self.upstream_hist[self.day % self.upstream_hist.size] = self.today["restock_ordered"]

    def _sweep_closed_accounts(self) -> None:
        """Money reaching a closed store (late escrow releases) goes to its owner (the world)."""
        bal = self.ledger.balances["merchants"]
        closed = np.flatnonzero(~self.merchants.active & (bal != 0))
        if closed.size:
            self.ledger.pay("merchants", closed, "world", 0, bal[closed])

    def run(self, steps: int | None = None) -> None:
        """Simulate ``steps`` days (``config.steps`` when None)."""
        for _ in range(self.config.steps if steps is None else steps):
            self.step()

    # ------------------------------------------------------------------ read-outs
    def timeseries(self) -> pd.DataFrame:
        """Daily metrics, one row per simulated day, indexed by ``day`` (1, 2, ...)."""
        frame = self.datacollector.get_model_vars_dataframe()
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="day")
        return frame

    def goods_in_system(self) -> float:
        """Units held now: stores' stock, shipments to stores, parcels to households."""
        return (
            float(self.merchants.stock.sum()) + self.inbound.total("units") + self.shipments.total()
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
        """The ecosystem as a graph: platforms, manufacturers, open stores, couriers, services.

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
        for m in live:
            node = f"merchant:{m}"
            g.add_node(node, kind="merchant", label=f"store {m}", sales=float(sales[m]))
            for p in np.flatnonzero(mer.listed[m]):
                g.add_edge(node, f"platform:{p}", kind="listing")
            g.add_edge(f"manufacturer:{mer.supplier[m]}", node, kind="supply")
            g.add_edge(node, f"courier:{mer.courier[m]}", kind="delivery")
        prov = self.providers
        for i in range(prov.n):
            kind = SERVICE_TYPES[prov.kind[i]]
            # sales: today's billing over the sales window, the providers' comparable figure
            g.add_node(
                f"service:{i}",
                kind="service",
                label=f"{kind} provider {i}",
                sales=float(prov.revenue_today[i] * ranking.SALES_WINDOW),
            )
        rows, kinds = np.nonzero((mer.provider >= 0) & mer.active[:, None])
        for m, k in zip(rows, kinds, strict=True):
            g.add_edge(f"service:{mer.provider[m, k]}", f"merchant:{m}", kind="service")
        return g


def _reporter(name: str):
    def report(model: EcosystemModel) -> float:
        return model.metrics.get(name, float("nan"))

    report.__name__ = name
    return report
