"""The browser app: Mesa's SolaraViz with ecosim's rule controls and views.

``ecosim serve`` runs it; ``solara run ecosim.viz.app:Page`` does too. SolaraViz supplies the
side bar (Step, Play/Pause, Reset, play and render intervals, the start parameters and the
current time). This module adds a *Rules* card that steers the running model and the main
area's views: the ecosystem network, time series of the metrics, the stores' market shares
and a table of the largest stores.

The views are laid out in a fixed grid rather than SolaraViz's draggable one, whose grid
library (vue-grid-layout 2) does not load with the Vue 3 front end Solara now uses: with it
SolaraViz's main area stays empty. So SolaraViz gets no components of its own, and the views
are rendered next to it, refreshed by the same update counter its controls bump.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pandas as pd
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from ecosim.config import get_dotted
from ecosim.viz.charts import (
    TIME_SERIES,
    market_share_spec,
    network_spec,
    time_series_spec,
    top_merchants,
)
from ecosim.viz.controls import (
    RULES,
    START,
    AppSettings,
    EcosimVizModel,
    RuleBook,
    start_params,
)
from ecosim.viz.layout import NetworkLayout
from ecosim.viz.vega_view import VegaView

__all__ = [
    "KPI_DAYS",
    "ChartSpec",
    "ControlsHelp",
    "Dashboard",
    "EcosimApp",
    "Page",
    "RulesCard",
    "VegaChart",
    "create_model",
    "kpis",
    "timeseries_csv",
]

PLAY_INTERVAL_MS = 100  # pause between days while playing; a day plus redraw takes less


def create_model(settings: AppSettings | None = None) -> EcosimVizModel:
    """A model of a new session: the base config, with its rules in a fresh :class:`RuleBook`.

    Args:
        settings: Base config file and overrides; default: from the environment.
    """
    settings = settings or AppSettings.from_env()
    rules = RuleBook.from_config(settings.load())
    return EcosimVizModel(rules=rules, settings=settings)


class ChartSpec:
    """A Vega-Lite spec in an opaque box.

    Reacton walks every list and dict in a component's arguments looking for child
    elements; a spec holds the chart's data (hundreds of records), and walking it cost more
    than simulating the day. Boxed, the spec is passed through untouched.

    Args:
        spec: The Vega-Lite spec with its data in ``datasets``, or None when the chart has
            nothing to show.
    """

    __slots__ = ("spec",)

    def __init__(self, spec: dict | None) -> None:
        self.spec = spec


@solara.component
def VegaChart(chart: ChartSpec, missing: str = "not available") -> Any:
    """A Vega-Lite chart that streams new data into the drawn chart.

    Args:
        chart: The spec; a new box each frame (the widget is updated in place).
        missing: Text shown instead when the spec is None.
    """
    if chart.spec is None:
        return solara.Info(missing, dense=True)
    return _VegaWidget(chart)


@solara.component
def _VegaWidget(chart: ChartSpec) -> Any:
    el = VegaView.element()

    def push() -> None:
        # Set the traits on the live widget directly, for the reason in ChartSpec. The
        # structure rarely changes (traitlets sends it only when it differs); the data does.
        widget = solara.get_widget(el)
        spec = chart.spec or {}
        with widget.hold_sync():
            widget.spec = {k: val for k, val in spec.items() if k != "datasets"}
            widget.datasets = spec.get("datasets", {})

    solara.use_effect(push, [chart])
    return el


@solara.component
def RuleInput(name: str, value: Any, on_change: Callable[[str, Any], None]) -> None:
    """One rule's input, its current value in the label (Mesa's inputs show it only while
    dragging, and a rule's value is what the user studies)."""
    c = RULES[name]

    def changed(v: Any) -> None:
        on_change(name, v)

    if c.type == "Checkbox":
        solara.Checkbox(label=c.show(value), value=bool(value), on_value=changed)
    elif c.type == "Select":
        solara.Select(c.show(value), value=value, values=list(c.values), on_value=changed)
    else:
        p = c.param(value)
        slider = solara.SliderInt if c.type == "SliderInt" else solara.SliderFloat
        slider(c.show(value), value=value, min=p["min"], max=p["max"], step=p["step"],
               on_value=changed)  # fmt: skip


@solara.component
def RulesCard(model: solara.Reactive[EcosimVizModel]) -> None:
    """Rule inputs that change the running model at once (and are kept through Reset).

    Args:
        model: The session's model; rules go to whatever model it holds now.
    """
    rules = model.value.rules or RuleBook.from_config(model.value.config)
    values = solara.use_reactive(dict(rules.values))
    error = solara.use_reactive("")

    def on_change(name: str, value: Any) -> None:
        try:
            model.value.set_rule(name, value)
        except Exception as exc:  # a value the schema refuses: show it, keep the old rule
            error.set(f"{RULES[name].label}: {exc}")
            return
        error.set("")
        rules.values[name] = model.value.rule(name)
        values.set(dict(rules.values))

    platform = model.value.config.platforms[0].name
    with solara.Card("Rules (apply now)", classes=["ecosim-rules"]):
        solara.Text(
            f"Platform '{platform}'. A change applies from the next day, and Reset keeps it "
            "(then the opportunistic share applies to all stores, not only entrants).",
            style={"font-size": "0.8rem", "opacity": "0.7"},
        )
        for name in RULES:
            RuleInput(name, values.value[name], on_change)
        if error.value:
            solara.Error(error.value, dense=True)


_CONTROLS_HELP = """\
* **Step**: simulate one day. **▶ / ❚❚**: play / pause.
* **Reset**: a new run from day 0 with the *Model Parameters* (they shape the initial
  population, so they apply only then); the rules below are kept.
* **Play Interval**: pause between days while playing (ms).
* **Render Interval**: days simulated per redraw; raise it to fast-forward.
* **Use Threads**: simulate in a background thread while playing, so the page answers
  clicks at once; charts may then skip days. Leave it off unless the page feels slow.
* **Information, Time**: days simulated (the same as the day above the charts).
"""


@solara.component
def ControlsHelp() -> None:
    """What SolaraViz's controls do, in a fold-out below them."""
    with (
        solara.Card(margin=0, classes=["ecosim-help"]),
        solara.Details("What the controls do", expand=False),
    ):
        solara.Markdown(_CONTROLS_HELP, style={"font-size": "0.8rem"})


@solara.component
def _RulesSidebar(model: solara.Reactive[EcosimVizModel]) -> None:
    # Solara orders side-bar content by component depth; one level deeper than SolaraViz's
    # own side bar puts the rules below its Controls card.
    with solara.Sidebar():
        ControlsHelp()
        RulesCard(model)


@solara.component
def RulesSidebar(model: solara.Reactive[EcosimVizModel]) -> None:
    """The rules card, in the side bar below SolaraViz's controls."""
    _RulesSidebar(model)


#: Days averaged in the headline numbers.
KPI_DAYS = 30

# Headline metric -> (label, format of its mean).
_KPIS: dict[str, tuple[str, Callable[[float], str]]] = {
    "gmv": ("GMV", lambda v: f"¥{v:,.0f}/day"),
    "take_rate": ("take rate", lambda v: f"{v:.1%}"),
    "active_merchants": ("open stores", lambda v: f"{v:,.0f}"),
    "hhi": ("HHI", lambda v: f"{v:,.3f}"),
    "fraud_rate": ("fraud rate", lambda v: f"{v:.2%}"),
    "consumer_trust": ("trust", lambda v: f"{v:.2f}"),
    "iot_order_share": ("IoT orders", lambda v: f"{v:.1%}"),
    "unemployment_rate": ("unemployment", lambda v: f"{v:.1%}"),
    "service_paying_share": ("stores paying for services", lambda v: f"{v:.1%}"),
}


def kpis(frame: pd.DataFrame) -> tuple[str, list[tuple[str, str]]]:
    """Headline numbers: means over the last :data:`KPI_DAYS` days.

    A single day is noisy (a day with few sales and a fine shows a take rate of 90%), so
    each number is a mean over the window; the take rate is weighted by GMV, as the
    platform's income over its sales.

    Args:
        frame: Daily metrics with a ``day`` column.

    Returns:
        A heading naming the days averaged, and (label, text) pairs; no pairs before day 1.
    """
    if frame.empty:
        return "", []
    window = frame.tail(KPI_DAYS)
    first, last = int(window["day"].iloc[0]), int(window["day"].iloc[-1])
    days = f"day {last}" if first == last else f"days {first}–{last}"
    heading = f"{KPI_DAYS}-day means ({days}):"
    means = window.mean(numeric_only=True)
    if "take_rate" in window and "gmv" in window and window["gmv"].sum() > 0:
        means["take_rate"] = (window["take_rate"] * window["gmv"]).sum() / window["gmv"].sum()
    pairs = [(label, f(float(means[col]))) for col, (label, f) in _KPIS.items() if col in means]
    return heading, pairs


def timeseries_csv(model: EcosimVizModel) -> str:
    """The run's daily metrics as CSV text: ``day``, ``date``, then every metric."""
    frame = model.views()[0].set_index("day")
    frame.insert(0, "date", model.dates(frame.index))
    return frame.to_csv()


@solara.component
def Dashboard(model: EcosimVizModel) -> None:
    """The main area: day and headline numbers, network, shares, table, time series.

    Args:
        model: The model to show; a new model (after Reset) gets a new network layout.
    """
    update_counter.get()  # redraw whenever SolaraViz's Step/Play/Reset bumps the counter
    # One layout per model, extended frame by frame (never recomputed).
    layout = solara.use_memo(NetworkLayout, [model])
    frame, table, graph = model.views()
    changes = model.rule_changes()
    pos = layout.update(graph)
    # One callable per model (a new one each frame would reset the download button); it
    # reads the time series only when the button is clicked.
    download = solara.use_memo(lambda: lambda: timeseries_csv(model), [model])
    n_platforms = len(model.config.platforms)

    with solara.Column(style={"padding": "0 8px", "gap": "8px"}):
        heading, pairs = kpis(frame)
        with solara.Row(style={"align-items": "baseline", "flex-wrap": "wrap", "gap": "18px"}):
            solara.Text(
                f"Day {model.steps}",
                classes=["ecosim-day"],
                style={"font-size": "1.6rem", "font-weight": "600"},
            )
            if heading:
                solara.Text(heading, classes=["ecosim-kpi-heading"])
            for label, text in pairs:
                solara.Text(f"{label}: {text}", classes=["ecosim-kpi"])
        solara.Text(
            "This run: "
            + ", ".join(c.show(get_dotted(model.config, c.key)) for c in START.values())
            + " (change them under Model Parameters, then Reset)",
            style={"font-size": "0.8rem", "opacity": "0.7"},
        )
        with solara.Columns([1, 1]):
            with solara.Card(margin=0, classes=["ecosim-network"]):
                VegaChart(ChartSpec(network_spec(graph, pos, layout.bounds)))
            with solara.Column(gap="8px"):
                with solara.Card(margin=0, classes=["ecosim-shares"]):
                    VegaChart(ChartSpec(market_share_spec(table)), missing="no open stores")
                with solara.Card("Top stores (30-day sales)", margin=0):
                    solara.HTML(
                        tag="div",
                        unsafe_innerHTML=top_merchants(table, platforms=n_platforms).to_html(
                            index=False, border=0, classes="ecosim-top"
                        ),
                        style={"font-size": "0.78rem", "overflow-x": "auto"},
                    )
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "12px"}):
            solara.Text(
                "Time series: daily values. Dotted grey lines: rule changes (hover for what "
                "changed). Each chart's ⋯ menu saves it as SVG or PNG.",
                style={"font-size": "0.8rem", "opacity": "0.7"},
            )
            solara.FileDownload(
                download,
                filename="ecosim-timeseries.csv",
                label="Time series (CSV)",
                mime_type="text/csv",
            )
        with solara.GridFixed(columns=3):
            for ts in TIME_SERIES:
                with solara.Card(margin=0, classes=["ecosim-ts"]):
                    VegaChart(
                        ChartSpec(time_series_spec(frame, ts, changes)),
                        missing=(
                            f"{ts.title}: no day simulated yet (Step or Play)"
                            if frame.empty
                            else f"{ts.title}: not reported by this model version"
                        ),
                    )
    solara.Style(_CSS)


_CSS = """
.ecosim-top { border-collapse: collapse; width: 100%; }
.ecosim-top th, .ecosim-top td { padding: 2px 6px; text-align: right; white-space: nowrap; }
.ecosim-top th { border-bottom: 1px solid #999; }
.ecosim-top td:nth-child(-n+4), .ecosim-top th:nth-child(-n+4) { text-align: left; }
.ecosim-kpi { font-size: 0.95rem; }
.ecosim-kpi-heading { font-size: 0.8rem; opacity: 0.7; }
/* SolaraViz's own sliders (controls, model parameters) show no value; keep their thumb
   label, which Vuetify shows only while dragging, always visible. The rules' sliders show
   their value, formatted, in their label instead. */
.v-navigation-drawer .v-card:not(.ecosim-rules) .v-slider { margin-top: 26px; }
.v-navigation-drawer .v-card:not(.ecosim-rules) .v-slider-thumb__label-container {
  display: block !important;
}
"""


@solara.component
def EcosimApp(
    model: solara.Reactive[EcosimVizModel] | None = None,
    settings: AppSettings | None = None,
) -> None:
    """The whole app: SolaraViz's controls, the rule card and the dashboard.

    Args:
        model: The session's model as a reactive value (tests pass one to inspect it);
            default: a new model of ``settings``, owned by this component.
        settings: Base config for a new model; default: from the environment.
    """
    initial = solara.use_memo(lambda: create_model(settings) if model is None else None, [])
    # ``initial`` is None only when the caller passes ``model``, and then ``own`` is unused.
    own: solara.Reactive[EcosimVizModel] = solara.use_reactive(cast(EcosimVizModel, initial))
    current = model if model is not None else own
    base_settings = current.value.settings
    rules = current.value.rules
    params = solara.use_memo(
        lambda: {
            **start_params(base_settings.load()),
            # Fixed (non-input) parameters: Reset passes them unchanged to the new model.
            "rules": rules,
            "settings": base_settings,
        },
        [],
    )
    SolaraViz(
        current,
        components=[],
        model_params=params,
        name="ecosim: e-commerce ecosystem",
        play_interval=PLAY_INTERVAL_MS,
    )
    RulesSidebar(current)
    Dashboard(current.value)


@solara.component
def Page() -> None:
    """The page Solara serves (config from ``ecosim serve``'s environment variables)."""
    EcosimApp()
