"""Component tests of the browser app (``ecosim serve``), rendered with ``solara.render``.

No browser: Solara renders the widget tree in-process, and the tests click its buttons and
set its inputs the way the front end would. tests/test_browser.py covers the real browser.
"""

from __future__ import annotations

import math

import ipyvuetify as v
import networkx as nx
import pandas as pd
import pytest

pytest.importorskip("solara")

import solara
import solara.widgets

from ecosim.viz.app import EcosimApp, create_model
from ecosim.viz.charts import TIME_SERIES, network_spec, time_series_spec
from ecosim.viz.controls import RULES, AppSettings, EcosimVizModel, RuleBook
from ecosim.viz.layout import NetworkLayout
from ecosim.viz.vega_view import VegaView

# Small enough for a fast test, online enough that every day has orders.
SMALL = ("consumers.n=500", "merchants.n_initial=30", "consumers.offline_preference=2")
SETTINGS = AppSettings("configs/baseline.yaml", SMALL)


@pytest.fixture
def app():
    """The rendered app and the reactive holding its model; the render is closed after."""
    model = solara.reactive(create_model(SETTINGS))
    _, rc = solara.render(solara.AppLayout(children=[EcosimApp(model=model)]), handle_error=False)
    yield model, rc
    rc.close()


def _click(rc, label: str, times: int = 1) -> None:
    button = rc.find(v.Btn, children=[label])
    button.assert_single()
    for _ in range(times):
        button.widget.click()


def _day_text(rc) -> str:
    return rc.find(v.Html, class_="ecosim-day").widget.children[0]


def _charts(rc) -> dict[str, dict]:
    """Vega-Lite specs on the page (with the data the browser received), by chart title."""
    return {
        w.spec["title"]: {**w.spec, "datasets": w.datasets}
        for w in rc.find(VegaView).widgets
        if w.spec
    }


def _slider(rc, label_start: str) -> v.Slider:
    found = [w for w in rc.find(v.Slider).widgets if w.label.startswith(label_start)]
    assert len(found) == 1, [w.label for w in rc.find(v.Slider).widgets]
    return found[0]


# --------------------------------------------------------------------------- stepping
def test_step_advances_the_model_one_day_per_click(app):
    model, rc = app
    first = model.value
    assert _day_text(rc) == "Day 0"
    _click(rc, "Step", times=3)
    assert model.value is first  # stepping never rebuilds the model
    assert model.value.steps == 3
    assert _day_text(rc) == "Day 3"
    _click(rc, "Step", times=2)
    assert model.value.steps == 5
    assert _day_text(rc) == "Day 5"


def test_plots_get_a_new_row_of_data_every_day(app):
    model, rc = app
    _click(rc, "Step")
    before = _charts(rc)
    _click(rc, "Step", times=2)
    after = _charts(rc)
    for ts in TIME_SERIES:
        assert len(before[ts.title]["datasets"]["ts"]) == 1
        rows = after[ts.title]["datasets"]["ts"]
        assert [r["day"] for r in rows] == [1, 2, 3]
    gmv = [r["GMV"] for r in after["GMV and take rate"]["datasets"]["ts"]]
    frame = model.value.timeseries()
    assert gmv == pytest.approx(frame["gmv"].tolist())
    network = next(s for t, s in after.items() if t.startswith("Ecosystem network"))
    graph = model.value.network()
    assert len(network["datasets"]["nodes"]) == graph.number_of_nodes()
    assert len(network["datasets"]["edges"]) == graph.number_of_edges()


def test_top_stores_table_lists_the_largest_stores(app):
    model, rc = app
    _click(rc, "Step", times=3)
    html = next(
        w.unsafe_innerHTML
        for w in rc.find(solara.widgets.HTML).widgets
        if "ecosim-top" in str(getattr(w, "unsafe_innerHTML", ""))
    )
    best = model.value.merchant_table().nlargest(1, "sales_30d").iloc[0]
    assert f"store {best['merchant']}" in html


# --------------------------------------------------------------------------- rules
def test_rule_slider_changes_the_running_model(app):
    model, rc = app
    _click(rc, "Step", times=2)
    running = model.value
    assert running.config.platforms[0].mall.commission_rate != pytest.approx(0.12)  # a change
    _slider(rc, "Mall commission").v_model = 0.12
    assert model.value is running  # steered, not rebuilt
    assert running.config.platforms[0].mall.commission_rate == pytest.approx(0.12)
    assert _slider(rc, "Mall commission").label == "Mall commission: 12.0%"
    _click(rc, "Step")
    assert running.steps == 3
    assert running.config.platforms[0].mall.commission_rate == pytest.approx(0.12)


@pytest.mark.parametrize(
    ("label", "value", "key"),
    [
        ("Marketplace commission", 0.03, "platforms.0.marketplace.commission_rate"),
        ("Marketplace annual fee", 1500.0, "platforms.0.marketplace.annual_fee"),
        ("Mall annual fee", 12000.0, "platforms.0.mall.annual_fee"),
        ("Ad-bid weight in ranking", 1.7, "platforms.0.ranking.ad_bid"),
        ("Fake-review detection", 0.65, "platforms.0.fake_review_detection"),
        ("Opportunistic entrants", 0.4, "merchants.opportunistic_share"),
    ],
)
def test_each_rule_slider_sets_its_config_key(app, label, value, key):
    from ecosim.config import get_dotted

    model, rc = app
    _slider(rc, label).v_model = value
    assert get_dotted(model.value.config, key) == pytest.approx(value)


def test_escrow_and_reputation_rule_inputs(app):
    model, rc = app
    plat = model.value.config.platforms[0]
    escrow = plat.escrow
    rc.find(v.Checkbox, label="Escrow").widget.v_model = not escrow
    assert plat.escrow is (not escrow)
    other = next(r for r in ("average", "bayesian", "none") if r != plat.reputation_rule)
    rc.find(v.Select, label="Reputation rule").widget.v_model = other
    assert plat.reputation_rule == other


def test_reset_applies_start_parameters_and_keeps_the_rules(app):
    model, rc = app
    _click(rc, "Step", times=2)
    _slider(rc, "Mall commission").v_model = 0.2
    _slider(rc, "Households").v_model = 1000
    seed = rc.find(v.TextField, label="Seed").widget
    seed.v_model = "77"
    seed.fire_event("keyup.enter", None)
    old = model.value
    assert old.config.consumers.n == 500  # start parameters wait for Reset
    _click(rc, "Reset")
    new = model.value
    assert new is not old
    assert new.steps == 0
    assert _day_text(rc) == "Day 0"
    assert new.config.consumers.n == 1000
    assert new.consumers.n == 1000
    assert new.config.seed == 77
    assert new.config.platforms[0].mall.commission_rate == pytest.approx(0.2)
    # The base config's other settings survive the rebuild.
    assert new.config.merchants.n_initial == 30
    _click(rc, "Step")
    assert new.steps == 1


def test_reset_shows_the_new_models_network(app):
    model, rc = app
    _click(rc, "Step")
    first = next(s for t, s in _charts(rc).items() if t.startswith("Ecosystem"))
    _slider(rc, "Stores at start").v_model = 60
    _click(rc, "Reset")
    _click(rc, "Step")
    second = next(s for t, s in _charts(rc).items() if t.startswith("Ecosystem"))
    stores = [n for n in second["datasets"]["nodes"] if n["kind"] == "merchant"]
    assert len(stores) > len([n for n in first["datasets"]["nodes"] if n["kind"] == "merchant"])
    assert {n["node"] for n in second["datasets"]["nodes"]} == set(model.value.network().nodes)


# --------------------------------------------------------------------------- model wrapper
def test_viz_model_maps_flat_keywords_to_config_keys():
    rules = RuleBook.from_config(SETTINGS.load())
    rules.values["escrow"] = False
    rules.values["reputation_rule"] = "average"
    model = EcosimVizModel(
        seed="5", n_consumers=700, n_merchants=25, iot_adoption=0.3, rules=rules,
        settings=SETTINGS,
    )  # fmt: skip
    cfg = model.config
    assert (cfg.seed, cfg.consumers.n, cfg.merchants.n_initial) == (5, 700, 25)
    assert cfg.consumers.iot_adoption == pytest.approx(0.3)
    assert cfg.platforms[0].escrow is False
    assert cfg.platforms[0].reputation_rule == "average"


def test_set_rule_rejects_values_outside_the_schema():
    from pydantic import ValidationError

    model = create_model(SETTINGS)
    before = model.rule("mall_commission")
    with pytest.raises(ValidationError):
        model.set_rule("mall_commission", 1.5)  # the schema allows at most 0.9
    assert model.rule("mall_commission") == before
    assert set(model.rules.values) == set(RULES)


# --------------------------------------------------------------------------- views
def _star(n_stores: int) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_node("platform:0", kind="platform", label="p", sales=1.0)
    for f in range(4):
        g.add_node(f"manufacturer:{f}", kind="manufacturer", label=f"m{f}", sales=1.0)
    for m in range(n_stores):
        g.add_node(f"merchant:{m}", kind="merchant", label=f"s{m}", sales=float(m))
        g.add_edge(f"merchant:{m}", "platform:0", kind="listing")
        g.add_edge(f"manufacturer:{m % 4}", f"merchant:{m}", kind="supply")
    return g


def test_layout_is_computed_once_and_entrants_join_their_platform_ring():
    g = _star(40)
    layout = NetworkLayout(seed=3)
    first = dict(layout.update(g))
    assert layout.full_layouts == 1
    # One store leaves, one enters (listed on the platform, supplied by maker 2).
    g.remove_node("merchant:5")
    g.add_node("merchant:99", kind="merchant", label="new", sales=0.0)
    g.add_edge("merchant:99", "platform:0", kind="listing")
    g.add_edge("manufacturer:2", "merchant:99", kind="supply")
    pos = layout.update(g)
    assert layout.full_layouts == 1  # never recomputed
    assert set(pos) == set(g.nodes)
    assert all(pos[n] == first[n] for n in g.nodes if n != "merchant:99")
    hub = pos["platform:0"]
    ring = sorted(math.dist(pos[f"merchant:{m}"], hub) for m in range(40) if m != 5)
    r_new = math.dist(pos["merchant:99"], hub)
    assert ring[len(ring) // 10] <= r_new * 1.5 and r_new <= ring[-1] * 1.5
    # Same seed, same picture.  A firm without links goes on the outer ring.
    g.add_node("service:0", kind="service", label="svc", sales=0.0)
    r_service = math.dist(layout.update(g)["service:0"], layout.centre)
    assert r_service == pytest.approx(layout.ring)
    assert NetworkLayout(seed=3).update(_star(40)) == first


def test_network_spec_has_every_node_and_edge_with_its_kind():
    g = _star(10)
    layout = NetworkLayout()
    spec = network_spec(g, layout.update(g), layout.bounds)
    nodes = spec["datasets"]["nodes"]
    assert {n["node"] for n in nodes} == set(g.nodes)
    assert {n["kind"] for n in nodes} == {"platform", "manufacturer", "merchant"}
    assert (
        sorted(e["kind"] for e in spec["datasets"]["edges"]) == ["listing"] * 10 + ["supply"] * 10
    )


def test_time_series_skip_missing_columns_and_turn_nan_into_none():
    frame = pd.DataFrame({"day": [1, 2, 3], "gmv": [10.0, float("nan"), 30.0]})
    gmv = time_series_spec(frame, TIME_SERIES[0])  # GMV and take rate; take_rate absent
    rows = gmv["datasets"]["ts"]
    assert rows == [{"day": 1.0, "GMV": 10.0}, {"day": 2.0, "GMV": None},
                    {"day": 3.0, "GMV": 30.0}]  # fmt: skip
    assert "take rate" not in str(gmv["layer"] if "layer" in gmv else gmv["transform"])
    employment = next(ts for ts in TIME_SERIES if ts.title.startswith("Employment"))
    assert time_series_spec(frame, employment) is None
    assert time_series_spec(frame.iloc[:0], TIME_SERIES[0]) is None


def test_seed_that_is_not_a_whole_number_is_refused():
    with pytest.raises(ValueError, match="Seed must be a whole number"):
        EcosimVizModel(seed="12a", settings=SETTINGS)
    with pytest.raises(ValueError, match="Seed must be a whole number"):
        EcosimVizModel(seed="-3", settings=SETTINGS)


def test_the_services_sector_is_charted():
    """Service jobs in the employment chart, and a chart of service-tool use and paying stores
    (the network's provider nodes: tests/test_model.py)."""
    employment = next(ts for ts in TIME_SERIES if ts.title.startswith("Employment"))
    assert "employment_services" in employment.columns
    services = next(ts for ts in TIME_SERIES if ts.title.startswith("Service tools"))
    frame = pd.DataFrame(
        {
            "day": [1, 2],
            "service_tool_share": [0.8, 0.85],
            "service_paying_share": [0.1, 0.09],
            "employment_services": [12.0, 13.0],
        }
    )
    rows = time_series_spec(frame, services)["datasets"]["ts"]
    assert rows[1] == {
        "day": 2.0,
        "use any tool": 0.85,
        "pay for a service": 0.09,
        "service jobs": 13.0,
    }
