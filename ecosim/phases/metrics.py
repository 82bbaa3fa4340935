"""Phase 12, metrics: the day's row of every metric in ``ecosim.metrics.METRICS``.

See docs/model.md, section 7.16 and Appendix B.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.merchants import cost_factor
from ecosim.actors.tables import SERVICE_TYPES
from ecosim.economics import unemployment_rate, wage_rates
from ecosim.metrics import bullwhip_ratio, grouped_concentration, ratio
from ecosim.phases.contracts import supplier_bargaining_power
from ecosim.phases.labour import SECTORS, staff_arrays
from ecosim.phases.ranking import SALES_WINDOW, recent_sum
from ecosim.state import REVENUE_SOURCES

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = ["NEW_STORE_DAYS", "book_profits", "collect", "tally_consumables"]

# A store counts as new for this many days after it opens (a quarter: long enough to have
# been ranked and reviewed, short enough to still lack the incumbents' history).
NEW_STORE_DAYS = 90


def _labour_and_channel(state: State) -> dict[str, float]:
    t = state.today
    staff = staff_arrays(state)
    out = {f"employment_{name}": float(staff[s].sum()) for s, name in enumerate(SECTORS)}
    out["employment_merchants"] += float(state.merchants.active.sum())  # self-employed owners
    out["employment_services"] += float(state.providers.active.sum())  # and providers' owners
    out["employment_total"] = float(sum(out.values()))
    out["unemployment_rate"] = unemployment_rate(state)
    sector = state.consumers.sector
    employed = sector[sector >= 0]
    # np.take: fancy indexing by int8 codes converts them first, twice the time at 10^6.
    out["mean_wage"] = float(np.take(wage_rates(state), employed).mean()) if employed.size else 0.0
    out["supplier_bargaining_power"] = supplier_bargaining_power(state)
    # A level that loses money earns no share: shares of the positive parts stay in 0..1 and
    # sum to one, where shares of a total near zero (the stores' shake-out) would explode.
    gains = {key: max(value, 0.0) for key, value in state.profit_ema.items()}
    total = sum(gains.values())
    for key, name in (
        ("manufacturers", "manufacturer"),
        ("merchants", "merchant"),
        ("platform", "platform"),
    ):
        out[f"{name}_profit_share"] = gains[key] / total if total > 0 else 0.0
    out["iot_order_share"] = ratio(t["iot_orders"], t["orders"])
    out["maker_switch_share"] = ratio(t["maker_switches"], t["maker_repeats"])
    out["consumables_markup"] = ratio(t["consumable_markup_sum"], t["consumable_orders"])
    margin = t["consumable_margin"]
    out["maker_consumables_margin_share"] = (
        min(max(t["consumable_maker_margin"] / margin, 0.0), 1.0) if margin > 0 else 0.0
    )
    out["other_store_consumables_sales"] = t["other_store_sales"]
    # Daily ring buffers: only the days simulated so far count (the ring starts as zeros).
    days = min(state.day, state.demand_hist.size)
    ring = (state.day - np.arange(days)) % state.demand_hist.size
    out["bullwhip_ratio"] = bullwhip_ratio(state.upstream_hist[ring], state.demand_hist[ring])
    out["production_bullwhip_ratio"] = bullwhip_ratio(
        state.production_hist[ring], state.demand_hist[ring]
    )
    out.update(_services(state, out))
    cash = state.ledger.balances["households"]
    out["household_cash"] = float(cash.mean()) if cash.size else 0.0
    out["other_spending"] = t["other_spending"]
    return out


def _services(state: State, jobs: dict[str, float]) -> dict[str, float]:
    """Service uptake among open stores, providers by type, services' money and jobs."""
    t = state.today
    mer = state.merchants
    prov = state.providers
    live = mer.active
    n_open = float(live.sum())
    paid = (mer.provider[live] >= 0) & ~mer.free_tools[live]
    free = mer.free_tools[live] & (mer.provider[live] < 0)
    paying = float(paid.any(axis=1).sum())
    users = float((paid | free).any(axis=1).sum())
    out = {
        "services_revenue": t["services_revenue"],
        "services_profit": float(prov.profit_today.sum()),
        "services_job_share": ratio(jobs["employment_services"], jobs["employment_total"]),
        "service_tool_share": ratio(users, n_open),
        "service_paying_share": ratio(paying, n_open),
        "service_users_paying_share": ratio(paying, users),
        "provider_entries": t["provider_entries"],
        "provider_exits": t["provider_exits"],
    }
    open_by_type = np.bincount(prov.kind[prov.active], minlength=len(SERVICE_TYPES))
    for k, name in enumerate(SERVICE_TYPES):
        out[f"service_uptake_{name}"] = ratio(float(paid[:, k].sum()), n_open)
        out[f"free_tool_share_{name}"] = ratio(float(free[:, k].sum()), n_open)
        out[f"providers_{name}"] = float(open_by_type[k])
    return out


def tally_consumables(state: State, orders: dict[str, np.ndarray]) -> None:
    """Repeat buying of IoT-eligible consumables in today's shipped orders: switches between
    makers, price over making cost, the makers' part of the margin, and the sales of stores
    that are no maker's device channel (docs/model.md, IoT reordering)."""
    eligible = np.array([c.iot_eligible for c in state.config.categories])
    sel = np.flatnonzero((orders["slot"] >= 0) & eligible[orders["category"]])
    if sel.size == 0:
        return
    mer = state.merchants
    cons = state.consumers
    store = orders["merchant"][sel]
    who, slot = orders["consumer"][sel], orders["slot"][sel]
    maker = mer.supplier[store]
    before = cons.last_maker[who, slot]
    cons.last_maker[who, slot] = maker
    price = orders["price"][sel]
    cost = state.manufacturers.unit_cost[maker] * cost_factor(state, store)
    maker_part = np.where(mer.flagship[store], price, mer.wholesale[store]) - cost
    channel = np.isin(store, state.manufacturers.channel) | mer.flagship[store]
    t = state.today
    t.consumable_orders += float(sel.size)
    t.maker_repeats += float((before >= 0).sum())
    t.maker_switches += float(((before >= 0) & (before != maker)).sum())
    t.consumable_markup_sum += float(((price - cost) / cost).sum())
    t.consumable_margin += float((price - cost).sum())
    t.consumable_maker_margin += float(maker_part.sum())
    t.other_store_sales += float(price[~channel].sum())


def _trust(state: State) -> tuple[float, float]:
    """Mean trust of all households, and of those with an online parcel due in the last
    ``SALES_WINDOW`` days (the first when there are none, so that it is always finite)."""
    cons = state.consumers
    if cons.n == 0:
        return 0.0, 0.0
    everyone = float(cons.trust.mean())
    recent = cons.last_online_day > state.day - SALES_WINDOW
    n_recent = int(np.count_nonzero(recent))
    shoppers = float(cons.trust[recent].sum() / n_recent) if n_recent else everyone
    return everyone, shoppers


def collect(state: State) -> dict[str, float]:
    """The state's metrics for the day just simulated."""
    t = state.today
    mer = state.merchants
    live = mer.active
    # Open stores only: closed ones keep their rows, and summing them would cost per store
    # that ever existed (docs/performance.md).
    w = recent_sum(mer.sales_hist, state.day, SALES_WINDOW, np.flatnonzero(live))
    h, cr4 = grouped_concentration(w, mer.category[live])
    # Entrants only: the initial population opens on day 0 and is never new.
    age = state.day - mer.entry_day[live]
    new = (mer.entry_day[live] > 0) & (age < NEW_STORE_DAYS)
    markup = (mer.price[live] - mer.wholesale[live]) / mer.wholesale[live]
    ref = np.array([c.reference_price for c in state.config.categories])[mer.category[live]]
    # Today's dispatch capacity (surge included) and parcels dispatched from the couriers'
    # queues, as recorded when they dispatched (phases/fulfilment.py).
    capacity = state.couriers.capacity_today
    dispatched = state.couriers.dispatched_today
    revenue = t.platform_revenue_by_source
    online_value = t["gmv"]
    trust_all, trust_shoppers = _trust(state)
    out = {
        "gmv": online_value,
        "orders": t["orders"],
        "platform_revenue": float(state.platforms.revenue_today.sum()),
        **{f"platform_revenue_{source}": revenue[source] for source in REVENUE_SOURCES},
        "take_rate": ratio(t["sales_fees"], online_value),
        "active_merchants": float(live.sum()),
        "merchant_entries": t["entries"],
        "merchant_exits": t["exits"],
        "hhi": h,
        "cr4": cr4,
        "new_store_sales_share": ratio(float(w[new].sum()), float(w.sum())),
        "mean_markup": float(np.average(markup, weights=w)) if w.sum() > 0 else 0.0,
        "price_index": float(np.average(mer.price[live] / ref, weights=w)) if w.sum() > 0 else 0.0,
        "mean_rating": ratio(t["genuine_rating_sum"], t["genuine_ratings"]),
        "fraud_rate": ratio(t["fraud"], t["arrived"]),
        "dispute_rate": ratio(t["disputes"], t["delivered"]),
        "consumer_trust": trust_all,
        "online_shopper_trust": trust_shoppers,
        "mean_delivery_days": ratio(t["delivery_days"], t["arrived"]),
        "courier_utilisation": ratio(float(dispatched.sum()), float(capacity.sum())),
        "courier_overflow": float(state.couriers.backlog.sum()),
        "consumer_surplus": t["consumer_surplus"],
        "online_share": ratio(online_value, online_value + t["offline_sales"]),
        "stockout_rate": ratio(t["stockouts"], t["orders_attempted"]),
        "fake_reviews": t["fake_reviews"],
    }
    out.update(_labour_and_channel(state))
    if len(state.config.platforms) > 1:
        gmv_p = state.platforms.gmv_today
        for p, plat in enumerate(state.config.platforms):
            total = float(gmv_p.sum())
            out[f"platform_share_{plat.name}"] = float(gmv_p[p]) / total if total > 0 else 0.0
    return out


def book_profits(state: State) -> None:
    """Smoothed profits of the three channel levels, and the bullwhip histories."""
    mer = state.merchants
    today = {
        # the online channel's share: margin on what stores buy (offline sales excluded)
        "manufacturers": state.today.wholesale_margin,
        "merchants": float(mer.profit_today[mer.active].sum()),
        "platform": state.ledger.balances["platforms"].sum() - state.platform_cash_start,
    }
    for key, value in today.items():
        state.profit_ema[key] += 0.1 * (value - state.profit_ema[key])
    state.demand_hist[state.day % state.demand_hist.size] = state.today.orders_attempted
    state.upstream_hist[state.day % state.upstream_hist.size] = state.today.restock_ordered
    state.production_hist[state.day % state.production_hist.size] = state.today.produced_for_stores
