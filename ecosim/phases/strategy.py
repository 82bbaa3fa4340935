"""Phase 10, strategy: prices, ad bids, entry and exit of stores.

Pricing rules (``merchants.pricing``):
- ``fixed``: the initial markup over the wholesale price, for ever.
- ``best_response``: the logit best response to rivals' current prices. With commission and
  payment fee t and unit cost c (wholesale plus courier), profit (p (1 - t) - c) s(p) is
  maximal where p = c / (1 - t) + mu' / (1 - s), mu' the logit scale over the price
  coefficient; the store moves ``price_adjust_rate`` of the way there. With symmetric stores
  this converges to the Bertrand-Nash price p - c = mu / (1 - s).
- ``adaptive``: hill-climbing on realised profit: keep the direction of the last change if
  profit rose, reverse it otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.merchants import MALL, add_merchants
from ecosim.demand import (
    effective_trust,
    listing_values,
    logit_scale,
    offline_value,
    price_weight,
    typical_shopper,
)
from ecosim.economics import fee_rates, home_platform, pay_platform, unit_cost
from ecosim.phases.ranking import recent_sum

if TYPE_CHECKING:
    from ecosim.model import EcosystemModel

__all__ = ["best_response_prices", "charge_fixed_costs", "entry", "exit_losers", "set_prices"]

ADAPTIVE_STEP = 0.03  # relative price change per review under adaptive pricing
EXIT_REVIEW = 30  # days between a store's reviews of whether to stay open


def best_response_prices(model: EcosystemModel, rows: np.ndarray) -> np.ndarray:
    """Each store's logit best response (RMB) to the current prices of its rivals.

    A store takes its market to be every live listing of its category on its home platform
    plus offline retail, seen by the typical household.
    """
    mer = model.merchants
    out = mer.price[rows].copy()
    home = home_platform(model, rows)
    trust, alpha, region = typical_shopper(model)

    for p in range(len(model.config.platforms)):
        for c in range(len(model.config.categories)):
            sel = (home == p) & (mer.category[rows] == c)
            if not sel.any():
                continue
            market = np.flatnonzero(mer.active & mer.listed[:, p] & (mer.category == c))
            v = listing_values(model, p, c, market[None, :], trust, alpha, region)[0]
            v0 = offline_value(model, c, alpha)[0, 0]
            top = max(v.max(), v0)
            weight = np.exp(v - top)
            share = np.zeros(mer.n)
            share[market] = weight / (np.exp(v0 - top) + weight.sum())
            mine = rows[sel]
            s = share[mine]
            mall = mer.tier[mine] == MALL
            weight = price_weight(model, p, effective_trust(model, p, trust[0, 0], mall))
            mu_eff = logit_scale(model, c) / weight  # mu over the price coefficient
            t = fee_rates(model, mine)
            out[sel] = unit_cost(model, mine) / (1 - t) + mu_eff / (1 - s)
    return out


def set_prices(model: EcosystemModel) -> None:
    """Stores due for a price review (staggered) apply the configured pricing rule."""
    mer = model.merchants
    cfg = model.config.merchants
    due = np.flatnonzero(
        mer.active & ((np.arange(mer.n) + model.day) % cfg.price_update_interval == 0)
    )
    if due.size == 0 or cfg.pricing == "fixed":
        pass
    elif cfg.pricing == "best_response":
        target = best_response_prices(model, due)
        mer.price[due] += cfg.price_adjust_rate * (target - mer.price[due])
    else:
        profit = recent_sum(mer.profit_hist[due], model.day - 1, cfg.price_update_interval)
        last = mer.last_period_profit[due]
        worse = ~np.isnan(last) & (profit < last)
        mer.price_step[due] = np.where(worse, -mer.price_step[due], mer.price_step[due])
        mer.price[due] *= 1 + ADAPTIVE_STEP * mer.price_step[due]
        mer.last_period_profit[due] = profit
    # Never price below unit cost after fees: such a sale loses money for sure.
    live = np.flatnonzero(mer.active)
    floor = unit_cost(model, live) / (1 - fee_rates(model, live))
    mer.price[live] = np.maximum(mer.price[live], floor)
    margin = mer.price[live] * (1 - fee_rates(model, live)) - unit_cost(model, live)
    mer.ad_bid[live] = cfg.ad_bid_share * np.maximum(margin, 0.0)


def charge_fixed_costs(model: EcosystemModel) -> None:
    """Daily operating cost, holding cost and annual listing fees (pro rata) of open stores."""
    mer = model.merchants
    cfg = model.config.merchants
    live = np.flatnonzero(mer.active)
    cost = cfg.fixed_cost + cfg.holding_cost_rate * mer.wholesale[live] * mer.stock[live]
    model.ledger.pay("merchants", live, "world", 0, cost)
    mer.profit_today[live] -= cost
    for p, plat in enumerate(model.config.platforms):
        rows = np.flatnonzero(mer.active & mer.listed[:, p])
        fee = np.where(mer.tier[rows] == MALL, plat.mall.annual_fee, plat.marketplace.annual_fee)
        fee = fee / 365.0
        pay_platform(model, "merchants", rows, p, fee)


def entry(model: EcosystemModel) -> None:
    """Potential entrants open a store where incumbents earn more than the outside option."""
    mer = model.merchants
    cfg = model.config.merchants
    window = min(30, cfg.exit_window)
    # Open stores only: closed ones keep their rows (issue 4, work grows with open stores).
    open_rows = np.flatnonzero(mer.active)
    mean_profit = np.zeros(mer.n)
    mean_profit[open_rows] = recent_sum(mer.profit_hist, model.day, window, open_rows) / window
    for p in range(len(model.config.platforms)):
        for c in range(len(model.config.categories)):
            n_pot = model.rng.poisson(cfg.entry_rate * model.consumers.n / 10_000)
            if n_pot == 0:
                continue
            market = np.flatnonzero(mer.active & mer.listed[:, p] & (mer.category == c))
            if market.size:
                expected = float(np.median(mean_profit[market]))
                price = float(np.median(mer.price[market]))
            else:  # an empty market: the first store has all of the online demand, so enter
                expected = np.inf
                price = None
            if expected <= cfg.outside_option:
                continue
            rows = add_merchants(
                model,
                n_pot,
                np.full(n_pot, p),
                np.full(n_pot, c),
                price=None if price is None else np.full(n_pot, price),
            )
            model.today["entries"] += float(rows.size)


def exit_losers(model: EcosystemModel) -> None:
    """Stores without cash close at once; stores that lost money over the last exit window
    close at their monthly review (staggered across stores, like price reviews, so that
    stores opened together are not all judged on the same day)."""
    mer = model.merchants
    cfg = model.config.merchants
    live = np.flatnonzero(mer.active & ~mer.flagship)
    broke = model.ledger.balances["merchants"][live] < 0
    review = (live + model.day) % EXIT_REVIEW == 0
    old = model.day - mer.entry_day[live] >= cfg.exit_window
    judged = np.flatnonzero(review & old)
    losing = np.zeros(live.size, dtype=bool)
    losing[judged] = recent_sum(mer.profit_hist[live[judged]], model.day, cfg.exit_window) < 0
    out = live[losing | broke]
    if out.size:
        model.close_stores(out, forfeit=False)
