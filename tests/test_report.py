"""``ecosim report`` on every kind of sweep, the figures of ``ecosim run`` and ``ecosim
report`` (one style: labels in words with units, no empty panel, legends clear of the data,
bands explained), and the rounding and labels they share.

The sweeps are tiny real runs (300 households, 20 stores, 8 days, one worker).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ecosim import EcosystemModel
from ecosim.analysis import load_sweep
from ecosim.cli import main
from ecosim.config import load_config
from ecosim.labels import (
    METRIC_LABELS,
    format_estimate,
    format_value,
    metric_label,
    parameter_labels,
)
from ecosim.metrics import METRICS
from ecosim.plots import FIGURES, SMOOTHING_DAYS, network_figure, run_figures, smooth
from ecosim.report import (
    effect_caption,
    effect_figure,
    outcome_caption,
    outcome_figure,
    sobol_figure,
    timeseries_figure,
)
from ecosim.simulate import run_simulation
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


# --------------------------------------------------------------------------- figures
def _oneline(label: str) -> str:
    return " ".join(label.split())


def _check_figure(fig: Figure, name: str) -> None:
    """Labels in words, no empty panel, legends outside the data, a caption."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    raw = set(METRICS)
    for ax in fig.axes:
        drawn = ax.lines or ax.collections or ax.patches or ax.containers
        if not ax.axison:  # a panel with nothing to draw says so in words
            assert not drawn and any(t.get_text().strip() for t in ax.texts), name
            continue
        assert drawn, f"{name}: an empty panel"
        data = np.concatenate(
            [np.ravel(line.get_ydata()) for line in ax.lines]
            + [np.ravel(c.get_paths()[0].vertices[:, 1]) for c in ax.collections if c.get_paths()]
            + [np.array([p.get_height() for p in ax.patches], dtype=float)]
        ).astype(float)
        assert np.any(np.isfinite(data) & (data != 0)), f"{name}: a panel of zeros"
        for label in map(_oneline, (ax.get_ylabel(), ax.get_xlabel(), ax.get_title())):
            assert label not in raw and not any(m in label for m in raw if "_" in m), label
        legend = ax.get_legend()
        if legend is not None:
            box = legend.get_window_extent(renderer)
            assert box.x0 >= ax.get_window_extent(renderer).x1 - 1, f"{name}: legend on data"
            for text in legend.get_texts():
                assert text.get_text() not in raw
    for legend in fig.legends:  # figure legends sit outside every panel
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            assert not box.overlaps(ax.get_window_extent(renderer)), f"{name}: legend on data"
    assert fig.get_suptitle()
    assert fig.get_supxlabel(), f"{name}: no caption"


def test_run_figures_are_labelled_in_words_without_empty_panels():
    frame = run_simulation(
        load_config(BASELINE, ["consumers.n=300", "merchants.n_initial=20",
                               "consumers.iot_adoption=0"]),
        steps=10,
        seed=1,
    )  # fmt: skip
    assert (frame["iot_order_share"] == 0).all()  # the case of an all-zero panel
    figures = run_figures(frame)
    assert set(figures) == set(FIGURES)
    for name, fig in figures.items():
        _check_figure(fig, name)
        assert f"{SMOOTHING_DAYS}-day rolling means" in fig.get_supxlabel()
    # Employment: one axis, sectors stacked, so the top is the total.
    (employment,) = figures["employment"].axes
    assert len(employment.collections) == len(FIGURES["employment"].metrics)
    top = employment.collections[-1].get_paths()[0].vertices[:, 1].max()
    total = smooth(frame["employment_total"]).max()
    assert top == pytest.approx(total)
    # IoT: the all-zero share is not drawn, and the figure says so.
    iot = figures["iot"]
    assert [_oneline(ax.get_ylabel()) for ax in iot.axes] == [metric_label("bullwhip_ratio")]
    assert "IoT share of online orders" in iot.get_supxlabel()


def test_a_figure_with_nothing_to_draw_says_so():
    frame = pd.DataFrame(
        {"iot_order_share": 0.0, "bullwhip_ratio": np.nan}, index=pd.RangeIndex(1, 6, name="day")
    )
    fig = run_figures(frame)["iot"]
    assert not fig.axes
    assert any("No IoT orders in this run" in t.get_text() for t in fig.texts)


def test_report_figures_are_labelled_in_words_with_bands_explained(one_replication_grid):
    results = load_sweep(one_replication_grid)
    for output in results.outputs:
        fig = outcome_figure(results, output)
        _check_figure(fig, output)
        assert fig.axes[0].get_ylabel().startswith(metric_label(output, unit=False))
    caption = outcome_caption(results)
    assert "One run per design point" in caption and "Colours" in caption
    timeseries = timeseries_figure(results)
    _check_figure(timeseries, "timeseries")
    assert [_oneline(ax.get_ylabel()) for ax in timeseries.axes] == [
        metric_label(o) for o in results.outputs
    ]
    indices = pd.DataFrame(
        {
            "output": "gmv",
            "stat": ["final", "final", "mean", "mean"],
            "parameter": ["platforms.0.mall.commission_rate", "platforms.0.escrow"] * 2,
            "S1": [0.6, 0.2, 0.5, 0.3],
            "S1_conf": 0.05,
            "ST": [0.7, 0.3, 0.6, 0.4],
            "ST_conf": 0.05,
        }
    )
    sobol = sobol_figure(indices, "gmv")
    _check_figure(sobol, "sobol")
    assert "95% bootstrap" in sobol.get_supxlabel()
    labels = [t.get_text() for t in sobol.axes[0].get_xticklabels()]
    assert labels == ["mall.commission_rate", "platforms.0.escrow"]


def test_study_effect_figure_draws_each_output_with_its_band_explained(one_replication_grid):
    results = load_sweep(one_replication_grid)
    commission, escrow = "platforms.0.mall.commission_rate", "platforms.0.escrow"
    fig = effect_figure(results, commission, ["gmv", "take_rate"], hue=escrow)
    _check_figure(fig, "effect")
    assert [_oneline(ax.get_ylabel()) for ax in fig.axes[:2]] == [
        metric_label("gmv"),
        metric_label("take_rate"),
    ]
    assert "One run per design point" in fig.get_supxlabel()
    # escrow pooled: the band covers its levels, and the caption says so
    pooled = effect_caption(results, commission)
    assert "levels of platforms.0.escrow" in pooled and "5th to 95th percentile" in pooled
    fixed = effect_figure(results, commission, ["gmv"], where={escrow: True})
    _check_figure(fixed, "effect, escrow fixed")
    assert "Runs with platforms.0.escrow = True" in fixed.get_supxlabel()
    line = fixed.axes[0].lines[0]
    assert list(line.get_xdata()) == [0.0, 0.05]  # one point per commission, escrow runs only
    runs = results.outcomes.query("output == 'gmv' and stat == 'mean' and `platforms.0.escrow`")
    np.testing.assert_allclose(
        line.get_ydata(), runs.sort_values(commission)["value"].to_numpy(), rtol=1e-12
    )


def test_network_figure_draws_every_kind_of_actor():
    model = EcosystemModel(
        load_config(BASELINE, ["consumers.n=300", "merchants.n_initial=20"]), rng=3
    )
    model.run(5)
    graph = model.network()
    fig = network_figure(graph)
    FigureCanvasAgg(fig).draw()
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    kinds = {data["kind"] for _, data in graph.nodes(data=True)}
    assert len(legend) == len(kinds)
    stores = sum(1 for _, data in graph.nodes(data=True) if data["kind"] == "merchant")
    assert f"Stores ({stores})" in legend
    assert "30-day sales" in fig.get_supxlabel()
