"""Manufacturers, bargaining, services, the labour market and IoT reordering (docs/model.md)."""

from __future__ import annotations

import numpy as np
import pytest

from ecosim import EcosystemModel, load_config
from ecosim.bargaining import nash_wholesale_price
from ecosim.phases.contracts import bargaining_inputs
from ecosim.phases.labour import OTHER, SECTORS, staff_arrays
from tests.conftest import small_config


@pytest.mark.parametrize("weight", [0.0, 0.2, 0.5, 0.8, 1.0])
def test_nash_bargaining_linear_demand_textbook(weight):
    c, a, b = 12.0, 90.0, 0.7
    w = nash_wholesale_price(c, a, b, weight)[0]
    assert w == pytest.approx(c + weight * (a - c) / 2, rel=0.01, abs=1e-6)


def test_outside_options_move_the_price():
    base = nash_wholesale_price(10.0, 110.0, 1.0, 0.5)[0]
    assert nash_wholesale_price(10.0, 110.0, 1.0, 0.5, d_manufacturer=300.0)[0] > base + 1
    assert nash_wholesale_price(10.0, 110.0, 1.0, 0.5, d_merchant=300.0)[0] < base - 1


# One manufacturer and one store get the Nash split at every renegotiation: a validation
# case (ecosim.validation.cases.nash_bargaining_split, run by tests/test_validation.py).


def test_higher_manufacturer_outside_option_raises_wholesale_price():
    model = EcosystemModel(small_config("manufacturers.flagship_store=true"), rng=4)
    model.run(20)
    rows = np.flatnonzero(model.merchants.active & ~model.merchants.flagship)
    x = bargaining_inputs(model, rows)
    lam = model.config.manufacturers.bargaining_weight
    w0 = nash_wholesale_price(x["c"], x["a"], x["b"], lam, x["d_maker"], x["d_store"])
    w1 = nash_wholesale_price(x["c"], x["a"], x["b"], lam, x["d_maker"] + 20.0, x["d_store"])
    inner = w0 < x["a"] - 1e-6
    assert inner.sum() > 5
    assert (w1[inner] > w0[inner]).all()


def test_iot_lock_in_raises_supplier_bargaining_power():
    def power(adoption):
        cfg = small_config(
            f"consumers.iot_adoption={adoption}",
            "manufacturers.iot_lock_in=1.0",
            "consumers.n=1500",
        )
        values = []
        for seed in (1, 2):
            model = EcosystemModel(cfg, rng=seed)
            model.run(120)
            values.append(model.timeseries()["supplier_bargaining_power"].tail(30).mean())
        return np.mean(values)

    assert power(0.9) > power(0.0) + 0.02


def test_every_worker_has_one_employer_and_headcounts_match():
    model = EcosystemModel(small_config("manufacturers.flagship_store=true"), rng=5)
    for _ in range(60):
        model.step()
        cons = model.consumers
        staff = staff_arrays(model)
        for s in range(OTHER + 1):
            mine = cons.sector == s
            assert (cons.employer[mine] >= 0).all()
            counts = np.bincount(cons.employer[mine], minlength=staff[s].size)
            np.testing.assert_array_equal(counts, staff[s], err_msg=f"sector {s} day {model.day}")
        assert (cons.employer[cons.sector < 0] == -1).all()
    frame = model.timeseries()
    parts = frame[[f"employment_{s}" for s in SECTORS]].sum(axis=1)
    np.testing.assert_allclose(parts, frame["employment_total"])
    assert frame["unemployment_rate"].between(0, 1).all()


def test_no_iot_adoption_means_no_device_orders():
    model = EcosystemModel(small_config("consumers.iot_adoption=0.0"), rng=6)
    model.run(40)
    assert (model.timeseries()["iot_order_share"] == 0).all()


def test_full_adoption_makes_every_repeat_order_a_device_order():
    cfg = load_config(
        None,
        {
            "consumers.n": 1000,
            "merchants.n_initial": 12,
            "consumers.iot_adoption": 1.0,
            "consumers.iot_opt_out_prob": 0.0,
            "merchants.opportunistic_share": 0.0,
            "categories": [
                {
                    "name": "detergent",
                    "kind": "consumable",
                    "reference_price": 40.0,
                    "unit_cost": 22.0,
                    "consumption_rate": 0.05,
                    "iot_eligible": True,
                }
            ],
        },
    )
    model = EcosystemModel(cfg, rng=7)
    repeat = device = 0.0
    for _ in range(60):
        model.step()
        repeat += model.today["repeat_orders"]
        device += model.today["iot_repeat_orders"]
    assert repeat > 500 and device == repeat
    assert model.timeseries()["iot_order_share"].tail(30).eq(1.0).all()


def _courier_jobs_after_shock(lag: int):
    cfg = small_config(
        f"labour.layoff_lag={lag}", "consumers.n=3000", "logistics.parcels_per_courier_day=5"
    )
    cfg = cfg.model_validate(
        {
            **cfg.model_dump(),
            "schedule": [{"day": 40, "key": "consumers.offline_preference", "value": 9.0}],
        }
    )
    model = EcosystemModel(cfg, rng=8)
    model.run(70)
    return model.timeseries()


def test_demand_shock_cuts_courier_jobs_after_the_lag():
    short, long = _courier_jobs_after_shock(5), _courier_jobs_after_shock(45)
    for frame in (short, long):  # the shock empties the online channel
        assert frame["orders"].loc[45:].mean() < 0.1 * frame["orders"].loc[30:39].mean()
    # the lag counts days of overstaffing: with 45 days no courier can go before day 46
    jobs_long = long["employment_logistics"]
    assert (jobs_long.loc[1:45].diff().dropna() >= 0).all()
    assert jobs_long.loc[46:].min() < jobs_long.loc[45]
    # with 5 days the couriers go within weeks of the shock
    jobs_short = short["employment_logistics"]
    assert jobs_short.loc[60:].max() < 0.5 * jobs_short.loc[39]


def _services_run(price: float):
    prices = [
        f"services.{k}_price={price}"
        for k in ("marketing", "customer_service", "operations", "analytics")
    ]
    model = EcosystemModel(small_config(*prices, "consumers.n=3000"), rng=9)
    model.run(60)
    return model


def test_services_are_bought_when_worth_their_price():
    cheap, dear = _services_run(0.5), _services_run(500.0)
    assert cheap.timeseries()["services_revenue"].tail(20).mean() > 0
    assert dear.timeseries()["services_revenue"].sum() == 0
    for model in (cheap, dear):
        subscribed = (model.merchants.provider >= 0) & model.merchants.active[:, None]
        assert model.providers.clients.sum() == subscribed.sum()
    # the cheap services' providers have clients (their staffing: tests/test_services.py)
    assert cheap.providers.clients.sum() > 0 and dear.providers.clients.sum() == 0


def test_profit_shares_lie_in_0_1_and_sum_to_one():
    model = EcosystemModel(small_config(), rng=10)
    model.run(60)
    shares = model.timeseries()[
        ["manufacturer_profit_share", "merchant_profit_share", "platform_profit_share"]
    ].dropna()
    assert len(shares) > 50
    assert shares.ge(0).all().all() and shares.le(1).all().all()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
