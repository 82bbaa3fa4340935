"""Manufacturers (suppliers): unit cost, quality, capacity, and wholesale contracts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.table import RowAgent
from ecosim.actors.tables import ManufacturerTable

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = ["Manufacturer", "create_manufacturers", "stock_manufacturers"]


def create_manufacturers(state: State) -> ManufacturerTable:
    """``per_category`` manufacturers for each category, with drawn costs and qualities."""
    cfg = state.config.manufacturers
    rng = state.rng
    cats = state.config.categories
    k = cfg.per_category
    table = ManufacturerTable(k * len(cats))
    table.category[:] = np.repeat(np.arange(len(cats)), k)
    cost = np.array([cats[c].unit_cost for c in table.category])
    table.unit_cost[:] = cost * rng.lognormal(0.0, cfg.cost_sd, table.n)
    qm = np.array([cats[c].quality_mean for c in table.category])
    qs = np.array([cats[c].quality_sd for c in table.category])
    table.quality[:] = np.clip(qm + qs * rng.standard_normal(table.n), cfg.min_quality, 1.0)
    table.wholesale_markup[:] = cfg.initial_wholesale_markup
    # offline + online, per firm
    demand = state.expected_daily_units[table.category] * cfg.capacity_demand_factor
    table.capacity[:] = cfg.capacity_days * demand / k
    table.data_service[:] = rng.random(table.n) < cfg.data_service_uptake
    # Brand strength sets device makers' market shares (docs/model.md, IoT reordering).
    table.brand[:] = rng.lognormal(0.0, cfg.brand_sd, table.n)
    return table


def stock_manufacturers(state: State, daily_units: np.ndarray) -> None:
    """Finished goods at the start: ``initial_stock_days`` of ``daily_units`` per category
    (units/day; the model passes the category's whole demand), shared by its manufacturers."""
    table = state.manufacturers
    cfg = state.config.manufacturers
    per_cat = np.bincount(table.category, minlength=daily_units.size)
    table.finished_stock[:] = np.round(
        cfg.initial_stock_days * daily_units[table.category] / per_cat[table.category]
    )
    state.goods.created("initial_stock", float(table.finished_stock.sum()))


class Manufacturer(RowAgent):
    """A manufacturer, as a Mesa agent: a view onto row ``row`` of ``model.manufacturers``."""

    @property
    def unit_cost(self) -> float:
        """Production cost (RMB/unit)."""
        return float(self.model.manufacturers.unit_cost[self.row])
