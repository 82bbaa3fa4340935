"""The browser app's read-outs (rendered with ``solara.render``, no browser): headline
numbers as 30-day means, rule changes marked on the time series, charts legible from day 1,
dashed series with dashed legend swatches, distinct edge colours, the time-series download.
"""

from __future__ import annotations

import io

import ipyvuetify as v
import networkx as nx
import pandas as pd
import pytest

pytest.importorskip("solara")


from ecosim.viz.app import KPI_DAYS, create_model, kpis, timeseries_csv
from ecosim.viz.charts import (
    MARKER_DAYS,
    TIME_SERIES,
    RuleChangeMark,
    network_spec,
    time_series_spec,
)
from ecosim.viz.controls import AppSettings
from ecosim.viz.layout import NetworkLayout
from ecosim.viz.vega_view import VegaView
from tests import test_viz
from tests.test_viz import SMALL

# The rendered app and its model: the fixture of test_viz, in its small market (SMALL).
app = test_viz.app


def _step(rc, times: int = 1) -> None:
    button = rc.find(v.Btn, children=["Step"])
    for _ in range(times):
        button.widget.click()


def _time_series(rc) -> dict[str, VegaView]:
    titles = {ts.title for ts in TIME_SERIES}
    return {w.spec["title"]: w for w in rc.find(VegaView).widgets if w.spec.get("title") in titles}


def _layers(spec: dict) -> list[dict]:
    """Every single-view layer of a (possibly nested) layered spec."""
    if "layer" not in spec:
        return [spec]
    return [leaf for layer in spec["layer"] for leaf in _layers(layer)]


# --------------------------------------------------------------------------- headline
def test_headline_numbers_are_labelled_means_of_the_last_30_days():
    days = list(range(1, 41))
    frame = pd.DataFrame(
        {
            "day": days,
            "gmv": [float(d) for d in days],
            # A day with almost no sales and a high fee rate: a plain mean would show it.
            "take_rate": [0.9 if d == 40 else 0.05 for d in days],
            "active_merchants": [100.0] * 40,
        }
    )
    frame.loc[39, "gmv"] = 1.0
    heading, pairs = kpis(frame)
    assert KPI_DAYS == 30
    assert heading == "30-day means (days 11–40):"
    window = frame.tail(30)
    shown = dict(pairs)
    assert shown["GMV"] == f"¥{window['gmv'].mean():,.0f}/day"
    weighted = (window["take_rate"] * window["gmv"]).sum() / window["gmv"].sum()
    assert shown["take rate"] == f"{weighted:.1%}" == "5.1%"  # the plain mean is 7.8%
    assert shown["open stores"] == "100"
    assert kpis(frame.head(1))[0] == "30-day means (day 1):"
    assert kpis(frame.iloc[:0]) == ("", [])


def test_page_shows_the_window_of_its_headline_numbers(app):
    _, rc = app
    _step(rc, times=3)
    heading = rc.find(v.Html, class_="ecosim-kpi-heading").widget.children[0]
    assert heading == "30-day means (days 1–3):"


# --------------------------------------------------------------------------- rule changes
def test_each_rule_change_is_marked_on_every_time_series(app):
    model, rc = app
    _step(rc, times=2)
    slider = next(w for w in rc.find(v.Slider).widgets if w.label.startswith("Mall commission"))
    for value in (0.06, 0.065, 0.07):  # a drag sends several values: the last one counts
        slider.v_model = value
    rc.find(v.Checkbox, label="Escrow").widget.v_model = not model.value.config.platforms[0].escrow
    _step(rc)
    escrow = "on" if model.value.config.platforms[0].escrow else "off"
    expected = [
        {"day": 3, "change": "Mall commission: 7.0%"},
        {"day": 3, "change": f"Escrow: {escrow}"},
    ]
    charts = _time_series(rc)
    assert len(charts) == len(TIME_SERIES)
    for chart in charts.values():
        assert sorted(chart.datasets["changes"], key=str) == sorted(expected, key=str)
        rules = [layer for layer in _layers(chart.spec) if layer["mark"]["type"] == "rule"]
        assert rules and rules[0]["data"] == {"name": "changes"}


def test_scheduled_rule_changes_are_marked_too():
    settings = AppSettings(
        "configs/baseline.yaml",
        (*SMALL, 'schedule=[{"day": 5, "key": "platforms.0.mall.commission_rate", "value": 0.1}]'),
    )
    model = create_model(settings)
    assert model.rule_changes() == [RuleChangeMark(5, "Mall commission: 10.0% (scheduled)")]


# --------------------------------------------------------------------------- legibility
def test_time_series_draw_points_while_the_run_is_short():
    def points(n_days: int) -> list:
        frame = pd.DataFrame({"day": range(1, n_days + 1), "gmv": 1.0, "take_rate": 0.05})
        spec = time_series_spec(frame, TIME_SERIES[0])
        return [layer["mark"].get("point") for layer in _layers(spec) if "point" in layer["mark"]]

    assert points(1) and all(p and p["filled"] for p in points(1))  # day 1 is a visible dot
    assert points(MARKER_DAYS) and all(points(MARKER_DAYS))
    assert not any(points(MARKER_DAYS + 1))  # lines alone once they are long enough


def test_dashed_series_have_dashed_legend_swatches():
    frame = pd.DataFrame({"day": [1, 2], "fraud_rate": [0.1, 0.2], "consumer_trust": [0.5, 0.6]})
    spec = time_series_spec(frame, next(ts for ts in TIME_SERIES if ts.title.startswith("Fraud")))
    lines = [layer for layer in _layers(spec) if layer["mark"]["type"] == "line"]
    assert len(lines) == 2
    for layer in lines:
        colour, dash = layer["encoding"]["color"], layer["encoding"]["strokeDash"]
        # One field, one domain, one legend: Vega-Lite merges them into dashed swatches.
        assert colour["field"] == dash["field"] == "metric"
        assert colour["scale"]["domain"] == dash["scale"]["domain"]
        assert colour["legend"] == dash["legend"]
        assert "strokeDash" not in layer["mark"]  # the dash comes from the encoding
    dashes = dict(zip(dash["scale"]["domain"], dash["scale"]["range"], strict=True))
    assert dashes["fraud rate"] == [1, 0]  # left axis: solid
    assert dashes["consumer trust"][0] > 1  # right axis: dashed


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def test_listing_and_delivery_edges_have_clearly_different_colours():
    g = nx.DiGraph()
    g.add_node("platform:0", kind="platform")
    g.add_node("merchant:0", kind="merchant")
    g.add_node("courier:0", kind="courier")
    g.add_edge("merchant:0", "platform:0", kind="listing")
    g.add_edge("courier:0", "merchant:0", kind="delivery")
    layout = NetworkLayout()
    spec = network_spec(g, layout.update(g), layout.bounds)
    scale = spec["layer"][0]["encoding"]["color"]["scale"]
    colours = dict(zip(scale["domain"], scale["range"], strict=True))
    distance = sum((a - b) ** 2 for a, b in zip(*map(_rgb, colours.values()), strict=True))
    assert distance**0.5 > 150, colours  # on the 0..441 scale of RGB distances


# --------------------------------------------------------------------------- downloads
def test_time_series_download_has_every_day_and_metric(app):
    model, rc = app
    _step(rc, times=3)
    buttons = [w for w in rc.find(v.Btn).widgets if "Time series (CSV)" in w.children]
    assert len(buttons) == 1
    frame = pd.read_csv(io.StringIO(timeseries_csv(model.value)), index_col="day")
    expected = model.value.timeseries()
    assert list(frame.index) == [1, 2, 3]
    assert list(frame.columns) == ["date", *expected.columns]
    assert frame["date"].tolist() == model.value.dates([1, 2, 3])
    pd.testing.assert_frame_equal(
        frame.drop(columns="date"), expected, check_dtype=False, check_names=False
    )


def test_controls_are_explained(app):
    _, rc = app
    templates = [
        getattr(w.template, "template", w.template) for w in rc.find(v.VuetifyTemplate).widgets
    ]
    help_text = " ".join(t for t in templates if "Use Threads" in str(t))
    assert "Render Interval" in help_text and "background thread" in help_text
