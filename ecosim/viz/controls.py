"""The app's controls and the model class SolaraViz re-creates on Reset.

Two kinds of control:

* **Start parameters** (seed, households, stores, IoT adoption) decide the initial population,
  so, as in every Mesa SolaraViz app, they take effect when *Reset* builds a new model.
* **Rules** (fees and commissions per tier, weight of ad bids, escrow, reputation rule,
  fake-review detection, share of opportunistic entrants) steer the running model: a change
  is written into the model's config at once and applies from the next simulated day, the
  same way a scheduled rule change (``schedule:`` in a config) does. The rules are kept in a
  :class:`RuleBook` that *Reset* hands to the new model, so a reset keeps the current rules.

SolaraViz passes model parameters as keyword arguments to the model class, so
:class:`EcosimVizModel` maps flat keyword names to dotted config keys.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from ecosim.config import EcosimConfig, get_dotted, load_config, parse_override
from ecosim.model import EcosystemModel
from ecosim.viz.charts import RuleChangeMark

__all__ = [
    "CONFIG_ENV",
    "RULES",
    "SET_ENV",
    "START",
    "AppSettings",
    "Control",
    "EcosimVizModel",
    "RuleBook",
    "start_params",
]

# How `ecosim serve` hands the config to the app, which Solara imports in its own way.
CONFIG_ENV = "ECOSIM_VIZ_CONFIG"
SET_ENV = "ECOSIM_VIZ_SET"
_DEFAULT_CONFIG = Path("configs/baseline.yaml")


@dataclass(frozen=True)
class Control:
    """One input: the dotted config key it sets and how SolaraViz draws it.

    Attributes:
        key: Dotted config key (``platforms.0.mall.commission_rate``).
        label: Text next to the input.
        type: SolaraViz input type: SliderInt, SliderFloat, Select, Checkbox or InputText.
        min: Slider minimum.
        max: Slider maximum.
        step: Slider step.
        values: Choices of a Select.
        fmt: Format of the value shown next to the label.
    """

    key: str
    label: str
    type: str
    min: float | None = None
    max: float | None = None
    step: float | None = None
    values: tuple[str, ...] = ()
    fmt: str = "{}"

    def show(self, value: Any) -> str:
        """The label with the value, e.g. ``Mall commission: 5.0%``."""
        if self.type in ("Checkbox", "Select", "InputText"):
            return self.label if self.type != "InputText" else f"{self.label}: {value}"
        return f"{self.label}: {self.fmt.format(value)}"

    def describe(self, value: Any) -> str:
        """The label with the value for every input type, e.g. ``Escrow: off``."""
        if self.type == "Checkbox":
            return f"{self.label}: {'on' if value else 'off'}"
        if self.type in ("Select", "InputText"):
            return f"{self.label}: {value}"
        return f"{self.label}: {self.fmt.format(value)}"

    def param(self, value: Any) -> dict[str, Any]:
        """The SolaraViz ``model_params`` entry, with the range widened to hold ``value``."""
        out: dict[str, Any] = {"type": self.type, "label": self.label, "value": value}
        if self.type in ("SliderInt", "SliderFloat"):
            out["min"] = min(self.min, value) if self.min is not None else value
            out["max"] = max(self.max, value) if self.max is not None else value
            out["step"] = self.step
        if self.type == "Select":
            out["values"] = list(self.values)
        return out


# Applied when Reset builds a new model (they shape the initial population).
START: dict[str, Control] = {
    "seed": Control("seed", "Seed", "InputText"),
    "n_consumers": Control("consumers.n", "Households", "SliderInt", 500, 50_000, 500,
                           fmt="{:,}"),
    "n_merchants": Control("merchants.n_initial", "Stores at start", "SliderInt", 0, 1000, 10,
                           fmt="{:,}"),
    "iot_adoption": Control("consumers.iot_adoption", "IoT adoption (device owners)",
                            "SliderFloat", 0.0, 1.0, 0.05, fmt="{:.0%}"),
}  # fmt: skip

# Applied to the running model at once (and kept through Reset).
RULES: dict[str, Control] = {
    "marketplace_commission": Control("platforms.0.marketplace.commission_rate",
                                      "Marketplace commission", "SliderFloat", 0.0, 0.3, 0.005,
                                      fmt="{:.1%}"),
    "marketplace_fee": Control("platforms.0.marketplace.annual_fee", "Marketplace annual fee",
                               "SliderFloat", 0.0, 60_000, 500, fmt="¥{:,.0f}"),
    "mall_commission": Control("platforms.0.mall.commission_rate", "Mall commission",
                               "SliderFloat", 0.0, 0.3, 0.005, fmt="{:.1%}"),
    "mall_fee": Control("platforms.0.mall.annual_fee", "Mall annual fee", "SliderFloat",
                        0.0, 60_000, 500, fmt="¥{:,.0f}"),
    "ad_weight": Control("platforms.0.ranking.ad_bid", "Ad-bid weight in ranking",
                         "SliderFloat", 0.0, 3.0, 0.1, fmt="{:.1f}"),
    "escrow": Control("platforms.0.escrow", "Escrow", "Checkbox"),
    "reputation_rule": Control("platforms.0.reputation_rule", "Reputation rule", "Select",
                               values=("average", "bayesian", "none")),
    "fake_review_detection": Control("platforms.0.fake_review_detection",
                                     "Fake-review detection", "SliderFloat", 0.0, 1.0, 0.05,
                                     fmt="{:.0%}"),
    "opportunistic_share": Control("merchants.opportunistic_share", "Opportunistic entrants",
                                   "SliderFloat", 0.0, 1.0, 0.05, fmt="{:.0%}"),
}  # fmt: skip


@dataclass(frozen=True)
class AppSettings:
    """The configuration the app starts from: a YAML file plus ``--set`` overrides.

    Attributes:
        config_path: The CONFIG given to ``ecosim serve`` (None: built-in defaults).
        overrides: ``dotted.key=value`` strings applied on top.
    """

    config_path: str | None = None
    overrides: tuple[str, ...] = ()

    @classmethod
    def from_env(cls) -> AppSettings:
        """Settings from the environment ``ecosim serve`` sets; else the baseline if present."""
        path = os.environ.get(CONFIG_ENV) or None
        if path is None and _DEFAULT_CONFIG.is_file():
            path = str(_DEFAULT_CONFIG)
        overrides = tuple(json.loads(os.environ.get(SET_ENV) or "[]"))
        return cls(path, overrides)

    def load(self, extra: dict[str, Any] | None = None) -> EcosimConfig:
        """The validated config with the settings' overrides and then ``extra`` applied."""
        pairs = dict(parse_override(o) for o in self.overrides)
        pairs.update(extra or {})
        return load_config(self.config_path, overrides=pairs)


@dataclass
class RuleBook:
    """The current rule values of one browser session, shared with the models it creates.

    SolaraViz re-creates the model on Reset from fixed keyword arguments captured once, so
    the rules travel in this mutable object rather than as values.

    Attributes:
        values: Flat rule name (a key of :data:`RULES`) -> value.
    """

    values: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: EcosimConfig) -> RuleBook:
        """The rules as ``config`` sets them."""
        return cls({name: get_dotted(config, c.key) for name, c in RULES.items()})

    def overrides(self) -> dict[str, Any]:
        """The rules as ``{dotted_key: value}`` config overrides."""
        return {RULES[name].key: value for name, value in self.values.items()}


def start_params(config: EcosimConfig) -> dict[str, dict[str, Any]]:
    """SolaraViz ``model_params`` of the start parameters, at the values of ``config``."""
    params = {name: c.param(get_dotted(config, c.key)) for name, c in START.items()}
    params["seed"]["value"] = str(params["seed"]["value"])  # an InputText holds text
    return params


class EcosimVizModel(EcosystemModel):
    """:class:`EcosystemModel` built from flat keyword arguments, steerable while it runs.

    Args:
        seed: Root seed (an int, or text of one, from the Seed input).
        n_consumers: Households (``consumers.n``).
        n_merchants: Stores at the start (``merchants.n_initial``).
        iot_adoption: Share of households owning smart devices (``consumers.iot_adoption``).
        rules: The session's rule values, applied on top of the base config.
        settings: The base config (file and overrides); default: from the environment.

    A start parameter left None keeps the base config's value.
    """

    def __init__(
        self,
        seed: int | str | None = None,
        n_consumers: int | None = None,
        n_merchants: int | None = None,
        iot_adoption: float | None = None,
        rules: RuleBook | None = None,
        settings: AppSettings | None = None,
    ) -> None:
        settings = settings or AppSettings.from_env()
        start = {"seed": seed, "n_consumers": n_consumers, "n_merchants": n_merchants,
                 "iot_adoption": iot_adoption}  # fmt: skip
        extra = {START[k].key: v for k, v in start.items() if v is not None and v != ""}
        if "seed" in extra:
            text = str(extra["seed"]).strip()
            if not text.isdigit():
                raise ValueError(f"Seed must be a whole number >= 0, got {text!r}")
            extra["seed"] = int(text)
        if rules is not None:
            extra.update(rules.overrides())
        config = settings.load(extra)
        super().__init__(config)
        self.rules = rules
        self.settings = settings
        # Rule changes made in the app: (first day they apply to, rule name) -> description.
        self._changes: dict[tuple[int, str], str] = {}
        # Play steps the model in a worker thread while the browser's events (rule changes)
        # arrive in another; the lock keeps a rule change out of the middle of a day.
        self._lock = threading.RLock()

    def step(self) -> None:
        """Simulate one day (never concurrently with a rule change)."""
        with self._lock:
            super().step()

    def set_rule(self, name: str, value: Any) -> None:
        """Change a rule of the running model; it applies from the next simulated day.

        Args:
            name: A key of :data:`RULES`.
            value: The new value (validated by the config schema).

        Raises:
            KeyError: ``name`` is not a rule.
            pydantic.ValidationError: ``value`` is out of the parameter's range.
        """
        parent_key, _, leaf = RULES[name].key.rpartition(".")
        with self._lock:
            parent = get_dotted(self.config, parent_key) if parent_key else self.config
            setattr(parent, leaf, value)  # validate_assignment checks type and range
            value = getattr(parent, leaf)
            if self.rules is not None:
                self.rules.values[name] = value
            # A slider dragged sends many values before the next day: the last one counts.
            self._changes[(self.steps + 1, name)] = RULES[name].describe(value)

    def rule_changes(self) -> list[RuleChangeMark]:
        """Rule changes of this run, in day order: the config's ``schedule:`` entries and
        the changes made in the app (each from the first day it applies to)."""
        by_key = {c.key: c for c in RULES.values()}
        marks = []
        for change in self.config.schedule:
            control = by_key.get(change.key)
            text = control.describe(change.value) if control else f"{change.key} = {change.value}"
            marks.append(RuleChangeMark(change.day, text + " (scheduled)"))
        with self._lock:
            marks += [RuleChangeMark(day, text) for (day, _), text in self._changes.items()]
        return sorted(marks, key=lambda m: m.day)

    def views(self) -> tuple[pd.DataFrame, pd.DataFrame, nx.DiGraph]:
        """Metrics by day (with a ``day`` column), the store table and the network, read
        together between two days (with *Use Threads*, SolaraViz redraws while the next day
        runs)."""
        with self._lock:
            return self.timeseries().reset_index(), self.merchant_table(), self.network()

    def rule(self, name: str) -> Any:
        """The running model's current value of a rule."""
        return get_dotted(self.config, RULES[name].key)
