"""Phase 8, services, and the providers' review in phase 10 (docs/model.md, section 7.12).

Stores use a type's free basic tool (offered by the platform) when its benefit beats the
owner's effort, and buy the paid service when its benefit, less what the free tool would
give, beats its price; so large stores pay and small ones use free tools. Providers are
firms: capacity from staff (the owner serves ``clients_per_staff`` clients, each hired worker
as many more), costs, profit, entry when an entrant's expected profit beats the outside
option, exit after sustained losses, prices set by competition among the providers of a type.

Expected daily benefit of each paid service to a store (RMB/day), with g its gross margin per
day; a free tool gives ``free_tool_strength`` of it:
- marketing: ``marketing_visibility x marketing_sales_lift x g`` (ranking boost -> more sales);
- customer service: disputes avoided (``customer_service_dispute_cut x disputes x price``)
  plus own staff saved (``customer_service_staff_saving x wage bill``);
- operations: own staff saved (``operations_staff_saving x wage bill``);
- analytics: ``analytics_forecast_gain x analytics_margin_at_risk x g`` (fewer stockouts,
  less stock).

Every behavioural number is a field of ``config.services``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.services import open_providers
from ecosim.actors.tables import HISTORY, SERVICE_TYPES
from ecosim.economics import SERVICES_SECTOR, fee_rates, unit_cost, wage_rates

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = [
    "bill_services",
    "cancel_services",
    "choose_services",
    "dispute_cut",
    "forecast_gain",
    "paid_value",
    "review_providers",
    "service_effects",
    "staff_needed",
    "staff_saving",
    "visibility",
]

MARKETING, CUSTOMER_SERVICE, OPERATIONS, ANALYTICS = range(len(SERVICE_TYPES))


def delivery_ratio(state: State) -> np.ndarray:
    """Share of the promised service each provider delivers (capacity over clients, <= 1)."""
    prov = state.providers
    cap = (prov.staff + 1) * state.config.services.clients_per_staff  # the owner serves too
    return np.where(prov.clients > 0, np.minimum(1.0, cap / np.maximum(prov.clients, 1)), 1.0)


def staff_needed(state: State) -> np.ndarray:
    """Staff each provider hires (workers): enough that owner and staff serve its clients,
    ``ceil((clients - cps) / cps)`` with ``cps = clients_per_staff``; none when closed."""
    prov = state.providers
    per_worker = state.config.services.clients_per_staff
    need = np.ceil(np.maximum(prov.clients - per_worker, 0) / per_worker)
    return np.where(prov.active, need, 0).astype(np.int64)


def service_effects(state: State) -> np.ndarray:
    """Effect strength (0..1) of each store's services [M, 4]: a paid subscription's
    provider's delivery ratio, else ``free_tool_strength`` with the free tool, else 0."""
    mer = state.merchants
    ratio = delivery_ratio(state) if state.providers.n else np.ones(0)
    has = mer.provider >= 0
    out = np.where(mer.free_tools, state.config.services.free_tool_strength, 0.0)
    out[has] = ratio[mer.provider[has]]
    return out


def _benefits(state: State, rows: np.ndarray) -> np.ndarray:
    """Expected daily benefit (RMB/day) of each paid service type to each store [rows, 4]."""
    cfg = state.config.services
    mer = state.merchants
    units = mer.orders_ema[rows]
    margin = mer.price[rows] * (1 - fee_rates(state, rows)) - unit_cost(state, rows)
    gross = units * np.maximum(margin, 0.0)
    wage_bill = mer.staff[rows] * wage_rates(state)[0]
    disputes = units * state.metrics.get("dispute_rate", 0.0)
    out = np.zeros((rows.size, len(SERVICE_TYPES)))
    out[:, MARKETING] = cfg.marketing_visibility * cfg.marketing_sales_lift * gross
    out[:, CUSTOMER_SERVICE] = (
        cfg.customer_service_dispute_cut * disputes * mer.price[rows]
        + cfg.customer_service_staff_saving * wage_bill
    )
    out[:, OPERATIONS] = cfg.operations_staff_saving * wage_bill
    out[:, ANALYTICS] = cfg.analytics_forecast_gain * cfg.analytics_margin_at_risk * gross
    return out


def paid_value(state: State, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What each store would pay at most for each paid service, and whether it would use
    the free tool instead [rows, 4].

    A free tool is worth ``free_tool_strength x benefit - free_tool_effort`` (used when
    positive); a paid service is worth its benefit less the free tool's worth, the best
    alternative to paying (RMB/day).
    """
    cfg = state.config.services
    benefit = _benefits(state, rows)
    free_net = cfg.free_tool_strength * benefit - cfg.free_tool_effort
    use_free = free_net > 0
    return benefit - np.maximum(free_net, 0.0), use_free


def _choice_shares(state: State, offers: np.ndarray) -> np.ndarray:
    """Logit shares of a type's open providers among the stores that buy it:
    ``exp(-p_i / price_scale)`` normalised."""
    price = state.providers.price[offers]
    weight = np.exp(-(price - price.min()) / state.config.services.price_scale)
    return weight / weight.sum()


def choose_services(state: State) -> None:
    """Stores due for review choose, per type, the paid service (a provider drawn by logit
    over prices, or the one they have), the free tool, or nothing."""
    prov = state.providers
    mer = state.merchants
    cfg = state.config.services
    due = np.flatnonzero(mer.active & ((np.arange(mer.n) + state.day) % cfg.decision_interval == 0))
    if due.size == 0:
        return
    value, use_free = paid_value(state, due)
    for k in range(len(SERVICE_TYPES)):
        offers = np.flatnonzero(prov.active & (prov.kind == k))
        current = mer.provider[due, k]
        candidate = current.copy()
        newcomers = np.flatnonzero(current < 0)
        if offers.size and newcomers.size:
            candidate[newcomers] = state.rng.choice(
                offers, newcomers.size, p=_choice_shares(state, offers)
            )
        offered = candidate >= 0
        price = np.full(candidate.size, np.inf)
        price[offered] = prov.price[candidate[offered]]
        want = offered & (value[:, k] > price)
        drop = (current >= 0) & ~want
        join = (current < 0) & want
        np.subtract.at(prov.clients, current[drop], 1)
        mer.provider[due[drop], k] = -1
        mer.provider[due[join], k] = candidate[join]
        np.add.at(prov.clients, candidate[join], 1)
        mer.free_tools[due, k] = use_free[:, k] & ~want


def cancel_services(state: State, rows: np.ndarray) -> None:
    """Closing stores end their subscriptions and stop using free tools."""
    mer = state.merchants
    held = mer.provider[rows]
    np.subtract.at(state.providers.clients, held[held >= 0], 1)
    mer.provider[rows] = -1
    mer.free_tools[rows] = False


def bill_services(state: State) -> None:
    """Subscribers pay their providers' daily price; open providers pay their operating
    costs (fixed, and per client) to the rest of the world."""
    mer = state.merchants
    prov = state.providers
    cfg = state.config.services
    prov.revenue_today[:] = 0.0
    prov.profit_today[:] = 0.0
    rows, kinds = np.nonzero((mer.provider >= 0) & mer.active[:, None])
    if rows.size:
        who = mer.provider[rows, kinds]
        price = prov.price[who]
        state.ledger.pay("merchants", rows, "services", who, price)
        np.subtract.at(mer.profit_today, rows, price)
        prov.revenue_today += np.bincount(who, weights=price, minlength=prov.n)
        state.today.services_revenue += float(price.sum())
    live = np.flatnonzero(prov.active)
    cost = cfg.fixed_cost + cfg.cost_per_client * prov.clients[live]
    state.ledger.pay("services", live, "world", 0, cost)
    prov.profit_today += prov.revenue_today
    prov.profit_today[live] -= cost


def _marginal_cost(state: State, rows: np.ndarray) -> np.ndarray:
    """Each provider's cost of one more client (RMB/day): ``cost_per_client``, plus a
    worker's wage over ``clients_per_staff`` once owner and staff are fully used."""
    cfg = state.config.services
    prov = state.providers
    full = prov.clients[rows] >= (prov.staff[rows] + 1) * cfg.clients_per_staff
    wage = wage_rates(state)[SERVICES_SECTOR]
    return cfg.cost_per_client + np.where(full, wage / cfg.clients_per_staff, 0.0)


def _monopoly_price(value: np.ndarray, cost: float) -> float:
    """The price that maximises ``(p - cost) x #{stores valuing the service above p}``,
    over the stores' values (RMB/day); ``cost`` when none values it above cost."""
    v = np.sort(value[value > cost])[::-1]
    if v.size == 0:
        return cost
    buyers = np.arange(1, v.size + 1)
    return float(v[np.argmax((v - cost) * buyers)])


def _set_prices(state: State, values: np.ndarray) -> None:
    """Providers due for review move ``price_adjust_rate`` of the way to
    ``min(c_i + price_scale / (1 - s_i), monopoly price at c_i)``, ``s_i`` their logit share
    and ``c_i`` their marginal cost."""
    prov = state.providers
    cfg = state.config.services
    due = prov.active & ((np.arange(prov.n) + state.day) % cfg.decision_interval == 0)
    if cfg.pricing == "fixed" or not due.any():
        return
    for k in range(len(SERVICE_TYPES)):
        offers = np.flatnonzero(prov.active & (prov.kind == k))
        mine = due[offers]
        if not mine.any():
            continue
        rows = offers[mine]
        share = _choice_shares(state, offers)[mine]
        cost = _marginal_cost(state, rows)
        with np.errstate(divide="ignore"):
            best = cost + cfg.price_scale / (1 - share)
        ceiling = np.array([_monopoly_price(values[:, k], c) for c in cost])
        target = np.minimum(best, ceiling)
        prov.price[rows] += cfg.price_adjust_rate * (target - prov.price[rows])


def _close(state: State, rows: np.ndarray) -> None:
    """Close providers: their clients lose the service (they choose again at their next
    review), their staff go in the next labour phase, their cash goes to the owner."""
    prov = state.providers
    mer = state.merchants
    prov.active[rows] = False
    lost = np.isin(mer.provider, rows)
    mer.provider[lost] = -1
    prov.clients[rows] = 0
    cash = state.ledger.balances["services"][rows]
    state.ledger.pay("services", rows, "world", 0, cash)
    state.today.provider_exits += float(rows.size)


def _exit(state: State) -> None:
    """Providers without cash close at once; at its review, one at least ``exit_window`` days
    old whose profit over that window is negative closes."""
    prov = state.providers
    cfg = state.config.services
    live = np.flatnonzero(prov.active)
    broke = state.ledger.balances["services"][live] < 0
    review = (live + state.day) % cfg.decision_interval == 0
    old = state.day - prov.entry_day[live] >= cfg.exit_window
    judged = np.flatnonzero(review & old)
    days = (state.day - np.arange(cfg.exit_window)) % HISTORY
    losing = np.zeros(live.size, dtype=bool)
    losing[judged] = prov.profit_hist[live[judged]][:, days].sum(axis=1) < 0
    out = live[broke | losing]
    if out.size:
        _close(state, out)


def _entry(state: State, values: np.ndarray) -> None:
    """Potential providers of each type, ``Poisson(entry_rate x n / 10,000)``, open when an
    entrant's expected profit beats ``outside_option``: at the type's going price ``p``
    (median open provider's, else the configured price), a share ``1 / (n_k + 1)`` of the
    stores that value the service above ``p``, less its costs and the staff it would need."""
    prov = state.providers
    cfg = state.config.services
    scale = state.consumers.n / 10_000
    wage = wage_rates(state)[SERVICES_SECTOR]
    for k, name in enumerate(SERVICE_TYPES):
        n_pot = state.rng.poisson(cfg.entry_rate * scale)
        if n_pot == 0:
            continue
        offers = np.flatnonzero(prov.active & (prov.kind == k))
        price = (
            float(np.median(prov.price[offers])) if offers.size else getattr(cfg, f"{name}_price")
        )
        clients = np.count_nonzero(values[:, k] > price) / (offers.size + 1)
        staff = np.ceil(max(clients - cfg.clients_per_staff, 0) / cfg.clients_per_staff)
        profit = clients * (price - cfg.cost_per_client) - cfg.fixed_cost - staff * wage
        if profit <= cfg.outside_option:
            continue
        open_providers(state, np.full(n_pot, k), np.full(n_pot, price))
        state.today.provider_entries += float(n_pot)


def review_providers(state: State) -> None:
    """After wages: record providers' profits, close losers, open entrants, set prices."""
    prov = state.providers
    prov.profit_hist[:, state.day % HISTORY] = np.where(prov.active, prov.profit_today, 0.0)
    _exit(state)
    mer = state.merchants
    values = paid_value(state, np.flatnonzero(mer.active))[0]
    _entry(state, values)
    _set_prices(state, values)


def visibility(state: State) -> np.ndarray:
    """Ranking score each store gains from marketing (paid or the free tool)."""
    effect = service_effects(state)[:, MARKETING]
    return state.config.services.marketing_visibility * effect


def dispute_cut(state: State) -> np.ndarray:
    """Share by which customer service (paid or the free tool) cuts each store's disputes."""
    effect = service_effects(state)[:, CUSTOMER_SERVICE]
    return state.config.services.customer_service_dispute_cut * effect


def staff_saving(state: State) -> np.ndarray:
    """Share of each store's own staff need replaced by customer service and operations."""
    eff = service_effects(state)
    cfg = state.config.services
    saving = (
        cfg.customer_service_staff_saving * eff[:, CUSTOMER_SERVICE]
        + cfg.operations_staff_saving * eff[:, OPERATIONS]
    )
    return np.minimum(saving, cfg.max_staff_saving)


def forecast_gain(state: State) -> np.ndarray:
    """Share by which analytics (paid or the free tool) cut each store's demand-forecast
    error (0..1).

    The platform's point-of-sale data service is a different lever: it changes what the
    store's supplier plans from, not the store's forecast (``phases.restocking``).
    """
    effect = service_effects(state)[:, ANALYTICS]
    return state.config.services.analytics_forecast_gain * effect
