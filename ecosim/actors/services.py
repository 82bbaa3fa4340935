"""Third-party service providers: marketing, customer service, store operations, analytics.

Providers are firms: each has an owner (self-employed, counted in ``employment_services``),
hired staff, clients, a price, cash in the ledger's ``services`` sector and a profit; they
open and close (``ecosim.phases.services``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.table import RowAgent
from ecosim.actors.tables import SERVICE_TYPES, ServiceTable

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = [
    "ServiceProvider",
    "create_providers",
    "fund_providers",
    "initial_providers_per_type",
    "open_providers",
]


def initial_providers_per_type(per_10k: float, households: int) -> int:
    """Providers of each type at the start: ``per_10k`` per 10,000 households, rounded, at
    least one when ``per_10k`` is positive (the services' jobs per household do not depend
    on the population, docs/model.md 7.20)."""
    if per_10k <= 0:
        return 0
    return max(1, round(per_10k * households / 10_000))


def create_providers(state: State) -> ServiceTable:
    """``providers_per_type`` providers of each type per 10,000 households (at least one
    of each type), prices spread ``price_dispersion`` around the configured price."""
    cfg = state.config.services
    k = initial_providers_per_type(cfg.providers_per_type, state.config.consumers.n)
    table = ServiceTable(k * len(SERVICE_TYPES))
    table.kind[:] = np.repeat(np.arange(len(SERVICE_TYPES)), k)
    base = np.array([getattr(cfg, f"{t}_price") for t in SERVICE_TYPES])
    spread = cfg.price_dispersion
    table.price[:] = base[table.kind] * state.rng.uniform(1 - spread, 1 + spread, table.n)
    return table


def fund_providers(state: State, rows: np.ndarray) -> None:
    """The owners of providers ``rows`` pay in their capital, ``initial_cash`` (RMB)."""
    amount = np.full(rows.size, state.config.services.initial_cash)
    state.ledger.endow("services", rows, amount)


def open_providers(state: State, kinds: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """New providers of the given types and prices (RMB/day per client), funded and open
    from today. Returns their rows."""
    prov = state.providers
    rows = prov.append(kinds.size, kind=kinds, price=prices, entry_day=state.day)
    state.ledger.grow("services", rows.size)
    fund_providers(state, rows)
    return rows


class ServiceProvider(RowAgent):
    """A service provider, as a Mesa agent: a view onto row ``row`` of ``model.providers``."""

    @property
    def kind(self) -> str:
        """marketing, customer_service, operations or analytics."""
        return SERVICE_TYPES[int(self.model.providers.kind[self.row])]

    @property
    def active(self) -> bool:
        """Open."""
        return bool(self.model.providers.active[self.row])

    @property
    def clients(self) -> int:
        """Stores served."""
        return int(self.model.providers.clients[self.row])

    @property
    def staff(self) -> int:
        """Hired staff (the owner works too and is not counted here)."""
        return int(self.model.providers.staff[self.row])

    @property
    def price(self) -> float:
        """Price per client (RMB/day)."""
        return float(self.model.providers.price[self.row])

    @property
    def profit(self) -> float:
        """Today's profit (RMB): revenue less operating costs and wages."""
        return float(self.model.providers.profit_today[self.row])
