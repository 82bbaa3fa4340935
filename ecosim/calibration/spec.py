"""The calibration file: its YAML schema, validation against the model config, and its hash.

A calibration file names the scenario every run starts from, the free parameters with their
bounds (dotted config keys, checked exactly as a sweep's ranges are), the replications and
root seed (every trial uses the same seeds: common random numbers), the optimiser, and the
targets: a statistic of a daily metric over a window of days, the value it should have, a
tolerance or weight, and the source of the value. The format is described key by key in
docs/calibration.md. Any problem raises :class:`ecosim.config.ConfigError` naming the file and
the dotted key: ``FILE: key 'targets.online_share.value': ...``.

Example:
    >>> cal = load_calibration_file("configs/calibration/seeds.yaml")  # doctest: +SKIP
    >>> [p.key for p in cal.parameters]  # doctest: +SKIP
    ['consumers.offline_preference']
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ecosim.config import ConfigError, EcosimConfig, config_hash, read_yaml
from ecosim.sweep.spec import (
    ParameterSpec,
    RunSetSpec,
    daily_metric_names,
    parse_sweep,
    validate_spec,
)

__all__ = [
    "CalibrationFile",
    "CalibrationSpec",
    "Target",
    "TargetSpec",
    "load_calibration_file",
    "parse_calibration",
]

#: Most replications a trial may average (each trial runs them all).
MAX_REPLICATIONS = 1000


class TargetSpec(BaseModel):
    """One target moment: a statistic of a daily metric over a window of days."""

    model_config = ConfigDict(extra="forbid")

    metric: str | list[str] = Field(
        ...,
        description="A daily metric (docs/model.md, Appendix B), or a list of metrics in one "
        "unit, summed day by day.",
    )
    statistic: Literal["mean", "quantile", "ratio"] = Field(
        "mean",
        description="mean or quantile of the daily values over 'days', or the ratio of their "
        "sum over 'days' to their sum over 'of_days'.",
    )
    days: tuple[int, int] | None = Field(
        None,
        description="First and last day of the window (inclusive; 1 = the first day, "
        "negative counts from the end: -1 = the last day); default: the last 30 days, or the "
        "whole run if it is shorter.",
    )
    q: float | None = Field(None, ge=0, le=1, description="quantile: which quantile (0..1).")
    of_days: tuple[int, int] | None = Field(
        None,
        description="ratio: the denominator's window (default: the whole run, or 'days' when "
        "'of_metric' is given).",
    )
    of_metric: str | list[str] | None = Field(
        None, description="ratio: the denominator's metric or metrics (default: 'metric')."
    )
    value: float = Field(..., allow_inf_nan=False, description="Target value (metric's unit).")
    tolerance: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="Absolute band around 'value' counted as a fit (metric's unit).",
    )
    weight: float = Field(
        1.0, ge=0, le=1e6, description="Weight of the squared relative deviation."
    )
    fit: bool = Field(
        True, description="false: not in the objective, reported as an out-of-sample check."
    )
    source: str = Field(
        ..., min_length=1, description="Where the value comes from: seed and offset, citation."
    )
    note: str = Field("", description="Free text for the fit table (e.g. how comparable).")

    @field_validator("source", "note")
    @classmethod
    def _one_line(cls, text: str) -> str:
        # YAML's folded and literal blocks end in a newline (and may hold more), which would
        # break the fit table's Markdown rows; the text is a table cell, so one line.
        return " ".join(text.split())


class CalibrationSpec(RunSetSpec):
    """Schema of a calibration file (the YAML mapping, before checking keys against the config)."""

    replications: int = Field(
        3, ge=1, le=MAX_REPLICATIONS, description="Runs per trial, same seeds for every trial."
    )
    seed: int = Field(0, ge=0, description="Root seed; replication seeds are spawned from it.")
    sampler: Literal["tpe", "cmaes", "random"] = Field("tpe", description="Optuna sampler.")
    startup_trials: int = Field(
        10, ge=0, le=100_000, description="Random trials before the sampler's model is used."
    )
    trials: int = Field(
        50, ge=1, le=100_000, description="Trials to finish (--trials overrides it)."
    )
    parameters: dict[str, Any] = Field(
        ..., min_length=1, description="Dotted config key -> {low, high}."
    )
    targets: dict[str, TargetSpec] = Field(
        ..., min_length=1, description="Target name -> target moment."
    )


@dataclass(frozen=True)
class Target:
    """A validated target with its window resolved to day numbers.

    Attributes:
        name: the target's name (its key in the file).
        spec: the parsed schema entry.
        first: first day of the window (1-based, inclusive).
        last: last day of the window (inclusive).
        of_first: ratio: first day of the denominator's window, else ``None``.
        of_last: ratio: last day of the denominator's window, else ``None``.
    """

    name: str
    spec: TargetSpec
    first: int
    last: int
    of_first: int | None = None
    of_last: int | None = None

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics summed into the statistic's series."""
        return _names(self.spec.metric)

    @property
    def of_metrics(self) -> tuple[str, ...]:
        """ratio: the metrics summed into the denominator's series (default: :attr:`metrics`)."""
        return _names(self.spec.of_metric) if self.spec.of_metric is not None else self.metrics

    @property
    def label(self) -> str:
        """The metric (or ``a + b``) as written in tables."""
        return " + ".join(self.metrics)

    @property
    def scale(self) -> float:
        """The deviation's denominator: ``|value|``, or the tolerance when the value is 0."""
        return abs(self.spec.value) if self.spec.value != 0 else float(self.spec.tolerance or 1.0)

    def describe(self) -> str:
        """The statistic in words, e.g. ``mean over days 151-180``."""
        spec = self.spec
        window = (
            f"days {self.first}-{self.last}" if self.first != self.last else f"day {self.first}"
        )
        if spec.statistic == "quantile":
            return f"quantile {spec.q:g} over {window}"
        if spec.statistic == "ratio":
            of = "" if self.of_metrics == self.metrics else f" of {' + '.join(self.of_metrics)}"
            return f"sum over {window} / sum{of} over days {self.of_first}-{self.of_last}"
        return f"mean over {window}"

    def normalised(self) -> dict[str, Any]:
        """Plain data of everything that changes the objective or the fit table's verdict."""
        data = self.spec.model_dump(mode="json", exclude={"note", "source"})
        data.update(first=self.first, last=self.last, of_first=self.of_first, of_last=self.of_last)
        return data


@dataclass(frozen=True)
class CalibrationFile:
    """A validated calibration file together with the configuration every run starts from.

    Attributes:
        path: the calibration file.
        text: its raw text.
        spec: the parsed schema.
        scenario_path: resolved scenario file, or ``None`` for built-in defaults.
        base: the scenario with the file's ``overrides`` applied.
        parameters: the free parameters in file order (ranges; whole numbers for integer
            config keys).
        targets: the targets in file order.
    """

    path: Path
    text: str
    spec: CalibrationSpec
    scenario_path: Path | None
    base: EcosimConfig
    parameters: tuple[ParameterSpec, ...]
    targets: tuple[Target, ...]

    @property
    def name(self) -> str:
        """Short name of the calibration (the file's stem)."""
        return self.path.stem

    @property
    def steps(self) -> int:
        """Days per run (the file's ``steps``, else the scenario's)."""
        return self.spec.steps if self.spec.steps is not None else self.base.steps

    @property
    def fitted(self) -> tuple[Target, ...]:
        """Targets in the objective (``fit: true`` and a positive weight)."""
        return tuple(t for t in self.targets if t.spec.fit and t.spec.weight > 0)

    def normalised(self) -> dict[str, Any]:
        """Everything that determines trials and objective values, as plain data (hashed).

        Left out: the description, sources and notes (they change no number) and ``trials``
        (a calibration may be continued with more trials).
        """
        spec = self.spec
        return {
            "scenario": spec.scenario,
            "overrides": dict(sorted(spec.overrides.items())),
            "steps": self.steps,
            "replications": spec.replications,
            "seed": spec.seed,
            "sampler": spec.sampler,
            "startup_trials": spec.startup_trials,
            "parameters": [{"key": p.key, **p.normalised()} for p in self.parameters],
            "targets": [{"name": t.name, **t.normalised()} for t in self.targets],
            "config_hash": config_hash(self.base),
        }

    def calibration_hash(self) -> str:
        """Stable short hash (hex) of :meth:`normalised`."""
        blob = json.dumps(self.normalised(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def _names(metric: str | list[str]) -> tuple[str, ...]:
    return (metric,) if isinstance(metric, str) else tuple(metric)


# --------------------------------------------------------------------------- errors
def _known_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys valid where an unknown key ``loc`` was found (for "did you mean")."""
    if len(loc) > 1 and loc[0] == "targets":
        return [f"{'.'.join(map(str, loc[:2]))}.{f}" for f in TargetSpec.model_fields]
    return list(CalibrationSpec.model_fields)


def _day(day: int, steps: int, source: str, where: str) -> int:
    """A window end as a day number in 1..steps (negative days count from the end)."""
    resolved = day if day > 0 else steps + 1 + day
    if day == 0 or not 1 <= resolved <= steps:
        raise ConfigError(
            f"{source}: key '{where}': day {day} is outside the run's {steps} days "
            f"(use 1..{steps}, or -1..-{steps} to count from the end)"
        )
    return resolved


def _window(days: tuple[int, int], steps: int, source: str, where: str) -> tuple[int, int]:
    first = _day(days[0], steps, source, where)
    last = _day(days[1], steps, source, where)
    if first > last:
        raise ConfigError(
            f"{source}: key '{where}': the window starts (day {first}) after it ends (day {last})"
        )
    return first, last


def _parse_target(
    name: str, spec: TargetSpec, metrics: list[str], steps: int, source: str
) -> Target:
    where = f"targets.{name}"
    for key, value in (("metric", spec.metric), ("of_metric", spec.of_metric)):
        if value is None:
            continue
        names = _names(value)
        if not names:
            raise ConfigError(f"{source}: key '{where}.{key}': needs at least one metric")
        for i, metric in enumerate(names):
            if metric in metrics:
                continue
            close = difflib.get_close_matches(metric, metrics, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            at = f"{key}.{i}" if isinstance(value, list) else key
            raise ConfigError(
                f"{source}: key '{where}.{at}': {metric!r} is not a daily metric{hint}; "
                "the metrics are listed in docs/model.md, Appendix B"
            )
    if spec.statistic == "quantile" and spec.q is None:
        raise ConfigError(f"{source}: key '{where}.q': required for a quantile statistic")
    if spec.statistic != "quantile" and spec.q is not None:
        raise ConfigError(f"{source}: key '{where}.q': only used by the quantile statistic")
    for key in ("of_days", "of_metric"):
        if spec.statistic != "ratio" and getattr(spec, key) is not None:
            raise ConfigError(f"{source}: key '{where}.{key}': only used by the ratio statistic")
    if spec.value == 0 and spec.tolerance is None:
        raise ConfigError(
            f"{source}: key '{where}.tolerance': required when the value is 0 (the relative "
            "deviation divides by the value, or by the tolerance when the value is 0)"
        )
    first, last = _window(spec.days or (max(-30, -steps), -1), steps, source, f"{where}.days")
    of_first = of_last = None
    if spec.statistic == "ratio":
        default = (first, last) if spec.of_metric is not None else (1, -1)
        of_first, of_last = _window(spec.of_days or default, steps, source, f"{where}.of_days")
    return Target(name, spec, first, last, of_first, of_last)


def parse_calibration(data: Any, path: str | Path, text: str = "") -> CalibrationFile:
    """Validate plain calibration data (the parsed YAML) and the config it refers to.

    Args:
        data: the YAML mapping.
        path: the calibration file (used in messages and to resolve a relative ``scenario``).
        text: the file's raw text, kept for provenance.

    Returns:
        The validated calibration.

    Raises:
        ConfigError: naming the file, the dotted key and the problem.
    """
    path = Path(path)
    source = str(path)
    spec = validate_spec(CalibrationSpec, data, source, _known_keys)
    for key, raw in spec.parameters.items():
        if not isinstance(raw, dict):
            raise ConfigError(
                f"{source}: key 'parameters.{key}': expected a range {{low: .., high: ..}}, "
                f"got {raw!r}"
            )
    # The scenario, overrides and parameter ranges mean exactly what they mean in a sweep
    # file, so the sweep's checks do the work (and their messages name the same keys).
    sweep = parse_sweep(
        {
            "scenario": spec.scenario,
            "overrides": spec.overrides,
            "steps": spec.steps,
            "replications": spec.replications,
            "seed": spec.seed,
            "design": "lhs",
            "samples": 1,
            "parameters": spec.parameters,
            "outputs": ["gmv"],
        },
        path,
        text,
    )
    metrics = daily_metric_names(sweep.base)
    targets = tuple(
        _parse_target(str(name), target, metrics, sweep.steps, source)
        for name, target in spec.targets.items()
    )
    fitted = [t for t in targets if t.spec.fit and t.spec.weight > 0]
    if not fitted:
        raise ConfigError(
            f"{source}: key 'targets': no target is fitted (every one has 'fit: false' or "
            "weight 0); at least one must be in the objective"
        )
    if not all(math.isfinite(t.scale) for t in targets):  # pragma: no cover - schema forbids
        raise ConfigError(f"{source}: key 'targets': a target's value is not finite")
    return CalibrationFile(
        path=path,
        text=text,
        spec=spec,
        scenario_path=sweep.scenario_path,
        base=sweep.base,
        parameters=sweep.parameters,
        targets=targets,
    )


def load_calibration_file(path: str | Path) -> CalibrationFile:
    """Read and validate a calibration file.

    Args:
        path: the YAML calibration file.

    Returns:
        The validated calibration with its base configuration.

    Raises:
        ConfigError: naming the file, the dotted key and the problem.
    """
    path = Path(path)
    data, text = read_yaml(path)
    return parse_calibration(data if data is not None else {}, path, text)
