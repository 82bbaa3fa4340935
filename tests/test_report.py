"""``ecosim report`` on every kind of sweep, and the rounding and labels it shares.

The sweeps are tiny real runs (300 households, 20 stores, 8 days, one worker).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from ecosim.cli import main
from ecosim.labels import (
    METRIC_LABELS,
    format_estimate,
    format_value,
    metric_label,
    parameter_labels,
)
from ecosim.metrics import METRICS
from ecosim.sweep import run_sweep

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "configs" / "baseline.yaml"

ONE_REPLICATION_GRID = f"""\
scenario: {BASELINE}
steps: 8
replications: 1
seed: 7
design: grid
overrides:
  consumers.n: 300
  merchants.n_initial: 20
parameters:
  platforms.0.mall.commission_rate: [0.0, 0.05]
  platforms.0.escrow: [true, false]
outputs: [gmv, take_rate, employment_total]
"""


@pytest.fixture(scope="module")
def one_replication_grid(tmp_path_factory) -> Path:
    """A finished 2 x 2 grid sweep with a single replication per point."""
    folder = tmp_path_factory.mktemp("grid1")
    (folder / "grid1.yaml").write_text(ONE_REPLICATION_GRID)
    summary = run_sweep(folder / "grid1.yaml", folder / "out", workers=1, progress=False)
    assert (summary.done, summary.failed) == (4, 0)
    return folder / "out"


def test_report_of_a_one_replication_grid_sweep(one_replication_grid, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", str(one_replication_grid), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out / "report.md")
    text = (out / "report.md").read_text()
    assert "4 points x 1 replications = 4 runs" in text
    # Parameters keep the part of their key that says what they are.
    assert "| mall.commission_rate | platforms.0.escrow |" in text
    assert "| commission_rate |" not in text
    # One replication: values without a spread (an sd of one run is undefined).
    assert "±" not in text.split("## Outcomes", 1)[1]
    runs = pd.read_parquet(one_replication_grid / "runs.parquet").set_index("point")
    for point, row in runs.iterrows():
        final = format_value(float(row["gmv_final"]))
        mean = format_value(float(row["gmv_mean"]))
        assert re.search(
            rf"\| {point} \|[^\n]*\| 1 \| {re.escape(final)} \| {re.escape(mean)} \|", text
        )
    for name in ["outcomes_gmv.png", "outcomes_take_rate.png", "timeseries.png"]:
        assert (out / name).stat().st_size > 1000
        assert f"]({name})" in text


def test_numbers_are_rounded_to_meaningful_digits():
    assert format_value(0.016666666666666666) == "0.01667"
    assert format_value(0.05) == "0.05"
    assert format_value(123456.789) == "123,457"
    assert format_value(2.0) == "2"
    assert format_value(-0.5) == "-0.5"
    assert format_value(1.5e-7) == "1.5e-07"
    assert format_value(float("nan")) == "–"
    assert format_value(10000) == "10,000"
    assert format_value(True) == "True"
    assert format_estimate(0.7994, 0.001714) == "0.7994 ± 0.0017"
    assert format_estimate(56789.0, 1234.0) == "56,800 ± 1,200"
    assert format_estimate(3.0, 0.25) == "3.00 ± 0.25"
    assert format_estimate(0.8, float("nan")) == "0.8"
    assert format_estimate(0.8, 0.0) == "0.8"


def test_parameter_labels_keep_their_prefix_and_stay_unique():
    labels = parameter_labels(
        [
            "platforms.0.mall.commission_rate",
            "platforms.0.escrow",
            "consumers.iot_adoption",
            "platforms.1.mall.commission_rate",
        ]
    )
    assert labels == {
        "platforms.0.mall.commission_rate": "platforms.0.mall.commission_rate",
        "platforms.0.escrow": "platforms.0.escrow",
        "consumers.iot_adoption": "consumers.iot_adoption",
        "platforms.1.mall.commission_rate": "platforms.1.mall.commission_rate",
    }
    assert parameter_labels(["platforms.0.mall.commission_rate"]) == {
        "platforms.0.mall.commission_rate": "mall.commission_rate"
    }


def test_every_metric_has_words_and_its_unit():
    assert set(METRIC_LABELS) <= set(METRICS)
    for name, (unit, _) in METRICS.items():
        label = metric_label(name)
        assert not label.startswith(name) and "_" not in label, label
        assert label.endswith(f"({unit})"), label
    assert metric_label("platform_share_taobao") == "Platform taobao's share (share of GMV)"
    assert metric_label("some_new_metric", unit=False) == "Some new metric"
