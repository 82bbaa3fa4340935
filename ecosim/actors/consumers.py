"""Households: shoppers and workers. State lives in :class:`ConsumerTable` columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.table import RowAgent
from ecosim.actors.tables import UNEMPLOYED, ConsumerTable
from ecosim.dates import consumable_multiplier, durable_multiplier
from ecosim.demand import (
    choose,
    listing_values,
    logit_scale,
    offline_value,
    thin_page_positions,
)

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = ["Consumer", "create_consumers"]


def create_consumers(state: State) -> ConsumerTable:
    """Draw the initial households: region, tastes, consumption rates, homes and stocks."""
    cfg = state.config.consumers
    rng = state.rng
    n = cfg.n
    table = ConsumerTable(n, len(state.consumables))
    n_urban = state.config.regions.n_urban
    n_regions = state.n_regions
    urban = rng.random(n) < state.config.regions.urban_population_share
    table.region[:] = np.where(
        urban,
        rng.integers(0, n_urban, n),
        n_urban + rng.integers(0, max(n_regions - n_urban, 1), n) if n_regions > n_urban else 0,
    )
    sd = cfg.price_sensitivity_sd
    table.price_sensitivity[:] = rng.lognormal(-0.5 * sd * sd, sd, n)
    table.trust[:] = cfg.initial_trust
    base_wage = state.config.labour.wage
    income_sd = cfg.income_sd
    table.base_income[:] = base_wage * rng.lognormal(-0.5 * income_sd * income_sd, income_sd, n)
    # Single-homers pick a platform by its initial share; the rest shop everywhere.
    shares = np.array([p.initial_share for p in state.config.platforms], dtype=float)
    shares = shares / shares.sum() if shares.sum() > 0 else np.full(len(shares), 1 / len(shares))
    multi = rng.random(n) < cfg.multihoming_share
    table.home[:] = np.where(multi, -1, rng.choice(len(shares), size=n, p=shares))
    for k, c in enumerate(state.consumables):
        cat = state.config.categories[c]
        s = cfg.pack_days_sd
        table.rate[:, k] = cat.consumption_rate * rng.lognormal(-0.5 * s * s, s, n)
        pack_days = 1.0 / np.maximum(table.rate[:, k], 1e-9)
        table.stock_out[:, k] = rng.random(n) * pack_days + cfg.reorder_point_days
    return table


class Consumer(RowAgent):
    """A household, as a Mesa agent: a view onto row ``row`` of ``model.consumers``.

    The fast model never steps these objects; :meth:`step` is the plain-Mesa reference path
    (``consumer_path: reference``), used to check the columnar phases on small populations.
    """

    @property
    def trust(self) -> float:
        """Trust in online sellers (probability)."""
        return float(self.model.consumers.trust[self.row])

    @property
    def region(self) -> int:
        """Region index."""
        return int(self.model.consumers.region[self.row])

    @property
    def employed(self) -> bool:
        """Whether the household has a job."""
        return bool(self.model.consumers.sector[self.row] != UNEMPLOYED)

    @property
    def cash(self) -> float:
        """Cash (RMB)."""
        return float(self.model.ledger.balances["households"][self.row])

    def step(self) -> None:
        """Reference path: find this household's needs for today, one category at a time.

        A consumable is due when its home stock covers no more than the reorder point (the
        device threshold if a switched-on device is linked to an open store, which then
        reorders it) and no order for it is on its way; durable needs arrive as Poisson
        events at the category's rate times relative income to the ``elasticity``, capped at
        ``income_saturation`` times the mean income. On a festival day (``ecosim.dates``) durable
        rates are multiplied by the festival's ``m`` and each consumable adds a Poisson number
        of units bought ahead, ``m_c - 1`` days of consumption on average. Each need is
        appended to ``model.needs_found`` as ``(household, category, consumable slot or -1,
        device store or -1)``.
        """
        model = self.model
        cons = model.consumers
        cfg = model.config.consumers
        i = self.row
        found = model.needs_found
        for k, c in enumerate(model.consumables):
            if cons.pending[i, k]:
                continue
            store = int(cons.device_merchant[i, k])
            device = bool(cons.iot_on[i, k]) and store >= 0 and bool(model.merchants.active[store])
            threshold = cfg.iot_threshold_days if device else cfg.reorder_point_days
            if cons.stock_out[i, k] - threshold <= model.day:
                found.append((i, c, k, store if device else -1))
        # a festival: consumables bought ahead, (m_c - 1) days of consumption on average
        extra_days = consumable_multiplier(model.config.calendar, model.date) - 1.0
        if extra_days > 0:
            for k, c in enumerate(model.consumables):
                for _ in range(int(model.rng.poisson(cons.rate[i, k] * extra_days))):
                    found.append((i, c, k, -1))
        relative = min(float(cons.income[i]) / model.mean_base_income, cfg.income_saturation)
        weight = relative**cfg.income_spending_elasticity
        weight *= durable_multiplier(model.config.calendar, model.date)
        for c in model.durables:
            rate = model.config.categories[c].need_rate * weight
            if rate > 0:
                for _ in range(int(model.rng.poisson(rate))):
                    found.append((i, c, -1, -1))

    def choose_platform(
        self, category: int, inclusive: np.ndarray, reconsider: bool = False
    ) -> int:
        """Platform to search for ``category``: the home platform, or for a multi-homer (or a
        single-homer reconsidering its home, who then moves there) the most attractive
        (``ecosim.demand.platform_attractiveness``) plus a Gumbel taste shock.

        Args:
            category: category index.
            inclusive: attractiveness of each (platform, category) market (logit units).
            reconsider: a single-homer picks its home afresh.

        Returns:
            Platform index, or -1 when no platform lists the category.
        """
        cons = self.model.consumers
        home = int(cons.home[self.row])
        if home >= 0 and not reconsider:
            return home
        util = inclusive[:, category] + self.model.rng.gumbel(size=inclusive.shape[0])
        if not np.isfinite(util).any():
            return -1
        best = int(np.argmax(util))
        if home >= 0:
            cons.home[self.row] = best
        return best

    def choose_listing(self, platform: int, category: int, page) -> tuple[int, np.ndarray, float]:
        """Search one page: draw the consideration set, then pick by multinomial logit
        against buying offline.

        Args:
            platform: platform index.
            category: category index.
            page: the market's ranked page (``ecosim.phases.ranking.Page``).

        Returns:
            (merchant row chosen, or -1 for offline; page positions considered; consumer
            surplus of the search over buying offline, RMB).
        """
        model = self.model
        state = model.state
        cfg = model.config.consumers
        cons = model.consumers
        i = self.row
        sheet = page.merchants[0]
        if page.n_niches > 1:  # the query this search is about
            sheet = page.merchants[model.rng.integers(0, page.n_niches)]
        # K looks at a full page of ``consideration_pool`` positions; a shorter page's
        # listings stand for blocks of them (``demand.thin_page_positions``)
        pool = cfg.consideration_pool
        k = min(cfg.consideration_set, pool)
        if k < pool:
            weights = np.exp(-cfg.position_decay * np.arange(pool))
            looks = model.rng.choice(pool, size=k, replace=False, p=weights / weights.sum())
        else:
            looks = np.arange(pool)
        looked = thin_page_positions(state, looks, page.length)
        alpha = cons.price_sensitivity[i : i + 1]
        values = listing_values(
            state,
            platform,
            category,
            sheet[looked][None, :],
            cons.trust[i : i + 1, None],
            alpha[:, None],
            cons.region[i : i + 1, None],
        )[0]
        offline = offline_value(state, category, alpha)
        pick, inclusive = choose(offline, values[:, None], model.rng.random(1))
        merchant = int(sheet[looked[pick[0] - 1]]) if pick[0] > 0 else -1
        mu = logit_scale(state, category)
        surplus = float(mu / alpha[0] * (inclusive[0] - offline[0]))
        return merchant, looked, surplus
