"""Phase 9, labour: firms set the staff their workload needs; vacancies are filled from the
unemployed; overstaffed firms lay off after a lag; wages and benefits are paid.

Sectors (``SECTORS``): merchants, manufacturers, logistics (couriers), services, platform,
offline retail, and a fixed ``other`` sector standing for the rest of the economy, so that
the unemployment rate is a whole-economy one. Workloads, divided by each sector's
productivity, are moving averages of orders (stores, platform), units produced (factories)
and sales (offline shops), couriers' mean parcels over their capacity window, and service
providers' current clients. Store
owners are self-employed: ``employment_merchants`` counts them (one per open store) plus the
staff stores hire from the households.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.consumers import UNEMPLOYED
from ecosim.economics import wage_rates

if TYPE_CHECKING:
    from ecosim.model import EcosystemModel

__all__ = ["OTHER", "SECTORS", "desired_staff", "hire_initial", "labour_market"]

SECTORS = ("merchants", "manufacturers", "logistics", "services", "platform", "offline_retail")
OTHER = len(SECTORS)  # sector code of the rest of the economy
ACCOUNT = ("merchants", "manufacturers", "couriers", "services", "platforms", "offline", "world")
EMA = 0.1  # weight of today in the workload moving averages (about a 10-day memory)


def staff_arrays(model: EcosystemModel) -> list[np.ndarray]:
    """Each sector's headcount array, in ``SECTORS`` order plus the other sector."""
    return [
        model.merchants.staff,
        model.manufacturers.staff,
        model.couriers.staff,
        model.providers.staff,
        model.platforms.staff,
        model.offline_staff,
        model.other_staff,
    ]


def update_workloads(model: EcosystemModel) -> None:
    """Fold today's activity into the workload moving averages."""
    mer = model.merchants
    today_orders = np.bincount(model.today_order_merchants, minlength=mer.n)
    mer.orders_ema += EMA * (today_orders - mer.orders_ema)
    today_iot = np.bincount(model.today_iot_merchants, minlength=mer.n)
    mer.iot_ema += EMA * (today_iot - mer.iot_ema)
    mfr = model.manufacturers
    mfr.output_ema += EMA * (mfr.produced_today - mfr.output_ema)
    plat = model.platforms
    plat.orders_ema += EMA * (model.today_orders_by_platform - plat.orders_ema)
    model.offline_units_ema += EMA * (model.offline.units_today - model.offline_units_ema)


def desired_staff(model: EcosystemModel) -> list[np.ndarray]:
    """Headcount each firm's workload needs, per sector (same order as ``staff_arrays``)."""
    lab = model.config.labour
    log = model.config.logistics
    mer = model.merchants
    saving = model.services_staff_saving()
    # Store owners are self-employed (counted in employment, not hired); staff are hired
    # once the workload reaches half a worker.
    merchants = np.where(
        mer.active, np.rint(mer.orders_ema * (1 - saving) / lab.merchant_orders_per_worker), 0
    )
    mfr = np.maximum(1, np.ceil(model.manufacturers.output_ema / lab.manufacturer_units_per_worker))
    volume = model.couriers.volume_hist.mean(axis=1)
    couriers = np.maximum(
        1, np.ceil(volume / (log.parcels_per_courier_day * log.target_utilisation))
    )
    # like store owners, a provider's owner serves its first clients alone
    services = np.rint(model.providers.clients / model.config.services.clients_per_staff)
    platform = np.maximum(1, np.ceil(model.platforms.orders_ema / lab.platform_orders_per_worker))
    offline = np.ceil(np.atleast_1d(model.offline_units_ema) / lab.offline_sales_per_worker)
    return [
        a.astype(np.int64)
        for a in (merchants, mfr, couriers, services, platform, offline, model.other_staff.copy())
    ]


def hire_initial(model: EcosystemModel) -> None:
    """Start-up: firms get the staff they need; the other sector takes the rest of the jobs."""
    cons = model.consumers
    lab = model.config.labour
    wanted = desired_staff(model)
    ecosystem = int(sum(w.sum() for w in wanted[:OTHER]))
    jobs = round(lab.initial_employment_rate * cons.n)
    model.other_staff[:] = max(jobs - ecosystem, 0)
    wanted[OTHER] = model.other_staff.copy()
    staff = staff_arrays(model)
    for s in range(OTHER):
        staff[s][:] = 0
    if not lab.enabled:
        for s in range(OTHER):
            staff[s][:] = wanted[s]
        return
    model.other_staff[:] = 0
    _hire(model, wanted, np.inf)


def _hire(model: EcosystemModel, wanted: list[np.ndarray], rate: float) -> None:
    """Fill vacancies from the unemployed; ``rate`` is the matching efficiency (inf: all)."""
    cons = model.consumers
    staff = staff_arrays(model)
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
        n_hire = min(cap, int(expected) + int(model.rng.random() < expected - int(expected)))
    if n_hire == 0:
        return
    sector = np.concatenate([np.full(v.sum(), s, dtype=np.int8) for s, v in enumerate(vac)])
    firm = np.concatenate([np.repeat(np.arange(v.size), v) for v in vac])
    slots = model.rng.choice(sector.size, n_hire, replace=False)
    workers = model.rng.choice(unemployed, n_hire, replace=False)
    cons.sector[workers] = sector[slots]
    cons.employer[workers] = firm[slots]
    for s in range(len(staff)):
        mine = sector[slots] == s
        if mine.any():
            staff[s] += np.bincount(firm[slots][mine], minlength=staff[s].size)
    model.today["hires"] += float(n_hire)


def _lay_off(model: EcosystemModel, sector: int, excess: np.ndarray) -> None:
    """Release ``excess[f]`` randomly chosen workers of each firm ``f`` of a sector."""
    cons = model.consumers
    workers = np.flatnonzero(cons.sector == sector)
    firm = cons.employer[workers]
    order = np.lexsort((model.rng.random(workers.size), firm))
    firm_sorted = firm[order]
    starts = np.r_[0, np.flatnonzero(firm_sorted[1:] != firm_sorted[:-1]) + 1]
    rank = np.arange(firm_sorted.size) - np.repeat(starts, np.diff(np.r_[starts, firm_sorted.size]))
    fired = workers[order][rank < excess[firm_sorted]]
    cons.sector[fired] = UNEMPLOYED
    cons.employer[fired] = -1
    staff_arrays(model)[sector][:] -= np.bincount(
        firm[np.isin(workers, fired)], minlength=excess.size
    )
    model.today["layoffs"] += float(fired.size)


def labour_market(model: EcosystemModel) -> None:
    """Set staffing, match vacancies, lay off after the lag, pay wages and benefits."""
    lab = model.config.labour
    update_workloads(model)
    wanted = desired_staff(model)
    wanted[OTHER] = model.other_staff.copy() if lab.enabled else model.other_staff
    staff = staff_arrays(model)
    if not lab.enabled:
        for s in range(OTHER):
            staff[s][:] = wanted[s]
        model.ledger.pay(
            "world", 0, "households", np.arange(model.consumers.n), model.consumers.base_income
        )
        model.consumers.income[:] = model.consumers.base_income
        return
    for s in range(OTHER):
        over = staff[s] > wanted[s]
        counter = model.overstaffed_days[s]
        if counter.size < over.size:  # stores opened since yesterday
            counter = model.overstaffed_days[s] = np.concatenate(
                [counter, np.zeros(over.size - counter.size, dtype=np.int64)]
            )
        counter[:] = np.where(over, counter + 1, 0)
        # A closed firm lets everyone go at once; others wait for the lag.
        due = over & ((counter > lab.layoff_lag) | (wanted[s] == 0))
        if due.any():
            _lay_off(model, s, np.where(due, staff[s] - wanted[s], 0))
            counter[due] = 0
    _hire(model, wanted, lab.matching_efficiency)
    pay_wages(model)


def pay_wages(model: EcosystemModel) -> None:
    """Employers pay their workers; the rest of the world pays benefits to the unemployed."""
    cons = model.consumers
    wage = wage_rates(model)
    income = np.where(cons.sector >= 0, wage[cons.sector], model.config.labour.benefit)
    cons.income[:] = income
    for s in range(OTHER + 1):
        workers = np.flatnonzero(cons.sector == s)
        if workers.size == 0:
            continue
        employer = cons.employer[workers]
        src = 0 if s == OTHER else employer
        model.ledger.pay(ACCOUNT[s], src, "households", workers, income[workers])
        bill = np.bincount(employer, weights=income[workers], minlength=staff_arrays(model)[s].size)
        model.wage_bill[s] = bill
    jobless = np.flatnonzero(cons.sector == UNEMPLOYED)
    model.ledger.pay("world", 0, "households", jobless, income[jobless])
    model.merchants.profit_today -= model.wage_bill[0]
