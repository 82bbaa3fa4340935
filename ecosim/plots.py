"""Standard figures of a run's daily metrics (seaborn/matplotlib, written as PNG)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are files; never open a window
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from ecosim.io import atomic_write
from ecosim.phases.labour import SECTORS

__all__ = ["FIGURES", "write_figures"]

# figure file stem -> (title, metric columns shown)
FIGURES: dict[str, tuple[str, list[str]]] = {
    "market": ("Market activity", ["gmv", "platform_revenue", "consumer_surplus"]),
    "competition": ("Competition among sellers", ["hhi", "cr4", "active_merchants"]),
    "trust": ("Trust and fraud", ["consumer_trust", "fraud_rate", "dispute_rate", "mean_rating"]),
    "prices": ("Prices", ["mean_markup", "price_index", "take_rate", "online_share"]),
    "logistics": ("Logistics", ["mean_delivery_days", "courier_utilisation", "stockout_rate"]),
    "employment": (
        "Employment by sector",
        [f"employment_{sector}" for sector in SECTORS],
    ),
    "suppliers": (
        "Supplier bargaining power and profit shares",
        [
            "supplier_bargaining_power",
            "manufacturer_profit_share",
            "merchant_profit_share",
            "platform_profit_share",
        ],
    ),
    "iot": ("IoT reordering", ["iot_order_share", "bullwhip_ratio"]),
}


def _smooth(series: pd.Series) -> pd.Series:
    return series.rolling(7, min_periods=1).mean()


def write_figures(frame: pd.DataFrame, out_dir: str | Path) -> list[Path]:
    """One PNG per figure group whose metrics the frame has (7-day rolling means).

    Args:
        frame: daily metrics indexed by day.
        out_dir: folder for the PNG files.

    Returns:
        The files written.
    """
    sns.set_theme(style="whitegrid", context="notebook")
    written = []
    for stem, (title, cols) in FIGURES.items():
        cols = [c for c in cols if c in frame.columns]
        if not cols:
            continue
        fig, axes = plt.subplots(
            len(cols), 1, figsize=(8, 1.9 * len(cols) + 0.6), sharex=True, squeeze=False
        )
        for ax, col in zip(axes[:, 0], cols, strict=True):
            sns.lineplot(x=frame.index, y=_smooth(frame[col]), ax=ax, linewidth=1.5)
            ax.set_ylabel(col, fontsize=9)
        axes[-1, 0].set_xlabel("day")
        fig.suptitle(title)
        fig.tight_layout()
        path = Path(out_dir) / f"{stem}.png"
        atomic_write(path, _png_writer(fig))
        plt.close(fig)
        written.append(path)
    return written


def _png_writer(fig: Figure) -> Callable[[Path], None]:
    """A writer for ``atomic_write`` that saves ``fig`` as a PNG (100 dpi)."""

    def write(path: Path) -> None:
        fig.savefig(path, dpi=100, format="png")

    return write
