"""Platforms that compete (docs/model.md, sections 7.4 and 7.14a).

Stores choose where to list by expected profit, households choose platforms by what is on
offer, so cross-side network effects operate: a platform free to list on tips the market
against an otherwise equal one that charges a listing fee and commission (Taobao against
eBay EachNet), while two platforms with equal rules keep near their equal starting shares.
"""

from __future__ import annotations

import numpy as np

from ecosim import EcosystemModel, load_config
from ecosim.economics import fee_rates, unit_cost
from ecosim.phases.listing import expected_listing_profit, review_listings

SCENARIO = "configs/scenarios/free_vs_fee.yaml"
SMALL = ["consumers.n=1500", "merchants.n_initial=40", "consumers.offline_preference=2"]
# The free platform's tipping against the equal-rules control over seeds 1-3 is a validation
# case (ecosim.validation.cases.free_platform_tipping, configs/validation/free_platform.yaml
# and free_platform_control.yaml, run by tests/test_validation.py).


def _category_0_stores(override: str, orders_by_platform: tuple[float, ...]):
    """The free-vs-fee market after 40 days, with the last month's orders of category 0 on
    each platform set to ``orders_by_platform`` a day; (config, state, its stores of category
    0 that sell at a margin)."""
    cfg = load_config(SCENARIO, [*SMALL, override])
    model = EcosystemModel(cfg, rng=4)
    model.run(40)
    state = model.state
    mer = state.merchants
    n_c = len(cfg.categories)
    state.market_demand[:] = 0.0
    for p, orders in enumerate(orders_by_platform):
        state.market_demand[p * n_c + 0, :] = orders
    stores = np.flatnonzero(mer.active & ~mer.flagship & (mer.category == 0))
    margin = mer.price[stores] * (1 - fee_rates(state, stores)) - unit_cost(state, stores)
    stores = stores[margin > 0]
    assert stores.size >= 2
    return cfg, state, stores


def test_stores_switch_by_expected_profit_and_pay_the_listing_cost():
    # every order of category 0 went to the free platform in the last month, none to the
    # fee platform, whose listing fee then makes a listing there lose money
    cfg, state, stores = _category_0_stores("merchants.listing_cost=100", (50.0,))
    mer = state.merchants
    mer.listed[stores] = [False, True]
    cash = state.ledger.balances["merchants"][stores].copy()
    for day in range(state.day + 1, state.day + 1 + cfg.merchants.listing_review_period):
        state.day = day
        review_listings(state)
    assert np.all(mer.listed[stores] == [True, False])  # each switched at its review
    np.testing.assert_allclose(state.ledger.balances["merchants"][stores], cash - 100.0)
    assert abs(state.ledger.residual()) < 1e-6


def test_a_second_storefront_must_earn_its_running_cost():
    """Stores on both platforms whose second listing earns less than storefront_cost a day
    drop it and keep their best one; without the running cost they keep both."""
    kept = {}
    for cost in (0.0, 1e5):
        # both platforms drew orders for category 0 in the last month, platform 0 more
        cfg, state, stores = _category_0_stores(f"merchants.storefront_cost={cost}", (50.0, 20.0))
        mer = state.merchants
        mer.listed[stores] = True
        # the fee platform's listing still pays its listing fee: above it, below a huge cost
        net = np.repeat((mer.price[stores] * (1 - fee_rates(state, stores)))[:, None], 2, axis=1)
        profit = expected_listing_profit(
            state, stores, net, unit_cost(state, stores), mer.tier[stores]
        )
        assert (profit > 0).all() and (profit[:, 0] > profit[:, 1]).all()
        for day in range(state.day + 1, state.day + 1 + cfg.merchants.listing_review_period):
            state.day = day
            review_listings(state)
        kept[cost] = mer.listed[stores].copy()
    assert kept[0.0].all()  # both listings pay: the store multi-homes
    # the second must earn its running cost too: each single-homes where it expects most,
    # mostly the platform with more orders (a store reviewed after its rivals left the
    # other one may find the fewer listings there worth more)
    single = kept[1e5]
    assert (single.sum(axis=1) == 1).all()
    assert single[:, 0].sum() > single[:, 1].sum()


def test_expected_listing_profit_formula():
    cfg = load_config(SCENARIO, [*SMALL])
    model = EcosystemModel(cfg, rng=5)
    model.run(35)
    state = model.state
    mer = state.merchants
    rows = np.flatnonzero(mer.active & (mer.category == 1))[:3]
    net = np.full((3, 2), 50.0)
    cost = np.full(3, 30.0)
    tier = np.zeros(3, dtype=np.int8)
    got = expected_listing_profit(state, rows, net, cost, tier, outsider=True)
    n_c = len(cfg.categories)
    for p in range(2):
        demand = state.market_demand[p * n_c + 1, (state.day - np.arange(30)) % 128].sum() / 30
        listings = (mer.active & mer.listed[:, p] & (mer.category == 1)).sum()
        fee = cfg.platforms[p].marketplace.annual_fee / 365
        np.testing.assert_allclose(got[:, p], demand / (listings + 1) * 20.0 - fee)
