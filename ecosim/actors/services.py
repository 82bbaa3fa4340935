"""Third-party service providers: marketing, customer service, store operations, analytics."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.table import RowAgent
from ecosim.actors.tables import SERVICE_TYPES, ServiceTable

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = ["ServiceProvider", "create_providers"]


def create_providers(state: State) -> ServiceTable:
    """``providers_per_type`` providers of each type, prices spread ``price_dispersion``
    around the configured price."""
    cfg = state.config.services
    k = cfg.providers_per_type
    table = ServiceTable(k * len(SERVICE_TYPES))
    table.kind[:] = np.repeat(np.arange(len(SERVICE_TYPES)), k)
    base = np.array([getattr(cfg, f"{t}_price") for t in SERVICE_TYPES])
    table.price[:] = base[table.kind] * state.rng.uniform(
        1 - cfg.price_dispersion, 1 + cfg.price_dispersion, table.n
    )
    return table


class ServiceProvider(RowAgent):
    """A service provider, as a Mesa agent: a view onto row ``row`` of ``model.providers``."""

    @property
    def kind(self) -> str:
        """marketing, customer_service, operations or analytics."""
        return SERVICE_TYPES[int(self.model.providers.kind[self.row])]

    @property
    def clients(self) -> int:
        """Stores served."""
        return int(self.model.providers.clients[self.row])
