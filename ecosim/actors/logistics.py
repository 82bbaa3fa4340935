"""Courier firms: price per parcel, courier force and dispatch queue (docs/model.md 7.5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.table import RowAgent
from ecosim.actors.tables import LogisticsTable

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = ["LogisticsFirm", "create_couriers"]


def create_couriers(state: State) -> LogisticsTable:
    """Courier firms sized for the expected parcel volume at the target utilisation."""
    cfg = state.config.logistics
    table = LogisticsTable(cfg.n_firms, cfg.capacity_window)
    table.price[:] = cfg.price_per_parcel * state.rng.lognormal(0.0, cfg.price_sd, cfg.n_firms)
    # first guess of the online volume
    expected = state.expected_daily_units.sum() * state.config.merchants.initial_online_share
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
