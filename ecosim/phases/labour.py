"""Phase 9, labour: firms set the staff their workload needs; vacancies are filled from the
unemployed; overstaffed firms lay off after a lag; wages and benefits are paid.

Sectors (``SECTORS``): merchants, manufacturers, logistics (couriers), services, platform,
offline retail, and a fixed ``other`` sector standing for the rest of the economy, so that
the unemployment rate is a whole-economy one. Workloads, divided by each sector's
productivity, are moving averages of orders (stores, platform), units produced (factories)
and sales (offline shops), couriers' mean parcels over their capacity window, and service
providers' current clients. Store
owners are self-employed: ``employment_merchants`` counts them (one per open store) plus the
staff stores hire from the households; so does ``employment_services`` for providers' owners.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.tables import UNEMPLOYED
from ecosim.economics import wage_rates
from ecosim.phases.services import staff_needed, staff_saving

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = [
    "GOLDEN",
    "OTHER",
    "SECTORS",
    "desired_staff",
    "hire_initial",
    "labour_market",
    "staff_arrays",
    "whole_workers",
]

SECTORS = ("merchants", "manufacturers", "logistics", "services", "platform", "offline_retail")
OTHER = len(SECTORS)  # sector code of the rest of the economy
ACCOUNT = ("merchants", "manufacturers", "couriers", "services", "platforms", "offline", "world")
# Technical: (sqrt(5) - 1) / 2, which spreads the firms' rounding thresholds evenly.
GOLDEN = 0.6180339887498949


def whole_workers(workload: np.ndarray) -> np.ndarray:
    """Headcounts (whole workers) for fractional workloads (workers), one per firm (row).

    Firm ``f`` rounds up at its own fixed threshold ``theta_f = (1/2 + f g) mod 1``,
    ``g = (sqrt(5) - 1) / 2``: ``floor(x_f + 1 - theta_f)``. The thresholds are spread evenly
    over [0, 1) (a low-discrepancy sequence), so a sector of many small firms employs about
    its total workload, where rounding each firm up (or a minimum of one worker) would add
    about half a worker per firm whatever the population, and a single firm rounds to the
    nearest worker. No random draw; a firm's threshold never changes.
    """
    theta = (0.5 + GOLDEN * np.arange(workload.size)) % 1.0
    return np.floor(workload + 1.0 - theta)


def staff_arrays(state: State) -> list[np.ndarray]:
    """Each sector's headcount array, in ``SECTORS`` order plus the other sector."""
    return [
        state.merchants.staff,
        state.manufacturers.staff,
        state.couriers.staff,
        state.providers.staff,
        state.platforms.staff,
        state.offline_staff,
        state.other_staff,
    ]


def update_workloads(state: State) -> None:
    """Fold today's activity into the workload moving averages."""
    weight = state.config.labour.workload_smoothing
    mer = state.merchants
    today_orders = np.bincount(state.today.order_merchants, minlength=mer.n)
    mer.orders_ema += weight * (today_orders - mer.orders_ema)
    today_iot = np.bincount(state.today.iot_merchants, minlength=mer.n)
    mer.iot_ema += weight * (today_iot - mer.iot_ema)
    mfr = state.manufacturers
    mfr.output_ema += weight * (mfr.produced_today - mfr.output_ema)
    plat = state.platforms
    plat.orders_ema += weight * (state.today.orders_by_platform - plat.orders_ema)
    state.offline_units_ema += weight * (state.today.offline_units - state.offline_units_ema)


def desired_staff(state: State) -> list[np.ndarray]:
    """Headcount each firm's workload needs, per sector (same order as ``staff_arrays``)."""
    lab = state.config.labour
    log = state.config.logistics
    mer = state.merchants
    saving = staff_saving(state)
    # Store owners are self-employed (counted in employment, not hired); staff are hired
    # once the workload reaches half a worker.
    merchants = np.where(
        mer.active, np.rint(mer.orders_ema * (1 - saving) / lab.merchant_orders_per_worker), 0
    )
    # Factories, platforms and offline shops employ their workload in whole workers at any
    # size (``whole_workers``), not at least one each: their number does not grow with the
    # population. Couriers keep one at least, since their staff is their capacity.
    mfr = whole_workers(state.manufacturers.output_ema / lab.manufacturer_units_per_worker)
    volume = state.couriers.volume_hist.mean(axis=1)
    couriers = np.maximum(
        1, np.ceil(volume / (log.parcels_per_courier_day * log.target_utilisation))
    )
    services = staff_needed(state)  # the owner serves the first clients alone
    platform = whole_workers(state.platforms.orders_ema / lab.platform_orders_per_worker)
    offline = whole_workers(np.atleast_1d(state.offline_units_ema) / lab.offline_sales_per_worker)
    return [
        a.astype(np.int64)
        for a in (merchants, mfr, couriers, services, platform, offline, state.other_staff.copy())
    ]


def hire_initial(state: State) -> None:
    """Start-up: firms get the staff they need; the other sector takes the rest of the jobs."""
    cons = state.consumers
    lab = state.config.labour
    wanted = desired_staff(state)
    ecosystem = int(sum(w.sum() for w in wanted[:OTHER]))
    jobs = round(lab.initial_employment_rate * cons.n)
    state.other_staff[:] = max(jobs - ecosystem, 0)
    wanted[OTHER] = state.other_staff.copy()
    staff = staff_arrays(state)
    for s in range(OTHER):
        staff[s][:] = 0
    if not lab.enabled:
        for s in range(OTHER):
            staff[s][:] = wanted[s]
        return
    state.other_staff[:] = 0
    _hire(state, wanted, np.inf)


def _hire(state: State, wanted: list[np.ndarray], rate: float) -> None:
    """Fill vacancies from the unemployed; ``rate`` is the matching efficiency (inf: all)."""
    cons = state.consumers
    staff = staff_arrays(state)
    vac = [np.maximum(w - s, 0) for w, s in zip(wanted, staff, strict=True)]
    total_v = int(sum(v.sum() for v in vac))
    if total_v == 0:
        return
    unemployed = np.flatnonzero(cons.sector == UNEMPLOYED)
    if unemployed.size == 0:
        return
    cap = min(total_v, unemployed.size)
    if np.isinf(rate):
        n_hire = cap
    else:  # stochastic rounding keeps small markets moving
        expected = rate * cap
        n_hire = min(cap, int(expected) + int(state.rng.random() < expected - int(expected)))
    if n_hire == 0:
        return
    sector = np.concatenate([np.full(v.sum(), s, dtype=np.int8) for s, v in enumerate(vac)])
    firm = np.concatenate([np.repeat(np.arange(v.size), v) for v in vac])
    slots = state.rng.choice(sector.size, n_hire, replace=False)
    workers = state.rng.choice(unemployed, n_hire, replace=False)
    cons.sector[workers] = sector[slots]
    state.record.jobs(state.day, workers, sector[slots], firm[slots], hired=True)
    cons.employer[workers] = firm[slots]
    for s in range(len(staff)):
        mine = sector[slots] == s
        if mine.any():
            staff[s] += np.bincount(firm[slots][mine], minlength=staff[s].size)


def _lay_off(state: State, sector: int, excess: np.ndarray) -> None:
    """Release ``excess[f]`` randomly chosen workers of each firm ``f`` of a sector."""
    cons = state.consumers
    workers = np.flatnonzero(cons.sector == sector)
    firm = cons.employer[workers]
    order = np.lexsort((state.rng.random(workers.size), firm))
    firm_sorted = firm[order]
    starts = np.r_[0, np.flatnonzero(firm_sorted[1:] != firm_sorted[:-1]) + 1]
    rank = np.arange(firm_sorted.size) - np.repeat(starts, np.diff(np.r_[starts, firm_sorted.size]))
    leaving = rank < excess[firm_sorted]
    fired = workers[order][leaving]
    state.record.jobs(state.day, fired, sector, firm_sorted[leaving], hired=False)
    cons.sector[fired] = UNEMPLOYED
    cons.employer[fired] = -1
    staff_arrays(state)[sector][:] -= np.bincount(
        firm[np.isin(workers, fired)], minlength=excess.size
    )


def labour_market(state: State) -> None:
    """Set staffing, match vacancies, lay off after the lag, pay wages and benefits."""
    lab = state.config.labour
    update_workloads(state)
    wanted = desired_staff(state)
    wanted[OTHER] = state.other_staff.copy() if lab.enabled else state.other_staff
    staff = staff_arrays(state)
    if not lab.enabled:
        for s in range(OTHER):
            staff[s][:] = wanted[s]
        state.ledger.pay(
            "world", 0, "households", np.arange(state.consumers.n), state.consumers.base_income
        )
        state.consumers.income[:] = state.consumers.base_income
        return
    for s in range(OTHER):
        over = staff[s] > wanted[s]
        counter = state.overstaffed_days[s]
        if counter.size < over.size:  # stores opened since yesterday
            counter = state.overstaffed_days[s] = np.concatenate(
                [counter, np.zeros(over.size - counter.size, dtype=np.int64)]
            )
        counter[:] = np.where(over, counter + 1, 0)
        # A closed firm lets everyone go at once; others wait for the lag.
        due = over & ((counter > lab.layoff_lag) | (wanted[s] == 0))
        if due.any():
            _lay_off(state, s, np.where(due, staff[s] - wanted[s], 0))
            counter[due] = 0
    _hire(state, wanted, lab.matching_efficiency)
    pay_wages(state)


def pay_wages(state: State) -> None:
    """Employers pay their workers; the rest of the world pays benefits to the unemployed."""
    cons = state.consumers
    # Income by sector code: the sectors' wages, then the benefit at code UNEMPLOYED (-1).
    income_of = np.append(wage_rates(state), float(state.config.labour.benefit))
    income = np.take(income_of, cons.sector)
    cons.income[:] = income
    staff = staff_arrays(state)
    payers = []
    for s in range(OTHER + 1):
        workers = np.flatnonzero(cons.sector == s)
        if workers.size == 0:  # nobody to pay: no bill (not yesterday's; firms may have entered)
            state.wage_bill[s] = np.zeros(staff[s].size)
            continue
        employer = cons.employer[workers]
        paid = income[workers]
        payers.append((ACCOUNT[s], 0 if s == OTHER else employer, paid))
        state.wage_bill[s] = np.bincount(employer, weights=paid, minlength=staff[s].size)
    payers.append(("world", 0, income[cons.sector == UNEMPLOYED]))
    # Each household is in one group: the households' side is one posting, not one a group.
    state.ledger.pay_in_groups(payers, "households", None, income)
    state.merchants.profit_today -= state.wage_bill[0]
    state.providers.profit_today -= state.wage_bill[SECTORS.index("services")]
