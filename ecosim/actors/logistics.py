"""Courier firms: price per parcel, courier force and dispatch queue (docs/model.md 7.5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.table import RowAgent
from ecosim.actors.tables import LogisticsTable

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = ["LogisticsFirm", "create_couriers", "staff_couriers"]


def create_couriers(state: State) -> LogisticsTable:
    """Courier firms with their prices; ``staff_couriers`` sizes them once the online volume
    is estimated."""
    cfg = state.config.logistics
    table = LogisticsTable(cfg.n_firms, cfg.capacity_window)
    table.price[:] = cfg.price_per_parcel * state.rng.lognormal(0.0, cfg.price_sd, cfg.n_firms)
    return table


def staff_couriers(state: State, parcels: float) -> None:
    """Courier firms staffed for ``parcels`` a day (the expected online volume) at the target
    utilisation, as if they had carried it for their whole window. Each firm expects the
    share of the stores that will pick it (``cheapest``: a logit in price)."""
    cfg = state.config.logistics
    table = state.couriers
    pick = np.exp(-(table.price - table.price.min()))
    volume = parcels * pick / pick.sum()
    per_firm = volume / (cfg.parcels_per_courier_day * cfg.target_utilisation)
    table.staff[:] = np.maximum(1, np.ceil(per_firm)).astype(np.int64)
    table.volume_hist[:] = volume[:, None]


class LogisticsFirm(RowAgent):
    """A courier firm, as a Mesa agent: a view onto row ``row`` of ``model.couriers``."""

    @property
    def couriers(self) -> int:
        """Couriers employed."""
        return int(self.model.couriers.staff[self.row])
