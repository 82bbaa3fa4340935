"""Model behaviour: determinism, shares, rule changes, trust rules, many platforms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecosim import EcosystemModel, load_config
from ecosim.metrics import METRICS
from tests.conftest import small_config


def _run(cfg, seed, days=40):
    model = EcosystemModel(cfg, rng=seed)
    model.run(days)
    return model


def test_same_seed_same_series_other_seed_differs():
    a = _run(small_config(), 11).timeseries()
    b = _run(small_config(), 11).timeseries()
    c = _run(small_config(), 12).timeseries()
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_metric_columns_and_ranges(small_model):
    frame = small_model.timeseries()
    assert list(frame.index[:3]) == [1, 2, 3] and frame.index.name == "day"
    assert set(METRICS) <= set(frame.columns)
    for col in ("hhi", "cr4", "online_share", "fraud_rate", "dispute_rate", "consumer_trust"):
        assert frame[col].between(0, 1).all(), col
    assert (frame["cr4"] + 1e-12 >= frame["hhi"]).all()  # top-4 share bounds the HHI
    assert (frame["gmv"] > 0).all() and (frame["orders"] > 0).all()


def test_merchant_shares_sum_to_one_per_category(small_model):
    table = small_model.merchant_table()
    sums = table.groupby("category")["share"].sum()
    np.testing.assert_allclose(sums[sums > 0], 1.0)


def test_platform_shares_sum_to_one():
    model = _run(small_config(base="configs/scenarios/two_platforms.yaml"), 5, 30)
    frame = model.timeseries()
    shares = frame[["platform_share_tmall", "platform_share_jd"]]
    traded = frame["gmv"] > 0
    np.testing.assert_allclose(shares[traded].sum(axis=1), 1.0)
    assert shares[~traded].isna().all().all()  # undefined on a day without online sales
    assert frame["platform_share_jd"].mean() > 0.05  # both platforms trade


def test_scheduled_fee_change_takes_effect_on_its_day():
    cfg = small_config("platforms.0.marketplace.commission_rate=0.0")
    cfg.schedule = cfg.schedule.__class__(
        [{"day": 10, "key": "platforms.0.marketplace.commission_rate", "value": 0.2}]
    )
    cfg = cfg.model_validate(cfg.model_dump())
    model = EcosystemModel(cfg, rng=1)
    model.run(9)
    assert model.config.platforms[0].marketplace.commission_rate == 0.0
    model.step()
    assert model.config.platforms[0].marketplace.commission_rate == 0.2
    assert cfg.platforms[0].marketplace.commission_rate == 0.0  # caller's copy untouched


def test_escrow_off_sends_money_straight_to_merchants():
    model = _run(small_config("platforms.0.escrow=false"), 2, 10)
    deposits = model.merchants.deposit[model.merchants.deposit_platform == 0].sum()
    assert model.ledger.balances["escrow"][0] == pytest.approx(deposits)


def _opportunist_share(cfg, seed):
    """Opportunists' share of online sales, averaged over three 30-day windows."""
    model = EcosystemModel(cfg, rng=seed)
    shares = []
    for _ in range(3):
        model.run(40)
        table = model.merchant_table()
        shares.append(
            table.loc[table["opportunistic"], "sales_30d"].sum() / table["sales_30d"].sum()
        )
    return np.mean(shares)


def test_opportunists_gain_share_without_trust_rules():
    common = ["merchants.opportunistic_share=0.3", "consumers.n=3000", "merchants.n_initial=40"]
    with_rules = small_config(*common)
    without = small_config(*common, base="configs/scenarios/no_trust_rules.yaml")
    seeds = (1, 2, 3)
    shares_with = [_opportunist_share(with_rules, s) for s in seeds]
    shares_without = [_opportunist_share(without, s) for s in seeds]
    assert np.mean(shares_without) > np.mean(shares_with) + 0.1


def test_runs_with_three_platforms_and_multihoming():
    cfg = small_config(base=None)
    cfg = cfg.model_validate(
        {
            **cfg.model_dump(),
            "platforms": [
                {"name": "a", "initial_share": 0.5},
                {"name": "b", "initial_share": 0.3},
                {"name": "c", "initial_share": 0.2},
            ],
        }
    )
    model = _run(cfg, 4, 20)
    assert model.merchants.listed.sum(axis=1).max() == 3  # some stores list everywhere
    frame = model.timeseries()
    assert {"platform_share_a", "platform_share_b", "platform_share_c"} <= set(frame.columns)


def test_load_config_defaults_match_schema():
    assert load_config(None).consumers.n == 10_000


def test_network_mirrors_the_state(small_model):
    g = small_model.network()
    mer = small_model.merchants
    kinds = [d["kind"] for _, d in g.nodes(data=True)]
    assert kinds.count("merchant") == mer.active.sum()
    assert kinds.count("service") == small_model.providers.active.sum()
    edges = [d["kind"] for *_, d in g.edges(data=True)]
    assert edges.count("listing") == mer.listed[mer.active].sum()
    assert edges.count("supply") == edges.count("delivery") == mer.active.sum()
    assert edges.count("service") == ((mer.provider >= 0) & mer.active[:, None]).sum()
    sales = sum(d["sales"] for _, d in g.nodes(data=True) if d["kind"] == "merchant")
    assert sales == pytest.approx(small_model.merchant_table()["sales_30d"].sum())


def test_agents_are_mesa_views_onto_the_columns(small_model):
    from ecosim.actors.consumers import Consumer
    from ecosim.actors.merchants import Merchant

    model = small_model
    assert Consumer not in model.agents_by_type  # households' agents are built on first use
    household = model.consumer_agents[5]
    assert len(model.agents_by_type[Consumer]) == model.consumers.n
    model.consumers.trust[5] = 0.123
    assert household.trust == 0.123 and household.cash == model.ledger.balances["households"][5]
    stores = model.agents_by_type[Merchant]
    assert len(stores) == model.merchants.active.sum()  # closed stores' agents are removed
    assert all(a.active for a in stores)
