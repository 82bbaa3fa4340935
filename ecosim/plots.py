"""The figure style of ecosim, and the standard figures of a run's daily metrics.

:func:`figure_style` is the one style of every matplotlib figure ecosim writes (``ecosim run``
here, ``ecosim report`` in :mod:`ecosim.report`): a white grid, readable type, legends
outside the data. Labels come from :mod:`ecosim.labels` (words and units, never raw metric
names).

The run figures (:data:`FIGURES`) are panels of 7-day rolling means (:data:`SMOOTHING_DAYS`,
stated under each figure). Series compared with each other share one axis; employment by
sector is stacked, so the height is total ecosystem employment. A panel whose series are
zero (or undefined) on every day is not drawn; a note under the figure names it, and a
figure with nothing to draw says so in words instead of showing empty axes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import networkx as nx
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.rcsetup import cycler

from ecosim.io import atomic_write
from ecosim.labels import metric_label, metric_unit
from ecosim.phases.labour import SECTORS

__all__ = [
    "FIGURES",
    "HEADCOUNT_UNITS",
    "SMOOTHING_DAYS",
    "Panel",
    "RunFigure",
    "figure_style",
    "legend_outside",
    "network_figure",
    "png_writer",
    "run_figures",
    "smooth",
    "start_at_zero",
    "wrap_label",
    "write_figures",
    "zero_based",
]

#: Window of the rolling means drawn in run figures (days).
SMOOTHING_DAYS = 7


@dataclass(frozen=True)
class Panel:
    """One axes of a figure: metrics that share a y axis (and so one unit).

    Attributes:
        metrics: Metric columns drawn.
        ylabel: Axis label; default: the metric's label with its unit (one metric), or the
            shared unit (several, which the legend then names).
        stacked: Draw the metrics as stacked areas (parts of a whole).
    """

    metrics: tuple[str, ...]
    ylabel: str = ""
    stacked: bool = False


@dataclass(frozen=True)
class RunFigure:
    """A figure of a run: a title and its panels, top to bottom.

    Attributes:
        title: Figure title.
        panels: Panels sharing the day axis.
        empty_note: What to say when no panel has anything to draw.
    """

    title: str
    panels: tuple[Panel, ...]
    empty_note: str = "nothing to draw: every series is zero on every day"

    @property
    def metrics(self) -> tuple[str, ...]:
        """Every metric the figure draws."""
        return tuple(m for p in self.panels for m in p.metrics)


def _panels(*groups: tuple[str, ...] | str) -> tuple[Panel, ...]:
    return tuple(Panel((g,) if isinstance(g, str) else g) for g in groups)


#: Figure file stem -> figure.
FIGURES: dict[str, RunFigure] = {
    "market": RunFigure("Market activity", _panels("gmv", "platform_revenue", "consumer_surplus")),
    "competition": RunFigure(
        "Competition among sellers",
        (
            Panel(("hhi", "cr4"), ylabel="Concentration (0 to 1)"),
            Panel(("active_merchants",)),
        ),
    ),
    "trust": RunFigure(
        "Trust and fraud",
        (
            Panel(("consumer_trust",)),
            Panel(("fraud_rate", "dispute_rate"), ylabel="Share of parcels"),
            Panel(("mean_rating",)),
        ),
    ),
    "prices": RunFigure(
        "Prices", _panels("mean_markup", "price_index", "take_rate", "online_share")
    ),
    "logistics": RunFigure(
        "Logistics", _panels("mean_delivery_days", "courier_utilisation", "stockout_rate")
    ),
    "employment": RunFigure(
        "Employment by sector (stacked: the top is the ecosystem's total)",
        (Panel(tuple(f"employment_{s}" for s in SECTORS), ylabel="Workers", stacked=True),),
    ),
    "suppliers": RunFigure(
        "Supplier bargaining power and profit shares",
        (
            Panel(("supplier_bargaining_power",)),
            Panel(
                ("manufacturer_profit_share", "merchant_profit_share", "platform_profit_share"),
                ylabel="Profit shares (stacked)",
                stacked=True,
            ),
        ),
    ),
    "iot": RunFigure(
        "IoT reordering",
        _panels("iot_order_share", "bullwhip_ratio"),
        empty_note="no IoT orders in this run",
    ),
}


def _style_rc() -> dict[Any, Any]:
    rc: dict[Any, Any] = {}
    rc.update(sns.axes_style("whitegrid"))
    rc.update(sns.plotting_context("notebook", font_scale=0.85))
    rc.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 110,
            "figure.constrained_layout.use": True,
            "legend.frameon": False,
            "legend.fontsize": "small",
            "legend.title_fontsize": "small",
            "axes.titlesize": "medium",
            "axes.titleweight": "bold",
            "figure.titlesize": "large",
            "axes.prop_cycle": cycler(color=sns.color_palette("colorblind")),
        }
    )
    return rc


@contextmanager
def figure_style() -> Iterator[None]:
    """The ecosim figure style, for figures made inside the ``with`` block.

    Only matplotlib's settings inside the block change (no global state is left behind).
    """
    with matplotlib.rc_context(_style_rc()):
        yield


def legend_outside(ax: Axes, title: str | None = None) -> None:
    """Move an axes' legend to its right, outside the data (no-op without a legend)."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    ax.legend(handles, labels, title=title, loc="upper left", bbox_to_anchor=(1.01, 1.0))


#: Units of head counts: axes of these start at zero, so that 24 -> 23 workers does not
#: look like a collapse.
HEADCOUNT_UNITS = frozenset({"workers", "stores"})


def zero_based(metric: str) -> bool:
    """Whether an axis of ``metric`` should start at zero (head counts)."""
    return metric_unit(metric) in HEADCOUNT_UNITS


def start_at_zero(ax: Axes) -> None:
    """Let the y axis run from zero to a little above the highest value drawn."""
    ax.relim()
    top = ax.dataLim.y1
    ax.set_ylim(0, 1.08 * top if np.isfinite(top) and top > 0 else 1.0)


def wrap_label(label: str, width: int = 26) -> str:
    """An axis label broken into lines of at most ``width`` characters (short panels)."""
    return "\n".join(textwrap.wrap(label, width)) or label


def smooth(series: pd.Series, days: int = SMOOTHING_DAYS) -> pd.Series:
    """Trailing rolling mean over ``days`` days (shorter at the start of the run)."""
    return series.rolling(days, min_periods=1).mean()


def _has_data(frame: pd.DataFrame, metrics: tuple[str, ...]) -> bool:
    values = frame[list(metrics)].to_numpy(dtype=float)
    return bool(np.any(np.isfinite(values) & (values != 0)))


def _draw_panel(ax: Axes, frame: pd.DataFrame, panel: Panel) -> None:
    days = frame.index.to_numpy()
    series = {m: smooth(frame[m]).to_numpy(dtype=float) for m in panel.metrics}
    single = len(panel.metrics) == 1
    if panel.stacked:
        ax.stackplot(
            days,
            *[np.nan_to_num(v) for v in series.values()],
            labels=[metric_label(m, unit=False) for m in series],
            alpha=0.85,
            linewidth=0,
        )
        ax.set_ylim(bottom=0)
    else:
        for metric, values in series.items():
            ax.plot(days, values, linewidth=1.6, label=metric_label(metric, unit=False))
        if all(zero_based(m) for m in panel.metrics):
            start_at_zero(ax)
    if panel.ylabel:
        label = panel.ylabel
    elif single:
        label = metric_label(panel.metrics[0])
    else:
        unit = metric_unit(panel.metrics[0])
        label = unit.capitalize() if unit else "Value"
    ax.set_ylabel(wrap_label(label))
    if not single:
        legend_outside(ax)
    ax.margins(x=0)


def _figure(title: str, n_panels: int) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(9, 2.1 * n_panels + 1.1))
    axes = fig.subplots(n_panels, 1, sharex=True, squeeze=False)[:, 0]
    fig.suptitle(title)
    return fig, list(axes)


def _empty_figure(title: str, note: str) -> Figure:
    fig = Figure(figsize=(9, 1.8))
    fig.suptitle(title)
    fig.text(0.5, 0.45, note[:1].upper() + note[1:] + ".", ha="center", va="center")
    return fig


def run_figures(frame: pd.DataFrame) -> dict[str, Figure]:
    """The run's figures, one per entry of :data:`FIGURES` with a metric in ``frame``.

    Args:
        frame: Daily metrics indexed by day.

    Returns:
        File stem -> figure (in the ecosim style; not yet saved).
    """
    figures = {}
    with figure_style():
        for stem, spec in FIGURES.items():
            panels = [
                Panel(tuple(m for m in p.metrics if m in frame.columns), p.ylabel, p.stacked)
                for p in spec.panels
            ]
            panels = [p for p in panels if p.metrics]
            if not panels:
                continue
            drawn = [p for p in panels if _has_data(frame, p.metrics)]
            left_out = [m for p in panels if p not in drawn for m in p.metrics]
            if not drawn:
                figures[stem] = _empty_figure(spec.title, spec.empty_note)
                continue
            fig, axes = _figure(spec.title, len(drawn))
            for ax, panel in zip(axes, drawn, strict=True):
                _draw_panel(ax, frame, panel)
            axes[-1].set_xlabel("Day")
            note = f"Lines and areas: {SMOOTHING_DAYS}-day rolling means of daily values."
            if left_out:
                names = ", ".join(metric_label(m, unit=False) for m in left_out)
                note += f" Not drawn (zero on every day): {names}."
            fig.supxlabel(note, fontsize="small", color="0.35")
            figures[stem] = fig
    return figures


#: Node kinds of :meth:`ecosim.EcosystemModel.network`, in the order the legend lists them.
_NODE_KINDS = {
    "platform": "Platforms",
    "manufacturer": "Manufacturers",
    "merchant": "Stores",
    "courier": "Couriers",
    "service": "Service providers",
}


def network_figure(graph: nx.DiGraph, seed: int = 0) -> Figure:
    """The ecosystem graph of :meth:`ecosim.EcosystemModel.network` as a picture.

    Nodes are coloured by kind, their area grows with their 30-day sales (square root, so
    that a few large stores do not hide the rest); edges are grey. The layout is a
    spring layout with a fixed ``seed``, so the same graph draws the same picture.

    Args:
        graph: The network (node attributes ``kind`` and ``sales``, in RMB).
        seed: Seed of the layout.
    """
    with figure_style():
        fig = Figure(figsize=(7.5, 5.5))
        ax = fig.subplots()
        ax.set_axis_off()
        if graph.number_of_nodes() == 0:
            ax.text(0.5, 0.5, "No actors in the network", ha="center", va="center")
            return fig
        pos = nx.spring_layout(graph, seed=seed)
        nx.draw_networkx_edges(graph, pos, ax=ax, edge_color="0.8", width=0.5, arrows=False)
        sales = np.array([graph.nodes[n].get("sales", 0.0) for n in graph], dtype=float)
        top = float(np.sqrt(np.nanmax(sales))) if np.nanmax(sales) > 0 else 1.0
        palette = dict(zip(_NODE_KINDS, sns.color_palette("colorblind"), strict=False))
        kinds = [str(graph.nodes[n].get("kind", "")) for n in graph]
        for kind in [k for k in _NODE_KINDS if k in kinds] + sorted(set(kinds) - set(_NODE_KINDS)):
            nodes = [n for n, k in zip(graph, kinds, strict=True) if k == kind]
            size = [
                20 + 300 * np.sqrt(max(graph.nodes[n].get("sales", 0.0), 0.0)) / top for n in nodes
            ]
            nx.draw_networkx_nodes(
                graph,
                pos,
                nodelist=nodes,
                node_size=size,
                ax=ax,
                label=f"{_NODE_KINDS.get(kind, kind)} ({len(nodes)})",
                node_color=[palette.get(kind, (0.5, 0.5, 0.5))],
            )
        legend_outside(ax, title="Actors")
        fig.supxlabel(
            "Node area grows with 30-day sales (square root); edges: listings, supply, "
            "deliveries and services.",
            fontsize="small",
            color="0.35",
        )
    return fig


def png_writer(fig: Figure) -> Callable[[Path], None]:
    """A writer for :func:`ecosim.io.atomic_write` that saves ``fig`` as a PNG."""

    def write(path: Path) -> None:
        with figure_style():
            fig.savefig(path, format="png")

    return write


def write_figures(frame: pd.DataFrame, out_dir: str | Path) -> list[Path]:
    """Write the run's figures (:func:`run_figures`) as PNG files.

    Args:
        frame: Daily metrics indexed by day.
        out_dir: Folder for the PNG files (``<stem>.png``).

    Returns:
        The files written.
    """
    return [
        atomic_write(Path(out_dir) / f"{stem}.png", png_writer(fig))
        for stem, fig in run_figures(frame).items()
    ]
