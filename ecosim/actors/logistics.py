"""Courier firms: price per parcel, courier force, congestion and delivery times."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.merchants import ONLINE_GUESS
from ecosim.actors.table import RowAgent, Table

if TYPE_CHECKING:
    from ecosim.model import EcosystemModel

__all__ = ["LogisticsFirm", "LogisticsTable", "create_couriers"]


class LogisticsTable(Table):
    """Columns of courier-firm state (one row per firm)."""

    def __init__(self, n: int, window: int) -> None:
        super().__init__(n)
        self.add_column("price")  # RMB/parcel
        self.add_column("staff", dtype=np.int64)  # couriers employed
        self.add_column("parcels_today")
        self.add_column("volume_hist", width=window)  # parcels per day (ring)

    def capacity(self, parcels_per_courier_day: float) -> np.ndarray:
        """Parcels each firm can carry in a day at normal speed."""
        return self.staff * parcels_per_courier_day

    def cheapest(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Couriers chosen by ``n`` merchants: logit in price (1 RMB scale), cheaper more often."""
        weights = np.exp(-(self.price - self.price.min()))
        return rng.choice(self.n, size=n, p=weights / weights.sum())


def create_couriers(model: EcosystemModel) -> LogisticsTable:
    """Courier firms sized for the expected parcel volume at the target utilisation."""
    cfg = model.config.logistics
    table = LogisticsTable(cfg.n_firms, cfg.capacity_window)
    table.price[:] = cfg.price_per_parcel * model.rng.lognormal(0.0, cfg.price_sd, cfg.n_firms)
    expected = model.expected_daily_units.sum() * ONLINE_GUESS  # first guess of online volume
    per_firm = expected / cfg.n_firms / (cfg.parcels_per_courier_day * cfg.target_utilisation)
    table.staff[:] = max(1, int(np.ceil(per_firm)))
    table.volume_hist[:] = expected / cfg.n_firms
    return table


class LogisticsFirm(RowAgent):
    """A courier firm, as a Mesa agent: a view onto row ``row`` of ``model.couriers``."""

    @property
    def couriers(self) -> int:
        """Couriers employed."""
        return int(self.model.couriers.staff[self.row])
