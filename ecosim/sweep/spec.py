"""The sweep file: its YAML schema, validation against the model config, and its hash.

A sweep file names the scenario every run starts from, the design (``grid``, ``lhs`` or
``sobol``), the parameters it varies (dotted config keys), how many independent replications
each design point gets, the root seed and the outputs to summarise. Any problem raises
:class:`ecosim.config.ConfigError` with the same message style as configs:
``FILE: key 'x': problem``.

Example:
    >>> sweep = load_sweep_file("experiments/commission_grid.yaml")  # doctest: +SKIP
    >>> [p.key for p in sweep.parameters]  # doctest: +SKIP
    ['platforms.0.mall.commission_rate', 'platforms.0.reputation_rule']
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from ecosim.config import (
    ConfigError,
    EcosimConfig,
    config_hash,
    get_dotted,
    list_parameters,
    load_config,
    read_yaml,
    set_dotted,
    validate_config,
)
from ecosim.io import atomic_write
from ecosim.metrics import METRICS

__all__ = [
    "MAX_RUNS",
    "ParameterSpec",
    "RunSetSpec",
    "SweepFile",
    "SweepSpec",
    "daily_metric_names",
    "design_points",
    "load_sweep_file",
    "parse_sweep",
    "scaled_sweep_file",
    "validate_spec",
]

#: Most runs one sweep may have: the runner keeps every run's plan and record in memory, and
#: rebuilds ``runs.parquet`` from the records every few seconds (see docs/sweeps.md).
MAX_RUNS = 100_000

#: Keys the sweep itself controls, so they cannot be design parameters.
_RESERVED = {
    "seed": "each run's seed is spawned from the sweep's root 'seed'",
    "steps": "the horizon is the sweep's top-level 'steps'",
}


class RunSetSpec(BaseModel):
    """The keys every file that runs a set of simulations shares (sweep and calibration files).

    Subclasses add their own keys after these.
    """

    model_config = ConfigDict(extra="forbid")

    description: str = Field("", description="Free text shown in reports (not hashed).")
    scenario: str | None = Field(
        None,
        description="Config file every run starts from, relative to the folder of the file "
        "that names it (or, failing that, the current folder); omitted = built-in defaults.",
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Dotted config keys set for every run (e.g. a smaller population).",
    )
    steps: int | None = Field(
        None, ge=1, le=100_000, description="Days per run; omitted = the scenario's steps."
    )


class SweepSpec(RunSetSpec):
    """Schema of a sweep file (the YAML mapping, before checking keys against the config)."""

    replications: int = Field(1, ge=1, le=100_000, description="Independent runs per point.")
    seed: int = Field(0, ge=0, description="Root seed; run seeds are spawned from it.")
    design: Literal["grid", "lhs", "sobol"] = Field("grid", description="Design of points.")
    samples: int | None = Field(
        None, ge=1, le=10_000_000, description="lhs: points; sobol: base samples N (power of 2)."
    )
    parameters: dict[str, Any] = Field(
        ..., min_length=1, description="Dotted config key -> list of values or {low, high}."
    )
    outputs: list[str] = Field(
        ..., min_length=1, description="Daily metrics summarised per run (final and mean)."
    )
    keep_panels: bool = Field(
        False,
        description="Write each run's panels and event logs (the scenario's outputs: section) "
        "to panels/<run_id>/ (docs/outputs.md).",
    )


@dataclass(frozen=True)
class ParameterSpec:
    """One varied parameter, normalised.

    Attributes:
        key: dotted config key, e.g. ``platforms.0.mall.commission_rate``.
        values: the discrete values (grid levels, or categories sampled by lhs/sobol), or
            ``None`` for a continuous range.
        low: lower bound of a range (same unit as the config key), else ``None``.
        high: upper bound of a range, else ``None``.
        integer: the config key is an integer, so sampled range values are rounded.
    """

    key: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    integer: bool = False

    @property
    def is_range(self) -> bool:
        """Whether the parameter is a continuous range (else a list of discrete values)."""
        return self.values is None

    def normalised(self) -> dict[str, Any]:
        """Plain-data form used in the manifest and the sweep hash."""
        if self.values is not None:
            return {"values": list(self.values)}
        return {"low": self.low, "high": self.high, "integer": self.integer}


@dataclass(frozen=True)
class SweepFile:
    """A validated sweep file together with the configuration every run starts from.

    Attributes:
        path: the sweep file.
        text: its raw text (kept in the manifest for provenance).
        spec: the parsed schema.
        scenario_path: resolved scenario file, or ``None`` for built-in defaults.
        base: the scenario with the sweep's ``overrides`` applied.
        parameters: the varied parameters in file order.
    """

    path: Path
    text: str
    spec: SweepSpec
    scenario_path: Path | None
    base: EcosimConfig
    parameters: tuple[ParameterSpec, ...]

    @property
    def name(self) -> str:
        """Short name of the sweep (the file's stem)."""
        return self.path.stem

    @property
    def steps(self) -> int:
        """Days per run (the sweep's ``steps``, else the scenario's)."""
        return self.spec.steps if self.spec.steps is not None else self.base.steps

    def normalised(self) -> dict[str, Any]:
        """Everything that determines the runs' results, as plain data (hashed for resume).

        The description is left out (it changes no result); the scenario's *content* is
        covered by :func:`ecosim.config.config_hash` of :attr:`base`, stored separately.
        """
        spec = self.spec
        return {
            "scenario": spec.scenario,
            "overrides": dict(sorted(spec.overrides.items())),
            "steps": self.steps,
            "replications": spec.replications,
            "seed": spec.seed,
            "design": spec.design,
            "samples": spec.samples,
            # A list, not a mapping: the order defines the design points (and JSON
            # written with sorted keys would lose a mapping's order).
            "parameters": [{"key": p.key, **p.normalised()} for p in self.parameters],
            "outputs": list(spec.outputs),
        }

    def sweep_hash(self) -> str:
        """Stable short hash (hex) of :meth:`normalised`."""
        blob = json.dumps(self.normalised(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def config_hash(self) -> str:
        """Hash of the base configuration (scenario plus overrides)."""
        return config_hash(self.base)


# --------------------------------------------------------------------------- errors
def validate_spec[M: BaseModel](
    model: type[M],
    data: Any,
    source: str,
    known_keys: Callable[[tuple[int | str, ...]], list[str]] | None = None,
) -> M:
    """Validate a file's parsed YAML against its schema, every error naming the file and key.

    Args:
        model: the schema (a pydantic model).
        data: the parsed YAML.
        source: the file, for messages.
        known_keys: the keys valid where an unknown key was found (its location in), for the
            "did you mean" hint; default: the schema's top-level keys.

    Returns:
        The validated model.

    Raises:
        ConfigError: one line per problem: ``FILE: key 'a.b': problem``.
    """
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ConfigError(f"{source}: top level must be a mapping of keys, got {kind}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        known = known_keys or (lambda loc: list(model.model_fields))
        raise ConfigError("\n".join(_describe(source, e, known) for e in exc.errors())) from None


def _describe(
    source: str, err: ErrorDetails, known_keys: Callable[[tuple[int | str, ...]], list[str]]
) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        close = difflib.get_close_matches(loc, known_keys(err["loc"]), n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"{source}: unknown key '{loc}'{hint}"
    if err["type"] == "missing":
        return f"{source}: key '{loc}': required"
    return f"{source}: key '{loc}': {err['msg']} (got {err.get('input')!r})"


def _key_hint(key: str, base: EcosimConfig) -> str:
    options = [p.key for p in list_parameters(base)]
    close = difflib.get_close_matches(key, options, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


# --------------------------------------------------------------------------- parsing
def _resolve_scenario(scenario: str, sweep_path: Path, source: str) -> Path:
    """The scenario file: relative to the sweep file's folder first, then the current one.

    Both are tried because sweeps kept in ``experiments/`` are naturally written either
    relative to themselves (``../configs/x.yaml``) or to the project root
    (``configs/x.yaml``), which is where ``ecosim`` is usually run from.
    """
    raw = Path(scenario).expanduser()
    candidates = [raw] if raw.is_absolute() else [sweep_path.parent / raw, Path.cwd() / raw]
    for cand in candidates:
        if cand.is_file():
            return cand.resolve()
    tried = ", ".join(str(c) for c in candidates)
    raise ConfigError(f"{source}: key 'scenario': file not found (tried {tried})")


def _check_leaf(key: str, base: EcosimConfig, source: str, where: str) -> Any:
    """The current value of a dotted key, which must be a single (leaf) config value."""
    if key in _RESERVED:
        raise ConfigError(f"{source}: key '{where}': cannot be varied ({_RESERVED[key]})")
    try:
        value = get_dotted(base, key)
    except KeyError:
        raise ConfigError(
            f"{source}: key '{where}': no such config key{_key_hint(key, base)}"
        ) from None
    if isinstance(value, (BaseModel, list, dict)):
        raise ConfigError(
            f"{source}: key '{where}': is a section, not a single value{_key_hint(key, base)}"
        )
    return value


def _validate_value(base_data: dict, key: str, value: Any, source: str, where: str) -> None:
    """Check that setting ``key`` to ``value`` gives a valid config (type and bounds)."""
    data = json.loads(json.dumps(base_data))
    set_dotted(data, key, value)
    try:
        validate_config(data, source)
    except ConfigError as exc:
        # Keep only the schema's complaint, re-homed at the sweep file's key.
        problem = re.sub(r"^.*?: (key '[^']*': )?", "", str(exc).split("\n")[0], count=1)
        raise ConfigError(f"{source}: key '{where}': value {value!r}: {problem}") from None


def _parse_parameter(
    key: str, raw: Any, spec: SweepSpec, base: EcosimConfig, base_data: dict, source: str
) -> ParameterSpec:
    where = f"parameters.{key}"
    current = _check_leaf(key, base, source, where)
    if isinstance(raw, list):
        if not raw:
            raise ConfigError(f"{source}: key '{where}': needs at least one value")
        seen: set[str] = set()
        for value in raw:
            # Compare by type too: YAML's 1, 1.0 and true are equal in Python but distinct here.
            tag = f"{type(value).__name__}:{json.dumps(value, sort_keys=True, default=str)}"
            if tag in seen:
                raise ConfigError(f"{source}: key '{where}': value {value!r} is listed twice")
            seen.add(tag)
            _validate_value(base_data, key, value, source, where)
        return ParameterSpec(key=key, values=tuple(raw))
    if isinstance(raw, dict):
        if spec.design == "grid":
            raise ConfigError(
                f"{source}: key '{where}': a grid design needs a list of values, not a range"
            )
        unknown = sorted(set(raw) - {"low", "high"})
        if unknown:
            raise ConfigError(f"{source}: unknown key '{where}.{unknown[0]}' (expected low, high)")
        for bound in ("low", "high"):
            if bound not in raw:
                raise ConfigError(f"{source}: key '{where}.{bound}': required")
            value = raw[bound]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(
                    f"{source}: key '{where}.{bound}': expected a number, got {value!r}"
                )
            if not math.isfinite(value):
                raise ConfigError(f"{source}: key '{where}.{bound}': must be finite, got {value!r}")
        low, high = float(raw["low"]), float(raw["high"])
        if not low < high:
            raise ConfigError(f"{source}: key '{where}': low ({low}) must be below high ({high})")
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            raise ConfigError(
                f"{source}: key '{where}': a range needs a numeric parameter; "
                f"give a list of values for {type(current).__name__} parameters"
            )
        integer = isinstance(current, int)
        for bound, value in (("low", low), ("high", high)):
            _validate_value(
                base_data, key, round(value) if integer else value, source, f"{where}.{bound}"
            )
        return ParameterSpec(key=key, low=low, high=high, integer=integer)
    raise ConfigError(
        f"{source}: key '{where}': expected a list of values or a range {{low: .., high: ..}}, "
        f"got {raw!r}"
    )


def daily_metric_names(config: EcosimConfig) -> list[str]:
    """Every daily metric a run of ``config`` reports: ``METRICS``, plus with two or more
    platforms each platform's ``platform_share_<name>``."""
    names = list(METRICS)
    if len(config.platforms) > 1:
        names += [f"platform_share_{p.name}" for p in config.platforms]
    return names


def _check_outputs(outputs: list[str], base: EcosimConfig, source: str) -> None:
    """Outputs must be daily metrics of the base configuration (see :func:`daily_metric_names`)."""
    known = daily_metric_names(base)
    for i, name in enumerate(outputs):
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        if name.startswith("platform_share_") and len(base.platforms) < 2:
            hint = " (per-platform shares exist only with two or more platforms)"
        raise ConfigError(
            f"{source}: key 'outputs.{i}': {name!r} is not a daily metric{hint}; the metrics "
            f"are listed in docs/model.md"
        )


def design_points(spec: SweepSpec, parameters: tuple[ParameterSpec, ...]) -> int:
    """Number of design points, computed without building the design.

    Args:
        spec: the sweep's schema.
        parameters: its varied parameters.

    Returns:
        Grid: the product of the numbers of values; lhs: ``samples``; sobol:
        ``samples * (parameters + 2)`` (Saltelli's scheme without second-order indices).
    """
    if spec.design == "grid":
        return math.prod(len(p.values or ()) for p in parameters)
    samples = int(spec.samples or 0)
    return samples if spec.design == "lhs" else samples * (len(parameters) + 2)


def _check_size(spec: SweepSpec, parameters: tuple[ParameterSpec, ...], source: str) -> None:
    """Refuse a sweep with more than :data:`MAX_RUNS` runs before its design is built."""
    points = design_points(spec, parameters)
    runs = points * spec.replications
    if runs <= MAX_RUNS:
        return
    keys = {
        "grid": "'parameters' (values multiply) x 'replications'",
        "lhs": "'samples' x 'replications'",
        "sobol": "'samples' x (number of 'parameters' + 2) x 'replications'",
    }[spec.design]
    raise ConfigError(
        f"{source}: keys {keys}: {points:,} points x {spec.replications:,} replications = "
        f"{runs:,} runs, more than the maximum of {MAX_RUNS:,} runs per sweep; make the design "
        f"smaller or split it into several sweep files"
    )


def parse_sweep(data: Any, path: str | Path, text: str = "") -> SweepFile:
    """Validate plain sweep data (the parsed YAML) and the config it refers to.

    Args:
        data: the YAML mapping.
        path: the sweep file (used in messages and to resolve a relative ``scenario``).
        text: the file's raw text, kept for provenance.

    Returns:
        The validated sweep.

    Raises:
        ConfigError: naming the file, the key and the problem.
    """
    path = Path(path)
    source = str(path)
    spec = validate_spec(SweepSpec, data, source)

    if spec.design == "grid" and spec.samples is not None:
        raise ConfigError(f"{source}: key 'samples': only used by lhs and sobol designs")
    if spec.design != "grid" and spec.samples is None:
        raise ConfigError(f"{source}: key 'samples': required for a {spec.design} design")
    samples = spec.samples or 0
    if spec.design == "sobol" and samples & (samples - 1):
        raise ConfigError(
            f"{source}: key 'samples': must be a power of 2 for a sobol design "
            f"(the Sobol' sequence is balanced only then), got {spec.samples}"
        )
    for i, name in enumerate(spec.outputs):
        if not name.isidentifier():
            raise ConfigError(f"{source}: key 'outputs.{i}': not a metric name: {name!r}")
        if name in spec.outputs[:i]:
            raise ConfigError(f"{source}: key 'outputs.{i}': {name!r} is listed twice")

    scenario_path = (
        _resolve_scenario(spec.scenario, path, source) if spec.scenario is not None else None
    )
    for key in spec.overrides:
        if key in _RESERVED:
            raise ConfigError(f"{source}: key 'overrides.{key}': cannot be set ({_RESERVED[key]})")
    try:
        base = load_config(scenario_path, overrides=dict(spec.overrides))
    except ConfigError as exc:
        # The scenario's own message names its file; say which sweep brought it in.
        raise ConfigError(f"{source}: key 'scenario': {exc}") from None
    for key in spec.overrides:
        _check_leaf(key, base, source, f"overrides.{key}")
    _check_outputs(spec.outputs, base, source)
    base_data = base.model_dump(mode="json")

    params = tuple(
        _parse_parameter(str(key), raw, spec, base, base_data, source)
        for key, raw in spec.parameters.items()
    )
    overlap = sorted(set(spec.overrides) & {p.key for p in params})
    if overlap:
        raise ConfigError(
            f"{source}: key 'overrides.{overlap[0]}': also a varied parameter; set it in one place"
        )
    _check_size(spec, params, source)
    return SweepFile(
        path=path, text=text, spec=spec, scenario_path=scenario_path, base=base, parameters=params
    )


def load_sweep_file(path: str | Path) -> SweepFile:
    """Read and validate a sweep file.

    Args:
        path: the YAML sweep file.

    Returns:
        The validated sweep with its base configuration.

    Raises:
        ConfigError: naming the file, the key and the problem.
    """
    path = Path(path)
    data, text = read_yaml(path)  # the configs' reader: encoding, duplicate keys, folders
    return parse_sweep(data if data is not None else {}, path, text)


def scaled_sweep_file(
    path: str | Path,
    dest: str | Path,
    *,
    overrides: dict[str, Any] | None = None,
    steps: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
) -> Path:
    """Write a copy of a sweep file with another scale, e.g. a quick version of a study.

    The copy keeps the design, parameters and outputs; its ``scenario`` becomes an absolute
    path so that it can live anywhere. It is validated before it is written.

    Args:
        path: the sweep file to copy.
        dest: where to write the copy (its folder is created).
        overrides: dotted keys added to (or replacing) the file's ``overrides``, e.g.
            ``{"consumers.n": 1500}``.
        steps: days per run instead of the file's.
        replications: runs per design point instead of the file's.
        seed: root seed instead of the file's.

    Returns:
        ``dest``.

    Raises:
        ConfigError: the file, or the copy with these changes, is not a valid sweep.
    """
    sweep = load_sweep_file(path)
    data = sweep.spec.model_dump(mode="json", exclude_none=True)
    if sweep.scenario_path is not None:
        data["scenario"] = str(sweep.scenario_path.resolve())
    data["overrides"] = {**data.get("overrides", {}), **(overrides or {})}
    changes = {"steps": steps, "replications": replications, "seed": seed}
    data.update({key: value for key, value in changes.items() if value is not None})
    dest = Path(dest)
    parse_sweep(data, dest)
    atomic_write(dest, lambda tmp: tmp.write_text(yaml.safe_dump(data, sort_keys=False)))
    return dest
