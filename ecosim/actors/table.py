"""Columnar state shared by all actor tables: one numpy array per attribute, one row per actor."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Table"]


class Table:
    """A growable set of equal-length numpy columns.

    Subclasses call :meth:`add_column` in ``__init__``; :meth:`append` adds rows to every
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
        """Create column ``name`` (shape ``(n,)`` or ``(n, width)``) with a fill for new rows."""
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
        for name, fill in self._columns.items():
            old = getattr(self, name)
            new = np.empty((n_new, *old.shape[1:]), dtype=old.dtype)
            new[...] = values.get(name, fill)
            setattr(self, name, np.concatenate([old, new]))
        start = self.n
        self.n += n_new
        return np.arange(start, self.n)

    @property
    def columns(self) -> list[str]:
        """Names of the columns."""
        return list(self._columns)
