"""Panels and event logs (docs/outputs.md): they add up to the daily metrics on every day,
every order has one delivery, files are byte-identical for a seed, and recording changes
nothing in the run."""

from __future__ import annotations

import hashlib
import stat
from collections import Counter

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from ecosim import EcosystemModel
from ecosim.actors.merchants import Merchant
from ecosim.cli import main
from ecosim.config import set_dotted, validate_config
from ecosim.io import write_json, write_parquet
from ecosim.recorder import EVENTS, PANELS, file_name
from ecosim.sweep.runner import run_sweep
from ecosim.sweep.spec import load_sweep_file
from ecosim.sweep.store import PANELS_DIR
from tests.conftest import small_config

DAYS = 45
EVERYTHING = [
    f"outputs.panels=[{','.join(PANELS)}]",
    f"outputs.events=[{','.join(EVENTS)}]",
    "outputs.frequency=daily",
    "outputs.household_share=0.2",
    "outputs.flush_days=7",  # several row groups in a short run
    # a mall commission rise mid-run, for the rules log
    "schedule=[{day: 20, key: platforms.0.mall.commission_rate, value: 0.08}]",
    # entries, exits and fakes every few days
    "merchants.entry_rate=3",
    "merchants.exit_window=10",
    "merchants.opportunistic_share=0.3",
    # hires and lay-offs every day: stores staff up with few orders, and fire without delay
    "labour.merchant_orders_per_worker=2",
    "labour.layoff_lag=0",
    "labour.matching_efficiency=1",
    "manufacturers.renegotiation_interval=10",  # contracts renegotiated within the run
]


def _model(tmp_path, *extra: str, seed: int = 5) -> EcosystemModel:
    model = EcosystemModel(small_config(*EVERYTHING, *extra), rng=seed, output_dir=tmp_path)
    model.run(DAYS)
    model.finish_outputs()
    return model


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One small run with every panel and log on, daily; its files and its metrics."""
    folder = tmp_path_factory.mktemp("everything")
    model = _model(folder)
    return folder, model.timeseries()


def _read(folder, name: str) -> pd.DataFrame:
    return pd.read_parquet(folder / file_name(name))


def _per_day(frame: pd.DataFrame, column: str | None = None, how: str = "sum") -> pd.Series:
    """A log's daily count (column None) or sum, on every day of the run (0 when none)."""
    grouped = frame.groupby("day")
    series = grouped.size() if column is None else getattr(grouped[column], how)()
    return series.reindex(range(1, DAYS + 1), fill_value=0).astype(float)


def test_every_file_is_written_and_no_temporary_is_left(run):
    folder, _ = run
    for name in (*PANELS, *EVENTS):
        assert (folder / file_name(name)).is_file(), name
    assert not list(folder.glob(".*tmp"))
    # rows were written as the run went: one row group per flush
    assert pq.ParquetFile(folder / file_name("stores")).num_row_groups == -(-DAYS // 7)


def test_orders_log_and_store_panel_give_the_days_orders_gmv_and_fees(run):
    folder, daily = run
    orders = _read(folder, "orders")
    assert daily["orders"].sum() > 100  # enough to mean something
    np.testing.assert_array_equal(_per_day(orders).to_numpy(), daily["orders"].to_numpy())
    np.testing.assert_allclose(_per_day(orders, "price").to_numpy(), daily["gmv"], rtol=1e-9)
    fees = _per_day(orders, "fee") / _per_day(orders, "price")
    np.testing.assert_allclose(fees.to_numpy(), daily["take_rate"].to_numpy(), rtol=1e-9)
    stores = _read(folder, "stores")
    np.testing.assert_array_equal(_per_day(stores, "orders").to_numpy(), daily["orders"])
    np.testing.assert_allclose(_per_day(stores, "revenue").to_numpy(), daily["gmv"], rtol=1e-9)
    active = stores[stores["active"]].groupby("day").size()
    np.testing.assert_array_equal(active.to_numpy(), daily["active_merchants"].to_numpy())


def test_entries_and_exits_logs_give_the_days_entries_and_exits(run):
    folder, daily = run
    entries, exits = _read(folder, "entries"), _read(folder, "exits")
    assert len(entries) > 0 and len(exits) > 0
    np.testing.assert_array_equal(_per_day(entries), daily["merchant_entries"])
    np.testing.assert_array_equal(_per_day(exits), daily["merchant_exits"])
    # an exit is the last day a store is open in the panel
    stores = _read(folder, "stores")
    last_open = stores[stores["active"]].groupby("store")["day"].max()
    closed = stores[~stores["active"]].groupby("store")["day"].min()
    np.testing.assert_array_equal(
        exits.set_index("store")["day"].sort_index(), closed.reindex(exits["store"]).sort_index()
    )
    assert (last_open.reindex(exits["store"]).fillna(0).to_numpy() < exits["day"].to_numpy()).all()


def test_panels_give_employment_by_sector_and_jobs_log_its_changes(run):
    folder, daily = run
    stores = _read(folder, "stores")
    owners = stores[stores["active"]].groupby("day").size()
    np.testing.assert_array_equal(
        (_per_day(stores, "staff") + owners).to_numpy(), daily["employment_merchants"]
    )
    for panel, sector in (
        ("manufacturers", "employment_manufacturers"),
        ("couriers", "employment_logistics"),
        ("platforms", "employment_platform"),
    ):
        staff = _per_day(_read(folder, panel), "staff")
        np.testing.assert_array_equal(staff.to_numpy(), daily[sector].to_numpy(), err_msg=panel)
    jobs = _read(folder, "jobs")
    assert (jobs["job"] == "layoff").any() and (jobs["job"] == "hire").any()
    for code, metric in (
        ("manufacturers", "employment_manufacturers"),
        ("logistics", "employment_logistics"),
        ("platform", "employment_platform"),
        ("services", "employment_services"),
        ("offline_retail", "employment_offline_retail"),
    ):
        mine = jobs[jobs["sector"] == code]
        net = _per_day(mine[mine["job"] == "hire"]) - _per_day(mine[mine["job"] == "layoff"])
        change = daily[metric].diff().to_numpy()[1:]
        np.testing.assert_array_equal(net.to_numpy()[1:], change, err_msg=code)


def test_platform_panel_gives_revenue_by_source(run):
    folder, daily = run
    plat = _read(folder, "platforms")
    np.testing.assert_allclose(
        _per_day(plat, "revenue").to_numpy(), daily["platform_revenue"], rtol=1e-9, atol=1e-9
    )
    for column in [c for c in plat.columns if c.startswith("revenue_")]:
        np.testing.assert_allclose(
            _per_day(plat, column).to_numpy(),
            daily[f"platform_{column}"].to_numpy(),
            rtol=1e-9,
            atol=1e-9,
            err_msg=column,
        )


def test_every_order_has_one_delivery_and_outcomes_give_the_rates(run):
    folder, daily = run
    orders, deliveries = _read(folder, "orders"), _read(folder, "deliveries")
    due = orders[orders["due_day"] <= DAYS]
    key = ["household", "store", "category"]
    shipped = Counter(map(tuple, due[[*key, "day"]].to_numpy().tolist()))
    delivered = Counter(map(tuple, deliveries[[*key, "shipped_day"]].to_numpy().tolist()))
    assert shipped == delivered
    assert set(deliveries["outcome"].astype(str)) <= {
        "delivered",
        "not_as_described",
        "disputed",
        "lost",
        "refunded",
    }
    disputed = _per_day(deliveries, "disputed") / _per_day(deliveries)
    has = _per_day(deliveries) > 0
    np.testing.assert_allclose(disputed[has].to_numpy(), daily["dispute_rate"][has.to_numpy()])


def test_ratings_log_gives_the_mean_rating_and_fake_reviews(run):
    folder, daily = run
    ratings = _read(folder, "ratings")
    genuine = ratings[~ratings["fake"]]
    mean = _per_day(genuine, "value") / _per_day(genuine)
    has = _per_day(genuine) > 0
    np.testing.assert_allclose(mean[has].to_numpy(), daily["mean_rating"][has.to_numpy()])
    fakes = _per_day(ratings[ratings["fake"]])
    assert fakes.sum() > 0
    np.testing.assert_array_equal(fakes.to_numpy(), daily["fake_reviews"].to_numpy())


def test_rules_and_contracts_logs(run):
    folder, _ = run
    rules = _read(folder, "rules")
    assert rules.to_dict("records") == [
        {"day": 20, "key": "platforms.0.mall.commission_rate", "old": "0.05", "new": "0.08"}
    ]
    contracts = _read(folder, "contracts")
    # every store outside the flagships renegotiates once per interval, staggered by row
    assert len(contracts) > 0 and set(contracts["day"] % 10) == set(range(10))
    assert (contracts["wholesale"] >= contracts["cost"] - 1e-9).all()
    stores = _read(folder, "stores").set_index(["day", "store"])
    agreed = stores.loc[list(zip(contracts["day"], contracts["store"], strict=True)), "wholesale"]
    np.testing.assert_allclose(agreed.to_numpy(), contracts["wholesale"].to_numpy())


def test_same_seed_same_bytes_and_recording_changes_nothing(tmp_path, run):
    folder, daily = run
    again = tmp_path / "again"
    _model(again)
    for name in (*PANELS, *EVENTS):
        first = hashlib.sha256((folder / file_name(name)).read_bytes()).hexdigest()
        second = hashlib.sha256((again / file_name(name)).read_bytes()).hexdigest()
        assert first == second, name
    quiet = EcosystemModel(
        small_config(*EVERYTHING, "outputs.panels=[]", "outputs.events=[]"), rng=5
    )
    quiet.run(DAYS)
    pd.testing.assert_frame_equal(quiet.timeseries(), daily)


def test_default_is_a_weekly_store_panel_in_memory_mesa_style():
    model = EcosystemModel(small_config(), rng=2)
    model.run(15)
    panel = model.datacollector.get_agent_vars_dataframe()
    assert panel.index.names == ["day", "store"]
    assert sorted(panel.index.get_level_values("day").unique()) == [7, 14]
    assert model.state.record.on["stores"] and not model.state.record.on["orders"]
    by_type = model.datacollector.get_agenttype_vars_dataframe(Merchant)
    pd.testing.assert_frame_equal(by_type, panel)
    with pytest.raises(KeyError, match="not recorded"):
        model.events("orders")


def test_a_last_partial_week_is_written_when_the_run_ends(tmp_path):
    """A 10-day run with weekly panels has rows on days 7 and 10 once finished, and the
    panel's orders add up to the run's (none lost in the short last period)."""
    model = EcosystemModel(small_config(), rng=2, output_dir=tmp_path)
    model.run(10)
    model.finish_outputs()
    model.finish_outputs()  # a second call writes nothing more
    panel = pd.read_parquet(tmp_path / file_name("stores"))
    assert sorted(panel["day"].unique()) == [7, 10]
    assert panel["orders"].sum() == pytest.approx(model.timeseries()["orders"].sum())


def test_a_failed_run_leaves_no_file(tmp_path):
    model = EcosystemModel(small_config(*EVERYTHING), rng=1, output_dir=tmp_path)
    model.run(3)
    model.state.record.abort()
    assert list(tmp_path.iterdir()) == []


def test_cli_panels_and_events_options(tmp_path):
    out = tmp_path / "res"
    common = ["run", "configs/baseline.yaml", "--steps", "8", "--set", "consumers.n=400"]
    common += ["--set", "merchants.n_initial=20", "--no-figures", "--out", str(out)]
    assert main([*common, "--panels", "stores,households", "--events", "orders,ratings"]) == 0
    written = sorted(p.name for p in out.glob("*_*.parquet"))
    assert written == sorted(file_name(n) for n in ("stores", "households", "orders", "ratings"))
    # a second run into the folder with fewer outputs leaves none of the first's behind
    assert main([*common, "--panels", "none"]) == 0
    assert sorted(p.name for p in out.glob("*_*.parquet")) == []


def test_cli_unknown_panel_is_refused_with_status_2(tmp_path, capsys):
    out = tmp_path / "res"
    code = main(["run", "configs/baseline.yaml", "--panels", "stores,shops", "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "--panels" in err and "outputs.panels" in err
    assert not out.exists()


def test_a_sweep_runs_files_equal_the_same_run_alone(tmp_path):
    sweep = tmp_path / "keep.yaml"
    sweep.write_text(
        "scenario: configs/baseline.yaml\n"
        "steps: 15\nreplications: 1\nseed: 11\nkeep_panels: true\n"
        "overrides:\n  consumers.n: 300\n  merchants.n_initial: 20\n"
        "  outputs.frequency: daily\n"
        "parameters:\n  platforms.0.mall.commission_rate: [0.0, 0.05]\n"
        "outputs: [gmv]\n"
    )
    out = tmp_path / "out"
    summary = run_sweep(sweep, out, workers=1, progress=False)
    assert summary.done == 2
    runs = pd.read_parquet(out / "runs.parquet")
    base = load_sweep_file(sweep).base
    key = "platforms.0.mall.commission_rate"
    for run_id, seed, rate in runs[["run_id", "seed", key]].itertuples(index=False):
        data = base.model_dump(mode="python")
        set_dotted(data, key, rate)
        alone = tmp_path / f"alone-{run_id}"
        model = EcosystemModel(validate_config(data, "test"), rng=int(seed), output_dir=alone)
        model.run(15)
        model.finish_outputs()
        kept = out / PANELS_DIR / run_id / file_name("stores")
        assert kept.read_bytes() == (alone / file_name("stores")).read_bytes()


def test_atomic_outputs_get_the_mode_an_ordinary_open_gives(tmp_path):
    # mkstemp alone would leave 0o600 whatever the umask
    write_json(tmp_path / "a.json", {"x": 1})
    write_parquet(tmp_path / "b.parquet", pd.DataFrame({"x": [1]}))
    (tmp_path / "plain.txt").write_text("x")
    plain = stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)
    assert plain != 0o600  # the test's premise: the umask lets others read
    for name in ("a.json", "b.parquet"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == plain
