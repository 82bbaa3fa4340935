"""The columnar consumer phases against the plain-Mesa reference path (docs/performance.md).

Where both paths can take the same random draws (full consideration sets, no durable needs)
they must give the same results; otherwise the same distribution of outcomes. The pieces the
fast path adds (the need queue, the consideration sampler, the sparse ledger postings) are
checked against the plain computations they replace.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecosim import EcosystemModel, load_config
from ecosim.actors.consumers import Consumer
from ecosim.demand import consider
from ecosim.ledger import Ledger
from ecosim.phases import consumption, reference

SMALL = ["consumers.n=400", "merchants.n_initial=30"]
# Everything that is drawn is drawn the same way on both paths: every listing of a page is
# considered (no consideration draws) and no durable needs arrive (no arrival draws).
SHARED_DRAWS = [
    "consumers.consideration_set=40",
    "consumers.iot_adoption=0.5",
    "categories.3.need_rate=0.0",
    "categories.4.need_rate=0.0",
]


def _pair(base: str, overrides: list[str], seed: int, days: int):
    models = {}
    for path in ("vectorized", "reference"):
        cfg = load_config(base, [*SMALL, *overrides, f"consumer_path={path}"])
        models[path] = EcosystemModel(cfg, rng=seed)
        models[path].run(days)
    return models["vectorized"], models["reference"]


@pytest.mark.parametrize(
    "base",
    ["configs/baseline.yaml", "configs/scenarios/two_platforms.yaml"],
)
def test_paths_identical_when_draws_are_shared(base):
    fast, ref = _pair(base, SHARED_DRAWS, seed=3, days=40)
    a, b = fast.timeseries(), ref.timeseries()
    assert a["orders"].sum() > 100 and a["iot_order_share"].max() > 0  # IoT and search ran
    # Consumer surplus is computed by other (equal) formulas, so it agrees to rounding only.
    pd.testing.assert_series_equal(a.pop("consumer_surplus"), b.pop("consumer_surplus"), rtol=1e-9)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    np.testing.assert_array_equal(fast.consumers.stock_out, ref.consumers.stock_out)
    np.testing.assert_array_equal(fast.consumers.trust, ref.consumers.trust)
    np.testing.assert_array_equal(fast.merchants.stock, ref.merchants.stock)
    for sector, balance in fast.ledger.balances.items():
        np.testing.assert_allclose(balance, ref.ledger.balances[sector], rtol=1e-12, atol=1e-6)


def test_paths_statistically_equal_with_all_draws():
    """Means over seeds of the default baseline (consideration sets of 8 drawn from 40,
    durable needs): paired by seed, the mean log ratio lies within 4 standard errors.

    The log ratio is symmetric in the two paths ((a - b) / a is biased towards negative
    values by Jensen's inequality), and 24 seeds are needed because a 30-store market's
    concentration varies by ~25% between paired runs: over seeds 0-5 alone the reference
    path's hhi happened to be higher in all six (seeds 0-11: z = -2.9; 12-23: z = +0.7;
    a sweep of 144 seeds found a pooled difference of 1.0% +- 0.6%)."""
    metrics = ["gmv", "orders", "online_share", "consumer_surplus", "platform_revenue", "hhi"]
    diffs = []
    for seed in range(24):
        fast, ref = _pair("configs/baseline.yaml", ["merchants.n_initial=30"], seed, days=45)
        a, b = fast.timeseries()[metrics].mean(), ref.timeseries()[metrics].mean()
        diffs.append(np.log(a / b))
    d = pd.DataFrame(diffs)
    se = d.std(ddof=1) / np.sqrt(len(d))
    assert (d.mean().abs() <= 4 * se + 1e-3).all(), pd.DataFrame({"mean": d.mean(), "se": se})


def test_searches_choose_alike_on_a_frozen_market():
    """The same 24,000 searches on the same pages, shopped by both paths: each store (and
    offline) is chosen equally often, within 5 standard errors."""
    from ecosim.phases import ranking, shopping

    cfg = load_config("configs/baseline.yaml", [*SMALL, "consumers.multihoming_share=0.0"])
    model = EcosystemModel(cfg, rng=1)
    model.run(5)
    pages = ranking.build_pages(model)
    category = int(np.argmax([pages[(0, c)].length for c in range(5)]))
    assert pages[(0, category)].length > cfg.consumers.consideration_set
    n = 24_000
    needs = {
        "consumer": np.tile(np.arange(200, dtype=np.int64), n // 200),
        "merchant": np.full(n, -1, dtype=np.int64),
        "platform": np.full(n, -1, dtype=np.int64),
        "category": np.full(n, category, dtype=np.int64),
        "slot": np.full(n, -1, dtype=np.int64),
        "iot": np.zeros(n, dtype=bool),
    }
    reference.consumer_agents(model)
    shares = []
    for shop in (shopping.shop, reference.shop):
        online, _ = shop(model, needs, pages)
        counts = np.bincount(online["merchant"] + 1, minlength=model.merchants.n + 1)
        counts[0] = n - online["merchant"].size  # offline
        shares.append(counts / n)
    fast, ref = shares
    assert fast[1:].sum() > 0.05  # enough searches end online for the test to bite
    se = np.sqrt(np.maximum(fast * (1 - fast) + ref * (1 - ref), 1e-12) / n)
    assert (np.abs(fast - ref) <= 5 * se).all(), np.flatnonzero(np.abs(fast - ref) > 5 * se)


def test_consideration_sets_follow_successive_sampling():
    """The fast sampler includes each page position as often as Generator.choice without
    replacement does (the reference path's draw), for shallow and steep rank decay."""
    rng = np.random.default_rng(5)
    n_pool, k = 40, 8
    for decay in (0.0, 0.08, 0.5):
        weights = np.exp(-decay * np.arange(n_pool))
        pos = consider(rng, 100_000, n_pool, k, decay)
        assert pos.shape == (k, 100_000)
        assert (np.sort(pos, axis=0)[1:] != np.sort(pos, axis=0)[:-1]).all()  # distinct
        fast = np.bincount(pos.ravel(), minlength=n_pool) / pos.shape[1]
        n_ref = 10_000
        ref = np.zeros(n_pool)
        for _ in range(n_ref):
            ref[rng.choice(n_pool, size=k, replace=False, p=weights / weights.sum())] += 1
        ref /= n_ref
        se = np.sqrt(ref * (1 - ref) / n_ref + fast * (1 - fast) / pos.shape[1])
        assert (np.abs(fast - ref) <= 5 * se + 1e-9).all(), decay


def _queue_versus_scan(model: EcosystemModel, days: int) -> tuple[list[set], list[set]]:
    """Run ``days`` days; each day, the pairs the queue yields and those a scan finds."""
    found, scanned = [], []
    original = consumption._due_consumables

    def checked(m):
        rows, slots = consumption.due_by_scan(m)
        scanned.append(set(zip(rows.tolist(), slots.tolist(), strict=True)))
        out = original(m)
        found.append(set(zip(out[0].tolist(), out[1].tolist(), strict=True)))
        return out

    consumption._due_consumables = checked
    try:
        model.run(days)
    finally:
        consumption._due_consumables = original
    return found, scanned


def test_need_queue_finds_exactly_the_due_needs():
    """Day after day the queue yields the same (household, consumable) pairs as a scan of
    every household, with devices switching off and their stores closing on the way."""
    cfg = load_config(
        "configs/baseline.yaml",
        # Lost parcels give device owners bad experiences, so some switch their devices off
        # (devices reorder from their maker's channel, where fraud is rare).
        [
            *SMALL,
            "consumers.iot_adoption=0.6",
            "consumers.iot_opt_out_prob=0.5",
            "logistics.loss_rate=0.05",
        ],
    )
    model = EcosystemModel(cfg, rng=9)
    found, scanned = _queue_versus_scan(model, 60)
    assert sum(len(s) for s in scanned) > 1000
    assert (~model.consumers.iot_on & (model.consumers.device >= 0)).any()  # some opted out
    for day, (a, b) in enumerate(zip(found, scanned, strict=True), start=1):
        assert a == b, f"day {day}: queue-only {sorted(a - b)[:5]}, scan-only {sorted(b - a)[:5]}"


def test_need_queue_follows_a_rule_change_raising_the_threshold():
    """Raising the reorder point mid-run makes many households due at once: the queue,
    filed by the old threshold, is rebuilt and still finds every one of them."""
    cfg = load_config("configs/baseline.yaml", [*SMALL, "consumers.iot_adoption=0.3"])
    cfg.schedule = cfg.schedule.__class__(
        [{"day": 10, "key": "consumers.reorder_point_days", "value": 8.0}]
    )
    model = EcosystemModel(cfg.model_validate(cfg.model_dump()), rng=2)
    found, scanned = _queue_versus_scan(model, 20)
    assert model.need_queue.thresholds[0] == 8.0
    assert len(scanned[9]) > 2 * len(scanned[8])  # the rise shows on day 10
    assert found == scanned


def test_consumer_step_finds_its_own_needs():
    cfg = load_config("configs/baseline.yaml", [*SMALL, "consumers.iot_adoption=0.5"])
    model = EcosystemModel(cfg, rng=4)
    model.run(5)
    model.day += 1
    rows, slots = consumption.due_by_scan(model)
    model.needs_found = []
    agents = reference.consumer_agents(model)
    assert len(agents) == model.consumers.n and all(isinstance(a, Consumer) for a in agents)
    agents.shuffle_do("step")
    got = {(i, k) for i, _, k, _ in model.needs_found if k >= 0}
    assert got == set(zip(rows.tolist(), slots.tolist(), strict=True))
    with_device = [n for n in model.needs_found if n[3] >= 0]
    assert with_device and all(model.merchants.active[n[3]] for n in with_device)


def test_sparse_ledger_postings_equal_a_full_bincount():
    rng = np.random.default_rng(0)
    for _ in range(50):
        n_acc = int(rng.integers(1, 3000))
        n = int(rng.integers(0, 2 * n_acc))
        book = Ledger({"households": n_acc, "merchants": 5})
        start = rng.random(n_acc) * 100
        book.balances["households"][:] = start
        idx, amount = rng.integers(0, n_acc, n), rng.random(n) * 10
        book.pay("merchants", rng.integers(0, 5, n), "households", idx, amount)
        expected = start + np.bincount(idx, weights=amount, minlength=n_acc)
        np.testing.assert_array_equal(book.balances["households"], expected)


def test_recent_sums_do_not_depend_on_the_rows_asked_for():
    from ecosim.phases.ranking import recent_sum

    hist = np.random.default_rng(1).random((3000, 64))
    for day in (0, 7, 29, 63, 200):
        every = recent_sum(hist, day, 30)
        np.testing.assert_array_equal(every, hist[:, (day - np.arange(30)) % 64].sum(axis=1))
        for rows in ([5], [9, 2], list(range(0, 3000, 7))):
            np.testing.assert_array_equal(recent_sum(hist, day, 30, np.array(rows)), every[rows])
