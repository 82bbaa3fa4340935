"""Stores bid for sponsored slots by what a click is worth to them (docs/model.md 7.14)."""

from __future__ import annotations

import numpy as np

from ecosim import EcosystemModel
from ecosim.economics import fee_rates, unit_cost
from ecosim.phases.ranking import recent_sum
from ecosim.phases.strategy import click_conversion, set_prices
from tests.conftest import small_config


def _model(*overrides: str, days: int = 20) -> EcosystemModel:
    model = EcosystemModel(small_config(*overrides), rng=3)
    model.run(days)
    return model


def test_a_click_is_worth_the_margin_times_the_chance_it_ends_in_an_order():
    model = _model()
    state = model.state
    cfg = state.config
    n_c = len(cfg.categories)
    days = min(state.day, cfg.merchants.listing_demand_window)
    orders = recent_sum(state.market_demand, state.day, days).reshape(-1, n_c).sum(0) / days
    looks = state.expected_daily_units * cfg.consumers.consideration_set
    expected = np.minimum(orders / looks / cfg.consumers.click_through, 1.0)
    np.testing.assert_allclose(click_conversion(state), expected, rtol=1e-12)
    assert (expected > 0).all() and (expected < 1).all()
    # bids: ad_bid_share of that value, per store
    set_prices(state)
    mer = state.merchants
    live = np.flatnonzero(mer.active)
    margin = np.maximum(mer.price[live] * (1 - fee_rates(state, live)) - unit_cost(state, live), 0)
    value = margin * expected[mer.category[live]]
    np.testing.assert_allclose(mer.ad_bid[live], cfg.merchants.ad_bid_share * value, rtol=1e-12)


def test_nobody_clicks_no_click_is_worth_anything():
    state = _model("consumers.click_through=0", days=3).state
    assert (click_conversion(state) == 0).all()
    assert (state.merchants.ad_bid[state.merchants.active] == 0).all()
