"""Phase 10, strategy: prices, ad bids, entry and exit of stores.

Pricing rules (``merchants.pricing``):
- ``fixed``: the initial markup over the wholesale price, for ever.
- ``best_response``: the logit best response to rivals' current prices. With commission and
  payment fee t and unit cost c (wholesale plus courier), profit (p (1 - t) - c) s(p) is
  maximal where p = c / (1 - t) + mu' / (1 - s(p)), mu' the logit scale over the price
  coefficient and s(p) the store's share at that price with its rivals' prices fixed (solved
  exactly, a fixed point in its own price); the store moves ``price_adjust_rate`` of the way
  there. With symmetric stores this converges to the Bertrand-Nash price
  p - c = mu / (1 - s). A store whose orders are partly placed by smart devices (share L,
  which do not search) has the margin mu' / ((1 - s(p))(1 - L)), capped at the price where
  owners switch their devices off (L itself capped at ``merchants.max_locked_share``).
- ``adaptive``: hill-climbing on realised profit: keep the direction of the last change
  (``merchants.adaptive_step`` of the price) if profit rose, reverse it otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.merchants import add_merchants
from ecosim.actors.tables import MALL, MARKETPLACE
from ecosim.demand import (
    effective_trust,
    listing_values,
    logit_scale,
    offline_value,
    price_weight,
    thin_market_bonus,
    typical_shopper,
)
from ecosim.economics import (
    fee_rates,
    home_platform,
    pay_platform,
    tier_fee_rates,
    unit_cost,
)
from ecosim.phases.consumption import device_price_limit
from ecosim.phases.listing import expected_listing_profit
from ecosim.phases.ranking import recent_sum
from ecosim.phases.services import cancel_services

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = [
    "best_response_prices",
    "charge_fixed_costs",
    "click_conversion",
    "close_stores",
    "entry",
    "exit_losers",
    "logit_best_margin",
    "net_worth",
    "record_profits",
    "set_prices",
]

# Households per which merchants.entry_rate counts entrants: the parameter's unit.
ENTRY_RATE_HOUSEHOLDS = 10_000
NEWTON_STEPS = 60  # at most; the best-response margin converges in under ten


def best_response_prices(state: State, rows: np.ndarray) -> np.ndarray:
    """Each store's logit best response (RMB) to the current prices of its rivals.

    A store takes its market to be every live listing of its category on its home platform
    plus offline retail, seen by the typical household. Its share is recomputed at every
    candidate price with its rivals' prices fixed, so the price solves the first-order
    condition ``p - c / (1 - t) = mu' / (1 - s(p))`` exactly (:func:`logit_best_margin`);
    it stays finite when the store has nearly the whole market at its current price.
    See docs/model.md, section 7.14.
    """
    mer = state.merchants
    out = mer.price[rows].copy()
    home = home_platform(state, rows)
    trust, alpha, region = typical_shopper(state)
    limit = device_price_limit(state)

    for p in range(len(state.config.platforms)):
        for c in range(len(state.config.categories)):
            sel = (home == p) & (mer.category[rows] == c)
            if not sel.any():
                continue
            market = np.flatnonzero(mer.active & mer.listed[:, p] & (mer.category == c))
            v = listing_values(state, p, c, market[None, :], trust, alpha, region)[0]
            # shoppers count a thin market's listings as a thick one's (demand.thin_market_bonus)
            pool = min(market.size, state.config.consumers.consideration_pool)
            v = v + thin_market_bonus(state, pool)
            v0 = offline_value(state, c, alpha)[0, 0]
            mine = rows[sel]
            # A store is listed on its home platform (one listed nowhere has no share).
            at = np.minimum(np.searchsorted(market, mine), max(market.size - 1, 0))
            listed = market[at] == mine if market.size else np.zeros(mine.size, dtype=bool)
            mall = mer.tier[mine] == MALL
            weight = price_weight(state, p, effective_trust(state, p, trust[0, 0], mall))
            mu_eff = logit_scale(state, c) / weight  # mu over the price coefficient
            cost = unit_cost(state, mine) / (1 - fee_rates(state, mine))
            # log of the store's logit weight over its rivals' (offline included) at the
            # price where its margin is zero: exp(v(p)) falls as exp(-p / mu')
            log_odds = np.full(mine.size, -np.inf)
            if market.size:
                log_odds = v[at] - _log_rivals(v, v0)[at] + (mer.price[mine] - cost) / mu_eff
                log_odds[~listed] = -np.inf
            searched = cost + logit_best_margin(log_odds, mu_eff, np.zeros(mine.size))
            # Orders placed by smart devices do not search: with a share L of its orders
            # locked in, the first-order condition of (p (1 - t) - c)(S(p) + L) gives the
            # margin mu' / ((1 - s(p))(1 - L)), up to the price at which owners shop instead.
            locked = mer.iot_ema[mine] / np.maximum(mer.orders_ema[mine], 1e-9)
            locked = np.clip(locked, 0.0, state.config.merchants.max_locked_share)
            with_lock = cost + logit_best_margin(log_odds, mu_eff, locked)
            ceiling = limit[c]
            out[sel] = np.maximum(searched, np.minimum(with_lock, ceiling))
    return out


def logit_best_margin(log_odds: np.ndarray, mu: np.ndarray, locked: np.ndarray) -> np.ndarray:
    """Margin (RMB) ``m = p - c'`` that solves ``m = mu / ((1 - s(m))(1 - L))`` for logit
    shares ``s(m) = b e^(-m/mu) / (1 + b e^(-m/mu))`` against fixed rivals.

    ``b = exp(log_odds)`` is the store's logit weight over the sum of its rivals' weights
    (offline included) at zero margin. The left side rises and the right side falls with
    ``m``, so the root is unique; with ``r = 1 / (1 - L)`` it is ``m = mu (r + W(r b e^-r))``,
    ``W`` the Lambert W function, computed in logs so that a store with all but the whole
    market (``b`` beyond floating point) still gets a finite price.

    Args:
        log_odds: ``log b`` per store.
        mu: logit scale over the price coefficient per store (RMB).
        locked: share L of the store's orders that do not respond to price, in [0, 1).

    Returns:
        The best-response margin over ``c / (1 - t)`` per store (RMB), at least ``mu / (1 - L)``.
    """
    r = 1.0 / (1.0 - locked)
    return mu * (r + np.exp(_log_lambert_w_exp(np.log(r) + log_odds - r)))


def _log_lambert_w_exp(k: np.ndarray) -> np.ndarray:
    """``log W(e^k)`` elementwise: the root ``u`` of ``e^u + u = k`` (Newton's method).

    The function is increasing and convex, and the start lies right of the root
    (``f(log k) = log k > 0`` for ``k > 1``, ``f(k) = e^k > 0`` otherwise), so Newton's
    iterates fall monotonically to the root without overshooting.
    """
    k = np.maximum(np.asarray(k, dtype=float), -700.0)  # W(e^-700) = 0 to double precision
    u = np.where(k > 1.0, np.log(np.maximum(k, 1.0)), k)
    for _ in range(NEWTON_STEPS):
        eu = np.exp(u)
        step = (eu + u - k) / (eu + 1.0)
        u = u - step
        if np.all(np.abs(step) <= 1e-13 * (1.0 + np.abs(u))):
            break
    return u


def _log_rivals(v: np.ndarray, v0: float) -> np.ndarray:
    """For each listing of a market, the log of the summed logit weights of every other
    option (the other listings and offline), from the listings' values ``v`` and offline's
    ``v0`` (logit units).

    Subtracting a listing's weight from the total is exact enough except for the option with
    the largest weight, whose rivals may weigh nothing next to it: that one sum is taken
    directly.
    """
    values = np.append(v, v0)
    best = int(np.argmax(values))
    weights = np.exp(values - values[best])
    rest = weights.sum() - weights[:-1]
    if best < v.size:
        rest[best] = 1.0  # replaced below
    out = values[best] + np.log(rest)
    if best < v.size:
        out[best] = np.logaddexp.reduce(np.delete(values, best))
    return out


def record_profits(state: State) -> None:
    """Today's profit of every store goes into its profit history (after fixed costs)."""
    mer = state.merchants
    mer.profit_hist[:, state.day % mer.profit_hist.shape[1]] = mer.profit_today


def set_prices(state: State) -> None:
    """Stores due for a price review (staggered) apply the configured pricing rule."""
    mer = state.merchants
    cfg = state.config.merchants
    due = np.flatnonzero(
        mer.active & ((np.arange(mer.n) + state.day) % cfg.price_update_interval == 0)
    )
    if due.size == 0 or cfg.pricing == "fixed":
        pass
    elif cfg.pricing == "best_response":
        target = best_response_prices(state, due)
        mer.price[due] += cfg.price_adjust_rate * (target - mer.price[due])
    else:
        profit = recent_sum(mer.profit_hist[due], state.day - 1, cfg.price_update_interval)
        last = mer.last_period_profit[due]
        worse = ~np.isnan(last) & (profit < last)
        mer.price_step[due] = np.where(worse, -mer.price_step[due], mer.price_step[due])
        mer.price[due] *= 1 + cfg.adaptive_step * mer.price_step[due]
        mer.last_period_profit[due] = profit
    # Never price below unit cost after fees: such a sale loses money for sure.
    live = np.flatnonzero(mer.active)
    floor = unit_cost(state, live) / (1 - fee_rates(state, live))
    mer.price[live] = np.maximum(mer.price[live], floor)
    margin = mer.price[live] * (1 - fee_rates(state, live)) - unit_cost(state, live)
    value = np.maximum(margin, 0.0) * click_conversion(state)[mer.category[live]]
    mer.ad_bid[live] = cfg.ad_bid_share * value


def click_conversion(state: State) -> np.ndarray:
    """Chance that a click on a listing of each category ends in an order [C].

    A store's value of a click is its margin times this chance (Edelman, Ostrovsky &
    Schwarz 2007; Varian 2007), so it bids less where most shoppers look online and buy
    offline. A shopper looks at ``consideration_set`` listings and clicks each with chance
    ``click_through``; the orders per look are the category's online orders over the last
    ``listing_demand_window`` days (the start-up estimate before any) over its expected
    needs times the looks. Capped at 1 (every buyer clicked what it bought).
    """
    ccfg = state.config.consumers
    n_c = len(state.config.categories)
    window = state.config.merchants.listing_demand_window
    days = min(state.day, window)
    if days > 0:
        orders = recent_sum(state.market_demand, state.day, days).reshape(-1, n_c).sum(0) / days
        share = orders / np.maximum(state.expected_daily_units, 1e-12)
    else:
        share = state.expected_online_share
    per_look = share / max(ccfg.consideration_set, 1)
    if ccfg.click_through <= 0:
        return np.zeros(n_c)  # nobody clicks: no click is worth anything
    return np.minimum(per_look / ccfg.click_through, 1.0)


def charge_fixed_costs(state: State) -> None:
    """Daily operating cost, holding cost, the running cost of storefronts beyond the first
    and annual listing fees (pro rata) of open stores."""
    mer = state.merchants
    cfg = state.config.merchants
    live = np.flatnonzero(mer.active)
    cost = cfg.fixed_cost + cfg.holding_cost_rate * mer.wholesale[live] * mer.stock[live]
    extra = np.maximum(mer.listed[live].sum(axis=1) - 1, 0)
    cost = cost + cfg.storefront_cost * extra
    state.ledger.pay("merchants", live, "world", 0, cost)
    mer.profit_today[live] -= cost
    for p, plat in enumerate(state.config.platforms):
        rows = np.flatnonzero(mer.active & mer.listed[:, p])
        fee = np.where(mer.tier[rows] == MALL, plat.mall.annual_fee, plat.marketplace.annual_fee)
        fee = fee / 365.0
        pay_platform(state, "merchants", rows, p, fee, "listing")


def entry(state: State) -> None:
    """Potential entrants open a store where incumbents earn more than the outside option.

    With several platforms, the entrants drawn for each (platform, category) list where a
    new listing of the category is expected to earn most (see ``_entrants_platform``).
    """
    mer = state.merchants
    cfg = state.config.merchants
    window = min(cfg.entry_window, cfg.exit_window)
    # Open stores only: closed ones keep their rows, and the work must grow with open
    # stores, not with every store that ever existed (docs/performance.md).
    open_rows = np.flatnonzero(mer.active)
    mean_profit = np.zeros(mer.n)
    mean_profit[open_rows] = recent_sum(mer.profit_hist, state.day, window, open_rows) / window
    where = _entrants_platform(state)
    for p in range(len(state.config.platforms)):
        for c in range(len(state.config.categories)):
            n_pot = state.rng.poisson(cfg.entry_rate * state.consumers.n / ENTRY_RATE_HOUSEHOLDS)
            if n_pot == 0:
                continue
            q = int(where[p, c])  # the platform where a listing is expected to earn most
            market = np.flatnonzero(mer.active & mer.listed[:, q] & (mer.category == c))
            market = market[market < mean_profit.size]  # today's entrants have no record
            if market.size:
                expected = float(np.median(mean_profit[market]))
                price = float(np.median(mer.price[market]))
            else:  # an empty market: the first store has all of the online demand, so enter
                expected = np.inf
                price = None
            if expected <= cfg.outside_option:
                continue
            rows = add_merchants(
                state,
                n_pot,
                np.full(n_pot, q),
                np.full(n_pot, c),
                price=None if price is None else np.full(n_pot, price),
            )
            state.today.entries += float(rows.size)


def _entrants_platform(state: State) -> np.ndarray:
    """Platform a potential entrant drawn for (platform, category) opens on [P, C]: a market
    with no store yet (its first store has all of its online demand), otherwise the
    platform where a typical entrant's listing (the category's median price and unit cost,
    marketplace tier) is expected to earn strictly most (``listing.expected_listing_profit``),
    otherwise where it was drawn."""
    mer = state.merchants
    n_p, n_c = len(state.config.platforms), len(state.config.categories)
    where = np.tile(np.arange(n_p)[:, None], (1, n_c))
    if n_p == 1:
        return where
    live = np.flatnonzero(mer.active)
    platforms = state.config.platforms
    for c in range(n_c):
        rows = live[mer.category[live] == c]
        empty = ~mer.listed[rows].any(axis=0)
        if rows.size == 0 or empty.any():
            continue
        tier = np.array([MARKETPLACE], dtype=np.int8)
        price = np.median(mer.price[rows])
        net = np.array([[price * (1 - tier_fee_rates(plat, tier)[0]) for plat in platforms]])
        cost = np.array([np.median(unit_cost(state, rows))])
        profit = expected_listing_profit(state, rows[:1], net, cost, tier, outsider=True)[0]
        best = int(np.argmax(profit))
        # an entrant moves only for a strictly better platform (none is before any sales)
        where[:, c] = np.where(profit[best] > profit, best, np.arange(n_p))
    return where


def exit_losers(state: State) -> None:
    """Stores without cash close at once; stores that lost money over the last exit window
    close at their monthly review (staggered across stores, like price reviews, so that
    stores opened together are not all judged on the same day)."""
    mer = state.merchants
    cfg = state.config.merchants
    live = np.flatnonzero(mer.active & ~mer.flagship)
    # assets count against negative cash only: a store with cash to spare is never broke,
    # and the escrowed sales are summed only on days when a store's cash is negative
    broke = state.ledger.balances["merchants"][live] < 0
    if broke.any():
        broke[broke] = net_worth(state, live[broke]) < 0
    review = (live + state.day) % cfg.exit_review_period == 0
    old = state.day - mer.entry_day[live] >= cfg.exit_window
    judged = np.flatnonzero(review & old)
    losing = np.zeros(live.size, dtype=bool)
    losing[judged] = recent_sum(mer.profit_hist[live[judged]], state.day, cfg.exit_window) < 0
    out = live[losing | broke]
    if out.size:
        close_stores(state, out, forfeit=False)


def net_worth(state: State, rows: np.ndarray) -> np.ndarray:
    """What the given stores could pay their way with (RMB): cash plus ``collateral_share``
    of their stock and goods on order at the wholesale price and of their sales held in
    escrow (docs/model.md 7.14), so that cash spent on stock is not counted as lost."""
    mer = state.merchants
    cash = state.ledger.balances["merchants"][rows]
    share = state.config.merchants.collateral_share
    if share == 0.0:
        return cash
    goods = mer.wholesale[rows] * (mer.stock[rows] + mer.on_order[rows])
    held = state.shipments.sum_by(
        "merchant", mer.n, lambda b: np.where(b["escrow"], b["price"] - b["fee"], 0.0)
    )
    return cash + share * (goods + held[rows])


def close_stores(state: State, rows: np.ndarray, forfeit: bool) -> None:
    """Close stores: stock written off, deposit refunded (or forfeited), cash withdrawn."""
    mer = state.merchants
    rows = rows[mer.active[rows]]
    if rows.size == 0:
        return
    state.record.exits(state.day, rows, mer, forfeit, state.ledger.balances["merchants"][rows])
    mer.active[rows] = False
    state.goods.removed("written_off", float(mer.stock[rows].sum()))
    mer.stock[rows] = 0.0
    deposit = mer.deposit[rows]
    held = deposit > 0
    if held.any():
        plat = mer.deposit_platform[rows[held]]
        if forfeit:
            pay_platform(state, "escrow", plat, plat, deposit[held], "deposits")
        else:
            state.ledger.pay("escrow", plat, "merchants", rows[held], deposit[held])
        mer.deposit[rows] = 0.0
    mer.listed[rows] = False
    cancel_services(state, rows)
    state.today.exits += float(rows.size)
