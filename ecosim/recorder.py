"""Agent-level panels and event logs: columnar buffers written as Parquet row groups.

The :class:`Recorder` lives on the state (``state.record``). Phases hand it arrays they
already hold, one call per hook (``state.record.orders(...)``); a hook whose log is off
returns at once, so a run without logs pays one method call per hook and day. Panels
(``ecosim.phases.panels``) hand it one row per actor on panel days.

Rows are buffered as numpy chunks. Every ``flush_days`` days the chunks of each table are
joined into one Arrow table: with an output folder it is written as one Parquet row group
to a temporary file (renamed to ``<name>.parquet`` by :meth:`Recorder.close`, so a reader
never sees a half-written file), without one it is kept in memory. Memory therefore holds
at most ``flush_days`` days of rows of a run that writes its files. Columns and their
units: :data:`SCHEMAS` and docs/outputs.md.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "CODES",
    "EVENTS",
    "PANELS",
    "SCHEMAS",
    "Recorder",
    "file_name",
]

PANELS = ("stores", "manufacturers", "couriers", "platforms", "households")
EVENTS = ("orders", "deliveries", "ratings", "entries", "exits", "contracts", "jobs", "rules")

_I = np.int64
_F = np.float64
_B = np.bool_
_S = np.int8  # a labelled code (:data:`CODES`), written as a dictionary-encoded string
_T = object  # free text

#: Labels of the coded columns, written as dictionary-encoded strings.
CODES: dict[str, tuple[str, ...]] = {
    "outcome": ("delivered", "not_as_described", "disputed", "lost", "refunded"),
    "entry_reason": ("entrant", "flagship"),
    "exit_reason": ("losses", "out_of_cash", "delisted"),
    "job": ("hire", "layoff"),
    "sector": (
        "merchants",
        "manufacturers",
        "logistics",
        "services",
        "platform",
        "offline_retail",
        "other",
        "unemployed",
    ),
}

#: Columns of every table (name -> numpy dtype); units in docs/outputs.md.
SCHEMAS: dict[str, dict[str, type]] = {
    "stores": {
        "day": _I,
        "store": _I,
        "platform": _I,
        "platforms": _I,
        "category": _I,
        "tier": _I,
        "opportunistic": _B,
        "flagship": _B,
        "manufacturer": _I,
        "price": _F,
        "wholesale": _F,
        "orders": _I,
        "units": _I,
        "revenue": _F,
        "profit": _F,
        "stock": _F,
        "staff": _I,
        "ad_bid": _F,
        "rating": _F,
        "rating_count": _F,
        "entry_day": _I,
        "active": _B,
    },
    "manufacturers": {
        "day": _I,
        "manufacturer": _I,
        "category": _I,
        "offer_price": _F,
        "wholesale": _F,
        "partners": _I,
        "output": _F,
        "staff": _I,
        "flagship": _I,
        "devices": _I,
        "brand": _F,
    },
    "couriers": {
        "day": _I,
        "courier": _I,
        "price": _F,
        "parcels": _F,
        "capacity": _F,
        "staff": _I,
        "backlog": _F,
        "delay": _F,
    },
    "platforms": {
        "day": _I,
        "platform": _I,
        "revenue": _F,
        "revenue_commission": _F,
        "revenue_ads": _F,
        "revenue_listing": _F,
        "revenue_deposits": _F,
        "revenue_fines": _F,
        "revenue_iot_hosting": _F,
        "revenue_data_services": _F,
        "revenue_other": _F,
        "gmv": _F,
        "orders": _I,
        "listings": _I,
        "users": _I,
        "staff": _I,
        "trust": _F,
    },
    "households": {
        "day": _I,
        "household": _I,
        "region": _I,
        "income": _F,
        "cash": _F,
        "trust": _F,
        "platform": _I,
        "sector": _S,
        "employer": _I,
        "devices": _I,
        "devices_on": _I,
    },
    "orders": {
        "day": _I,
        "household": _I,
        "store": _I,
        "platform": _I,
        "category": _I,
        "price": _F,
        "fee": _F,
        "iot": _B,
        "rank": _I,
        "sponsored": _B,
        "due_day": _I,
    },
    "deliveries": {
        "day": _I,
        "shipped_day": _I,
        "household": _I,
        "store": _I,
        "platform": _I,
        "category": _I,
        "price": _F,
        "outcome": _S,
        "lost": _B,
        "disputed": _B,
        "refunded": _B,
    },
    "ratings": {
        "day": _I,
        "store": _I,
        "household": _I,
        "value": _F,
        "fake": _B,
        "detected": _B,
    },
    "entries": {
        "day": _I,
        "store": _I,
        "platform": _I,
        "category": _I,
        "tier": _I,
        "opportunistic": _B,
        "entry_reason": _S,
    },
    "exits": {
        "day": _I,
        "store": _I,
        "category": _I,
        "age": _I,
        "exit_reason": _S,
    },
    "contracts": {
        "day": _I,
        "store": _I,
        "manufacturer": _I,
        "cost": _F,
        "demand_intercept": _F,
        "demand_slope": _F,
        "maker_outside": _F,
        "store_outside": _F,
        "wholesale": _F,
    },
    "jobs": {
        "day": _I,
        "household": _I,
        "sector": _S,
        "employer": _I,
        "job": _S,
    },
    "rules": {"day": _I, "key": _T, "old": _T, "new": _T},
}


def file_name(name: str) -> str:
    """File of a panel or log under the output folder: ``panel_stores.parquet``..."""
    return f"{'panel' if name in PANELS else 'events'}_{name}.parquet"


def _arrow_type(column: str, dtype: type) -> pa.DataType:
    if dtype is _S:
        return pa.dictionary(pa.int8(), pa.string())
    if dtype is _T:
        return pa.string()
    return pa.from_numpy_dtype(np.dtype(dtype))


def _arrow_schema(name: str) -> pa.Schema:
    return pa.schema([(c, _arrow_type(c, t)) for c, t in SCHEMAS[name].items()])


class _Table:
    """One panel or log: buffered chunks, then Arrow tables (in memory or a Parquet file)."""

    def __init__(self, name: str, folder: Path | None) -> None:
        self.name = name
        self.schema = _arrow_schema(name)
        self.chunks: list[dict[str, np.ndarray]] = []
        self.kept: list[pa.Table] = []  # in-memory tables (no output folder)
        self.rows = 0
        self.path: Path | None = None
        self.tmp: Path | None = None
        self.writer: pq.ParquetWriter | None = None
        if folder is not None:
            self.path = folder / file_name(name)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
            os.close(fd)
            self.tmp = Path(tmp)
            self.writer = pq.ParquetWriter(self.tmp, self.schema, compression="zstd")

    def add(self, columns: dict[str, np.ndarray]) -> None:
        self.chunks.append(columns)

    def _arrow(self) -> pa.Table:
        arrays = []
        for column, dtype in SCHEMAS[self.name].items():
            parts = [c[column] for c in self.chunks]
            if dtype is _T:
                arrays.append(pa.array([str(v) for p in parts for v in p], pa.string()))
                continue
            values: np.ndarray = np.concatenate(parts).astype(dtype, copy=False)
            if dtype is _S:
                labels = pa.array(CODES[column], pa.string())
                arrays.append(pa.DictionaryArray.from_arrays(pa.array(values), labels))
            else:
                arrays.append(pa.array(values))
        return pa.Table.from_arrays(arrays, schema=self.schema)

    def flush(self) -> None:
        if not self.chunks:
            return
        table = self._arrow()
        self.chunks = []
        self.rows += table.num_rows
        if table.num_rows == 0:
            return
        if self.writer is not None:
            self.writer.write_table(table, row_group_size=table.num_rows)
        else:
            self.kept.append(table)

    def table(self) -> pa.Table:
        self.flush()
        if self.path is not None and self.writer is None and self.path.exists():
            return pq.read_table(self.path)
        if self.writer is not None:
            raise RuntimeError(f"{self.name}: the file is still being written; close() first")
        return pa.concat_tables(self.kept) if self.kept else self.schema.empty_table()

    def close(self) -> Path | None:
        self.flush()
        if self.writer is None or self.tmp is None or self.path is None:
            return None
        self.writer.close()
        self.writer = None
        with open(self.tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)


def _full(n: int, value: float | int, dtype: type = _I) -> np.ndarray:
    return np.full(n, value, dtype=dtype)


class Recorder:
    """The panels and event logs of one run (``state.record``).

    Args:
        panels: panel names to record (of :data:`PANELS`).
        events: event logs to record (of :data:`EVENTS`).
        folder: output folder for the Parquet files; None keeps the tables in memory.
        flush_days: days between row-group writes.
        every: panel period in days (1 daily, 7 weekly).

    Attributes:
        on: name -> whether that panel or log is recorded (every name of both lists).
        flows: per-panel running sums of flows since the last panel row (kept by
            ``ecosim.phases.panels``).
    """

    def __init__(
        self,
        panels: Iterable[str] = (),
        events: Iterable[str] = (),
        folder: str | Path | None = None,
        flush_days: int = 30,
        every: int = 7,
    ) -> None:
        wanted = set(panels) | set(events)
        unknown = wanted - set(PANELS) - set(EVENTS)
        if unknown:
            raise ValueError(f"unknown panel or log: {', '.join(sorted(unknown))}")
        self.on: dict[str, bool] = {name: name in wanted for name in (*PANELS, *EVENTS)}
        self.folder = None if folder is None else Path(folder)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        self.flush_days = flush_days
        self.every = every
        self.tables = {n: _Table(n, self.folder) for n in (*PANELS, *EVENTS) if self.on[n]}
        self.flows: dict[str, dict[str, np.ndarray]] = {}
        self.closed = False

    @property
    def active(self) -> bool:
        """Whether anything at all is recorded."""
        return bool(self.tables)

    # ------------------------------------------------------------------ writing
    def add(self, name: str, columns: Mapping[str, np.ndarray]) -> None:
        """Append rows to ``name`` (a dict of equal-length arrays, every schema column).

        The arrays are copied: a panel passes live state columns (a firm's staff), which the
        following days change before the row group is written.
        """
        self.tables[name].add(
            {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in columns.items()}
        )

    def end_of_day(self, day: int) -> None:
        """Write a row group of every table every ``flush_days`` days."""
        if self.tables and day % self.flush_days == 0:
            for table in self.tables.values():
                table.flush()

    def close(self) -> list[Path]:
        """Write what is buffered and give the files their final names.

        Returns:
            The files written (none without an output folder).
        """
        paths = [p for t in self.tables.values() if (p := t.close()) is not None]
        if self.folder is not None:
            # a file left by an earlier run into the same folder would pass for this run's
            for name in (*PANELS, *EVENTS):
                if name not in self.tables:
                    (self.folder / file_name(name)).unlink(missing_ok=True)
        self.closed = True
        return paths

    def abort(self) -> None:
        """Delete the temporary files of an unfinished run (nothing half-written is left)."""
        for table in self.tables.values():
            table.abort()

    # ------------------------------------------------------------------ reading
    def frame(self, name: str) -> pd.DataFrame:
        """A panel or log as a DataFrame (coded columns as pandas categoricals).

        Raises:
            KeyError: ``name`` is not recorded in this run.
        """
        if name not in self.tables:
            raise KeyError(f"{name!r} is not recorded (outputs.panels / outputs.events)")
        return self.tables[name].table().to_pandas()

    # ------------------------------------------------------------------ hooks
    def orders(self, day: int, orders: Mapping[str, np.ndarray], days: np.ndarray) -> None:
        """Orders shipped today (``fulfilment.ship``): the order batch and days in transit."""
        if not self.on["orders"]:
            return
        n = orders["merchant"].size
        rank = orders["rank"] if "rank" in orders else _full(n, -1)
        sponsored = orders["sponsored"] if "sponsored" in orders else np.zeros(n, dtype=bool)
        self.add(
            "orders",
            {
                "day": _full(n, day),
                "household": orders["consumer"],
                "store": orders["merchant"],
                "platform": orders["platform"],
                "category": orders["category"],
                "price": orders["price"],
                "fee": orders["fee"],
                "iot": orders["iot"],
                "rank": rank,
                "sponsored": sponsored,
                "due_day": day + days,
            },
        )

    def deliveries(
        self,
        day: int,
        parcels: Mapping[str, np.ndarray],
        satisfied: np.ndarray,
        disputed: np.ndarray,
        refunded: np.ndarray,
        rated: np.ndarray,
        rating: np.ndarray,
    ) -> None:
        """Parcels due today and their outcome, and the genuine ratings given
        (``delivery.deliver``)."""
        if self.on["ratings"]:
            k = int(rated.sum())
            self.add(
                "ratings",
                {
                    "day": _full(k, day),
                    "store": parcels["merchant"][rated],
                    "household": parcels["consumer"][rated],
                    "value": rating[rated],
                    "fake": np.zeros(k, dtype=bool),
                    "detected": np.zeros(k, dtype=bool),
                },
            )
        if not self.on["deliveries"]:
            return
        n = satisfied.size
        lost = parcels["lost"]
        # the most serious of what happened: refunded > lost > disputed > not as described
        outcome = np.where(
            refunded,
            4,
            np.where(lost, 3, np.where(disputed, 2, np.where(satisfied, 0, 1))),
        )
        self.add(
            "deliveries",
            {
                "day": _full(n, day),
                "shipped_day": day - parcels["days"],
                "household": parcels["consumer"],
                "store": parcels["merchant"],
                "platform": parcels["platform"],
                "category": parcels["category"],
                "price": parcels["price"],
                "outcome": outcome,
                "lost": lost,
                "disputed": disputed,
                "refunded": refunded,
            },
        )

    def fake_ratings(
        self, day: int, stores: np.ndarray, bought: np.ndarray, caught: np.ndarray
    ) -> None:
        """Fake five-star ratings bought today, ``caught`` of each store's detected
        (``delivery.fake_reviews``)."""
        if not self.on["ratings"]:
            return
        count = bought.astype(np.int64)
        store = np.repeat(stores, count)
        first = np.repeat(np.cumsum(count) - count, count)
        detected = np.arange(store.size) - first < np.repeat(caught.astype(np.int64), count)
        self.add(
            "ratings",
            {
                "day": _full(store.size, day),
                "store": store,
                "household": _full(store.size, -1),
                "value": np.ones(store.size),
                "fake": np.ones(store.size, dtype=bool),
                "detected": detected,
            },
        )

    def entries(self, day: int, rows: np.ndarray, table, flagship: bool) -> None:
        """Stores opened (``actors.merchants.add_merchants``; the initial ones, on day 0,
        are not events)."""
        if not self.on["entries"] or day == 0:
            return
        self.add(
            "entries",
            {
                "day": _full(rows.size, day),
                "store": rows,
                "platform": np.argmax(table.listed[rows], axis=1),
                "category": table.category[rows],
                "tier": table.tier[rows],
                "opportunistic": table.opportunistic[rows],
                "entry_reason": _full(rows.size, 1 if flagship else 0, _S),
            },
        )

    def exits(self, day: int, rows: np.ndarray, table, forfeit: bool, cash: np.ndarray) -> None:
        """Stores closed (``strategy.close_stores``): delisted by a platform (``forfeit``),
        out of cash, or after losses."""
        if not self.on["exits"]:
            return
        reason = np.full(rows.size, 2 if forfeit else 0, dtype=_S)
        if not forfeit:
            reason[cash < 0] = 1
        self.add(
            "exits",
            {
                "day": _full(rows.size, day),
                "store": rows,
                "category": table.category[rows],
                "age": day - table.entry_day[rows],
                "exit_reason": reason,
            },
        )

    def contracts(self, day: int, terms: Mapping[str, np.ndarray], makers: np.ndarray) -> None:
        """Contracts renegotiated today (``contracts.renegotiate``): ``state.last_negotiation``."""
        if not self.on["contracts"]:
            return
        rows = terms["rows"]
        self.add(
            "contracts",
            {
                "day": _full(rows.size, day),
                "store": rows,
                "manufacturer": makers,
                "cost": terms["c"],
                "demand_intercept": terms["a"],
                "demand_slope": terms["b"],
                "maker_outside": terms["d_maker"],
                "store_outside": terms["d_store"],
                "wholesale": terms["wholesale"],
            },
        )

    def jobs(
        self,
        day: int,
        workers: np.ndarray,
        sector: np.ndarray | int,
        employer: np.ndarray,
        hired: bool,
    ) -> None:
        """Hires and lay-offs (``labour``): workers, their sector code and employer row."""
        if not self.on["jobs"] or day == 0:
            return
        n = workers.size
        self.add(
            "jobs",
            {
                "day": _full(n, day),
                "household": workers,
                "sector": np.broadcast_to(np.asarray(sector, dtype=_S), (n,)),
                "employer": employer,
                "job": _full(n, 0 if hired else 1, _S),
            },
        )

    def rule_change(self, day: int, key: str, old: object, new: object) -> None:
        """A scheduled rule change taking effect (``EcosystemModel`` at the start of a day)."""
        if not self.on["rules"]:
            return
        self.add(
            "rules",
            {
                "day": _full(1, day),
                "key": np.array([key], dtype=object),
                "old": np.array([old], dtype=object),
                "new": np.array([new], dtype=object),
            },
        )

    def platform_revenue(
        self,
        platform: np.ndarray | int,
        amount: np.ndarray,
        source: str,
        sources: tuple[str, ...],
        n_platforms: int,
    ) -> None:
        """Platform revenue booked (``economics.book_platform_revenue``), summed by platform
        and source (of ``sources``) for the platform panel."""
        if not self.on["platforms"]:
            return
        flows = self.flows.setdefault("platforms", {})
        by_source = flows.get("revenue_by_source")
        if by_source is None:
            by_source = flows["revenue_by_source"] = np.zeros((n_platforms, len(sources)))
        column = by_source[:, sources.index(source)]
        if np.isscalar(platform):
            column[int(platform)] += float(np.sum(amount))
        else:
            np.add.at(column, platform, amount)
