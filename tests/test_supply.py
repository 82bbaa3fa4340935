"""The supply chain in textbook form: order-up-to stores, planning manufacturers.

The bullwhip figures are Chen, Drezner, Ryan & Simchi-Levi (2000): with iid demand, a
p-day moving-average forecast and an order-up-to level ``M x forecast + constant``
reviewed daily, a stage's orders are ``q_t = (1 + M/p) D_t - (M/p) D_{t-p}``, so
``Var(q) / Var(D) = 1 + 2M/p + 2M^2/p^2``. In this model a store's ``M`` is ``L + R``
(``lead_time`` plus the review period: the goods ordered today sell from day t + L + 1,
docs/model.md 7.10), Chen's ``L``; a manufacturer's is ``L_m + 1``.
"""

from __future__ import annotations

import numpy as np
import pytest

from ecosim import EcosystemModel
from ecosim.metrics import bullwhip_ratio
from ecosim.phases import strategy
from ecosim.validation import chen_ratio, single_store_chain
from ecosim.validation.cases import BULLWHIP_TOLERANCE as TOLERANCE
from tests.conftest import small_config

# The store's ratio for (L, p) = (3, 10), (1, 10), (3, 20) against Chen et al. is a validation
# case (ecosim.validation.cases.bullwhip_ratio_chen, run by tests/test_validation.py); the
# chains are cached, so the tests here reuse its runs.


def test_bullwhip_rises_with_lead_time_and_falls_with_window():
    ratio = {}
    for lead, window in [(1, 10), (3, 10), (3, 20)]:
        series = single_store_chain(lead, window, sharing=False)
        ratio[(lead, window)] = bullwhip_ratio(series["orders"], series["demand"])
    # expected 1.48, 2.12, 1.48: gaps of 0.64, over fifty times the noise
    assert ratio[(3, 10)] > ratio[(1, 10)] + 0.4
    assert ratio[(3, 10)] > ratio[(3, 20)] + 0.4


def test_point_of_sale_data_lowers_production_variance():
    """Chen et al. 2000, section 4: with the consumers' demand the manufacturer's production
    amplifies it by 1 + 2(M + M_m)/p + 2(M + M_m)^2/p^2 (3.88 for M = M_m = 4, p = 10);
    forecasting from the store's orders compounds the two stages (5.12 here)."""
    shared = single_store_chain(3, 10, sharing=True)
    alone = single_store_chain(3, 10, sharing=False)
    for series in (shared, alone):
        assert series["short"].sum() + series["rationed"].sum() < 1e-3 * series["demand"].sum()
    with_data = bullwhip_ratio(shared["production"], shared["demand"])
    without = bullwhip_ratio(alone["production"], alone["demand"])
    assert with_data == pytest.approx(chen_ratio(8, 10), rel=TOLERANCE)
    # (1.4 D_t - 0.4 D_{t-10}) passed through the same rule again:
    # 1.96 D_t - 1.12 D_{t-10} + 0.16 D_{t-20}, variance 5.1216
    assert without == pytest.approx(1.96**2 + 1.12**2 + 0.16**2, rel=TOLERANCE)
    assert with_data < 0.85 * without


def test_lead_time_zero_is_same_day_replenishment():
    """With L = 0 a store's order is on the shelf before the next day's sales, so an
    order-up-to level of one day's forecast plus safety stock leaves no chronic shortage."""
    series = single_store_chain(0, 10, sharing=False)
    assert series["short"].sum() / series["demand"].sum() < 1e-3
    assert bullwhip_ratio(series["orders"], series["demand"]) == pytest.approx(
        chen_ratio(1, 10), rel=TOLERANCE
    )


def test_lead_time_zero_in_the_whole_model_keeps_stores_stocked():
    """The whole model with L = 0 and daily review: few orders are lost to empty shelves.

    Measured 0.011-0.023 over seeds 1, 2, 3 and 11 (800 households): single units of Poisson
    demand above a one-day order-up-to level, and makers' thin finished stock in a market
    this small. A target that counted 0 days of cover (the old reading of L = 0) left the
    shelves empty on most days."""
    model = EcosystemModel(
        small_config("manufacturers.lead_time=0", "merchants.review_period=1"), rng=11
    )
    model.run(60)
    frame = model.timeseries()
    assert frame["stockout_rate"].iloc[10:].mean() < 0.04


def test_bullwhip_ratio_empty_and_flat_cases():
    assert bullwhip_ratio(np.zeros(0), np.zeros(0)) == 1.0
    assert bullwhip_ratio(np.array([5.0]), np.array([3.0])) == 1.0
    assert bullwhip_ratio(np.array([0.0, 9.0, 0.0]), np.full(3, 2.0)) == 1.0
    assert bullwhip_ratio(np.array([1.0, 3.0]), np.array([2.0, 4.0])) == 1.0


@pytest.mark.parametrize("seed", [1, 2])
def test_point_of_sale_data_smooths_production_in_the_whole_model(seed):
    """The whole market (households shopping, many stores reviewing every 3 days): makers
    that plan from point-of-sale data vary their production less, relative to demand, than
    makers that plan from their stores' orders (seeds 1-3 at 800 and 3000 households:
    0.64-0.96 times, e.g. 2.6 against 4.0)."""
    ratio = {}
    for uptake in (0.0, 1.0):
        model = EcosystemModel(
            small_config(f"manufacturers.data_service_uptake={uptake}"), rng=seed
        )
        model.run(150)
        ratio[uptake] = model.timeseries()["production_bullwhip_ratio"].iloc[-1]
    assert ratio[1.0] < ratio[0.0]


def _store_with_cash(cash: float, stock: float, collateral: float) -> tuple[EcosystemModel, int]:
    """A model after a few days (parcels in transit) and one young store with ``cash`` RMB
    and ``stock`` units on hand and none on order (young: the loss review does not judge it)."""
    model = EcosystemModel(small_config(f"merchants.collateral_share={collateral}"), rng=1)
    model.run(3)
    state = model.state
    mer = state.merchants
    row = int(np.flatnonzero(mer.active & ~mer.flagship)[0])
    mer.entry_day[row] = state.day
    mer.stock[row], mer.on_order[row] = stock, 0.0
    state.ledger.pay("merchants", row, "world", 0, state.ledger.balances["merchants"][row] - cash)
    return model, row


def test_stock_and_escrowed_sales_count_against_negative_cash():
    """A store closes at once when cash plus collateral_share of its stock and goods on order
    (at its wholesale price) and of its sales held in escrow is negative (docs/model.md
    7.14): stock bought ahead keeps it open, cash alone (share 0) does not."""
    # the assets: exactly the goods at wholesale plus the escrowed sales of its parcels
    model, row = _store_with_cash(-100.0, 40.0, 1.0)
    state = model.state
    mer = state.merchants
    worth = strategy.net_worth(state, np.array([row]))[0]
    held = 0.0
    for day in range(state.day + 1, state.day + 200):  # every parcel in transit
        parcels = state.shipments.pop(day)
        if parcels is not None:
            mine = (parcels["merchant"] == row) & parcels["escrow"]
            held += float((parcels["price"] - parcels["fee"])[mine].sum())
    assert held > 0  # it has sold: the escrow part is tested too
    assert worth == pytest.approx(-100.0 + 40.0 * mer.wholesale[row] + held)
    # the rule: open with stock worth more than the overdraft, closed with cash alone or none
    wholesale = float(mer.wholesale[row])
    for collateral, stock, stays in [(1.0, 1000 / wholesale + 1, True), (0.0, 1e4, False)]:
        model, row = _store_with_cash(-1000.0, stock, collateral)
        strategy.exit_losers(model.state)
        assert model.state.merchants.active[row] == stays
    model, row = _store_with_cash(-1e7, 1.0, 1.0)  # more debt than anything it holds
    strategy.exit_losers(model.state)
    assert not model.state.merchants.active[row]
