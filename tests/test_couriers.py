"""Couriers' first-come-first-served queues and festival surge capacity (docs/model.md 7.5)."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

from ecosim import EcosystemModel, load_config
from ecosim.dates import date_of
from ecosim.phases.fulfilment import (
    dispatch_waits,
    queue_parcels,
    record_courier_load,
    surge_multiplier,
)
from tests.conftest import small_config

START = datetime.date(2014, 11, 1)
FESTIVAL = 11  # 11 November is day 11 from 1 November
CAPACITY = 100.0  # parcels/day: 2 couriers x 50
ORDINARY = 60  # parcels/day handed over on ordinary days
SPIKE = 560  # parcels handed over on the festival day


def _fcfs_waits(arrivals: list[int], capacity: list[float]) -> list[np.ndarray]:
    """Brute force: each day's parcels, one by one, wait for the first day with capacity
    left after everything ahead of them (first come, first served)."""
    left = list(capacity)
    waits = []
    for day, n in enumerate(arrivals):
        out = np.empty(n, dtype=np.int64)
        d = day
        for i in range(n):
            while left[d] < 1:
                d += 1
            left[d] -= 1
            out[i] = d - day
        waits.append(out)
    return waits


def _drive(surge: float, surge_days: int, ramp: int, days: int = 30):
    """One courier firm of fixed capacity, ``ORDINARY`` parcels a day and ``SPIKE`` on
    Singles' Day, the fulfilment phase's queue driven day by day with no other phase.
    Returns each day's waits, the backlog after each day and the parcels dispatched."""
    config = small_config(
        "logistics.n_firms=1",
        "logistics.parcels_per_courier_day=50",
        f"logistics.surge_factor={surge}",
        f"logistics.surge_days={surge_days}",
        f"logistics.surge_ramp_days={ramp}",
    )
    state = EcosystemModel(config, rng=1).state
    cour = state.couriers
    cour.staff[:] = 2
    cour.backlog[:] = 0.0
    out: dict[str, list] = {"waits": [], "backlog": [], "dispatched": [], "handed": []}
    for day in range(1, days + 1):
        state.day = day
        state.date = date_of(START, day)
        cour.parcels_today[:] = 0.0
        n = SPIKE if day == FESTIVAL else ORDINARY
        out["waits"].append(queue_parcels(state, np.zeros(n, dtype=np.int64)))
        record_courier_load(state)
        out["backlog"].append(float(cour.backlog[0]))
        out["dispatched"].append(float(cour.dispatched_today[0]))
        out["handed"].append(n)
    return out


def test_a_spike_without_surge_clears_at_the_spare_capacity():
    """Queue arithmetic: 560 parcels on a day of capacity 100 leave 460 waiting; ordinary
    days (60 in, 100 out) clear 40 a day, so the backlog is 460 - 40 k, gone on the 12th day
    after. The spike's last parcel waits floor(559 / 100) = 5 days; every parcel's wait is
    the brute-force first-come-first-served wait."""
    run = _drive(surge=1.0, surge_days=0, ramp=0)
    backlog = np.array(run["backlog"])
    assert (backlog[: FESTIVAL - 1] == 0).all()
    after = backlog[FESTIVAL - 1 :]
    expected = np.maximum(460.0 - 40.0 * np.arange(after.size), 0.0)
    np.testing.assert_array_equal(after, expected)
    assert after[11] == 20.0 and after[12] == 0.0  # drained on the 12th day after
    spike = run["waits"][FESTIVAL - 1]
    np.testing.assert_array_equal(spike, np.arange(SPIKE) // 100)
    brute = _fcfs_waits(run["handed"], [CAPACITY] * 60)
    for got, want in zip(run["waits"], brute, strict=True):
        np.testing.assert_array_equal(got, want)


def test_surge_capacity_cuts_festival_delays_to_days():
    """With three times the capacity on the festival day and the next (no ramp), the 560
    parcels meet 300 + 300 of capacity: the spike waits at most one day, the backlog is 260,
    then 20, then gone, and the brute-force queue agrees parcel by parcel."""
    run = _drive(surge=3.0, surge_days=2, ramp=0)
    backlog = np.array(run["backlog"])
    np.testing.assert_array_equal(backlog[FESTIVAL - 1 : FESTIVAL + 3], [260.0, 20.0, 0.0, 0.0])
    spike = run["waits"][FESTIVAL - 1]
    assert spike.max() == 1 and (spike == 0).sum() == 300
    capacity = [CAPACITY * (3.0 if d in (FESTIVAL, FESTIVAL + 1) else 1.0) for d in range(1, 61)]
    brute = _fcfs_waits(run["handed"], capacity)
    for got, want in zip(run["waits"], brute, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(("surge", "surge_days", "ramp"), [(1.0, 0, 0), (3.0, 6, 3), (2.0, 1, 0)])
def test_no_parcel_is_lost_or_duplicated_in_the_queue(surge, surge_days, ramp):
    """Every day: parcels handed over = dispatched + still waiting; each parcel gets one
    wait; dispatches never exceed the day's capacity; the queue drains after the festival."""
    run = _drive(surge, surge_days, ramp)
    handed = np.cumsum(run["handed"])
    dispatched = np.cumsum(run["dispatched"])
    np.testing.assert_allclose(handed, dispatched + np.array(run["backlog"]))
    assert [w.size for w in run["waits"]] == run["handed"]
    assert max(run["dispatched"]) <= CAPACITY * surge
    assert run["backlog"][-1] == 0.0


def test_surge_multiplier_ramps_down_after_the_surge_days():
    config = load_config(
        None,
        [
            "logistics.surge_factor=3",
            "logistics.surge_days=6",
            "logistics.surge_ramp_days=3",
            "consumers.n=100",
            "merchants.n_initial=10",
        ],
    )
    state = EcosystemModel(config, rng=1).state
    days = [datetime.date(2014, 11, d) for d in range(10, 22)]
    got = [surge_multiplier(state, d) for d in days]
    # 10 Nov: ordinary; 11-16: full; 17-19: 2.5, 2, 1.5; 20 on: ordinary
    assert got == pytest.approx([1, 3, 3, 3, 3, 3, 3, 2.5, 2.0, 1.5, 1, 1])
    state.config.calendar.singles_day_share = 0.0  # no festival, no surge
    assert all(surge_multiplier(state, d) == 1.0 for d in days)


def test_dispatch_waits_beyond_the_plan_use_ordinary_capacity():
    plan = np.array([[10.0, 30.0], [5.0, 5.0]])
    ordinary = np.array([10.0, 5.0])
    position = np.array([0.0, 9.0, 10.0, 39.0, 40.0, 49.0, 50.0, 9.0, 10.0, 24.0])
    courier = np.array([0, 0, 0, 0, 0, 0, 0, 1, 1, 1])
    got = dispatch_waits(position, courier, plan, ordinary)
    np.testing.assert_array_equal(got, [0, 0, 1, 1, 2, 2, 3, 1, 2, 4])


def test_festival_parcels_are_delayed_days_not_weeks():
    """The whole model through Singles' Day (baseline, 5,000 households): festival-day
    parcels take a few days more than ordinary ones, not the weeks of the former congestion
    rule (28 days); the queue drains within the surge and its ramp; utilisation stays in
    [0, 1]; every parcel handed over is delivered once or still in transit."""
    cfg = load_config(
        "configs/baseline.yaml",
        ["consumers.n=5000", "merchants.n_initial=100", "calendar.start_date=2014-09-01"],
    )
    model = EcosystemModel(cfg, rng=1)
    festival = (datetime.date(2014, 11, 11) - cfg.calendar.start_date).days + 1
    shipped = delivered = 0.0
    for _ in range(festival + 20):
        model.step()
        shipped += model.state.today.orders
        delivered += model.state.today.delivered
        assert shipped == delivered + model.shipments.total()
    frame = model.timeseries()
    days = frame["mean_delivery_days"].to_numpy()
    ordinary = days[festival - 15 : festival - 1].mean()
    after = days[festival : festival + 20]
    assert after.max() > ordinary + 0.5  # the festival's parcels do wait
    assert after.max() < ordinary + 6  # ... days, not weeks
    backlog = frame["courier_overflow"].to_numpy()
    assert backlog[festival - 1] > frame["orders"].iloc[festival - 15 : festival - 1].mean()
    cfg_log = cfg.logistics
    drained = festival - 1 + cfg_log.surge_days + cfg_log.surge_ramp_days
    assert backlog[drained:].max() < 0.01 * backlog[festival - 1]
    assert frame["courier_utilisation"].between(0, 1).all()
