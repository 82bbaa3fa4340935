"""Goods conservation: units enter (production) and leave (delivery, loss, write-off) only here.

At any time ``created - removed`` equals the units held in the system (merchants' stock,
shipments to merchants, parcels to households), which a test checks every day.
"""

from __future__ import annotations

from collections import defaultdict

__all__ = ["GoodsAccount"]


class GoodsAccount:
    """Running totals of units created and removed, by reason."""

    def __init__(self) -> None:
        self.inflows: dict[str, float] = defaultdict(float)
        self.outflows: dict[str, float] = defaultdict(float)

    def created(self, reason: str, units: float) -> None:
        """Units that enter the system (initial stock, production)."""
        self.inflows[reason] += float(units)

    def removed(self, reason: str, units: float) -> None:
        """Units that leave the system (delivered, lost, returned, written off)."""
        self.outflows[reason] += float(units)

    def balance(self) -> float:
        """Units that should be held in the system now."""
        return sum(self.inflows.values()) - sum(self.outflows.values())
