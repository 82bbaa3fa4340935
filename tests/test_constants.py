"""Behaviour lives in the schema, not in the code: every behavioural number can be swept.

The simulation core is read statically (nothing is imported for the scan): a module-level
UPPER_CASE constant holding a number, or a number passed as a parameter of a random draw
(``rng.lognormal(-0.125, 0.5)``), fails the test unless it is listed below with the reason it
is technical. The parameters that replaced such constants are checked to be wired (changing
one changes a short run) and covered by the schema-range property test.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pandas as pd
import pytest

from ecosim import EcosystemModel
from ecosim.actors.tables import HISTORY
from ecosim.config import ConfigError, EcosimConfig, list_parameters, load_config, walk_schema
from ecosim.config.walk import field_bounds
from tests.conftest import small_config
from tests.test_properties import NUMERIC, check_run

PACKAGE = Path(__file__).resolve().parent.parent / "ecosim"
SCANNED = sorted(
    [*PACKAGE.glob("phases/*.py"), *PACKAGE.glob("actors/*.py")]
    + [PACKAGE / name for name in ("demand.py", "economics.py", "model.py", "steady.py")]
)

#: Module-level constants that are allowed, each with why it is not behaviour.
TECHNICAL_CONSTANTS = {
    ("actors/tables.py", "UNEMPLOYED"): "a sector code, not a quantity",
    ("actors/tables.py", "MARKETPLACE"): "a tier code",
    ("actors/tables.py", "MALL"): "a tier code",
    ("actors/tables.py", "HISTORY"): "ring-buffer length; every window read from it is "
    "bounded below it (test_ring_buffer_windows_fit_the_history)",
    ("actors/merchants.py", "NICHE_KEYS"): "range of the uniform key mapped to query niches",
    ("demand.py", "CONSIDER_BLOCK"): "block size of a vectorized loop; draws do not depend on it",
    ("phases/strategy.py", "ENTRY_RATE_HOUSEHOLDS"): "the unit of merchants.entry_rate",
    ("economics.py", "SERVICES_SECTOR"): "an index into the sectors' wage vector",
    ("phases/strategy.py", "NEWTON_STEPS"): "iteration cap of a numerical solver that "
    "converges in under ten steps",
    ("phases/ranking.py", "SALES_WINDOW"): "definition of the concentration metrics",
    ("model.py", "BULLWHIP_WINDOW"): "definition of the bullwhip metrics",
    ("model.py", "SETTLING_ROUNDS"): "iterations of a converging fixed point (prices move < 0.1%)",
    ("steady.py", "FIXED_POINT_ITERATIONS"): "iterations of a converging fixed point (~10 needed)",
    ("phases/labour.py", "GOLDEN"): "a mathematical constant spreading rounding thresholds",
    ("phases/metrics.py", "NEW_STORE_DAYS"): "definition of the new stores' sales share metric",
    ("phases/panels.py", "UNEMPLOYED_CODE"): "a sector code of the household panel",
    ("phases/panels.py", "SAMPLE_SEED"): "salt of the household sample's own random stream",
}

#: Numbers passed to random draws that are allowed: (file, function, value) and why.
TECHNICAL_DRAWS = {
    ("actors/consumers.py", "create_consumers", 1): "a guard, max(rural regions, 1), in the "
    "range of a region index",
    ("actors/services.py", "create_providers", 1): "the centre, 1 +- services.price_dispersion, "
    "of the spread of initial prices around the configured one",
}

#: Parameters of each numpy Generator method (positional count; keywords other than these
#: technical ones are parameters too). Sizes, dtypes and flags are technical.
DRAW_PARAMETERS = {
    "beta": 2,
    "binomial": 2,
    "choice": 1,
    "dirichlet": 1,
    "exponential": 1,
    "gamma": 2,
    "geometric": 1,
    "gumbel": 2,
    "hypergeometric": 3,
    "integers": 2,
    "laplace": 2,
    "logistic": 2,
    "lognormal": 2,
    "multinomial": 2,
    "negative_binomial": 2,
    "normal": 2,
    "pareto": 1,
    "poisson": 1,
    "random": 0,
    "standard_exponential": 0,
    "standard_gamma": 1,
    "standard_normal": 0,
    "triangular": 3,
    "uniform": 2,
    "weibull": 1,
}
NOT_PARAMETERS = {"size", "dtype", "endpoint", "replace", "axis", "shuffle", "out", "method"}


def _is_number(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    )


def _is_mean_one_correction(node: ast.AST) -> bool:
    """``-0.5 * x * x``: the location that gives a lognormal of log-sd x a mean of one."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
        return False
    inner = node.left
    if not (isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Mult)):
        return False
    half = inner.left
    negative_half = (
        isinstance(half, ast.UnaryOp)
        and isinstance(half.op, ast.USub)
        and _is_number(half.operand)
        and half.operand.value == 0.5  # type: ignore[attr-defined]
    )
    return negative_half and ast.unparse(inner.right) == ast.unparse(node.right)


def _numbers(node: ast.AST) -> list[float]:
    """Non-zero numeric literals in an expression, outside mean-one corrections."""
    if _is_mean_one_correction(node):
        return []
    if _is_number(node):
        return [node.value] if node.value != 0 else []  # type: ignore[attr-defined]
    return [x for child in ast.iter_child_nodes(node) for x in _numbers(child)]


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.function = "<module>"
        self.draws: list[tuple[str, str, float, int]] = []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in DRAW_PARAMETERS
            and ast.unparse(func.value).endswith("rng")
        ):
            params = node.args[: DRAW_PARAMETERS[func.attr]]
            params += [k.value for k in node.keywords if k.arg not in NOT_PARAMETERS]
            for arg in params:
                for value in _numbers(arg):
                    self.draws.append((self.path, self.function, value, node.lineno))
        self.generic_visit(node)


def _module_constants(tree: ast.Module, path: str) -> list[tuple[str, str, int]]:
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        names = [
            n.id
            for t in targets
            for n in ast.walk(t)
            if isinstance(n, ast.Name) and n.id.lstrip("_").isupper()
        ]
        if names and any(_is_number(n) and n.value != 0 for n in ast.walk(value)):  # type: ignore[attr-defined]
            found += [(path, name, node.lineno) for name in names]
    return found


@functools.cache
def _scan() -> tuple[list[tuple[str, str, int]], list[tuple[str, str, float, int]]]:
    constants, draws = [], []
    for file in SCANNED:
        rel = file.relative_to(PACKAGE).as_posix()
        tree = ast.parse(file.read_text(), str(file))
        constants += _module_constants(tree, rel)
        scanner = _Scanner(rel)
        scanner.visit(tree)
        draws += scanner.draws
    return constants, draws


def test_no_behavioural_constant_outside_the_schema():
    constants, _ = _scan()
    bad = [
        f"ecosim/{p}:{line} {name}"
        for p, name, line in constants
        if (p, name) not in TECHNICAL_CONSTANTS
    ]
    assert not bad, (
        "module-level numeric constants: make each a schema parameter (unit, range, source) "
        f"or, if purely technical, add it to TECHNICAL_CONSTANTS with the reason: {bad}"
    )


def test_no_number_passed_to_a_random_draw():
    _, draws = _scan()
    bad = [
        f"ecosim/{p}:{line} in {fn}(): {value!r}"
        for p, fn, value, line in draws
        if (p, fn, value) not in TECHNICAL_DRAWS
    ]
    assert not bad, (
        "numbers passed as parameters of random draws: make each a schema parameter, or list "
        f"it in TECHNICAL_DRAWS with the reason: {bad}"
    )


def test_allowlists_name_only_what_is_there():
    """A stale entry (a constant moved into the schema, e.g. by the work that owns it) must
    leave the allowlist, so that nothing can come back unnoticed."""
    constants, draws = _scan()
    present = {(p, name) for p, name, _ in constants}
    assert set(TECHNICAL_CONSTANTS) <= present, set(TECHNICAL_CONSTANTS) - present
    present_draws = {(p, fn, value) for p, fn, value, _ in draws}
    assert set(TECHNICAL_DRAWS) <= present_draws, set(TECHNICAL_DRAWS) - present_draws


def test_the_scan_finds_what_it_must():
    """The scanner itself: it flags the forms it is meant to catch and spares the others."""
    source = (
        "import numpy as np\n"
        "STEP = 0.03\n"
        "LEVELS = np.array([0.9, 1.6])\n"
        "NAMES = ('a', 'b')\n"
        "ZERO = 0\n"
        "def f(state, rng, sd):\n"
        "    a = rng.lognormal(-0.125, 0.5, 10)\n"
        "    b = state.rng.uniform(0.9, high=1.1, size=3)\n"
        "    c = rng.lognormal(-0.5 * sd * sd, sd, 10)\n"
        "    d = rng.integers(0, 5, size=(2, 3))\n"
        "    e = rng.random((4, 2)) < 0.5\n"
    )
    tree = ast.parse(source)
    assert [name for _, name, _ in _module_constants(tree, "x.py")] == ["STEP", "LEVELS"]
    scanner = _Scanner("x.py")
    scanner.visit(tree)
    assert [v for *_, v, _ in scanner.draws] == [0.125, 0.5, 0.9, 1.1, 5]


# --------------------------------------------------------------------------- the new keys
#: Each parameter that replaced a constant: a value other than the default, and settings
#: under which its mechanism acts within a short run (it must then change the run).
RENEGOTIATE = "manufacturers.renegotiation_interval=10"  # contracts due within the run
FLAGSHIPS = (
    "manufacturers.flagship_store=true",
    "manufacturers.direct_threshold=0.01",
    RENEGOTIATE,
)
NEW_KEYS = {
    "consumers.income_sd": (1.5, ()),
    "consumers.income_saturation": (1.0, ()),
    "consumers.prior_ratings": (50.0, ()),
    "consumers.rating_noise": (0.5, ()),
    "consumers.refunded_outcome": (1.0, ("merchants.opportunistic_share=0.5",)),
    "consumers.click_through": (0.8, ()),
    "merchants.min_quality": (0.65, ()),
    # opportunists' cost: enough of them to open in a small run (the start holds the settled
    # market's share, 0.043 of stores with the defaults)
    "merchants.min_cost_factor": (0.9, ("merchants.opportunistic_share=0.5",)),
    "merchants.adaptive_step": (0.2, ("merchants.pricing=adaptive",)),
    "merchants.exit_review_period": (
        1,
        ("merchants.exit_window=10", "merchants.fixed_cost=60"),
    ),
    "merchants.entry_window": (5, ("merchants.outside_option=0", "merchants.entry_rate=20")),
    "merchants.max_locked_share": (0.0, ("consumers.iot_adoption=0.8",)),
    "merchants.listing_demand_window": (
        3,
        # free to add a listing: at the default cost no store changes its listings in
        # these 40 days, whatever the window
        ("merchants.listing_review_period=3", "merchants.listing_cost=0"),
        "configs/scenarios/two_platforms.yaml",
    ),
    "manufacturers.min_quality": (0.75, FLAGSHIPS),
    "manufacturers.brand_sd": (3.0, ("consumers.iot_adoption=0.8",)),
    "manufacturers.capacity_demand_factor": (0.05, ()),
    "contracts.switch_keep": (0.0, (RENEGOTIATE,)),
    "contracts.redirect_share": (0.0, (RENEGOTIATE,)),
    "contracts.direct_reach": (1.0, FLAGSHIPS),
    "contracts.min_units": (100.0, (RENEGOTIATE,)),
    "contracts.max_market_share": (0.0, (RENEGOTIATE,)),
    "platforms.0.ranking.sales_window": (1, ()),
    "platforms.0.ad_quality_floor": (1.0, ()),
    "logistics.courier_choice_scale": (100.0, ()),
    # three providers of each type in the small run's 800 households (per 10,000 households)
    "services.price_dispersion": (0.9, ("services.providers_per_type=37.5",)),
    "labour.workload_smoothing": (0.5, ()),
    "labour.wage_floor": (
        1.0,
        (
            "labour.wage_rule=unemployment",
            "labour.wage_unemployment_elasticity=10",
            # stores with staff close, so unemployment rises and wages fall to the floor
            "labour.merchant_orders_per_worker=1",
            "merchants.exit_window=10",
            "merchants.fixed_cost=60",
        ),
    ),
    "labour.wage_levels.merchants": (2.0, ("labour.merchant_orders_per_worker=1",)),
    "labour.wage_levels.manufacturers": (2.0, ()),
    "labour.wage_levels.logistics": (2.0, ()),
    "labour.wage_levels.services": (
        2.0,
        (
            "services.clients_per_staff=1",
            "services.marketing_price=0.5",
            "services.analytics_price=0.5",
        ),
    ),
    # a small run's platform needs no whole worker (no floor of one: labour.whole_workers)
    "labour.wage_levels.platform": (3.0, ("labour.platform_orders_per_worker=10",)),
    "labour.wage_levels.offline_retail": (2.0, ()),
    "labour.wage_levels.other": (2.0, ()),
}
STEPS = 40


@functools.cache
def _run(base: str, overrides: tuple[str, ...]) -> pd.DataFrame:
    model = EcosystemModel(small_config(f"steps={STEPS}", *overrides, base=base), rng=3)
    model.run(STEPS)
    return model.timeseries()


@pytest.mark.parametrize("key", sorted(NEW_KEYS))
def test_each_new_key_changes_the_run(key):
    """Wired, not dead: the key moved away from its default changes a short run."""
    value, extra, *base = NEW_KEYS[key]
    base_path = base[0] if base else "configs/baseline.yaml"
    default = _run(base_path, tuple(extra))
    changed = _run(base_path, (*extra, f"{key}={value}"))
    assert not default.equals(changed), f"{key}={value} left the run unchanged"


def test_new_keys_are_listed_documented_and_drawn():
    """``ecosim params`` lists each key with a unit and a description, and the schema-range
    property test (tests/test_properties.py) draws it."""
    params = {p.key: p for p in list_parameters(load_config("configs/baseline.yaml"))}
    drawn = {key for key, *_ in NUMERIC}
    for key in NEW_KEYS:
        assert key in params, key
        assert params[key].unit not in ("", "-") and params[key].description, key
        assert key.replace("platforms.0.", "platforms.<i>.") in drawn, key


@pytest.mark.parametrize("key", sorted(NEW_KEYS))
def test_new_keys_at_their_bounds_run_cleanly(key):
    """At either end of its range each new key gives a run with finite metrics and balanced
    books (the property test's check, on these keys rather than a random draw of keys)."""
    generic = key.replace("platforms.0.", "platforms.<i>.")
    (lo, hi) = next((lo, hi) for k, _, lo, hi in NUMERIC if k == generic)
    for bound in (lo, hi):
        check_run({"consumers.n": 300, "merchants.n_initial": 20, key: bound})


def test_defaults_are_todays_values():
    """The defaults reproduce the constants they replaced (a baseline run is unchanged)."""
    cfg = EcosimConfig()
    assert (cfg.contracts.switch_keep, cfg.contracts.redirect_share) == (0.8, 0.5)
    assert (cfg.contracts.direct_reach, cfg.contracts.min_units) == (0.3, 0.05)
    assert cfg.consumers.prior_ratings == 5.0 and cfg.consumers.income_saturation == 3.0
    assert cfg.consumers.income_sd == 0.5 and cfg.consumers.click_through == 0.2
    assert cfg.merchants.adaptive_step == 0.03 and cfg.merchants.exit_review_period == 30
    assert cfg.merchants.max_locked_share == 0.99
    assert cfg.labour.workload_smoothing == 0.1 and cfg.consumers.rating_noise == 0.1
    assert cfg.platforms[0].ranking.sales_window == 30
    levels = cfg.labour.wage_levels.model_dump()
    assert list(levels.values()) == [0.9, 1.0, 0.95, 1.1, 1.6, 0.8, 1.0]


def test_ring_buffer_windows_fit_the_history():
    """Every window read from the 128-day ring buffers (``HISTORY``) is bounded below it, so
    a window is never silently cut short; the couriers' ring is sized by its own window."""
    windows = [
        leaf
        for leaf in walk_schema(EcosimConfig)
        if leaf.key.endswith("_window") and leaf.key != "logistics.capacity_window"
    ]
    assert len(windows) >= 8
    for leaf in windows:
        _, _, upper, _ = field_bounds(leaf.field)
        assert upper is not None and upper <= HISTORY, leaf.key


def test_adaptive_price_reviews_fit_the_profit_history():
    """Adaptive pricing compares profit over a review period read from the profit ring, so a
    longer period is refused instead of being cut to the ring's length."""
    with pytest.raises(ConfigError, match="price_update_interval"):
        load_config(None, ["merchants.pricing=adaptive", "merchants.price_update_interval=200"])
    assert load_config(None, ["merchants.price_update_interval=200"])  # not read from the ring
