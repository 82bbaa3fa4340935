"""Every bad config input ends in a clear message and exit status 2, never a traceback.

Each case runs the exact command through ``python -m ecosim`` and checks the exit status, that
the message names the file (or command-line option), the dotted key and the problem, that no
traceback is printed and that nothing is written to ``--out``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ecosim.config import ConfigError, EcosimConfig, get_dotted, load_config

BASELINE = str(Path(__file__).resolve().parents[1] / "configs" / "baseline.yaml")


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ecosim", *args], capture_output=True, text=True, cwd=cwd
    )


def _refused(res: subprocess.CompletedProcess, *expected: str, out: Path | None = None) -> None:
    """Exit status 2, every expected fragment in the message, no traceback, no output."""
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert "Traceback" not in res.stderr, res.stderr
    for fragment in expected:
        assert fragment in res.stderr, (fragment, res.stderr)
    if out is not None:
        assert not out.exists(), sorted(out.rglob("*"))


# --------------------------------------------------------------------------- 1. encodings
LATIN1 = b"consumers:\n  n: 1 # caf\xe9\n"


def test_non_utf8_config_is_refused(tmp_path):
    (tmp_path / "l.yaml").write_bytes(LATIN1)
    out = tmp_path / "out"
    res = _cli("run", "l.yaml", "--out", str(out), cwd=tmp_path)
    _refused(res, "l.yaml", "not UTF-8", "line 2", out=out)


def test_non_utf8_base_is_refused_naming_both_files(tmp_path):
    (tmp_path / "l.yaml").write_bytes(LATIN1)
    (tmp_path / "s.yaml").write_text("base: l.yaml\n")
    out = tmp_path / "out"
    res = _cli("run", "s.yaml", "--out", str(out), cwd=tmp_path)
    _refused(res, "s.yaml: key 'base'", "l.yaml", "not UTF-8", out=out)


def test_non_utf8_sweep_file_is_refused(tmp_path):
    (tmp_path / "sweep.yaml").write_bytes(b"\xff\xfe\x00garbage\x81\n")
    out = tmp_path / "out"
    res = _cli("sweep", "sweep.yaml", "--out", str(out), cwd=tmp_path)
    _refused(res, "sweep.yaml", "not UTF-8", out=out)


# --------------------------------------------------------------------------- 2. schedules
@pytest.mark.parametrize("key", ["steps", "seed", "consumer_path", "platforms", "categories"])
def test_schedule_on_a_top_level_key_is_refused(tmp_path, key):
    (tmp_path / "s.yaml").write_text(f"schedule:\n  - {{day: 2, key: {key}, value: 10}}\n")
    res = _cli("params", "s.yaml", cwd=tmp_path)
    _refused(res, "s.yaml", f"schedule: key '{key}'", "cannot be scheduled")


def test_schedule_on_day_zero_is_refused(tmp_path):
    (tmp_path / "s.yaml").write_text(
        "schedule:\n  - {day: 0, key: platforms.0.mall.commission_rate, value: 0.1}\n"
    )
    out = tmp_path / "out"
    res = _cli("run", "s.yaml", "--out", str(out), cwd=tmp_path)
    _refused(res, "s.yaml", "schedule.0.day", "greater than or equal to 1", out=out)


@pytest.mark.parametrize(
    "key", ["consumers.n", "merchants.n_initial", "consumers.iot_adoption", "platforms.0.name"]
)
def test_schedule_on_a_start_up_only_key_is_refused(tmp_path, key):
    (tmp_path / "s.yaml").write_text(f"schedule:\n  - {{day: 5, key: {key}, value: 3}}\n")
    res = _cli("params", "s.yaml", cwd=tmp_path)
    _refused(res, "s.yaml", f"schedule: key '{key}'", "cannot be scheduled")


def test_schedule_that_breaks_a_cross_field_rule_is_refused(tmp_path):
    (tmp_path / "s.yaml").write_text(
        "schedule:\n  - {day: 5, key: categories.0.reference_price, value: 10}\n"
    )
    res = _cli("params", "s.yaml", cwd=tmp_path)
    _refused(res, "s.yaml", "categories.0.reference_price", "must be below reference_price")


def test_scheduled_change_is_applied_on_its_day():
    """A schedulable key does change mid-run (day 1 is the first simulated day)."""
    from ecosim import EcosystemModel

    cfg = load_config(
        BASELINE,
        {
            "consumers.n": 300,
            "merchants.n_initial": 20,
            "schedule": [{"day": 1, "key": "labour.benefit", "value": 7.0}],
        },
    )
    model = EcosystemModel(cfg, rng=1)
    assert model.config.labour.benefit == 60.0
    model.step()
    assert model.config.labour.benefit == 7.0


def test_every_schedulable_key_is_read_while_the_model_runs():
    """A key marked schedulable that the model never reads after start-up would be a change
    silently ignored; trace the reads of every config field over a few short runs."""
    from pydantic import BaseModel

    from ecosim import EcosystemModel
    from ecosim.config import schema, walk_schema
    from ecosim.config.walk import field_extra

    marked = {
        leaf.key.replace(".<i>.", ".0.")
        for leaf in walk_schema(EcosimConfig)
        if field_extra(leaf.field).get("schedulable")
    }
    assert {"labour.wage", "platforms.0.mall.commission_rate"} <= marked
    assert not {"consumers.n", "steps", "seed", "merchants.n_initial"} & marked

    read: set[tuple[str, str]] = set()
    tracing = [False]
    classes = [
        c
        for c in vars(schema).values()
        if isinstance(c, type) and issubclass(c, BaseModel) and c.__module__ == schema.__name__
    ]
    saved = {c: c.__getattribute__ for c in classes}

    def traced(cls):
        def get(self, name):
            if tracing[0] and name in cls.model_fields:
                read.add((cls.__name__, name))
            return object.__getattribute__(self, name)

        return get

    try:
        for cls in classes:
            cls.__getattribute__ = traced(cls)
        variants = [
            [],
            [
                "merchants.pricing=adaptive",
                "labour.wage_rule=unemployment",
                "consumers.iot_adoption=0.5",
                "manufacturers.flagship_store=true",
                "services.decision_interval=3",
                "manufacturers.renegotiation_interval=5",
                "platforms.0.escrow=false",
                "merchants.outside_option=0",
                # service providers enter (their entry reads initial_cash, outside_option)
                "services.entry_rate=50",
                "services.outside_option=0",
                "services.fixed_cost=0",
                "services.cost_per_client=0",
                # many opportunists, so that fake reviews are caught and fined
                "merchants.opportunistic_share=0.5",
            ],
            # stores without cash, so that the exit rule weighs their stock (collateral_share)
            ["merchants.initial_cash=0"],
        ]
        for variant in variants:
            cfg = load_config(
                "configs/scenarios/two_platforms.yaml",
                ["consumers.n=500", "merchants.n_initial=40", "merchants.entry_rate=50", *variant],
            )
            model = EcosystemModel(cfg, rng=1)
            tracing[0] = True
            for _ in range(15):
                model.step()
            tracing[0] = False
    finally:
        for cls, get in saved.items():
            cls.__getattribute__ = get
    defaults = EcosimConfig()
    unread = []
    for key in sorted(marked):
        parent_key, _, name = key.rpartition(".")
        owner = type(get_dotted(defaults, parent_key)).__name__
        if (owner, name) not in read:
            unread.append(key)
    assert not unread, f"marked schedulable but never read during a run: {unread}"


# --------------------------------------------------------------------------- 3-4. steps, seed
def test_zero_steps_in_a_config_is_refused(tmp_path):
    (tmp_path / "z.yaml").write_text(f"base: {BASELINE}\nsteps: 0\n")
    out = tmp_path / "out"
    res = _cli("run", "z.yaml", "--out", str(out), cwd=tmp_path)
    _refused(res, "z.yaml", "key 'steps'", "greater than or equal to 1", out=out)


def test_steps_option_obeys_the_schema_cap(tmp_path):
    out = tmp_path / "out"
    res = _cli("run", BASELINE, "--steps", "1000000000", "--out", str(out))
    # Checked while the arguments are parsed, against the schema's cap.
    _refused(res, "--steps", "between 1 and 100000", out=out)


@pytest.mark.parametrize("command", ["run", "bench"])
def test_negative_seed_is_refused(tmp_path, command):
    out = tmp_path / "out"
    args = ["--out", str(out)] if command == "run" else ["--consumers", "100", "--repeat", "1"]
    res = _cli(
        command, *(["--config"] if command == "bench" else []), BASELINE, "--seed", "-1", *args
    )
    _refused(res, "--seed", "must be at least 0", out=out)


# --------------------------------------------------------------------------- 5. numbers
@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ("logistics.price_per_parcel=.inf", "finite number"),
        ("logistics.parcels_per_courier_day=1e-300", "greater than or equal to 1"),
        ("labour.wage=.inf", "finite number"),
        ("labour.benefit=.inf", "finite number"),
        ("platforms.0.bayesian_prior_weight=.inf", "finite number"),
        ("labour.wage=.nan", "finite number"),
        ("consumers.logit_scale=-.inf", "finite number"),
    ],
)
def test_infinite_or_extreme_numbers_are_refused(tmp_path, override, problem):
    out = tmp_path / "out"
    res = _cli("run", BASELINE, "--set", override, "--out", str(out))
    key = override.split("=")[0]
    _refused(res, f"--set {override}", f"key '{key}'", problem, out=out)


def test_every_number_has_a_finite_closed_range():
    """No numeric field can be left unbounded (or open-bounded) by a future edit."""
    import math

    from ecosim.config import walk_schema
    from ecosim.config.walk import field_bounds

    loose = []
    for leaf in walk_schema(EcosimConfig):
        if leaf.field.annotation not in (int, float):
            continue
        lo, lo_open, hi, hi_open = field_bounds(leaf.field)
        if lo is None or hi is None or lo_open or hi_open or not math.isfinite(lo + hi):
            loose.append(leaf.key)
        elif not lo <= leaf.default <= hi:
            loose.append(f"{leaf.key} (default outside)")
    assert not loose, f"numeric fields without a finite closed range: {loose}"


# --------------------------------------------------------------------------- 6. demand
@pytest.mark.parametrize(
    "categories",
    [
        "  - {name: a, kind: consumable, consumption_rate: 0}\n"
        "  - {name: b, kind: durable, need_rate: 0}\n",
        "  - {name: a, kind: durable, need_rate: 0}\n",
        "  - {name: a, kind: consumable, consumption_rate: 0}\n",
    ],
    ids=["all-zero", "one-durable", "one-consumable"],
)
def test_zero_total_demand_is_refused(tmp_path, categories):
    (tmp_path / "d.yaml").write_text(f"base: {BASELINE}\ncategories:\n{categories}")
    out = tmp_path / "out"
    res = _cli("run", "d.yaml", "--out", str(out), cwd=tmp_path)
    _refused(res, "d.yaml", "key 'categories'", "no category has any demand", out=out)


def test_a_category_without_demand_beside_others_runs():
    """A zero rate is allowed where other categories have demand (documented in the field)."""
    from ecosim import EcosystemModel

    overrides = {"consumers.n": 200, "merchants.n_initial": 15, "categories.0.consumption_rate": 0}
    model = EcosystemModel(load_config(BASELINE, overrides), rng=2)
    model.run(5)
    assert model.timeseries()["gmv"].notna().all()


# --------------------------------------------------------------------------- 11. messages
def test_empty_base_names_the_key(tmp_path):
    (tmp_path / "e.yaml").write_text("base: ''\n")
    res = _cli("params", "e.yaml", cwd=tmp_path)
    _refused(res, "e.yaml: key 'base'", "expected a file path, got ''")
    assert "file not found" not in res.stderr


def test_missing_base_names_the_file_that_referenced_it(tmp_path):
    (tmp_path / "m.yaml").write_text("base: nothere.yaml\n")
    res = _cli("params", "m.yaml", cwd=tmp_path)
    _refused(res, "m.yaml: key 'base'", "nothere.yaml", "base file not found")


def test_a_folder_passed_as_config_is_called_a_folder(tmp_path):
    (tmp_path / "adir").mkdir()
    out = tmp_path / "out"
    res = _cli("run", "adir", "--out", str(out), cwd=tmp_path)
    _refused(res, "adir", "is a folder, not a file", out=out)


def test_a_typo_in_set_is_blamed_on_the_option(tmp_path):
    out = tmp_path / "out"
    res = _cli("run", BASELINE, "--set", "consumers.nn=5", "--out", str(out))
    _refused(res, "--set consumers.nn=5", "unknown key 'consumers.nn'", "consumers.n'", out=out)
    assert f"{BASELINE}:" not in res.stderr
    res = _cli("params", BASELINE, "--set", "consumers.n=0")
    _refused(res, "--set consumers.n=0", "key 'consumers.n'", "greater than or equal to 1")
    assert f"{BASELINE}:" not in res.stderr


# --------------------------------------------------------------------------- 13. silent changes
def test_duplicate_yaml_keys_are_refused(tmp_path):
    (tmp_path / "d.yaml").write_text("consumers:\n  n: 500\nconsumers:\n  n: 600\n")
    out = tmp_path / "out"
    res = _cli("run", "d.yaml", "--out", str(out), cwd=tmp_path)
    _refused(res, "d.yaml", "'consumers' appears twice", "line 3", out=out)
    (tmp_path / "d2.yaml").write_text("consumers:\n  n: 500\n  n: 600\n")
    _refused(_cli("params", "d2.yaml", cwd=tmp_path), "d2.yaml", "'n' appears twice")


@pytest.mark.parametrize("name", ["''", "a/b", "'two words'", "1st"])
def test_unusable_platform_names_are_refused(tmp_path, name):
    out = tmp_path / "out"
    res = _cli("run", BASELINE, "--set", f"platforms.0.name={name}", "--out", str(out))
    _refused(res, "--set platforms.0.name=", "key 'platforms.0.name'", "not usable", out=out)


def test_initial_shares_are_weights_as_documented():
    """Shares are divided by their sum (documented in the field), so 0.8 + 0.8 is an even split
    and all zero too; the rule is stated where `ecosim params` shows it."""
    field = EcosimConfig.model_fields["platforms"].annotation.__args__[0].model_fields
    assert "divided by their sum" in field["initial_share"].description
    from ecosim import EcosystemModel

    def home_shares(shares):
        cfg = load_config(
            BASELINE,
            {
                "consumers.n": 4000,
                "merchants.n_initial": 40,
                "consumers.multihoming_share": 0.0,
                "platforms": [{"name": f"p{i}", "initial_share": s} for i, s in enumerate(shares)],
            },
        )
        model = EcosystemModel(cfg, rng=5)
        home = model.consumers.home
        return [float((home == p).mean()) for p in range(len(shares))]

    for shares in ([0.8, 0.8], [0.0, 0.0]):
        assert home_shares(shares) == pytest.approx([0.5, 0.5], abs=0.03)


# --------------------------------------------------------------------------- 16. merchants
def test_merchant_count_is_capped_at_the_supported_size(tmp_path):
    out = tmp_path / "out"
    res = _cli("run", BASELINE, "--set", "merchants.n_initial=1000000", "--out", str(out))
    _refused(res, "key 'merchants.n_initial'", "less than or equal to 100000", out=out)
    description = EcosimConfig.model_fields["merchants"].annotation.model_fields["n_initial"]
    assert "10^5" in description.description


def test_config_error_is_a_value_error():
    with pytest.raises(ConfigError):
        load_config(BASELINE, ["steps=0"])
