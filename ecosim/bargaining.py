"""Generalized Nash bargaining over wholesale prices, with linear demand (pure functions).

A manufacturer (unit cost c) and a merchant facing linear inverse demand P = a - b Q agree on
a wholesale price w; the merchant then sets its quantity Q(w) = (a - w) / (2 b). Profits are

    manufacturer:  (w - c) Q(w)        merchant:  (a - w)^2 / (4 b)

and w maximises the Nash product (pi_M - d_M)^lambda (pi_R - d_R)^(1 - lambda), with
d_M, d_R the disagreement payoffs (outside options). With d_M = d_R = 0 the solution is
w = c + lambda (a - c) / 2, the textbook result (docs/model.md, section 7.11).

Example:
    >>> w = nash_wholesale_price(c=10.0, a=110.0, b=1.0, weight=0.5)  # c + 0.5 * 100 / 2
    >>> round(float(w[0]), 6)
    35.0
"""

from __future__ import annotations

import numpy as np

__all__ = ["linear_profits", "nash_wholesale_price"]

GRID = 401  # candidate prices per refinement round


def linear_profits(w, c, a, b) -> tuple[np.ndarray, np.ndarray]:
    """Manufacturer's and merchant's profits (RMB/day) at wholesale price ``w``."""
    q = np.maximum(a - w, 0.0) / (2 * b)
    return (w - c) * q, np.maximum(a - w, 0.0) ** 2 / (4 * b)


def nash_wholesale_price(
    c, a, b, weight, d_manufacturer=0.0, d_merchant=0.0, rounds: int = 4
) -> np.ndarray:
    """Wholesale price (RMB/unit) of generalized Nash bargaining, element-wise.

    Args:
        c: manufacturer's unit cost (RMB/unit).
        a: demand intercept, the price at which demand vanishes (RMB/unit).
        b: demand slope (RMB/unit per unit/day), > 0.
        weight: manufacturer's bargaining weight lambda in [0, 1].
        d_manufacturer: manufacturer's disagreement payoff (RMB/day).
        d_merchant: merchant's disagreement payoff (RMB/day).
        rounds: grid refinements (each narrows the bracket 200-fold).

    Returns:
        The agreed w; where no price gives both sides more than their outside option, the
        price that splits the (negative) gap, i.e. the best the pair can do, bounded to [c, a].
    """
    c, a, b, lam, dm, dr = np.broadcast_arrays(
        *(
            np.atleast_1d(np.asarray(x, dtype=float))
            for x in (c, a, b, weight, d_manufacturer, d_merchant)
        )
    )
    lo, hi = c.copy(), np.maximum(a, c)
    t = np.linspace(0.0, 1.0, GRID)
    for _ in range(rounds):
        w = lo[:, None] + (hi - lo)[:, None] * t[None, :]
        pm, pr = linear_profits(w, c[:, None], a[:, None], b[:, None])
        gm, gr = pm - dm[:, None], pr - dr[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            obj = lam[:, None] * np.log(np.where(gm > 0, gm, np.nan)) + (1 - lam[:, None]) * np.log(
                np.where(gr > 0, gr, np.nan)
            )
        feasible = np.isfinite(obj).any(axis=1)
        best = np.where(
            feasible,
            np.nanargmax(np.where(np.isfinite(obj), obj, -np.inf), axis=1),
            np.argmax(np.minimum(gm, gr), axis=1),
        )
        step = (hi - lo) / (GRID - 1)
        centre = lo + step * best
        lo, hi = np.maximum(centre - step, c), np.minimum(centre + step, np.maximum(a, c))
    return (lo + hi) / 2
