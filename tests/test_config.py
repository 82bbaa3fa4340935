"""The config schema: loading, base chains, overrides and messages that name file and key."""

from __future__ import annotations

import re

import pytest

from ecosim.config import ConfigError, config_hash, list_parameters, load_config


@pytest.mark.parametrize(
    ("override", "suggestion"),
    [
        ("platforms.0.mall.comission_rate=0.1", "platforms.0.mall.commission_rate"),
        ("platforms.0.escro=true", "platforms.0.escrow"),
        ("categories.1.nme=x", "categories.1.name"),
        ("consumers.logit_scal=1", "consumers.logit_scale"),
    ],
)
def test_unknown_keys_get_the_closest_sibling(override, suggestion):
    with pytest.raises(ConfigError, match=f"did you mean '{suggestion}'"):
        load_config("configs/baseline.yaml", [override])


def test_scenario_overrides_its_base_and_keeps_the_rest(tmp_path):
    base = load_config("configs/baseline.yaml")
    fee = load_config("configs/scenarios/fee_rise.yaml")
    assert fee.schedule[0].day == 180 and fee.schedule[0].value == 0.10
    assert fee.consumers == base.consumers
    assert config_hash(fee) != config_hash(base)


def test_circular_base_is_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("base: b.yaml\n")
    (tmp_path / "b.yaml").write_text("base: a.yaml\n")
    with pytest.raises(ConfigError, match="circular"):
        load_config(tmp_path / "a.yaml")


def test_schedule_key_must_exist(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("schedule:\n  - {day: 3, key: platforms.0.mall.fee, value: 1}\n")
    with pytest.raises(ConfigError, match=re.escape("unknown key 'platforms.0.mall.fee'")):
        load_config(path)


def test_scheduled_value_is_validated_at_load_time(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("schedule:\n  - {day: 3, key: platforms.0.mall.commission_rate, value: 2.0}\n")
    with pytest.raises(ConfigError, match=r"schedule: key 'platforms.0.mall.commission_rate'.*2.0"):
        load_config(path)


def test_every_parameter_is_documented_with_a_unit():
    params = list_parameters(load_config("configs/baseline.yaml"))
    assert len(params) > 150
    assert all(p.description and p.unit for p in params)
    keys = {p.key for p in params}
    assert {"consumers.n", "platforms.0.mall.deposit", "categories.4.need_rate"} <= keys


def test_the_apps_live_rules_are_schedulable_keys():
    """The app changes these while the model runs, as a schedule would: the schema must agree
    that the model reads them every day."""
    from ecosim.config import EcosimConfig
    from ecosim.config.walk import field_extra, schema_field
    from ecosim.viz.controls import RULES

    keys = [control.key for control in RULES.values()]
    assert keys
    for key in keys:
        assert field_extra(schema_field(EcosimConfig, key)).get("schedulable"), key


def test_schema_walk_is_the_one_behind_params_and_docs():
    """``ecosim params`` and the docs rows list the same keys, from the same walk."""
    from ecosim.config import EcosimConfig, schema_rows, walk_schema

    config = load_config("configs/scenarios/two_platforms.yaml")
    walked = [leaf.key for leaf in walk_schema(EcosimConfig, config)]
    assert [p.key for p in list_parameters(config)] == walked
    assert [r.key for r in schema_rows(config)] == [k for k in walked if k != "schedule"]
