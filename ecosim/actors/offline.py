"""Offline retail: the outside option, with no fees and no wait but higher operating cost."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from ecosim.model import EcosystemModel

__all__ = ["OfflineRetail"]


class OfflineRetail(mesa.Agent):
    """All offline shops of the economy as one agent (one ledger account; its headcount is
    ``model.offline_staff``)."""

    def __init__(self, model: EcosystemModel) -> None:
        super().__init__(model)
        self.sales_today = 0.0  # RMB
        self.units_today = 0.0

    def price(self, category: int) -> float:
        """Shelf price of a category (RMB/unit): mean unit cost times one plus the markup."""
        return float(self.model.offline_price[category])
