"""Small pure pieces: the GSP auction, concentration measures, the ledger, reputation rules."""

from __future__ import annotations

import numpy as np
import pytest

from ecosim.actors.platforms import displayed_rating
from ecosim.config import PlatformConfig
from ecosim.ledger import Ledger
from ecosim.metrics import bullwhip_ratio, concentration_ratio, grouped_concentration, hhi
from ecosim.phases.ranking import gsp_auction


def test_gsp_second_price_with_quality_scores():
    bids = np.array([2.0, 4.0, 3.0, 0.05])
    quality = np.array([1.0, 0.25, 1.0, 1.0])
    winners, cpc = gsp_auction(bids, quality, 2, reserve=0.1)
    # effective bids 2, 1, 3 (the last is under the reserve): slot 1 goes to bidder 2, who
    # pays bidder 0's 2 / 1; slot 2 to bidder 0, who pays bidder 1's 4 * 0.25 / 1
    assert winners.tolist() == [2, 0]
    np.testing.assert_allclose(cpc, [2.0, 1.0])


def test_gsp_reserve_and_no_slots():
    winners, cpc = gsp_auction(np.array([0.5, 0.05]), np.ones(2), 3, reserve=0.2)
    assert winners.tolist() == [0] and cpc.tolist() == [0.2]
    assert gsp_auction(np.array([1.0]), np.ones(1), 0, 0.1)[0].size == 0


def test_concentration_measures():
    assert hhi(np.array([1.0, 1.0, 1.0, 1.0])) == pytest.approx(0.25)
    assert hhi(np.array([5.0])) == 1.0
    assert concentration_ratio(np.arange(10.0), 4) == pytest.approx((9 + 8 + 7 + 6) / 45)
    h, cr = grouped_concentration(np.array([1.0, 1.0, 6.0]), np.array([0, 0, 1]))
    assert h == pytest.approx(0.25 * 0.5 + 0.75 * 1.0) and cr == pytest.approx(1.0)
    assert bullwhip_ratio(np.array([0.0, 4.0]), np.array([1.0, 3.0])) == pytest.approx(4.0)


def test_ledger_vectorised_payments_balance():
    book = Ledger({"households": 4, "merchants": 3})
    book.endow("households", np.arange(4), np.full(4, 100.0))
    book.pay(
        "households",
        np.array([0, 0, 3]),
        "merchants",
        np.array([2, 2, 1]),
        np.array([10.0, 5.0, 1.0]),
    )
    assert book.balances["households"].tolist() == [85.0, 100.0, 100.0, 99.0]
    assert book.balances["merchants"].tolist() == [0.0, 1.0, 15.0]
    assert book.residual() == 0.0


def test_ledger_payments_in_groups_equal_one_payment_per_group():
    # Wages: two employers' staff and the world's benefits, each household paid by one group;
    # irregular amounts, so that any change in the order of additions would show in the bits.
    rng = np.random.default_rng(3)
    n = 200
    amount = rng.lognormal(3.0, 1.0, n)
    group = rng.integers(0, 3, n)
    employer = rng.integers(0, 5, n)
    start = rng.lognormal(5.0, 1.0, n)
    per_group = Ledger({"households": n, "merchants": 5, "couriers": 5})
    grouped = Ledger({"households": n, "merchants": 5, "couriers": 5})
    for book in (per_group, grouped):
        book.endow("households", np.arange(n), start)
    payers = []
    for g, (src, idx) in enumerate((("merchants", None), ("couriers", None), ("world", 0))):
        members = np.flatnonzero(group == g)
        src_idx = employer[members] if idx is None else idx
        per_group.pay(src, src_idx, "households", members, amount[members])
        payers.append((src, src_idx, amount[members]))
    grouped.pay_in_groups(payers, "households", None, amount)
    for sector, balance in per_group.balances.items():
        assert balance.tobytes() == grouped.balances[sector].tobytes(), sector
    assert grouped.turnover == per_group.turnover
    assert grouped.residual() < 1e-9


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("average", [0.9, 0.5]), ("bayesian", [(9 + 10 * 0.5) / 20, 0.5]), ("none", [0.5, 0.5])],
)
def test_reputation_rules(rule, expected):
    plat = PlatformConfig(reputation_rule=rule, bayesian_prior_weight=10)
    shown, _ = displayed_rating(plat, np.array([9.0, 0.0]), np.array([10.0, 0.0]), prior=0.5)
    np.testing.assert_allclose(shown, expected)
