"""The demand model's one utility formula and the economics module's bookings."""

from __future__ import annotations

import numpy as np
import pytest

from ecosim import EcosystemModel
from ecosim.demand import candidate_values, listing_values, market_terms, price_weight
from ecosim.economics import fee_rates, pay_platform, shipping_cost, unit_cost
from tests.conftest import small_config


@pytest.fixture(scope="module")
def state():
    """A small world after 20 days: ratings shown, trust moved, mall and marketplace stores."""
    cfg = small_config("platforms.0.mall_assurance=0.6", "merchants.mall_share=0.5")
    model = EcosystemModel(cfg, rng=11)
    model.run(20)
    return model.state


def test_the_factored_utilities_are_the_formula(state):
    """The shopping phase's per-market form equals listing_values for every shopper and
    listing (up to rounding), with mall and marketplace stores and shoppers in every region."""
    mer, cons = state.merchants, state.consumers
    checked = 0
    for c in range(len(state.config.categories)):
        listings = np.flatnonzero(mer.active & mer.listed[:, 0] & (mer.category == c))
        if listings.size == 0:
            continue
        shoppers = np.arange(0, cons.n, 7)
        trust, alpha = cons.trust[shoppers], cons.price_sensitivity[shoppers]
        region = cons.region[shoppers]
        terms = market_terms(state, 0, c, listings)
        pos = np.repeat(np.arange(listings.size)[:, None], shoppers.size, axis=1)
        fast = candidate_values(terms, pos, trust, alpha, region)
        slow = listing_values(
            state, 0, c, listings[None, :], trust[:, None], alpha[:, None], region[:, None]
        )
        np.testing.assert_allclose(fast, slow.T, rtol=1e-12, atol=1e-12)
        checked += 1
    assert checked >= 3
    assert (mer.tier[mer.active] == 1).any() and (mer.tier[mer.active] == 0).any()
    assert np.unique(cons.region).size > 1 and cons.trust.std() > 0


def test_price_weight_is_one_under_full_trust_and_grows_with_distrust(state):
    """A fully trusted listing weighs its price alone; distrust adds trust_weight times the
    price share a shopper expects to lose for good."""
    assert price_weight(state, 0, np.array(1.0)) == 1.0
    weights = price_weight(state, 0, np.array([0.9, 0.5, 0.0]))
    assert (np.diff(weights) > 0).all()


def test_unit_cost_is_wholesale_plus_shipping_and_fees_are_rates(state):
    rows = np.flatnonzero(state.merchants.active)
    np.testing.assert_array_equal(
        unit_cost(state, rows), state.merchants.wholesale[rows] + shipping_cost(state, rows)
    )
    rate = fee_rates(state, rows)
    assert ((rate > 0) & (rate < 1)).all()


def test_a_platform_payment_is_booked_once_everywhere(state):
    """pay_platform moves the money, adds it to the platform's revenue and, when stores pay,
    takes it from their profit; the ledger still sums to zero."""
    rows = np.flatnonzero(state.merchants.active)[:3]
    amount = np.array([1.0, 2.0, 4.0])
    cash = state.ledger.balances["platforms"][0]
    revenue = state.platforms.revenue_today[0]
    profit = state.merchants.profit_today[rows].copy()
    pay_platform(state, "merchants", rows, 0, amount)
    assert state.ledger.balances["platforms"][0] == pytest.approx(cash + 7.0)
    assert state.platforms.revenue_today[0] == pytest.approx(revenue + 7.0)
    np.testing.assert_allclose(state.merchants.profit_today[rows], profit - amount)
    pay_platform(state, "manufacturers", np.array([0, 1]), np.array([0, 0]), np.ones(2))
    assert state.platforms.revenue_today[0] == pytest.approx(revenue + 9.0)
    np.testing.assert_allclose(state.merchants.profit_today[rows], profit - amount)
    assert state.ledger.residual() < 1e-6
