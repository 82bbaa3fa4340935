"""The worked analyses of docs/outputs.md on small runs: each reports the sign the model's
mechanisms give, and the loaders read what a run wrote."""

from __future__ import annotations

import numpy as np
import pytest

from ecosim import EcosystemModel
from ecosim.analysis import (
    exit_hazards,
    fee_pass_through,
    first_negative_rating_study,
    load_run,
    maker_switching,
    scan,
)
from ecosim.cli import main
from ecosim.validation.cases import first_negative_rating_run
from tests.conftest import small_config

MORE_ONLINE = ["consumers.n=2000", "merchants.n_initial=60"]


def _run(days: int, seed: int, *overrides: str) -> EcosystemModel:
    model = EcosystemModel(small_config(*MORE_ONLINE, *overrides), rng=seed)
    model.run(days)
    return model


def test_first_negative_rating_lowers_sales_growth_against_controls():
    """Cabral & Hortacsu: a store's sales grow more slowly after its first negative rating
    than those of comparable stores without one (a lower shown rating ranks it lower and
    lowers the quality shoppers expect)."""
    # configs/validation/first_negative_rating.yaml, seed 1: the validation case's run
    stores, ratings = first_negative_rating_run(1)
    study = first_negative_rating_study(stores, ratings, threshold=0.5, window=7)
    assert len(study) >= 10
    assert (study["controls"] > 0).all()
    se = study["effect"].std() / np.sqrt(len(study))
    assert study["effect"].mean() < -se


def test_commission_rise_passes_through_into_the_prices_it_applies_to():
    model = _run(
        120,
        2,
        "outputs.events=[rules]",
        "schedule=[{day: 57, key: platforms.0.mall.commission_rate, value: 0.15}]",
    )
    rules = model.events("rules")
    assert rules["key"].tolist() == ["platforms.0.mall.commission_rate"]
    result = fee_pass_through(model.panel("stores"), rules, window=4)
    treated = result[result["treated"]]
    assert len(treated) >= 5 and (~result["treated"]).sum() >= 5
    assert treated["dlog_price"].mean() > result.loc[~result["treated"], "dlog_price"].mean()
    assert treated["pass_through"].median() > 0


def test_opportunistic_stores_exit_more_often():
    model = _run(150, 3, "outputs.events=[exits]", "merchants.opportunistic_share=0.3")
    hazards = exit_hazards(model.panel("stores"), model.events("exits"), by=["opportunistic"])
    total = hazards.groupby("opportunistic")[["exits", "at_risk"]].sum()
    rate = total["exits"] / total["at_risk"]
    assert total["exits"].sum() > 0
    assert rate[True] > rate[False]
    assert set(hazards["cohort"]) >= {0}


def test_device_orders_switch_makers_less_than_searched_ones():
    model = _run(90, 4, "outputs.events=[orders]", "consumers.iot_adoption=0.5")
    switching = maker_switching(model.events("orders"), model.panel("stores")).set_index("iot")
    assert switching.loc[True, "repeats"] > 100 and switching.loc[False, "repeats"] > 100
    assert switching.loc[True, "switch_rate"] < switching.loc[False, "switch_rate"]


def test_load_run_and_lazy_scans_read_what_the_run_wrote(tmp_path):
    out = tmp_path / "run"
    argv = ["run", "configs/baseline.yaml", "--steps", "10", "--set", "consumers.n=400"]
    argv += ["--set", "merchants.n_initial=20", "--no-figures", "--out", str(out)]
    assert main([*argv, "--events", "orders"]) == 0
    run = load_run(out)
    assert run.available() == ["stores", "orders"]
    orders = run.events("orders")
    gmv = run.timeseries()["gmv"].sum()
    assert orders["price"].sum() == pytest.approx(gmv)
    duckdb_gmv = scan(out, "orders").aggregate("sum(price) AS gmv").fetchall()[0][0]
    assert duckdb_gmv == pytest.approx(gmv)
    polars = pytest.importorskip("polars")
    lazy = scan(out, "orders", engine="polars").select(polars.col("price").sum()).collect()
    assert lazy.item() == pytest.approx(gmv)
    with pytest.raises(Exception, match="--panels households"):
        run.panel("households")
