"""Manufacturers (suppliers): unit cost, quality, capacity, and wholesale contracts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.table import RowAgent, Table

if TYPE_CHECKING:
    from ecosim.model import EcosystemModel

__all__ = ["Manufacturer", "ManufacturerTable", "create_manufacturers"]


class ManufacturerTable(Table):
    """Columns of manufacturer state (one row per manufacturer)."""

    def __init__(self, n: int) -> None:
        super().__init__(n)
        self.add_column("category", dtype=np.int32)
        self.add_column("unit_cost")  # RMB/unit
        self.add_column("quality")
        self.add_column("capacity")  # units/day
        self.add_column("wholesale_markup")  # offer to new partners, share of unit cost
        self.add_column("staff", dtype=np.int64)
        self.add_column("produced_today")
        self.add_column("output_ema")  # units/day, exponential moving average (workload)
        self.add_column("data_service", dtype=bool)  # buys the platform's data service
        self.add_column("flagship", dtype=np.int64, fill=-1)  # merchant row of own store

    def pick_supplier(self, category: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A random manufacturer of each given category (uniform among that category's)."""
        out = np.empty(len(category), dtype=np.int64)
        for c in np.unique(category):
            mine = np.flatnonzero(self.category == c)
            sel = category == c
            out[sel] = mine[rng.integers(0, mine.size, sel.sum())]
        return out

    def offer_price(self, supplier: np.ndarray) -> np.ndarray:
        """Wholesale price (RMB/unit) offered to a new partner before negotiation."""
        return self.unit_cost[supplier] * (1 + self.wholesale_markup[supplier])


def create_manufacturers(model: EcosystemModel) -> ManufacturerTable:
    """``per_category`` manufacturers for each category, with drawn costs and qualities."""
    cfg = model.config.manufacturers
    rng = model.rng
    cats = model.config.categories
    k = cfg.per_category
    table = ManufacturerTable(k * len(cats))
    table.category[:] = np.repeat(np.arange(len(cats)), k)
    cost = np.array([cats[c].unit_cost for c in table.category])
    table.unit_cost[:] = cost * rng.lognormal(0.0, cfg.cost_sd, table.n)
    qm = np.array([cats[c].quality_mean for c in table.category])
    qs = np.array([cats[c].quality_sd for c in table.category])
    table.quality[:] = np.clip(qm + qs * rng.standard_normal(table.n), 0.05, 1.0)
    table.wholesale_markup[:] = cfg.initial_wholesale_markup
    demand = model.expected_daily_units[table.category] * 1.5  # offline + online, per firm
    table.capacity[:] = cfg.capacity_days * demand / k
    table.data_service[:] = rng.random(table.n) < cfg.data_service_uptake
    return table


class Manufacturer(RowAgent):
    """A manufacturer, as a Mesa agent: a view onto row ``row`` of ``model.manufacturers``."""

    @property
    def unit_cost(self) -> float:
        """Production cost (RMB/unit)."""
        return float(self.model.manufacturers.unit_cost[self.row])
