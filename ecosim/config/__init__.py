"""Typed, documented configuration: the YAML schema, loading, overrides and listing.

Every field carries a unit, a range and a description; ``ecosim params CONFIG`` lists them.
Scenario files name a ``base`` file and override only what differs. Bad input raises
:class:`ConfigError` whose message names the file, the dotted key and the problem.

The package has four modules: :mod:`~ecosim.config.schema` (the models),
:mod:`~ecosim.config.loading` (files, ``base`` chains, overrides, messages),
:mod:`~ecosim.config.listing` (``ecosim params`` and the docs tables) and
:mod:`~ecosim.config.walk` (the one walk over the schema they share).

Example:
    >>> cfg = load_config("configs/baseline.yaml", overrides=["consumers.n=500"])
    >>> cfg.consumers.n
    500
"""

from __future__ import annotations

from ecosim.config.listing import (
    ParamInfo,
    SchemaRow,
    list_parameters,
    schema_keys,
    schema_rows,
)
from ecosim.config.loading import (
    ConfigError,
    config_hash,
    load_config,
    parse_override,
    read_yaml,
    set_dotted,
    validate_config,
    validate_value,
)
from ecosim.config.schema import (
    EVENT_NAMES,
    PANEL_NAMES,
    BudgetConfig,
    CalendarConfig,
    CategoryConfig,
    ConsumersConfig,
    ContractsConfig,
    EcosimConfig,
    LabourConfig,
    LogisticsConfig,
    ManufacturersConfig,
    MerchantsConfig,
    OfflineConfig,
    OutputsConfig,
    PlatformConfig,
    RankingConfig,
    RegionsConfig,
    RuleChange,
    ServicesConfig,
    TierConfig,
    WageLevelsConfig,
    default_categories,
)
from ecosim.config.walk import Leaf, get_dotted, walk_schema

__all__ = [
    "EVENT_NAMES",
    "PANEL_NAMES",
    "BudgetConfig",
    "CalendarConfig",
    "CategoryConfig",
    "ConfigError",
    "ConsumersConfig",
    "ContractsConfig",
    "EcosimConfig",
    "LabourConfig",
    "Leaf",
    "LogisticsConfig",
    "ManufacturersConfig",
    "MerchantsConfig",
    "OfflineConfig",
    "OutputsConfig",
    "ParamInfo",
    "PlatformConfig",
    "RankingConfig",
    "RegionsConfig",
    "RuleChange",
    "SchemaRow",
    "ServicesConfig",
    "TierConfig",
    "WageLevelsConfig",
    "config_hash",
    "default_categories",
    "get_dotted",
    "list_parameters",
    "load_config",
    "parse_override",
    "read_yaml",
    "schema_keys",
    "schema_rows",
    "set_dotted",
    "validate_config",
    "validate_value",
    "walk_schema",
]
