"""A single-store supply chain driven by iid demand: the harness of the bullwhip case.

The model's restocking phase runs on its own, day after day, for one store and its
manufacturer; consumer demand is drawn here instead of by households, so that it is iid
Poisson as Chen, Drezner, Ryan & Simchi-Levi (2000) assume. With a p-day moving-average
forecast and an order-up-to level ``M x forecast + constant`` reviewed daily, a stage's
orders are ``q_t = (1 + M/p) D_t - (M/p) D_{t-p}``, so ``Var(q) / Var(D) = 1 + 2M/p +
2M^2/p^2``. A store's ``M`` is ``L + R`` (lead time plus the review period: goods ordered
today sell from day t + L + 1, docs/model.md, section 7.10); a manufacturer's is ``L_m + 1``.
"""

from __future__ import annotations

import functools

import numpy as np

from ecosim.model import EcosystemModel
from ecosim.phases import restocking
from ecosim.state import Tally
from ecosim.validation.configs import load_validation_config

__all__ = ["CHAIN_DAYS", "CHAIN_DEMAND", "CHAIN_WARM_UP", "single_store_chain"]

CHAIN_DEMAND = 100.0  # units/day: Poisson, so near-normal and never near zero
CHAIN_WARM_UP = 150  # days dropped: the windows fill and the initial stock drains
CHAIN_DAYS = 3000  # days measured


def single_store_chain(
    lead: int, window: int, sharing: bool, seed: int = 3, production_lead: int = 3
) -> dict[str, np.ndarray]:
    """One store, its manufacturer with unlimited capacity, iid Poisson consumer demand.

    The configuration is ``configs/validation/bullwhip.yaml`` with the store's lead time,
    the forecast and planning window and the production lead time set. Safety stocks use a
    120-day sd (near-constant, Chen et al.'s premise for equality) with ``z = 3`` at the
    store and ``z_m = 6`` at the manufacturer (whose point-of-sale sd understates the
    variability of the orders it ships), so that neither stage runs short. Results are
    cached per argument set, so cases and tests that ask for the same chain share one run.

    Args:
        lead: the store's lead time L (days).
        window: the moving-average window p of the store's and the manufacturer's forecasts.
        sharing: the manufacturer plans from point-of-sale demand (the data service).
        seed: the model's and the demand's seed.
        production_lead: the manufacturer's production lead time (days).

    Returns:
        Daily series over ``CHAIN_DAYS`` days after ``CHAIN_WARM_UP``: ``demand``, the store's
        ``orders``, the manufacturer's ``production``, units ``short`` at the store and units
        ``rationed`` by the manufacturer (units/day).
    """
    return _chain(int(lead), int(window), bool(sharing), int(seed), int(production_lead))


@functools.cache
def _chain(
    lead: int, window: int, sharing: bool, seed: int, production_lead: int
) -> dict[str, np.ndarray]:
    config = load_validation_config(
        "bullwhip",
        [
            f"manufacturers.lead_time={lead}",
            f"merchants.forecast_window={window}",
            f"manufacturers.production_lead_time={production_lead}",
            f"manufacturers.planning_window={window}",
        ],
    )
    state = EcosystemModel(config, rng=seed).state
    mer, mfr = state.merchants, state.manufacturers
    store = int(np.flatnonzero(mer.active)[0])
    maker = int(mer.supplier[store])
    mer.active[:] = False
    mer.active[store] = True
    mer.entry_day[store] = 0
    mfr.capacity[:] = 1e12
    mfr.data_service[:] = sharing
    rng = np.random.default_rng(seed)
    keys = ("demand", "orders", "production", "short", "rationed")
    out = {key: np.zeros(CHAIN_WARM_UP + CHAIN_DAYS) for key in keys}
    for i in range(CHAIN_WARM_UP + CHAIN_DAYS):
        state.day = i + 1
        state.today = Tally()
        mfr.produced_today[:] = 0.0
        for hist in (mer.units_hist, mfr.orders_hist, mfr.pos_hist):
            hist[:, state.day % hist.shape[1]] = 0.0
        demand = float(rng.poisson(CHAIN_DEMAND))
        mer.units_hist[store, state.day % mer.units_hist.shape[1]] = demand
        sold = min(demand, mer.stock[store])
        mer.stock[store] -= sold
        state.goods.removed("sold", sold)
        restocking.receive(state)
        held = mfr.finished_stock[maker]
        restocking.reorder(state)
        shipped = held - mfr.finished_stock[maker]
        restocking.plan_production(state)
        out["demand"][i] = demand
        out["orders"][i] = state.today.restock_ordered
        out["production"][i] = mfr.produced_today[maker]
        out["short"][i] = demand - sold
        out["rationed"][i] = state.today.restock_ordered - shipped
    return {key: series[CHAIN_WARM_UP:] for key, series in out.items()}
