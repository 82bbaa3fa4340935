"""Offline retail: the outside option, with no fees and no wait but higher operating cost."""

from __future__ import annotations

import mesa

__all__ = ["OfflineRetail"]


class OfflineRetail(mesa.Agent):
    """All offline shops of the economy as one agent (one ledger account; its headcount is
    ``model.offline_staff``)."""

    @property
    def sales_today(self) -> float:
        """Sales today (RMB)."""
        return float(self.model.today.offline_sales)

    @property
    def units_today(self) -> float:
        """Units sold today."""
        return float(self.model.today.offline_units)

    def price(self, category: int) -> float:
        """Shelf price of a category (RMB/unit): mean unit cost times one plus the markup."""
        return float(self.model.offline_price[category])
