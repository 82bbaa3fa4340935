"""Platforms: fee schedules, ranking rules, trust rules. Rules are read from the config each
day, so a scheduled change (``schedule:``) takes effect on its day."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.table import RowAgent
from ecosim.actors.tables import MALL

if TYPE_CHECKING:
    from ecosim.config import PlatformConfig

__all__ = ["Platform", "displayed_rating", "tier_rates"]


def tier_rates(plat: PlatformConfig, tier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Commission and payment-fee rates (shares of price) for stores of the given tiers."""
    mall = tier == MALL
    commission = np.where(mall, plat.mall.commission_rate, plat.marketplace.commission_rate)
    payment = np.where(mall, plat.mall.payment_fee, plat.marketplace.payment_fee)
    return commission, payment


def displayed_rating(
    plat: PlatformConfig, rating_sum: np.ndarray, rating_count: np.ndarray, prior: float
) -> tuple[np.ndarray, np.ndarray]:
    """What shoppers see under the platform's reputation rule.

    Returns:
        (rating in 0..1, the number of ratings it stands for). ``average``: plain mean;
        ``bayesian``: mean shrunk towards ``prior`` with ``bayesian_prior_weight``
        pseudo-ratings; ``none``: nothing shown (count 0, rating = prior).
    """
    if plat.reputation_rule == "none":
        return np.full(rating_sum.shape, prior), np.zeros(rating_sum.shape)
    if plat.reputation_rule == "average":
        mean = np.where(rating_count > 0, rating_sum / np.maximum(rating_count, 1), prior)
        return mean, rating_count
    m = plat.bayesian_prior_weight
    return (rating_sum + m * prior) / (rating_count + m), rating_count + m


class Platform(RowAgent):
    """A platform, as a Mesa agent: a view onto row ``row`` of ``model.platforms``."""

    @property
    def rules(self) -> PlatformConfig:
        """The platform's current rules (fees, ranking, trust)."""
        return self.model.config.platforms[self.row]

    @property
    def name(self) -> str:
        """Platform name."""
        return self.rules.name
