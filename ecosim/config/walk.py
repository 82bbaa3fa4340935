"""The one walk over the configuration schema, shared by listing, docs, loading and checks.

:func:`walk_schema` yields every leaf parameter of a pydantic model class (sections are
entered, lists of sections expanded per entry or shown once with a ``<i>`` position), with
its field, default, unit and bounds; :func:`get_dotted` reads a value by dotted key. Nothing
here knows the ecosim schema itself, so the schema module can use it too.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

__all__ = [
    "INDEX",
    "Leaf",
    "field_bounds",
    "field_extra",
    "get_dotted",
    "list_item_class",
    "model_class",
    "schema_field",
    "split_key",
    "walk_schema",
]

INDEX = "<i>"  # stands for a list position in generic keys: ``platforms.<i>.escrow``


@dataclass(frozen=True)
class Leaf:
    """One leaf parameter met on a walk of the schema.

    Attributes:
        key: dotted key; list positions are numbers, or ``<i>`` when no instance was walked.
        section: top-level field the leaf belongs to (``""`` for top-level leaves).
        field: the pydantic field (annotation, bounds, description, extras).
        default: the default (for list entries: of an entry written without the key).
        value: the value in the walked instance (``None`` when no instance was given).
    """

    key: str
    section: str
    field: FieldInfo
    default: Any
    value: Any = None

    @property
    def unit(self) -> str:
        """The field's unit (``-`` when it has none)."""
        return str(field_extra(self.field).get("unit", "-"))

    @property
    def description(self) -> str:
        """The field's description."""
        return self.field.description or ""


def model_class(annotation: Any) -> type[BaseModel] | None:
    """The annotation if it is a pydantic model class (a config section), else None."""
    is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return annotation if is_model else None


def list_item_class(annotation: Any) -> type[BaseModel] | None:
    """The entry class of a ``list[Section]`` annotation, else None."""
    if typing.get_origin(annotation) is list:
        (arg,) = typing.get_args(annotation) or (None,)
        return model_class(arg)
    return None


def field_extra(field: FieldInfo) -> dict[str, Any]:
    """The field's documentation extras (``unit``, ``schedulable``), or an empty dict."""
    extra = field.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def field_bounds(field: FieldInfo) -> tuple[Any, bool, Any, bool]:
    """``(lower, lower_open, upper, upper_open)`` of a numeric field; None where unbounded."""
    lo, lo_open, hi, hi_open = None, False, None, False
    for m in field.metadata:
        if getattr(m, "ge", None) is not None:
            lo, lo_open = m.ge, False
        if getattr(m, "gt", None) is not None:
            lo, lo_open = m.gt, True
        if getattr(m, "le", None) is not None:
            hi, hi_open = m.le, False
        if getattr(m, "lt", None) is not None:
            hi, hi_open = m.lt, True
    return lo, lo_open, hi, hi_open


def walk_schema(
    cls: type[BaseModel],
    instance: BaseModel | None = None,
    *,
    defaults: BaseModel | None = None,
    empty_lists: bool = True,
) -> Iterator[Leaf]:
    """Every leaf parameter under ``cls``, in schema order.

    Args:
        cls: the model class to walk.
        instance: an instance whose values are reported and whose lists are expanded per
            entry; without one, a list of sections gives one generic ``<i>`` entry.
        defaults: the instance defaults are read from (``cls()`` when None).
        empty_lists: whether an empty list of sections in ``instance`` is reported as one
            leaf (its value the empty list) rather than left out.
    """
    start = defaults if defaults is not None else cls()
    yield from _walk(cls, start, "", "", instance, empty_lists)


def _walk(
    cls: type[BaseModel],
    default: BaseModel,
    prefix: str,
    section: str,
    obj: Any,
    empty_lists: bool,
) -> Iterator[Leaf]:
    for name, field in cls.model_fields.items():
        key = prefix + name
        sec = section or name
        sub = model_class(field.annotation)
        item = list_item_class(field.annotation)
        dflt = getattr(default, name)
        val = getattr(obj, name) if obj is not None else None
        if sub is not None:
            yield from _walk(sub, dflt, key + ".", sec, val, empty_lists)
        elif item is not None and obj is None:
            yield from _walk(item, item(), f"{key}.{INDEX}.", sec, None, empty_lists)
        elif item is not None and val:
            for i, entry in enumerate(val):
                yield from _walk(item, item(), f"{key}.{i}.", sec, entry, empty_lists)
        elif item is None or empty_lists:
            yield Leaf(key=key, section=section, field=field, default=dflt, value=val)


def schema_field(cls: type[BaseModel], key: str) -> FieldInfo:
    """The field a dotted key (list positions as numbers or ``<i>``) names in ``cls``.

    Raises:
        KeyError: the key names no field (or a section rather than a parameter's parent).
    """
    parts = key.split(".")
    node: type[BaseModel] | None = cls
    field: FieldInfo | None = None
    i = 0
    while i < len(parts):
        if node is None or parts[i] not in node.model_fields:
            raise KeyError(key)
        field = node.model_fields[parts[i]]
        item = list_item_class(field.annotation)
        if item is not None and i + 1 < len(parts):
            if not (parts[i + 1].isdigit() or parts[i + 1] == INDEX):
                raise KeyError(key)
            node, i = item, i + 2
        else:
            node, i = model_class(field.annotation), i + 1
    if field is None:
        raise KeyError(key)
    return field


def split_key(key: str) -> list[str]:
    """The parts of a dotted key.

    Raises:
        KeyError: the key is empty or has an empty part (``a..b``).
    """
    parts = key.split(".")
    if not key or any(p == "" for p in parts):
        raise KeyError(key)
    return parts


def get_dotted(obj: Any, key: str) -> Any:
    """Value at a dotted key (``platforms.0.mall.commission_rate``) of a config or dict.

    Raises:
        KeyError: no such key.
    """
    for part in split_key(key):
        if isinstance(obj, list):
            if not part.isdigit() or int(part) >= len(obj):
                raise KeyError(key)
            obj = obj[int(part)]
        elif isinstance(obj, dict):
            if part not in obj:
                raise KeyError(key)
            obj = obj[part]
        elif isinstance(obj, BaseModel):
            if part not in type(obj).model_fields:
                raise KeyError(key)
            obj = getattr(obj, part)
        else:
            raise KeyError(key)
    return obj
