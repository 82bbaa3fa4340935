"""Vega-Lite specifications (built with Altair) of the app's views, as plain dicts.

Every builder takes plain data (a metrics frame, a graph with positions, a merchant table)
and returns a spec dict, so the views can be tested without a browser. Specs are made with
``to_dict(validate=False)``: schema validation costs more than drawing a frame, and the
builders are covered by tests instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, NamedTuple

import altair as alt
import networkx as nx
import pandas as pd

__all__ = [
    "KIND_COLORS",
    "MARKER_DAYS",
    "TIME_SERIES",
    "RuleChangeMark",
    "TimeSeries",
    "market_share_spec",
    "network_spec",
    "time_series_spec",
    "top_merchants",
]

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
KIND_COLORS = {
    "platform": "#D55E00",
    "manufacturer": "#0072B2",
    "merchant": "#009E73",
    "courier": "#E69F00",
    "service": "#CC79A7",
}
# Listing edges (the most numerous) are black, not the platform's vermillion, which sits
# too close to the couriers' orange for listing and delivery to be told apart.
_EDGE_COLORS = {"listing": "#000000", "supply": "#0072B2", "delivery": "#E69F00",
                "service": "#CC79A7"}  # fmt: skip


class RuleChangeMark(NamedTuple):
    """A rule change to mark on the time series.

    Attributes:
        day: First simulated day the change applies to.
        text: What changed, e.g. ``Mall commission: 7.0%``.
    """

    day: int
    text: str


# eq=False: hashed by identity, so a spec can key the template cache despite its dict.
@dataclass(frozen=True, eq=False)
class TimeSeries:
    """One time-series view: metric columns on a left and (optionally) a right axis.

    Attributes:
        title: Chart title.
        left: Metric columns on the left axis.
        right: Metric columns on an independent right axis (different units or scale).
        left_title: Left axis title.
        right_title: Right axis title.
        labels: Legend names of columns (default: the column name).
    """

    title: str
    left: tuple[str, ...]
    right: tuple[str, ...] = ()
    left_title: str = ""
    right_title: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every metric column the view plots."""
        return self.left + self.right


_SECTORS = ("merchants", "manufacturers", "logistics", "services", "platform", "offline_retail")

# The time series the issue asks for, in display order.
TIME_SERIES: tuple[TimeSeries, ...] = (
    TimeSeries("GMV and take rate", ("gmv",), ("take_rate",), "GMV (RMB/day)", "take rate",
               {"gmv": "GMV", "take_rate": "take rate"}),
    TimeSeries("Employment by sector", tuple(f"employment_{s}" for s in _SECTORS),
               left_title="workers",
               labels={f"employment_{s}": s.replace("_", " ") for s in _SECTORS}),
    TimeSeries("Concentration (HHI, CR4)", ("hhi", "cr4"), left_title="index / share",
               labels={"hhi": "HHI", "cr4": "CR4"}),
    TimeSeries("Supplier bargaining power", ("supplier_bargaining_power",),
               left_title="manufacturers' share of surplus",
               labels={"supplier_bargaining_power": "bargaining power"}),
    TimeSeries("Fraud rate and consumer trust", ("fraud_rate",), ("consumer_trust",),
               "fraud rate", "consumer trust",
               {"fraud_rate": "fraud rate", "consumer_trust": "consumer trust"}),
    TimeSeries("IoT order share", ("iot_order_share",), left_title="share of online orders",
               labels={"iot_order_share": "IoT order share"}),
    TimeSeries("Service tools: use and paying stores",
               ("service_tool_share", "service_paying_share"), ("employment_services",),
               "share of open stores", "service jobs (owners + staff)",
               {"service_tool_share": "use any tool", "service_paying_share": "pay for a service",
                "employment_services": "service jobs"}),
)  # fmt: skip

_HEIGHT = 170


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a numeric frame as JSON-ready dicts.

    NaN becomes None: JSON has no NaN and the browser would reject the whole message.
    (Plain lists are several times faster than ``DataFrame.to_dict`` here, which matters at
    one call per chart per frame.)
    """
    cols = list(frame.columns)
    rows = frame.to_numpy(dtype=float).tolist()
    return [{c: (None if v != v else v) for c, v in zip(cols, row, strict=True)} for row in rows]


def _with_data(template: dict, **datasets: list[dict[str, Any]]) -> dict:
    """A copy of a cached spec with this frame's data (the template itself is never changed).

    The ``$schema`` key is dropped: Altair writes Vega-Lite 6, the browser side of Solara
    loads Vega-Lite 5, which renders these specs but warns on every frame about the version.
    """
    spec = {k: v for k, v in template.items() if k != "$schema"}
    spec["datasets"] = datasets
    return spec


def _renderer(spec: dict, renderer: str) -> dict:
    """Ask Vega-Embed for a renderer and a download name (``usermeta.embedOptions`` is
    where it looks).

    SVG keeps the drawn marks in the page, readable by screen readers and by the end-to-end
    test; a canvas is faster for many marks. The chart's menu saves it as SVG or PNG under
    a name made from its title (``ecosim-gmv-and-take-rate.png``).
    """
    title = str(spec.get("title", "chart")).lower()
    name = "ecosim-" + "-".join(re.findall(r"[a-z0-9]+", title)[:6])
    spec["usermeta"] = {"embedOptions": {"renderer": renderer, "downloadFileName": name}}
    return spec


#: Up to this many days, time series also draw a point per day (one point draws no line).
MARKER_DAYS = 14
_SOLID, _DASHED = (1, 0), (5, 3)


@lru_cache(maxsize=64)
def _time_series_template(
    spec: TimeSeries, left: tuple[str, ...], right: tuple[str, ...], markers: bool
) -> dict:
    """The spec of a time series without data: built with Altair once per column set.

    Altair takes longer to build a chart than the model takes to simulate a day, so the
    structure is made once and each frame only supplies the ``ts`` and ``changes`` datasets.
    Right-axis series are dashed, and the legend shows them dashed too: colour and dash
    encode the same field with the same domain, so Vega-Lite merges them into one legend.
    """
    names = [spec.labels.get(c, c) for c in (*left, *right)]
    dashes = [list(_SOLID)] * len(left) + [list(_DASHED if left else _SOLID)] * len(right)
    # Line swatches (not the points' circles), long enough to show a dash.
    legend = alt.Legend(
        orient="bottom", columns=3, symbolType="stroke", symbolStrokeWidth=2, symbolSize=400
    )

    def layer(
        cols: tuple[str, ...], axis_title: str, orient: Literal["left", "right"]
    ) -> alt.Chart:
        labels: list[str | alt.FieldName] = [spec.labels.get(c, c) for c in cols]
        point: Any = alt.OverlayMarkDef(filled=True, size=28) if markers else False
        return (
            alt.Chart(alt.Data(name="ts"))
            .transform_fold(labels, as_=["metric", "value"])
            .mark_line(strokeWidth=1.6, clip=True, point=point)
            .encode(
                x=alt.X("day:Q", title="day", axis=alt.Axis(tickMinStep=1, format="d")),
                y=alt.Y("value:Q", title=axis_title, axis=alt.Axis(orient=orient)),
                color=alt.Color(
                    "metric:N", title=None, scale=alt.Scale(domain=names), legend=legend
                ),
                strokeDash=alt.StrokeDash(
                    "metric:N", title=None, scale=alt.Scale(domain=names, range=dashes),
                    legend=legend,
                ),
                tooltip=["day:Q", "metric:N", alt.Tooltip("value:Q", format=",.4~g")],
            )
        )  # fmt: skip

    layers = []
    if left:
        layers.append(layer(left, spec.left_title, "left"))
    if right:
        layers.append(layer(right, spec.right_title, "right"))
    lines = layers[0] if len(layers) == 1 else alt.layer(*layers).resolve_scale(y="independent")
    # Rule changes: a dotted grey line at the first day a change applies, named on hover.
    changes = (
        alt.Chart(alt.Data(name="changes"))
        .mark_rule(color="#555555", strokeDash=[2, 2], strokeWidth=1.3)
        .encode(
            x=alt.X("day:Q"),
            tooltip=[alt.Tooltip("day:Q", title="from day"), alt.Tooltip("change:N", title="rule")],
        )
    )
    chart = alt.layer(lines, changes)
    chart = chart.properties(title=spec.title, width="container", height=_HEIGHT)
    return _renderer(chart.to_dict(validate=False), "svg")


def time_series_spec(
    frame: pd.DataFrame, spec: TimeSeries, changes: Sequence[RuleChangeMark] = ()
) -> dict | None:
    """A line chart of the columns of ``spec`` that ``frame`` has, with rule changes marked.

    Args:
        frame: Daily metrics with a ``day`` column (one row per day).
        spec: Which columns, axes and labels.
        changes: Rule changes to mark (a vertical line at the day each applies from).

    Returns:
        The Vega-Lite spec (data in ``datasets["ts"]``, one record per day with the
        metrics under their labels, and ``datasets["changes"]``), or None when ``frame``
        has no rows yet (Vega cannot scale an empty axis) or none of the columns (a model
        version without them). Up to :data:`MARKER_DAYS` days, each day is also a point.
    """
    if frame.empty:
        return None
    left = tuple(c for c in spec.left if c in frame.columns)
    right = tuple(c for c in spec.right if c in frame.columns)
    if not left and not right:
        return None
    data = frame[["day", *left, *right]].rename(columns=spec.labels)
    template = _time_series_template(spec, left, right, len(frame) <= MARKER_DAYS)
    marks = [{"day": c.day, "change": c.text} for c in changes]
    return _with_data(template, ts=_records(data), changes=marks)


_SHAPES = {"platform": "diamond", "manufacturer": "square", "courier": "triangle-up",
           "service": "cross", "merchant": "circle"}  # fmt: skip


@lru_cache(maxsize=16)
def _network_template(
    kinds: tuple[str, ...], edge_kinds: tuple[str, ...], bounds: tuple[float, ...]
) -> dict:
    """The network spec without data (built once per layout frame and set of kinds)."""
    xmin, xmax, ymin, ymax = bounds
    x_scale = alt.Scale(domain=[xmin, xmax], nice=False, zero=False)
    y_scale = alt.Scale(domain=[ymin, ymax], nice=False, zero=False)
    no_axis = alt.Axis(labels=False, ticks=False, grid=False, domain=False, title=None)
    edge_layer = (
        alt.Chart(alt.Data(name="edges"))
        .mark_rule(opacity=0.25, strokeWidth=0.7)
        .encode(
            x=alt.X("x:Q", scale=x_scale, axis=no_axis),
            y=alt.Y("y:Q", scale=y_scale, axis=no_axis),
            x2="x2:Q",
            y2="y2:Q",
            color=alt.Color(
                "kind:N",
                title="contract / flow",
                # Swatches at full strength: the edges' own opacity would make them too faint
                # to tell listing from delivery.
                legend=alt.Legend(symbolOpacity=1, symbolStrokeWidth=3),
                scale=alt.Scale(
                    domain=list(edge_kinds), range=[_EDGE_COLORS.get(k, "#999") for k in edge_kinds]
                ),
            ),
        )
    )
    node_layer = (
        alt.Chart(alt.Data(name="nodes"))
        .mark_point(filled=True, opacity=0.85, stroke="white", strokeWidth=0.6)
        .encode(
            x=alt.X("x:Q", scale=x_scale, axis=no_axis),
            y=alt.Y("y:Q", scale=y_scale, axis=no_axis),
            size=alt.Size("sales:Q", scale=alt.Scale(type="sqrt", zero=True, range=[12, 900]),
                          legend=None),
            shape=alt.Shape("kind:N", title="actor",
                            scale=alt.Scale(domain=list(kinds),
                                            range=[_SHAPES.get(k, "circle") for k in kinds])),
            fill=alt.Fill("kind:N", title="actor",
                          scale=alt.Scale(domain=list(kinds),
                                          range=[KIND_COLORS.get(k, "#999") for k in kinds])),
            tooltip=["label:N", "kind:N", alt.Tooltip("sales:Q", format=",.0f", title="sales")],
        )
    )  # fmt: skip
    chart = alt.layer(edge_layer, node_layer).resolve_scale(color="independent")
    chart = chart.properties(
        title="Ecosystem network (size: sales of the last 30 days)",
        width="container",
        height=430,
    )
    # Canvas: hundreds of marks replaced every frame draw several times faster than as SVG.
    return _renderer(chart.to_dict(validate=False), "canvas")


def network_spec(
    graph: nx.DiGraph,
    pos: dict[str, tuple[float, float]],
    bounds: tuple[float, float, float, float],
) -> dict:
    """The ecosystem network: edges as lines, nodes as marks sized by sales.

    Args:
        graph: Nodes with ``kind``, ``label`` and ``sales``; edges with ``kind``.
        pos: Node -> (x, y) from :class:`ecosim.viz.layout.NetworkLayout`.
        bounds: (xmin, xmax, ymin, ymax) of the fixed frame.

    Returns:
        The Vega-Lite spec (data in ``datasets["nodes"]`` and ``datasets["edges"]``).
    """
    nodes = [
        {"node": n, "kind": d.get("kind", "?"), "label": d.get("label", n),
         "sales": float(d.get("sales", 0.0)), "x": pos[n][0], "y": pos[n][1]}
        for n, d in graph.nodes(data=True)
    ]  # fmt: skip
    edges = [
        {"kind": d.get("kind", "?"), "x": pos[u][0], "y": pos[u][1], "x2": pos[v][0],
         "y2": pos[v][1]}
        for u, v, d in graph.edges(data=True)
    ]  # fmt: skip
    present = {n["kind"] for n in nodes}
    kinds = tuple(k for k in KIND_COLORS if k in present) + tuple(
        sorted(present - set(KIND_COLORS))
    )
    present_e = {e["kind"] for e in edges}
    edge_kinds = tuple(k for k in _EDGE_COLORS if k in present_e) + tuple(
        sorted(present_e - set(_EDGE_COLORS))
    )
    template = _network_template(kinds, edge_kinds, tuple(float(b) for b in bounds))
    return _with_data(template, nodes=nodes, edges=edges)


@lru_cache(maxsize=4)
def _share_template(top: int) -> dict:
    """The market-share spec without data."""
    ranks = [f"#{i}" for i in range(1, top + 1)] + ["others"]
    palette = ["#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef"]
    palette = [*(palette * (top // len(palette) + 1))[:top], "#e0e0e0"]
    chart = (
        alt.Chart(alt.Data(name="shares"))
        .mark_bar()
        .encode(
            y=alt.Y("category:N", title=None),
            x=alt.X("share:Q", title="share of the category's sales (30 days)",
                    scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            color=alt.Color("rank:N", title="store rank",
                            scale=alt.Scale(domain=ranks, range=palette)),
            order=alt.Order("order:Q"),
            tooltip=["category:N", "store:N", alt.Tooltip("share:Q", format=".1%"), "tier:N",
                     "opportunistic:N"],
        )
        .properties(title="Merchants' market shares", width="container", height=200)
    )  # fmt: skip
    return _renderer(chart.to_dict(validate=False), "svg")


def market_share_spec(table: pd.DataFrame, top: int = 5) -> dict | None:
    """Stacked bars of the largest stores' shares of each category's sales.

    Args:
        table: ``model.merchant_table()`` (needs ``merchant``, ``category``, ``share``).
        top: Stores shown per category; the rest are summed as "others".

    Returns:
        The Vega-Lite spec (data in ``datasets["shares"]``), or None when there are no stores.
    """
    if table.empty:
        return None
    ranked = table.sort_values(["category", "share"], ascending=[True, False]).copy()
    ranked["rank"] = ranked.groupby("category").cumcount() + 1
    head = ranked[ranked["rank"] <= top]
    rows: list[dict[str, Any]] = [
        {"category": cat, "store": f"store {store}", "rank": f"#{rank}", "order": int(rank),
         "share": float(share), "tier": tier, "opportunistic": bool(opportunistic)}
        for cat, store, rank, share, tier, opportunistic in zip(
            head["category"], head["merchant"], head["rank"], head["share"], head["tier"],
            head["opportunistic"], strict=True)
    ]  # fmt: skip
    rest = ranked[ranked["rank"] > top].groupby("category")["share"].sum()
    for category, share in rest.items():
        rows.append({"category": category, "store": "others", "rank": "others",
                     "order": top + 1, "share": float(share), "tier": "",
                     "opportunistic": False})  # fmt: skip
    return _with_data(_share_template(top), shares=rows)


def top_merchants(table: pd.DataFrame, n: int = 10, platforms: int = 2) -> pd.DataFrame:
    """The ``n`` stores with the largest 30-day sales, formatted for display.

    Args:
        table: ``model.merchant_table()``.
        n: Rows to keep.
        platforms: Number of platforms; with one, the platform column is left out.

    Returns:
        A frame of display strings with readable column names, largest sales first.
    """
    top = table.nlargest(n, "sales_30d")
    out = pd.DataFrame(
        {
            "store": [f"store {m}" for m in top["merchant"]],
            "platform": top["platform"].astype(str),
            "category": top["category"].astype(str),
            "tier": top["tier"].astype(str),
            "price": [f"¥{p:,.2f}" for p in top["price"]],
            "30-day sales": [f"¥{s:,.0f}" for s in top["sales_30d"]],
            "share": [f"{s:.1%}" for s in top["share"]],
            "rating": ["-" if pd.isna(r) else f"{r:.2f}" for r in top["rating"]],
            "opport.": ["yes" if o else "no" for o in top["opportunistic"]],
        }
    )
    if platforms < 2:
        out = out.drop(columns="platform")
    return out.reset_index(drop=True)
