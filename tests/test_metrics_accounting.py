"""Metrics that mean what their names say: take rate, revenue by source, utilisation, finite.

Definitions in docs/model.md, section 7.16 and Appendix B.
"""

from __future__ import annotations

import json

import numpy as np

from ecosim import EcosystemModel
from ecosim.commands.run import summarize
from ecosim.metrics import METRICS
from ecosim.phases.metrics import NEW_STORE_DAYS
from ecosim.state import REVENUE_SOURCES
from tests.conftest import small_config

SOURCE_METRICS = [f"platform_revenue_{source}" for source in REVENUE_SOURCES]


def test_every_revenue_source_is_a_documented_metric():
    assert set(SOURCE_METRICS) <= set(METRICS)


def test_take_rate_is_the_fee_rate_of_todays_sales():
    """Every store pays 3% commission and 0.6% payment fee (both tiers), so the take rate is
    0.036 on every day with sales, whatever the listing fees, ads, fines and the
    manufacturers' payments add to platform revenue."""
    tiers = [
        f"platforms.0.{tier}.{key}={value}"
        for tier in ("marketplace", "mall")
        for key, value in (("commission_rate", 0.03), ("payment_fee", 0.006))
    ]
    model = EcosystemModel(small_config(*tiers, "platforms.0.mall.annual_fee=200000"), rng=4)
    model.run(30)
    frame = model.timeseries()
    sold = frame["gmv"] > 0
    assert sold.sum() >= 25
    np.testing.assert_allclose(frame.loc[sold, "take_rate"], 0.036, rtol=1e-9)
    assert (frame.loc[~sold, "take_rate"] == 0).all()
    # the listing fees alone exceed the day's GMV: revenue over GMV is no share of sales
    assert (frame["platform_revenue"] > frame["gmv"]).any()


def test_take_rate_stays_in_0_1_with_fees_above_the_price():
    model = EcosystemModel(
        small_config(
            "platforms.0.marketplace.commission_rate=0.9", "platforms.0.mall.payment_fee=0.2"
        ),
        rng=5,
    )
    model.run(20)
    rate = model.timeseries()["take_rate"]
    assert rate.between(0, 1).all()


def test_revenue_sources_sum_to_platform_revenue_every_day():
    model = EcosystemModel(
        small_config(
            "merchants.opportunistic_share=0.3",
            "consumers.iot_adoption=0.5",
            "manufacturers.data_service_uptake=0.5",
        ),
        rng=6,
    )
    for _ in range(40):
        model.step()
        today = model.today.platform_revenue_by_source
        assert set(today) == set(REVENUE_SOURCES)
        np.testing.assert_allclose(
            sum(today.values()), model.platforms.revenue_today.sum(), rtol=1e-12, atol=1e-9
        )
    frame = model.timeseries()
    np.testing.assert_allclose(
        frame[SOURCE_METRICS].sum(axis=1), frame["platform_revenue"], rtol=1e-12, atol=1e-9
    )
    earned = frame[SOURCE_METRICS].sum()
    # every payment to a platform names its source, and these sources all earned something
    assert earned["platform_revenue_other"] == 0
    for source in ("commission", "ads", "listing", "fines", "iot_hosting", "data_services"):
        assert earned[f"platform_revenue_{source}"] > 0, source


def test_courier_utilisation_is_a_share_and_overflow_is_reported():
    """Couriers hired for far too little volume: utilisation stays at most 1 and the excess
    appears as overflow parcels."""
    model = EcosystemModel(small_config("logistics.parcels_per_courier_day=2"), rng=8)
    model.run(30)
    frame = model.timeseries()
    assert frame["courier_utilisation"].between(0, 1).all()
    assert (frame["courier_overflow"] > 0).any()
    assert (frame.loc[frame["courier_overflow"] > 0, "courier_utilisation"] > 0.5).all()


def test_every_metric_finite_in_a_market_that_empties():
    """A tiny market whose stores all leave: every metric is a number on every day, and
    the summary is valid JSON."""
    model = EcosystemModel(
        small_config(
            "consumers.n=60",
            "merchants.n_initial=4",
            "merchants.fixed_cost=5000",
            "merchants.entry_rate=0",
        ),
        rng=9,
    )
    model.run(40)
    frame = model.timeseries()
    assert frame["active_merchants"].iloc[-1] == 0
    assert np.isfinite(frame.to_numpy(dtype=float)).all()
    json.dumps(summarize(frame), allow_nan=False)  # what summary.json holds


def test_new_stores_sales_share_counts_only_recent_entrants():
    """The share is the open entrants' part of the 30-day sales in the store table: zero
    while only the initial stores (opened on day 0) sell, and the entrants' part later."""
    # a market short of stores, so that entrants open and sell (the default start is the
    # settled number of stores, where few enter in 120 days)
    model = EcosystemModel(small_config("merchants.n_initial=8"), rng=6)
    frame_days = []
    for _ in range(120):
        model.step()
        table = model.merchant_table()
        entry = model.merchants.entry_day[table["merchant"].to_numpy()]
        new = (entry > 0) & (model.day - entry < NEW_STORE_DAYS)
        total = table["sales_30d"].sum()
        expected = table["sales_30d"][new].sum() / total if total > 0 else 0.0
        frame_days.append((model.metrics["new_store_sales_share"], expected, bool(new.any())))
    values = np.array([(got, want) for got, want, _ in frame_days])
    np.testing.assert_allclose(values[:, 0], values[:, 1], rtol=1e-9, atol=1e-12)
    assert all(got == 0 for got, _, any_new in frame_days if not any_new)
    assert any(got > 0 for got, _, _ in frame_days), "no entrant sold anything in 120 days"
