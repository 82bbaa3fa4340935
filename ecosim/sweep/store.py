"""A sweep's output folder: its layout, lock, manifest, run records and time series.

Layout (``DIR``)::

    manifest.json            sweep file (normalised and raw), hashes, versions, git commit
    runs.parquet             one row per recorded run (rebuilt from records/)
    records/<run_id>.json    one small record per finished run: the commit marker
    timeseries/<run_id>.parquet   the run's daily metrics
    panels/<run_id>/         the run's panels and event logs (``keep_panels``, docs/outputs.md)
    .lock                    held while a sweep writes here

Every file is written to a temporary name and renamed (:mod:`ecosim.io`). A run counts as
recorded once its record exists; its time series is written before its record, so a sweep
killed at any moment (even with SIGKILL) loses at most the runs in flight. A done run whose
time series is missing or damaged counts as not recorded, and is run again on resume.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from ecosim.config import ConfigError
from ecosim.io import write_json, write_parquet
from ecosim.outdir import output_dir_problem
from ecosim.sweep.design import Design, RunSpec
from ecosim.sweep.provenance import git_info, now, versions
from ecosim.sweep.spec import SweepFile

__all__ = [
    "BOOKKEEPING",
    "MANIFEST",
    "PANELS_DIR",
    "RECORDS_DIR",
    "RUNS_TABLE",
    "TIMESERIES_DIR",
    "FolderLock",
    "SweepError",
    "SweepRefused",
    "SweepStore",
    "finish_invocation",
    "new_manifest",
    "parquet_is_whole",
    "read_manifest",
    "read_records",
    "run_record",
    "runs_frame",
    "start_invocation",
]

MANIFEST = "manifest.json"
RUNS_TABLE = "runs.parquet"
RECORDS_DIR = "records"
TIMESERIES_DIR = "timeseries"
PANELS_DIR = "panels"  # panels/<run_id>/: a run's panels and logs (keep_panels)
LOCK = ".lock"
FORMAT = 1
#: Columns of runs.parquet that describe how a run went, not what it computed.
BOOKKEEPING = ("elapsed_s", "attempts", "worker", "finished_at")
#: Keys every manifest has, with their JSON types (checked before a folder is trusted).
_MANIFEST_KEYS = {
    "format": int,
    "sweep": dict,
    "sweep_hash": str,
    "config_hash": str,
    "design": dict,
    "versions": dict,
    "git": dict,
    "invocations": list,
}


class SweepError(RuntimeError):
    """The sweep cannot go on (e.g. contact with the Dask cluster was lost mid-sweep)."""


class SweepRefused(ConfigError):
    """The sweep cannot start, and nothing was written.

    The output folder is in use, is not a sweep folder, is damaged or cannot be written, or
    the Dask scheduler cannot be reached.
    """


# --------------------------------------------------------------------------- files
def parquet_is_whole(path: str | Path) -> bool:
    """Whether ``path`` looks like a complete Parquet file (magic bytes and footer length).

    Cheap (two small reads), so every done run can be checked when a sweep resumes.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
            size = fh.seek(0, os.SEEK_END)
            if size < 12:
                return False
            fh.seek(-8, os.SEEK_END)
            tail = fh.read(8)
    except OSError:
        return False
    footer = int.from_bytes(tail[:4], "little")
    return head == b"PAR1" and tail[4:] == b"PAR1" and footer + 12 <= size


def _damaged(path: Path, why: str) -> SweepRefused:
    return SweepRefused(
        f"{path}: damaged ({why}); {path.parent} cannot be used as a sweep folder: delete it "
        f"and run the sweep again, or choose another --out"
    )


def read_manifest(out_dir: str | Path) -> dict[str, Any] | None:
    """The folder's ``manifest.json``, or ``None`` when there is none.

    Raises:
        SweepRefused: the manifest is not valid JSON, not a mapping, or lacks a key.
    """
    path = Path(out_dir) / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _damaged(path, f"cannot be read: {exc}") from None
    except ValueError as exc:
        raise _damaged(path, f"not valid JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise _damaged(path, f"a JSON {type(manifest).__name__}, not a mapping")
    for key, kind in _MANIFEST_KEYS.items():
        if not isinstance(manifest.get(key), kind):
            raise _damaged(path, f"key {key!r} is missing or not a JSON {kind.__name__}")
    return manifest


def _plain(value: Any) -> Any:
    """JSON-safe Python scalar (numpy scalars would otherwise be written as strings)."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def run_record(run: RunSpec, result: dict[str, Any], attempts: int) -> dict[str, Any]:
    """The record of a finished run (``records/<run_id>.json``).

    Args:
        run: the run.
        result: what :func:`ecosim.sweep.worker.run_task` returned (or an infrastructure
            failure in the same shape).
        attempts: times the run was started.
    """
    return {
        "run_id": run.run_id,
        "point": run.point,
        "replication": run.replication,
        "seed": run.seed,
        "params": {k: _plain(v) for k, v in run.params.items()},
        "status": result["status"],
        "error": result.get("error"),
        "error_type": result.get("error_type"),
        "traceback": result.get("traceback"),
        "final": {k: float(v) for k, v in result.get("final", {}).items()},
        "mean": {k: float(v) for k, v in result.get("mean", {}).items()},
        "config_hash": result.get("config_hash"),
        "elapsed_s": float(result.get("elapsed_s") or 0.0),
        "attempts": attempts,
        "worker": result.get("worker"),
        "finished_at": now(),
    }


def read_records(out_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Every per-run record in a sweep folder, by run id (unreadable ones are skipped)."""
    records: dict[str, dict[str, Any]] = {}
    folder = Path(out_dir) / RECORDS_DIR
    if not folder.is_dir():
        return records
    for path in sorted(folder.glob("*.json")):
        try:
            rec = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(rec, dict) and "run_id" in rec:
            records[rec["run_id"]] = rec
    return records


def runs_frame(
    records: list[dict[str, Any]], parameters: list[str], outputs: list[str]
) -> pd.DataFrame:
    """The ``runs.parquet`` table: one row per run, sorted by point and replication.

    Columns: ``run_id``, ``point``, ``replication``, ``seed``, one column per parameter
    (named by its dotted key), ``status``, ``error``, ``<output>_final`` and
    ``<output>_mean`` (the metric's unit), then bookkeeping: ``elapsed_s`` (s), ``attempts``,
    ``worker``, ``finished_at``.
    """
    records = sorted(records, key=lambda r: (r["point"], r["replication"]))
    nan = float("nan")
    cols: dict[str, Any] = {
        "run_id": pd.Series([r["run_id"] for r in records], dtype="str"),
        "point": pd.Series([r["point"] for r in records], dtype="int64"),
        "replication": pd.Series([r["replication"] for r in records], dtype="int64"),
        "seed": pd.Series([r["seed"] for r in records], dtype="int64"),
    }
    for key in parameters:
        values = [r["params"].get(key) for r in records]
        column = pd.Series(values)
        if column.dtype == object and len({type(v) for v in values}) > 1:
            # Parquet columns need one type; a mixed categorical is stored as text.
            column = column.astype("str")
        cols[key] = column
    cols["status"] = pd.Series([r["status"] for r in records], dtype="str")
    cols["error"] = pd.Series([r.get("error") for r in records], dtype="str")
    for out in outputs:
        cols[f"{out}_final"] = pd.Series(
            [r["final"].get(out, nan) for r in records], dtype="float64"
        )
    for out in outputs:
        cols[f"{out}_mean"] = pd.Series([r["mean"].get(out, nan) for r in records], dtype="float64")
    cols["elapsed_s"] = pd.Series([r.get("elapsed_s", nan) for r in records], dtype="float64")
    cols["attempts"] = pd.Series([r.get("attempts", 1) for r in records], dtype="int64")
    cols["worker"] = pd.Series([r.get("worker") for r in records], dtype="str")
    cols["finished_at"] = pd.Series([r.get("finished_at") for r in records], dtype="str")
    return pd.DataFrame(cols)


# --------------------------------------------------------------------------- manifest
def _diff(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in [*old, *(k for k in new if k not in old)]:
            out += _diff(old.get(key), new.get(key), f"{prefix}{key}.")
        return out
    return [] if old == new else [prefix.rstrip(".")]


def new_manifest(sweep: SweepFile, design: Design, runs: list[RunSpec]) -> dict[str, Any]:
    """The manifest of a sweep folder made by this sweep (no invocation yet)."""
    return {
        "format": FORMAT,
        "created": now(),
        "sweep_file": str(sweep.path.resolve()),
        "sweep_text": sweep.text,
        "description": sweep.spec.description,
        "sweep": sweep.normalised(),
        "sweep_hash": sweep.sweep_hash(),
        "scenario_file": str(sweep.scenario_path) if sweep.scenario_path else None,
        "config_hash": sweep.config_hash(),
        "config": sweep.base.model_dump(mode="json"),
        "design": {
            "kind": design.kind,
            "points": len(design),
            "replications": sweep.spec.replications,
            "runs": len(runs),
            "problem": design.problem,
        },
        "versions": versions(),
        "git": git_info(),
        "invocations": [],
    }


def start_invocation(manifest: dict[str, Any], executor: str) -> dict[str, Any]:
    """Append this invocation to the manifest (status ``running``) and return its entry.

    The top-level git commit and versions describe the first invocation; a resumed sweep
    may run on newer code, so every invocation records its own.
    """
    first = not manifest["invocations"]
    invocation = {
        "started": now(),
        "executor": executor,
        "git": manifest["git"] if first else git_info(),
        "versions": manifest["versions"] if first else versions(),
        "argv": sys.argv,
    }
    manifest["invocations"].append(invocation)
    manifest["status"] = "running"
    return invocation


def finish_invocation(
    manifest: dict[str, Any],
    invocation: dict[str, Any],
    records: dict[str, dict[str, Any]],
    counts: dict[str, int],
    skipped: int,
) -> dict[str, int]:
    """Close this invocation's entry and the manifest's summary; returns the totals.

    Args:
        manifest: the manifest (changed in place).
        invocation: this invocation's entry, from :func:`start_invocation`.
        records: every recorded run by id, all invocations together.
        counts: runs ``done`` and ``failed`` by this invocation.
        skipped: runs already recorded when this invocation started.

    Returns:
        Runs recorded as ``done`` and ``failed``, all invocations together.
    """
    totals = {
        "done": sum(r["status"] == "done" for r in records.values()),
        "failed": sum(r["status"] == "failed" for r in records.values()),
    }
    invocation.update(finished=now(), done=counts["done"], failed=counts["failed"], skipped=skipped)
    runs = int(manifest["design"]["runs"])
    manifest["summary"] = {"runs": runs, **totals}
    complete = totals["done"] + totals["failed"] == runs
    manifest["status"] = "complete" if complete else "incomplete"
    return totals


# --------------------------------------------------------------------------- folder
class FolderLock:
    """An exclusive ``flock`` on ``DIR/.lock``; the OS drops it if the process dies."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / LOCK
        self._fd: int | None = None

    def __enter__(self) -> FolderLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise SweepRefused(
                f"{self.path.parent}: another sweep (pid {other}) is writing here"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class SweepStore:
    """The output folder of one sweep: what is recorded there, and writing more.

    Args:
        path: the folder (created by :meth:`lock` if needed).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def check_usable(self) -> None:
        """Refuse, before anything is computed or written, a folder that cannot be used.

        Raises:
            SweepRefused: a file is in the way, the place is not writable, the folder holds
                something other than a sweep, or its manifest is damaged.
        """
        problem = output_dir_problem(self.path)
        if problem:
            raise SweepRefused(f"--out {self.path}: {problem}")
        if self.path.is_dir() and read_manifest(self.path) is None:
            leftovers = sorted(p.name for p in self.path.iterdir() if p.name != LOCK)
            if leftovers:
                raise SweepRefused(
                    f"{self.path} exists and is not a sweep output folder (no {MANIFEST}; it "
                    f"holds {', '.join(leftovers[:3])}); choose another --out"
                )

    def has_manifest(self) -> bool:
        """Whether a sweep has already started in this folder."""
        return (self.path / MANIFEST).exists()

    def lock(self) -> FolderLock:
        """Create the folder if needed; the lock to hold while writing there."""
        self.path.mkdir(parents=True, exist_ok=True)
        return FolderLock(self.path)

    def check_manifest(self, sweep: SweepFile) -> dict[str, Any] | None:
        """The existing manifest, after checking it was made by this very sweep.

        Raises:
            SweepRefused: the manifest is damaged.
            ConfigError: the sweep file or its configuration differ from the folder's.
        """
        manifest = read_manifest(self.path)
        if manifest is None:
            self.check_usable()  # nothing else may have appeared since
            return None
        if manifest["sweep_hash"] != sweep.sweep_hash():
            changed = _diff(manifest["sweep"], sweep.normalised()) or ["?"]
            raise ConfigError(
                f"{sweep.path}: differs from the sweep file that made {self.path} "
                f"(changed: {', '.join(changed)}); use another --out folder, or delete "
                f"{self.path} to start over"
            )
        if manifest["config_hash"] != sweep.config_hash():
            raise ConfigError(
                f"{sweep.path}: key 'scenario': the configuration changed since {self.path} was "
                f"made (the scenario file, its base files or the model's defaults; config hash "
                f"{manifest['config_hash']} -> {sweep.config_hash()}); use another --out folder"
            )
        return manifest

    def prepare(self) -> None:
        """Create the subfolders and remove temporary files a killed sweep left behind.

        Call with the lock held, after :meth:`check_manifest`.
        """
        for folder in (self.path, self.path / RECORDS_DIR, self.path / TIMESERIES_DIR):
            folder.mkdir(exist_ok=True)
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)

    def timeseries_path(self, run_id: str) -> Path:
        """Where the daily metrics of a run are stored."""
        return self.path / TIMESERIES_DIR / f"{run_id}.parquet"

    def finished_records(
        self, run_ids: set[str], retry_failed: bool = False
    ) -> dict[str, dict[str, Any]]:
        """Records of the runs that need not run again, by run id.

        A done run counts only with a whole time series (else it is run again); a failed run
        counts unless ``retry_failed``. Records of runs not in ``run_ids`` are ignored.
        """
        finished: dict[str, dict[str, Any]] = {}
        for run_id, record in read_records(self.path).items():
            if run_id not in run_ids:
                continue
            if record.get("status") == "done":
                keep = parquet_is_whole(self.timeseries_path(run_id))
            else:
                keep = not retry_failed
            if keep:
                finished[run_id] = record
        return finished

    def save_run(self, run: RunSpec, result: dict[str, Any], attempts: int) -> dict[str, Any]:
        """Write a finished run: its time series first, then its record (the commit marker)."""
        if result["status"] == "done":
            write_parquet(self.timeseries_path(run.run_id), result["timeseries"])
        record = run_record(run, result, attempts)
        write_json(self.path / RECORDS_DIR / f"{run.run_id}.json", record)
        return record

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Replace ``manifest.json``."""
        write_json(self.path / MANIFEST, manifest)

    def remove(self, folder: bool) -> None:
        """Remove what a sweep wrote here, before any run was recorded.

        Args:
            folder: remove the folder itself too (this invocation created it).
        """
        for name in (MANIFEST, RUNS_TABLE, LOCK):
            (self.path / name).unlink(missing_ok=True)
        for sub in (RECORDS_DIR, TIMESERIES_DIR):
            with contextlib.suppress(OSError):  # not empty: keep what is there
                (self.path / sub).rmdir()
        if folder:
            with contextlib.suppress(OSError):
                self.path.rmdir()

    def write_runs_table(
        self, records: dict[str, dict[str, Any]], parameters: list[str], outputs: list[str]
    ) -> None:
        """Rebuild ``runs.parquet`` from the records."""
        write_parquet(
            self.path / RUNS_TABLE, runs_frame(list(records.values()), parameters, outputs)
        )
