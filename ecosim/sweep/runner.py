"""Run a sweep: every design point x replication, resumable, with crash-safe output.

Output folder layout (``DIR``)::

    manifest.json            sweep file (normalised and raw), hashes, versions, git commit
    runs.parquet             one row per recorded run (rebuilt from records/)
    records/<run_id>.json    one small record per finished run: the commit marker
    timeseries/<run_id>.parquet   the run's daily metrics
    .lock                    held while a sweep writes here

Every file is written to a temporary name and renamed (:mod:`ecosim.io`). A run counts as
recorded once its record exists; its time series is written before its record, so a sweep
killed at any moment (even with SIGKILL) loses at most the runs in flight, and running the
same command again runs only what is missing. ``runs.parquet`` is a view rebuilt from the
records, every few seconds and at the end.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ecosim.config import ConfigError
from ecosim.io import write_json, write_parquet
from ecosim.sweep.design import Design, RunSpec, build_design, plan_runs
from ecosim.sweep.executors import ExecutorGone, SweepExecutor, WorkerLost, make_executor
from ecosim.sweep.spec import SweepFile, load_sweep_file
from ecosim.sweep.worker import DEFAULT_SIMULATE, run_task

__all__ = [
    "MANIFEST",
    "RECORDS_DIR",
    "RUNS_TABLE",
    "TIMESERIES_DIR",
    "SweepError",
    "SweepSummary",
    "default_out_dir",
    "read_records",
    "run_sweep",
    "runs_frame",
]

MANIFEST = "manifest.json"
RUNS_TABLE = "runs.parquet"
RECORDS_DIR = "records"
TIMESERIES_DIR = "timeseries"
_LOCK = ".lock"
_FORMAT = 1
#: Seconds between rebuilds of runs.parquet while a sweep runs (it is always rebuilt at the end).
_FLUSH_EVERY_S = 10.0
#: Columns of runs.parquet that describe how a run went, not what it computed.
BOOKKEEPING = ("elapsed_s", "attempts", "worker", "finished_at")


class SweepError(RuntimeError):
    """The sweep cannot start or go on (folder in use, not a sweep folder, cluster lost)."""


@dataclass(frozen=True)
class SweepSummary:
    """What one invocation of a sweep did.

    Attributes:
        out_dir: the output folder.
        total: runs in the sweep (points x replications).
        done: runs completed by this invocation.
        failed: runs that raised in this invocation (recorded with their error).
        skipped: runs already recorded before this invocation.
        total_done: runs recorded as done, all invocations together.
        total_failed: runs recorded as failed, all invocations together.
        wall_s: wall-clock seconds of this invocation (s).
        run_s: summed wall seconds of the runs themselves in this invocation (s).
        executor: description of the executor used.
    """

    out_dir: Path
    total: int
    done: int
    failed: int
    skipped: int
    total_done: int
    total_failed: int
    wall_s: float
    run_s: float
    executor: str

    @property
    def missing(self) -> int:
        """Runs not recorded yet (non-zero only after an interruption)."""
        return self.total - self.total_done - self.total_failed

    def __str__(self) -> str:
        return (
            f"{self.total} runs: {self.done} done, {self.failed} failed, {self.skipped} skipped "
            f"(already recorded), {self.missing} missing; {self.wall_s:.1f} s on "
            f"{self.executor} -> {self.out_dir}"
        )


def default_out_dir(sweep_path: str | Path) -> Path:
    """Where a sweep writes when no ``--out`` is given: ``results/sweeps/<file stem>``."""
    return Path("results") / "sweeps" / Path(sweep_path).stem


# --------------------------------------------------------------------------- provenance
_PACKAGES = (
    "ecosim", "mesa", "numpy", "pandas", "pyarrow", "pydantic", "salib", "dask", "distributed",
)  # fmt: skip


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def _git(*args: str) -> str | None:
    repo = Path(__file__).resolve().parents[2]
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def _git_info() -> dict[str, Any]:
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- records
def _plain(value: Any) -> Any:
    """JSON-safe Python scalar (numpy scalars would otherwise be written as strings)."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def _record(run: RunSpec, result: dict[str, Any], attempts: int) -> dict[str, Any]:
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
        "finished_at": _now(),
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


# --------------------------------------------------------------------------- folder
class _FolderLock:
    """An exclusive ``flock`` on ``DIR/.lock``; the OS drops it if the process dies."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / _LOCK
        self._fd: int | None = None

    def __enter__(self) -> _FolderLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise SweepError(
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


def _diff(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in [*old, *(k for k in new if k not in old)]:
            out += _diff(old.get(key), new.get(key), f"{prefix}{key}.")
        return out
    return [] if old == new else [prefix.rstrip(".")]


def _check_manifest(out_dir: Path, sweep: SweepFile) -> dict[str, Any] | None:
    """The existing manifest, after checking it was made by this very sweep."""
    path = out_dir / MANIFEST
    if not path.exists():
        leftovers = [p.name for p in out_dir.iterdir() if p.name != _LOCK]
        if leftovers:
            raise SweepError(
                f"{out_dir} exists and is not a sweep output folder (no {MANIFEST}; it holds "
                f"{', '.join(sorted(leftovers)[:3])}); choose another --out"
            )
        return None
    manifest = json.loads(path.read_text())
    if manifest.get("sweep_hash") != sweep.sweep_hash():
        changed = _diff(manifest.get("sweep", {}), sweep.normalised()) or ["?"]
        raise ConfigError(
            f"{sweep.path}: differs from the sweep file that made {out_dir} "
            f"(changed: {', '.join(changed)}); use another --out folder, or delete {out_dir} "
            f"to start over"
        )
    if manifest.get("config_hash") != sweep.config_hash():
        raise ConfigError(
            f"{sweep.path}: key 'scenario': the configuration changed since {out_dir} was made "
            f"(the scenario file, its base files or the model's defaults; config hash "
            f"{manifest.get('config_hash')} -> {sweep.config_hash()}); use another --out folder"
        )
    return manifest


def _clean_temporaries(out_dir: Path) -> None:
    """Remove temporary files a killed sweep left behind (we hold the folder's lock)."""
    for folder in (out_dir, out_dir / RECORDS_DIR, out_dir / TIMESERIES_DIR):
        if folder.is_dir():
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)


def _new_manifest(sweep: SweepFile, design: Design, runs: list[RunSpec]) -> dict[str, Any]:
    return {
        "format": _FORMAT,
        "created": _now(),
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
        "versions": _versions(),
        "git": _git_info(),
        "invocations": [],
    }


# --------------------------------------------------------------------------- progress
class _Progress:
    """A rich progress bar (runs done, failures, ETA) on stderr, or nothing."""

    def __init__(self, enabled: bool, total: int, label: str) -> None:
        self._bar = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs, [red]{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._task = self._bar.add_task(label, total=total, failed=0)
        self._bar.start()

    def advance(self, failed: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1, failed=failed)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _say(enabled: bool, text: str) -> None:
    if enabled:
        print(text, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- main loop
def run_sweep(
    sweep_path: str | Path,
    out_dir: str | Path | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    retry_failed: bool = False,
    progress: bool = True,
    max_retries: int = 3,
    simulate: str = DEFAULT_SIMULATE,
) -> SweepSummary:
    """Run (or resume) a sweep and write its results.

    Args:
        sweep_path: the sweep file (YAML).
        out_dir: output folder (default ``results/sweeps/<file stem>``).
        workers: local pool processes (default: usable CPUs); with ``scheduler``, a cap on
            runs in flight.
        scheduler: address of a running Dask scheduler, e.g. ``tcp://10.0.0.5:8786``.
        retry_failed: run again the runs recorded as failed.
        progress: show a progress bar and messages on stderr.
        max_retries: times a run whose worker died is retried before it counts as failed.
        simulate: the per-run function as ``module:function`` (tests swap in stand-ins).

    Returns:
        What this invocation did.

    Raises:
        ConfigError: bad sweep file, or one that differs from the one that made ``out_dir``.
        SweepError: the folder is in use or not a sweep folder, or the cluster went away.
        KeyboardInterrupt: after recording what finished (the sweep can be resumed).
    """
    started = time.perf_counter()
    sweep = load_sweep_file(sweep_path)
    design = build_design(sweep)
    runs = plan_runs(design, sweep.spec.replications, sweep.spec.seed)
    out = Path(out_dir) if out_dir is not None else default_out_dir(sweep.path)
    out.mkdir(parents=True, exist_ok=True)
    params = [p.key for p in sweep.parameters]
    outputs = list(sweep.spec.outputs)

    with _FolderLock(out):
        manifest = _check_manifest(out, sweep) or _new_manifest(sweep, design, runs)
        _clean_temporaries(out)

        by_id = {run.run_id: run for run in runs}
        records = {k: v for k, v in read_records(out).items() if k in by_id}

        def recorded(rec: dict[str, Any]) -> bool:
            if rec["status"] == "done":
                return (out / TIMESERIES_DIR / f"{rec['run_id']}.parquet").is_file()
            return not retry_failed

        records = {k: v for k, v in records.items() if recorded(v)}
        skipped = len(records)
        todo = deque(run for run in runs if run.run_id not in records)

        # No executor (no pool processes, no cluster connection) when nothing is left to run.
        # It is made before anything is written, so a cluster that cannot be reached leaves
        # the folder as it was.
        executor = None
        if todo:
            try:
                executor = make_executor(
                    run_task, sweep.base.model_dump(mode="json"), workers=workers,
                    scheduler=scheduler,
                )  # fmt: skip
            except ExecutorGone as exc:
                raise SweepError(str(exc)) from None
        (out / RECORDS_DIR).mkdir(exist_ok=True)
        (out / TIMESERIES_DIR).mkdir(exist_ok=True)
        described = executor.description if executor is not None else "nothing to run"
        # The top-level git/versions describe the first invocation; a resumed sweep may run
        # on newer code, so every invocation records its own.
        invocation = {
            "started": _now(),
            "executor": described,
            "git": _git_info() if manifest["invocations"] else manifest["git"],
            "versions": _versions() if manifest["invocations"] else manifest["versions"],
            "argv": sys.argv,
        }
        manifest["invocations"].append(invocation)
        manifest["status"] = "running"
        write_json(out / MANIFEST, manifest)
        _say(
            progress,
            f"sweep {sweep.name}: {len(runs)} runs ({len(design)} points x "
            f"{sweep.spec.replications} replications); {skipped} already recorded, "
            f"{len(todo)} to run on {described}",
        )

        counts = {"done": 0, "failed": 0}
        run_s = 0.0
        bar = _Progress(progress and bool(todo), len(todo), sweep.name)

        def flush() -> None:
            write_parquet(out / RUNS_TABLE, runs_frame(list(records.values()), params, outputs))

        try:
            if executor is not None:
                with executor:
                    run_s = _drive(
                        executor,
                        todo,
                        sweep,
                        simulate,
                        max_retries,
                        out,
                        records,
                        counts,
                        bar,
                        flush,
                    )
        finally:
            bar.close()
            flush()
            totals = {
                "done": sum(r["status"] == "done" for r in records.values()),
                "failed": sum(r["status"] == "failed" for r in records.values()),
            }
            invocation.update(
                finished=_now(), done=counts["done"], failed=counts["failed"], skipped=skipped
            )
            manifest["summary"] = {"runs": len(runs), **totals}
            complete = totals["done"] + totals["failed"] == len(runs)
            manifest["status"] = "complete" if complete else "incomplete"
            write_json(out / MANIFEST, manifest)

    return SweepSummary(
        out_dir=out,
        total=len(runs),
        done=counts["done"],
        failed=counts["failed"],
        skipped=skipped,
        total_done=totals["done"],
        total_failed=totals["failed"],
        wall_s=time.perf_counter() - started,
        run_s=run_s,
        executor=described,
    )


def _drive(
    executor: SweepExecutor,
    todo: deque[RunSpec],
    sweep: SweepFile,
    simulate: str,
    max_retries: int,
    out: Path,
    records: dict[str, dict[str, Any]],
    counts: dict[str, int],
    bar: _Progress,
    flush: Callable[[], None],
) -> float:
    """Keep the executor busy until every run in ``todo`` is recorded; returns run seconds."""
    outputs = list(sweep.spec.outputs)
    lost: dict[str, int] = {}
    in_flight: dict[Any, RunSpec] = {}
    run_s = 0.0
    last_flush = time.monotonic()

    def task_of(run: RunSpec) -> dict[str, Any]:
        return {
            "run_id": run.run_id,
            "point": run.point,
            "replication": run.replication,
            "seed": run.seed,
            "params": run.params,
            "steps": sweep.steps,
            "outputs": outputs,
            "simulate": simulate,
        }

    while todo or in_flight:
        # Keep about two runs per slot submitted: enough to never leave a worker idle,
        # few enough that an interruption loses little and memory stays flat.
        window = 2 * executor.slots()
        while todo and len(in_flight) < window:
            run = todo.popleft()
            in_flight[executor.submit(task_of(run))] = run
        try:
            finished = executor.wait(in_flight, timeout=1.0)
        except ExecutorGone as exc:
            raise SweepError(str(exc)) from None
        for future in finished:
            run = in_flight.pop(future)
            try:
                result = executor.result(future)
            except WorkerLost as exc:
                lost[run.run_id] = lost.get(run.run_id, 0) + 1
                if lost[run.run_id] <= max_retries:
                    todo.appendleft(run)
                    continue
                result = _infra_failure(run, f"WorkerLost: {exc} ({lost[run.run_id]} times)")
            except ExecutorGone as exc:
                raise SweepError(str(exc)) from None
            except Exception as exc:  # e.g. Dask's KilledWorker: the run kills its workers
                result = _infra_failure(run, f"{type(exc).__name__}: {exc}")
            if result.get("error_type") == "UnknownOutputError":
                raise ConfigError(f"{sweep.path}: key 'outputs': {result['error']}")
            if result["status"] == "done":
                # The time series goes first: a record always points at a complete file.
                write_parquet(out / TIMESERIES_DIR / f"{run.run_id}.parquet", result["timeseries"])
            record = _record(run, result, attempts=1 + lost.get(run.run_id, 0))
            write_json(out / RECORDS_DIR / f"{run.run_id}.json", record)
            records[run.run_id] = record
            counts[record["status"]] += 1
            if math.isfinite(record["elapsed_s"]):
                run_s += record["elapsed_s"]
            bar.advance(counts["failed"])
        if time.monotonic() - last_flush > _FLUSH_EVERY_S:
            flush()
            last_flush = time.monotonic()
    return run_s


def _infra_failure(run: RunSpec, error: str) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "status": "failed",
        "error": error,
        "error_type": error.split(":", 1)[0],
        "final": {},
        "mean": {},
        "elapsed_s": math.nan,
    }
