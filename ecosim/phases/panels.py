"""Phase 12b, panels: one row per actor per period for the panels the run records.

Every day the flows of the panels that are on (orders, revenue, profit, output, parcels,
platform revenue) are added to running sums; on panel days (every day, or every 7th) each
panel gets one row per actor with the state at the end of the day and the flows since the
previous row, and the sums restart. Columns are numpy slices of the actor tables: no loop
over actors. Columns and units: docs/outputs.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.platforms import displayed_rating
from ecosim.economics import home_platform
from ecosim.state import REVENUE_SOURCES

if TYPE_CHECKING:
    from ecosim.recorder import Recorder
    from ecosim.state import State

__all__ = ["collect", "finish", "household_sample", "panel_day"]

UNEMPLOYED_CODE = 7  # a household panel's sector code without a job (recorder.CODES)
SAMPLE_SEED = 0x5EED_0A11  # mixed with the run's seed: the household sample's own stream


def household_sample(n: int, share: float, count: int, seed: int) -> np.ndarray:
    """Rows of the households in the household panel: a fixed random sample, sorted.

    Drawn from its own generator (the run's seed and :data:`SAMPLE_SEED`), so recording a
    panel never moves the run's random draws.

    Args:
        n: households.
        share: share sampled (used when ``count`` is 0).
        count: households sampled when above 0 (at most ``n``).
        seed: the run's seed.
    """
    size = min(count, n) if count > 0 else round(share * n)
    rng = np.random.default_rng([seed, SAMPLE_SEED])
    return np.sort(rng.choice(n, size=size, replace=False))


def panel_day(state: State) -> bool:
    """Whether today ends a panel period."""
    return state.day % state.record.every == 0


def _grow(flows: dict[str, np.ndarray], name: str, n: int) -> np.ndarray:
    """The running sum ``name``, grown to ``n`` rows (stores opened since it was made)."""
    old = flows.get(name)
    if old is None or old.size < n:
        new = np.zeros(n)
        if old is not None:
            new[: old.size] = old
        flows[name] = new
    return flows[name]


def _add_flows(state: State, rec: Recorder) -> None:
    if rec.on["stores"]:
        mer = state.merchants
        flows = rec.flows.setdefault("stores", {})
        ring = state.day % mer.sales_hist.shape[1]
        _grow(flows, "orders", mer.n)[:] += np.bincount(
            state.today.order_merchants, minlength=mer.n
        )
        _grow(flows, "units", mer.n)[:] += mer.units_hist[:, ring]
        _grow(flows, "revenue", mer.n)[:] += mer.sales_hist[:, ring]
        _grow(flows, "profit", mer.n)[:] += mer.profit_today
        alive = _grow(flows, "alive", mer.n)  # open at some point of the period
        alive[mer.active] = 1.0
    if rec.on["manufacturers"]:
        mfr = state.manufacturers
        _grow(rec.flows.setdefault("manufacturers", {}), "output", mfr.n)[:] += mfr.produced_today
    if rec.on["couriers"]:
        cour = state.couriers
        _grow(rec.flows.setdefault("couriers", {}), "parcels", cour.n)[:] += cour.parcels_today
    if rec.on["platforms"]:
        plat = state.platforms
        flows = rec.flows.setdefault("platforms", {})
        _grow(flows, "gmv", plat.n)[:] += plat.gmv_today
        _grow(flows, "orders", plat.n)[:] += state.today.orders_by_platform
        _grow(flows, "revenue", plat.n)[:] += plat.revenue_today


def _stores(state: State, rec: Recorder) -> None:
    mer = state.merchants
    flows = rec.flows["stores"]
    rows = np.flatnonzero(_grow(flows, "alive", mer.n) > 0)
    listed = mer.listed[rows]
    home = np.where(listed.any(axis=1), home_platform(state, rows), -1)
    rating = np.full(rows.size, np.nan)
    for p, plat in enumerate(state.config.platforms):
        on = home == p
        if plat.reputation_rule != "none" and on.any():
            sel = rows[on]
            rating[on] = displayed_rating(
                plat, mer.rating_sum[sel], mer.rating_count[sel], state.prior_rating
            )[0]
    rec.add(
        "stores",
        {
            "day": np.full(rows.size, state.day),
            "store": rows,
            "platform": home,
            "platforms": listed.sum(axis=1),
            "category": mer.category[rows],
            "tier": mer.tier[rows],
            "opportunistic": mer.opportunistic[rows],
            "flagship": mer.flagship[rows],
            "manufacturer": mer.supplier[rows],
            "price": mer.price[rows],
            "wholesale": mer.wholesale[rows],
            "orders": flows["orders"][rows],
            "units": flows["units"][rows],
            "revenue": flows["revenue"][rows],
            "profit": flows["profit"][rows],
            "stock": mer.stock[rows],
            "staff": mer.staff[rows],
            "ad_bid": mer.ad_bid[rows],
            "rating": rating,
            "rating_count": mer.rating_count[rows],
            "entry_day": mer.entry_day[rows],
            "active": mer.active[rows],
        },
    )
    for name in ("orders", "units", "revenue", "profit"):
        flows[name][:] = 0.0
    flows["alive"][:] = mer.active


def _manufacturers(state: State, rec: Recorder) -> None:
    mfr = state.manufacturers
    mer = state.merchants
    rows = np.arange(mfr.n)
    partners = np.flatnonzero(mer.active & ~mer.flagship)
    count = np.bincount(mer.supplier[partners], minlength=mfr.n)
    paid = np.bincount(mer.supplier[partners], weights=mer.wholesale[partners], minlength=mfr.n)
    device = state.consumers.device
    devices = np.bincount(device[device >= 0], minlength=mfr.n)
    output = rec.flows["manufacturers"]["output"]
    rec.add(
        "manufacturers",
        {
            "day": np.full(mfr.n, state.day),
            "manufacturer": rows,
            "category": mfr.category,
            "offer_price": mfr.offer_price(rows),
            "wholesale": np.divide(paid, count, out=np.full(mfr.n, np.nan), where=count > 0),
            "partners": count,
            "output": output.copy(),
            "staff": mfr.staff,
            "flagship": mfr.flagship,
            "devices": devices,
            "brand": mfr.brand,
        },
    )
    output[:] = 0.0


def _couriers(state: State, rec: Recorder) -> None:
    cour = state.couriers
    parcels = rec.flows["couriers"]["parcels"]
    rec.add(
        "couriers",
        {
            "day": np.full(cour.n, state.day),
            "courier": np.arange(cour.n),
            "price": cour.price,
            "parcels": parcels.copy(),
            "capacity": cour.capacity_today.copy(),
            "staff": cour.staff,
            "backlog": cour.backlog.copy(),
            "delay": state.courier_wait.copy(),
        },
    )
    parcels[:] = 0.0


def _platforms(state: State, rec: Recorder) -> None:
    plat = state.platforms
    mer = state.merchants
    flows = rec.flows["platforms"]
    by_source = flows.get("revenue_by_source")
    if by_source is None:
        by_source = flows["revenue_by_source"] = np.zeros((plat.n, len(REVENUE_SOURCES)))
    listings = (mer.listed & mer.active[:, None]).sum(axis=0)
    home = state.consumers.home
    columns = {
        "day": np.full(plat.n, state.day),
        "platform": np.arange(plat.n),
        "revenue": flows["revenue"].copy(),
    }
    for s, source in enumerate(REVENUE_SOURCES):
        columns[f"revenue_{source}"] = by_source[:, s].copy()
    columns |= {
        "gmv": flows["gmv"].copy(),
        "orders": flows["orders"].copy(),
        "listings": listings,
        "users": np.bincount(home[home >= 0], minlength=plat.n),
        "staff": plat.staff,
        "trust": plat.trust,
    }
    rec.add("platforms", columns)
    for name in ("gmv", "orders", "revenue"):
        flows[name][:] = 0.0
    by_source[:] = 0.0


def _households(state: State, rec: Recorder) -> None:
    cons = state.consumers
    rows = rec.flows["households"]["sample"].astype(np.int64)
    sector = cons.sector[rows]
    rec.add(
        "households",
        {
            "day": np.full(rows.size, state.day),
            "household": rows,
            "region": cons.region[rows],
            "income": cons.income[rows],
            "cash": state.ledger.balances["households"][rows],
            "trust": cons.trust[rows],
            "platform": cons.home[rows],
            "sector": np.where(sector < 0, UNEMPLOYED_CODE, sector),
            "employer": cons.employer[rows],
            "devices": (cons.device[rows] >= 0).sum(axis=1),
            "devices_on": cons.iot_on[rows].sum(axis=1),
        },
    )


def collect(state: State) -> None:
    """Add today's flows to the panels' sums; on a panel day write one row per actor."""
    rec = state.record
    if not rec.active:
        return
    _add_flows(state, rec)
    if panel_day(state):
        _write_rows(state, rec)
    rec.end_of_day(state.day)


def finish(state: State) -> None:
    """At the end of a run that stops inside a panel period (a 365-day run with weekly
    panels), write that last, shorter period's rows, dated its last day, so that the panels'
    flows still add up to the whole run."""
    rec = state.record
    if rec.active and not rec.closed and state.day > 0 and not panel_day(state):
        _write_rows(state, rec)


def _write_rows(state: State, rec: Recorder) -> None:
    for name, write in (
        ("stores", _stores),
        ("manufacturers", _manufacturers),
        ("couriers", _couriers),
        ("platforms", _platforms),
        ("households", _households),
    ):
        if rec.on[name]:
            write(state, rec)
