"""IoT reordering as in seed 000: device makers' channels, lock-in and its effects on
consumables (docs/model.md, IoT reordering)."""

from __future__ import annotations

import numpy as np
import pytest

from ecosim import EcosystemModel
from tests.conftest import small_config

SEEDS = (1, 2, 3)
ADOPTIONS = (0.0, 0.6)
EFFECTS = [
    "maker_switch_share",
    "consumables_markup",
    "maker_consumables_margin_share",
    "other_store_consumables_sales",
]
# Enough households for steady daily repeat orders, a run long enough for prices and
# contracts to answer to the locked-in demand; only the adoption differs between runs.
CASE = ("consumers.n=2000", "merchants.n_initial=60")
DAYS = 120


@pytest.fixture(scope="module")
def effects() -> dict[tuple[float, int], dict[str, float]]:
    """Mean of the last 30 days' IoT metrics, per (adoption, seed)."""
    out = {}
    for adoption in ADOPTIONS:
        for seed in SEEDS:
            model = EcosystemModel(small_config(*CASE, f"consumers.iot_adoption={adoption}"), seed)
            model.run(DAYS)
            frame = model.timeseries()
            assert np.isfinite(frame[EFFECTS].to_numpy()).all()  # finite on every day
            out[adoption, seed] = frame[EFFECTS].tail(30).mean().to_dict()
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_devices_cut_switching_between_makers(effects, seed):
    without, with_ = effects[0.0, seed], effects[0.6, seed]
    assert with_["maker_switch_share"] < without["maker_switch_share"] - 0.2


@pytest.mark.parametrize("seed", SEEDS)
def test_devices_raise_consumables_price_over_making_cost(effects, seed):
    without, with_ = effects[0.0, seed], effects[0.6, seed]
    assert with_["consumables_markup"] > without["consumables_markup"] + 0.2


@pytest.mark.parametrize("seed", SEEDS)
def test_devices_raise_makers_share_of_consumables_margin(effects, seed):
    without, with_ = effects[0.0, seed], effects[0.6, seed]
    assert with_["maker_consumables_margin_share"] > without["maker_consumables_margin_share"] + 0.1


def test_devices_cost_the_other_stores_consumables_sales(effects):
    """Lower in every seed, and by more than 15% on average: the size of the cut varies with
    how much of a category the makers' channels already hold (seeds 1-5 of the merged model:
    ratios 0.78, 0.52, 0.50, 0.61, 0.97)."""
    ratios = [
        effects[0.6, seed]["other_store_consumables_sales"]
        / effects[0.0, seed]["other_store_consumables_sales"]
        for seed in SEEDS
    ]
    assert max(ratios) < 1.0
    assert np.mean(ratios) < 0.85


def test_brand_concentration_raises_the_top_makers_device_share():
    def top_share(k: float) -> float:
        cfg = small_config(
            f"manufacturers.brand_concentration={k}",
            "consumers.iot_adoption=1",
            "consumers.n=4000",
        )
        model = EcosystemModel(cfg, 5)  # the world as built: devices are bought at start
        makers = model.consumers.device[:, 0]
        assert (makers >= 0).all()
        return np.bincount(makers).max() / makers.size

    cfg_zero = small_config("manufacturers.brand_concentration=0", "consumers.iot_adoption=1")
    model = EcosystemModel(cfg_zero, 5)
    shares = model.manufacturers.device_shares(0.0)
    np.testing.assert_allclose(shares, 1 / model.config.manufacturers.per_category)
    shares = model.manufacturers.device_shares(2.0)
    cat = model.manufacturers.category
    np.testing.assert_allclose(np.bincount(cat, weights=shares), 1.0)
    assert top_share(0.0) < top_share(1.0) < top_share(3.0)


def test_reorders_go_only_to_the_makers_channel():
    """Every device order goes to its maker's flagship or its one authorised store (a store
    the maker supplies), which changes only when that store closes."""
    model = EcosystemModel(
        small_config("consumers.iot_adoption=0.6", "manufacturers.flagship_store=true"), 8
    )
    mer, mfr, cons = model.merchants, model.manufacturers, model.consumers
    previous = mfr.channel.copy()
    device_orders = 0
    for _ in range(80):
        morning = mfr.channel.copy()
        model.step()
        channel = mfr.channel
        has = channel >= 0
        assert mer.active[channel[has]].all()
        own = mer.supplier[channel[has]] == np.flatnonzero(has)
        assert own.all()  # a maker's channel sells its goods
        flag_open = (mfr.flagship >= 0) & mer.active[np.maximum(mfr.flagship, 0)]
        np.testing.assert_array_equal(channel[flag_open], mfr.flagship[flag_open])
        moved = (previous >= 0) & (channel != previous)
        kept_open = mer.active[np.maximum(previous, 0)] & ~flag_open
        assert not (moved & kept_open).any()  # re-chosen only when it closed (or a flagship)
        previous = channel.copy()
        owned = cons.device >= 0
        np.testing.assert_array_equal(cons.device_merchant[owned], channel[cons.device[owned]])
        # today's device orders went to the channels as they stood this morning
        stores = model.today.iot_merchants
        device_orders += stores.size
        assert np.isin(stores, morning[morning >= 0]).all()
    assert device_orders > 200


def test_owners_opt_out_after_bad_deliveries():
    def switched_off(opt_out: float) -> float:
        cfg = small_config(
            "consumers.iot_adoption=0.6",
            f"consumers.iot_opt_out_prob={opt_out}",
            "logistics.loss_rate=0.2",  # bad experiences: a fifth of the parcels are lost
        )
        model = EcosystemModel(cfg, 9)
        model.run(60)
        owned = model.consumers.device >= 0
        return float((~model.consumers.iot_on[owned]).mean())

    assert switched_off(0.0) == 0.0
    assert switched_off(1.0) > 0.05


def test_owners_shop_when_the_channel_asks_more_than_they_tolerate():
    """Every channel asks more than 0.1 x the offline price: no device order is placed, the
    owners buy by search, and the devices stay on."""
    cfg = small_config(
        "consumers.iot_adoption=0.6",
        "consumers.iot_opt_out_prob=0",
        "consumers.iot_price_tolerance=0.1",
    )
    model = EcosystemModel(cfg, 9)
    model.run(40)
    frame = model.timeseries()
    assert (frame["iot_order_share"] == 0).all()
    assert frame["orders"].sum() > 300
    owned = model.consumers.device >= 0
    assert model.consumers.iot_on[owned].all()
