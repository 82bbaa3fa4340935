"""Phase 9b, spending: households' consumption function closes their budgets.

Each household's consumption budget for the day is Godley and Lavoie's (2007, ch. 3, model
SIM) consumption function ``C = c_y Y + c_w W``: ``Y`` today's income (wage or benefit),
``W`` its cash at the end of yesterday's spending. What it spent today on the modelled
categories (online and offline, net of refunds) is ``W + Y - cash``; the rest of the budget,
when positive, buys other goods and services from the rest of the economy (the ledger's
``world`` account, which also pays the other sector's wages and the benefits). So cash ends
the day at ``W + Y - max(C, modelled spending)``, and with constant income and modelled
spending below the budget it converges to ``W* = (1 - c_y) Y / c_w``. See docs/model.md,
section 7.18.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = ["spend_budgets", "steady_state_cash"]


def steady_state_cash(income: np.ndarray, c_y: float, c_w: float) -> np.ndarray:
    """Cash ``W* = (1 - c_y) Y / c_w`` (RMB) at which a household with income ``Y`` (RMB/day)
    and modelled spending below its budget spends exactly its income."""
    return (1.0 - c_y) * np.asarray(income, dtype=float) / c_w


def spend_budgets(state: State) -> None:
    """Households spend what is left of today's consumption budget on other goods."""
    cash = state.ledger.balances["households"]
    wealth = state.household_wealth
    cfg = state.config.budget
    if cfg.enabled and cash.size:
        # Spent on other goods: cash beyond what the household keeps, W + Y - C. Written
        # in place: at a million households each pass over the arrays costs about 1 ms.
        other = cash - (1.0 - cfg.wealth_propensity) * wealth
        other -= (1.0 - cfg.income_propensity) * state.consumers.income
        np.maximum(other, 0.0, out=other)
        state.today.other_spending = state.ledger.pay_from_each("households", "world", 0, other)
    wealth[:] = cash  # tomorrow's W, also when the rule is off (a schedule may switch it on)
