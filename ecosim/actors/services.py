"""Third-party service providers: marketing, customer service, store operations, analytics."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.merchants import SERVICE_TYPES
from ecosim.actors.table import RowAgent, Table

if TYPE_CHECKING:
    from ecosim.model import EcosystemModel

__all__ = ["ServiceProvider", "ServiceTable", "create_providers"]


class ServiceTable(Table):
    """Columns of provider state (one row per provider)."""

    def __init__(self, n: int) -> None:
        super().__init__(n)
        self.add_column("kind", dtype=np.int32)  # index into SERVICE_TYPES
        self.add_column("price")  # RMB/day per client
        self.add_column("staff", dtype=np.int64)
        self.add_column("clients", dtype=np.int64)
        self.add_column("revenue_today")


def create_providers(model: EcosystemModel) -> ServiceTable:
    """``providers_per_type`` providers of each type, prices spread +-10% around the config."""
    cfg = model.config.services
    k = cfg.providers_per_type
    table = ServiceTable(k * len(SERVICE_TYPES))
    table.kind[:] = np.repeat(np.arange(len(SERVICE_TYPES)), k)
    base = np.array([getattr(cfg, f"{t}_price") for t in SERVICE_TYPES])
    table.price[:] = base[table.kind] * model.rng.uniform(0.9, 1.1, table.n)
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
