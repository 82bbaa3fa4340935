"""Columnar state shared by all actor tables: one numpy array per attribute, one row per actor."""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

__all__ = ["RowAgent", "Table"]


class Table:
    """A growable set of equal-length numpy columns.

    Subclasses declare each column as a class annotation and create it with
    :meth:`add_column` in ``__init__``; :meth:`append` adds rows to every
    column at once (entry of firms), so rows keep their index for life: an exited firm is
    marked inactive rather than removed, and arrays indexed by firm stay valid.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self._columns: dict[str, Any] = {}

    def add_column(
        self,
        name: str,
        values: np.ndarray | None = None,
        *,
        dtype: Any = float,
        width: int | None = None,
        fill: Any = 0,
    ) -> np.ndarray:
        """Create column ``name`` (shape ``(n,)`` or ``(n, width)``) with a fill for new rows.

        The column must be declared as an annotation on the table's class (``name:
        np.ndarray``), so that every column is listed in one place and type checkers see it.
        """
        if not any(name in vars(cls).get("__annotations__", {}) for cls in type(self).__mro__):
            raise TypeError(f"column {name!r} is not declared on {type(self).__name__}")
        if values is None:
            shape = (self.n,) if width is None else (self.n, width)
            values = np.full(shape, fill, dtype=dtype)
        values = np.asarray(values)
        if values.shape[0] != self.n:
            raise ValueError(f"column {name}: {values.shape[0]} rows, table has {self.n}")
        self._columns[name] = fill
        setattr(self, name, values)
        return values

    def append(self, n_new: int, **values: Any) -> np.ndarray:
        """Append ``n_new`` rows; columns not given take their fill value. Returns new indices."""
        unknown = set(values) - set(self._columns)
        if unknown:
            raise KeyError(f"unknown columns {sorted(unknown)}")
        # Columns are views onto buffers with spare rows, doubled when full, so entry costs
        # the new rows, not a copy of the whole table (at 20,000 stores with 128-day
        # histories every entry used to copy ~50 MB; docs/performance.md, Design choices).
        buffers = self.__dict__.setdefault("_buffers", {})
        start, end = self.n, self.n + n_new
        for name, fill in self._columns.items():
            column = getattr(self, name)
            buffer = buffers.get(name)
            if buffer is None or buffer.shape[0] < end or column.base is not buffer:
                buffer = np.empty((max(end, 2 * start, 64), *column.shape[1:]), column.dtype)
                buffer[:start] = column
                buffers[name] = buffer
            buffer[start:end] = values.get(name, fill)
            setattr(self, name, buffer[:end])
        self.n = end
        return np.arange(start, end)

    @property
    def columns(self) -> list[str]:
        """Names of the columns."""
        return list(self._columns)


class RowAgent(mesa.Agent):
    """A Mesa agent that is a view onto row ``row`` of its actor's table.

    The state lives in the table's columns (fast, vectorized phases); the agent object gives
    Mesa's per-agent interface to one row without copying it.
    """

    def __init__(self, model: mesa.Model, row: int) -> None:
        super().__init__(model)
        self.row = row
