"""The textbook figures the validation cases compare the model with (docs/validation.md).

Each function is the closed form, or the exact numerical solution, of a result from the
literature, written for the degenerate configuration of its case.
"""

from __future__ import annotations

import math

__all__ = ["chen_ratio", "logit_nash_price", "nash_split", "pass_through_rate"]

FIXED_POINT_STEPS = 500  # iterations of the Bertrand-Nash fixed point (a contraction)


def logit_nash_price(cost: float, mu: float, v_rest: float, v0: float, n: int) -> float:
    """Symmetric Bertrand-Nash price (RMB) of ``n`` single-product sellers under logit demand
    with an outside option (Anderson, de Palma & Thisse 1992, ch. 7).

    Solves ``p - c = mu / (1 - s(p))``, ``s(p) = e^v / (e^v0 + n e^v)`` and
    ``v = (v_rest - p) / mu``, by fixed-point iteration from ``c + mu``.

    Args:
        cost: unit cost c of a sale, after fees (RMB).
        mu: logit scale over the price coefficient (RMB).
        v_rest: utility of a listing before its price (RMB).
        v0: utility of the outside option (logit units).
        n: number of sellers.
    """
    price = cost + mu
    for _ in range(FIXED_POINT_STEPS):
        v = (v_rest - price) / mu
        share = math.exp(v) / (math.exp(v0) + n * math.exp(v))
        price = cost + mu / (1 - share)
    return price


def pass_through_rate(
    cost: float, fee_before: float, fee_after: float, mu: float, v_rest: float, v0: float, n: int
) -> tuple[float, float, float]:
    """Bertrand-Nash prices before and after a fee change, and the pass-through rate.

    A fee (commission plus payment fee, share of price) ``t`` makes a sale cost
    ``c / (1 - t)`` of the price (docs/model.md, section 7.14). The rate is the change in the
    equilibrium price over the change in that cost: 1 is full pass-through; with logit demand
    and an outside option it is below 1 (Weyl & Fabinger 2013: the pass-through of a
    log-concave demand is less than one).

    Returns:
        ``(price before, price after, rate)`` in RMB, RMB and RMB/RMB.
    """
    before = logit_nash_price(cost / (1 - fee_before), mu, v_rest, v0, n)
    after = logit_nash_price(cost / (1 - fee_after), mu, v_rest, v0, n)
    return before, after, (after - before) / (cost / (1 - fee_after) - cost / (1 - fee_before))


def nash_split(cost: float, intercept: float, weight: float) -> float:
    """Wholesale price (RMB) of the generalized Nash bargaining solution between a
    manufacturer (bargaining weight ``weight``) and a store with linear net demand and zero
    outside options: ``w = c + weight (a - c) / 2`` (Nash 1950; the linear-demand case of
    docs/model.md, section 7.11).

    Args:
        cost: the manufacturer's unit cost c (RMB).
        intercept: the store's net-demand price intercept a (RMB).
        weight: the manufacturer's bargaining weight, 0..1.
    """
    return cost + weight * (intercept - cost) / 2


def chen_ratio(m: float, p: float) -> float:
    """Var(orders) / Var(demand) of an order-up-to stage covering ``m`` days with a ``p``-day
    moving-average forecast of iid demand: ``1 + 2m/p + 2m^2/p^2`` (Chen, Drezner, Ryan &
    Simchi-Levi 2000, Management Science 46(3))."""
    return 1 + 2 * m / p + 2 * m * m / (p * p)
