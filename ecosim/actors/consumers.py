"""Households: shoppers and workers. State lives in :class:`ConsumerTable` columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from ecosim.actors.table import Table

if TYPE_CHECKING:
    from ecosim.model import EcosystemModel

__all__ = ["UNEMPLOYED", "Consumer", "ConsumerTable", "create_consumers"]

UNEMPLOYED = -1


class ConsumerTable(Table):
    """Columns of household state (one row per household).

    Consumable columns have one entry per consumable category (``model.consumables``):
    ``stock_out`` is the day (float) the home stock runs out, so stock needs no daily update:
    it is ``rate * (stock_out - day)`` units at any day.
    """

    def __init__(self, n: int, n_consumables: int) -> None:
        super().__init__(n)
        self.add_column("region", dtype=np.int32)
        self.add_column("price_sensitivity", fill=1.0)  # multiplier of 1/mu, mean 1
        self.add_column("trust", fill=0.8)  # probability an online seller is honest
        self.add_column("home", dtype=np.int32, fill=-1)  # platform index; -1 multi-homing
        self.add_column("base_income", fill=0.0)  # RMB/day when employed at the mean wage
        self.add_column("income", fill=0.0)  # RMB/day received
        self.add_column("sector", dtype=np.int8, fill=UNEMPLOYED)  # employer sector
        self.add_column("employer", dtype=np.int64, fill=-1)  # row in the sector's table
        k = n_consumables
        self.add_column("rate", width=k)  # units/day consumed
        self.add_column("stock_out", width=k)  # day the home stock is exhausted
        self.add_column("pending", dtype=bool, width=k)  # an order is on its way
        self.add_column("device", dtype=np.int64, width=k, fill=-1)  # manufacturer of device
        self.add_column("iot_on", dtype=bool, width=k)  # device reorders automatically
        self.add_column("device_merchant", dtype=np.int64, width=k, fill=-1)


def create_consumers(model: EcosystemModel) -> ConsumerTable:
    """Draw the initial households: region, tastes, consumption rates, homes and stocks."""
    cfg = model.config.consumers
    rng = model.rng
    n = cfg.n
    table = ConsumerTable(n, len(model.consumables))
    n_urban = model.config.regions.n_urban
    n_regions = model.n_regions
    urban = rng.random(n) < model.config.regions.urban_population_share
    table.region[:] = np.where(
        urban,
        rng.integers(0, n_urban, n),
        n_urban + rng.integers(0, max(n_regions - n_urban, 1), n) if n_regions > n_urban else 0,
    )
    sd = cfg.price_sensitivity_sd
    table.price_sensitivity[:] = rng.lognormal(-0.5 * sd * sd, sd, n)
    table.trust[:] = cfg.initial_trust
    base_wage = model.config.labour.wage
    table.base_income[:] = base_wage * rng.lognormal(-0.125, 0.5, n)
    # Single-homers pick a platform by its initial share; the rest shop everywhere.
    shares = np.array([p.initial_share for p in model.config.platforms], dtype=float)
    shares = shares / shares.sum() if shares.sum() > 0 else np.full(len(shares), 1 / len(shares))
    multi = rng.random(n) < cfg.multihoming_share
    table.home[:] = np.where(multi, -1, rng.choice(len(shares), size=n, p=shares))
    for k, c in enumerate(model.consumables):
        cat = model.config.categories[c]
        s = cfg.pack_days_sd
        table.rate[:, k] = cat.consumption_rate * rng.lognormal(-0.5 * s * s, s, n)
        pack_days = 1.0 / np.maximum(table.rate[:, k], 1e-9)
        table.stock_out[:, k] = rng.random(n) * pack_days + cfg.reorder_point_days
    return table


class Consumer(mesa.Agent):
    """A household, as a Mesa agent: a view onto row ``row`` of ``model.consumers``.

    The fast model never steps these objects; :meth:`step` is the plain-Mesa reference path
    (``consumer_path: reference``), used to check the columnar phases on small populations.
    """

    def __init__(self, model: EcosystemModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def trust(self) -> float:
        """Trust in online sellers (probability)."""
        return float(self.model.consumers.trust[self.row])

    @property
    def region(self) -> int:
        """Region index."""
        return int(self.model.consumers.region[self.row])

    @property
    def employed(self) -> bool:
        """Whether the household has a job."""
        return bool(self.model.consumers.sector[self.row] != UNEMPLOYED)

    @property
    def cash(self) -> float:
        """Cash (RMB)."""
        return float(self.model.ledger.balances["households"][self.row])

    def step(self) -> None:
        """Reference path: find this household's needs for today one by one."""
        from ecosim.phases.consumption import household_needs_today

        household_needs_today(self.model, self.row)
