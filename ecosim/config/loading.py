"""Reading configs: YAML files, ``base:`` chains, ``--set`` overrides and error messages.

Every problem raises :class:`ConfigError`, whose message names the file (or the command-line
option), the dotted key and the problem; the command line prints it and exits with status 2.

Example:
    >>> cfg = load_config("configs/baseline.yaml", overrides=["consumers.n=500"])
    >>> cfg.consumers.n
    500
"""

from __future__ import annotations

import difflib
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ecosim.config.schema import EcosimConfig
from ecosim.config.walk import INDEX, get_dotted, split_key, walk_schema

__all__ = [
    "ConfigError",
    "config_hash",
    "load_config",
    "parse_override",
    "read_yaml",
    "set_dotted",
    "validate_config",
    "validate_value",
]


class ConfigError(ValueError):
    """A configuration file or override is invalid; the message names file, key and problem."""


# --------------------------------------------------------------------------- YAML files
class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader that refuses a key written twice in one mapping.

    Plain YAML keeps the last of two equal keys, so a typo'd copy of a section would silently
    replace the first; refusing it is the only way the writer learns about it.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key; the base class reports it
                break
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} appears twice in one mapping (first on line {first.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path, what: str = "file") -> tuple[Any, str]:
    """Read a YAML file (configs and sweep files alike), refusing what cannot be read.

    Args:
        path: the file.
        what: how to call the file in messages (``file``, ``base file``, ...).

    Returns:
        The parsed document (``None`` for an empty file) and the file's text.

    Raises:
        ConfigError: the path is missing or a folder, the file is not UTF-8 text, is not valid
            YAML, or writes a key twice in one mapping.
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a {what}")
    if not path.is_file():
        raise ConfigError(f"{path}: {what} not found")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on line {line}); "
            "save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        stream = io.StringIO(text)
        stream.name = str(path)  # so that YAML's messages name the file
        data = yaml.load(stream, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    except (ValueError, OverflowError) as exc:  # e.g. a date out of range
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    return data, text


def _read_mapping(path: Path, what: str) -> dict:
    data, _ = read_yaml(path, what)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping of keys, got {type(data).__name__}")
    return data


def _deep_merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _resolve(path: Path, seen: tuple[Path, ...] = (), what: str = "file") -> dict:
    """Read a config file and merge it over the file its ``base`` key names."""
    path = path.resolve()
    if path in seen:
        raise ConfigError(f"{path}: circular 'base' chain")
    data = _read_mapping(path, what)
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str) or not base.strip():
        raise ConfigError(f"{path}: key 'base': expected a file path, got {base!r}")
    base_path = (path.parent / Path(base).expanduser()).resolve()
    try:
        return _deep_merge(_resolve(base_path, (*seen, path), "base file"), data)
    except ConfigError as exc:
        if str(exc).startswith(f"{base_path}: "):  # the base itself is unreadable: say who named it
            raise ConfigError(f"{path}: key 'base': {exc}") from None
        raise


# --------------------------------------------------------------------------- overrides
def set_dotted(data: dict, key: str, value: Any) -> None:
    """Set a dotted key in a nested dict of plain data (lists indexed by number), in place.

    Missing intermediate dicts are created, so an override may name a key the file leaves at
    its default; the schema then judges whether the key exists.

    Raises:
        KeyError: a list position out of range, or an empty key part.
    """
    parts = split_key(key)
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        nxt_is_index = parts[i + 1].isdigit()
        if isinstance(node, list):
            idx = int(part) if part.isdigit() else -1
            if not 0 <= idx < len(node):
                raise KeyError(key)
            node = node[idx]
        else:
            if part not in node or node[part] is None:
                node[part] = _default_container(parts[: i + 1], nxt_is_index)
            node = node[part]
    last = parts[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise KeyError(key)
        node[int(last)] = value
    else:
        node[last] = value


def _default_container(path: list[str], is_list: bool) -> Any:
    """The default content of a section not written in the file (so list indices resolve)."""
    if not is_list:
        return {}
    default = EcosimConfig().model_dump(mode="json")
    try:
        return get_dotted(default, ".".join(path))
    except KeyError:
        return []


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``key=value`` and parse the value as YAML (so ``0.1``, ``true``, ``[1,2]`` work).

    Raises:
        ConfigError: no ``=`` in the text.
    """
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected dotted.key=value")
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else raw
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


# --------------------------------------------------------------------------- messages
def _known_keys() -> set[str]:
    """Every dotted key of the schema and its sections, list positions left out."""
    keys: set[str] = set()
    for leaf in walk_schema(EcosimConfig):
        parts = [p for p in leaf.key.split(".") if p != INDEX]
        keys.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return keys


def _suggestion(loc: tuple) -> str:
    """' (did you mean ...?)' for an unknown key: the closest name in the same section."""
    parts = [str(p) for p in loc]
    prefix = ".".join(p for p in parts[:-1] if not p.isdigit())  # schema keys have no index
    siblings = [k for k in _known_keys() if k.rpartition(".")[0] == prefix]
    names = [k.rpartition(".")[2] for k in siblings]
    close = difflib.get_close_matches(parts[-1], names, n=1, cutoff=0.5)
    if not close:
        return ""
    return f" (did you mean '{'.'.join([*parts[:-1], close[0]])}'?)"


def _describe_error(source: str, err: Mapping[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"{source}: unknown key '{loc}'{_suggestion(err['loc'])}"
    problem = err["msg"].removeprefix("Value error, ")
    if not loc:
        return f"{source}: {problem}"
    return f"{source}: key '{loc}': {problem} (got {err.get('input')!r})"


def _blame(loc: tuple, overrides: Sequence[tuple[str, str, Any]], source: str) -> str:
    """The override that set the key at ``loc`` (or a key under it), else the file."""
    dotted = ".".join(str(p) for p in loc)
    for label, key, _ in reversed(overrides):
        if dotted == key or dotted.startswith(key + ".") or key.startswith(dotted + "."):
            return label
    return source


def validate_config(
    data: dict, source: str = "<config>", overrides: Sequence[tuple[str, str, Any]] = ()
) -> EcosimConfig:
    """Validate plain data against the schema, raising :class:`ConfigError` on any problem.

    Args:
        data: the merged plain data.
        source: the file named in messages.
        overrides: ``(label, key, value)`` of each override applied to ``data``; a problem
            at an overridden key is blamed on its label (``--set consumers.n=0``).
    """
    try:
        return EcosimConfig.model_validate(data)
    except ValidationError as exc:
        problems = [_describe_error(_blame(e["loc"], overrides, source), e) for e in exc.errors()]
        raise ConfigError("\n".join(problems)) from None


def validate_value(config: EcosimConfig, key: str, value: Any, source: str) -> Any:
    """Check one value (a command-line option such as ``--steps``) against the schema.

    Args:
        config: the loaded config the value would go into.
        key: the dotted key the value stands for (``steps``).
        value: the value.
        source: how the option is named in messages (``--steps``).

    Returns:
        The value as the schema converts it.

    Raises:
        ConfigError: the value is out of the key's range or of the wrong type.
    """
    data = config.model_dump(mode="python")
    set_dotted(data, key, value)
    checked = validate_config(data, source, [(source, key, value)])
    return get_dotted(checked, key)


def load_config(
    path: str | Path | None = None,
    overrides: list[str] | dict[str, Any] | None = None,
) -> EcosimConfig:
    """Load and validate a config file (following its ``base`` chain) with overrides.

    Args:
        path: YAML file; ``None`` gives the built-in defaults.
        overrides: ``["dotted.key=value", ...]`` strings (``--set`` options) or a
            ``{dotted_key: value}`` dict.

    Returns:
        The validated configuration.

    Raises:
        ConfigError: naming the file (or the ``--set`` option), the dotted key and the problem.
    """
    source = str(path) if path is not None else "<defaults>"
    data = _resolve(Path(path)) if path is not None else {}
    applied: list[tuple[str, str, Any]] = []
    if isinstance(overrides, list):
        for text in overrides:
            key, value = parse_override(text)
            applied.append((f"--set {text}", key, value))
    else:
        applied += [(f"override '{k}'", k, v) for k, v in (overrides or {}).items()]
    for label, key, value in applied:
        try:
            set_dotted(data, key, value)
        except (KeyError, TypeError, AttributeError):
            hint = _suggestion(tuple(key.split("."))) if key else ""
            if f"'{key}'" in hint or any(p.isdigit() for p in key.split(".")):
                hint = " (a list position out of range, or a value where a section belongs)"
            raise ConfigError(f"{label}: no such key '{key}'{hint}") from None
    return validate_config(data, source, applied)


def config_hash(config: EcosimConfig) -> str:
    """Stable short hash of what a config makes a run do (hex).

    The ``outputs`` section is left out: which panels and logs are written never changes the
    run, so runs that differ only there share a hash.
    """
    blob = json.dumps(config.model_dump(mode="json", exclude={"outputs"}), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
