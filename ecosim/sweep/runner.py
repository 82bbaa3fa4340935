"""Run a sweep: every design point x replication, resumable, with crash-safe output.

The folder and what is recorded there is :mod:`ecosim.sweep.store`; the executors (a local
process pool or a Dask cluster) are :mod:`ecosim.sweep.executors`. This module plans the
runs, keeps the executor busy and records each result as it arrives, so a sweep killed at
any moment loses at most the runs in flight, and running the same command again runs only
what is missing. ``runs.parquet`` is rebuilt from the records every few seconds and at the
end.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecosim.config import ConfigError
from ecosim.sweep.design import RunSpec, build_design, plan_runs
from ecosim.sweep.executors import ExecutorGone, SweepExecutor, WorkerLost, make_executor
from ecosim.sweep.progress import ProgressBar, say
from ecosim.sweep.spec import SweepFile, load_sweep_file
from ecosim.sweep.store import (
    BOOKKEEPING,
    MANIFEST,
    RECORDS_DIR,
    RUNS_TABLE,
    TIMESERIES_DIR,
    SweepError,
    SweepStore,
    finish_invocation,
    new_manifest,
    read_records,
    runs_frame,
    start_invocation,
)
from ecosim.sweep.worker import DEFAULT_SIMULATE, run_task

__all__ = [
    "BOOKKEEPING",
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

#: Seconds between rebuilds of runs.parquet while a sweep runs (it is always rebuilt at the end).
FLUSH_EVERY_S = 10.0


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
    store = SweepStore(out_dir if out_dir is not None else default_out_dir(sweep.path))

    with contextlib.ExitStack() as stack:
        stack.enter_context(store.lock())
        manifest = store.check_manifest(sweep) or new_manifest(sweep, design, runs)
        store.prepare()
        records = store.finished_records({run.run_id for run in runs}, retry_failed)
        skipped = len(records)
        todo = deque(run for run in runs if run.run_id not in records)
        # No executor (no pool processes, no cluster connection) when nothing is left to run.
        executor = stack.enter_context(_open_executor(sweep, workers, scheduler)) if todo else None
        described = executor.description if executor is not None else "nothing to run"
        invocation = start_invocation(manifest, described)
        store.write_manifest(manifest)
        say(
            progress,
            f"sweep {sweep.name}: {len(runs)} runs ({len(design)} points x "
            f"{sweep.spec.replications} replications); {skipped} already recorded, "
            f"{len(todo)} to run on {described}",
        )
        drive = _Drive(
            store=store,
            sweep=sweep,
            simulate=simulate,
            max_retries=max_retries,
            records=records,
            bar=ProgressBar(progress and bool(todo), len(todo), sweep.name),
        )
        try:
            if executor is not None:
                drive.run(executor, todo)
        finally:
            totals = drive.close(manifest, invocation, skipped)

    return SweepSummary(
        out_dir=store.path,
        total=len(runs),
        done=drive.counts["done"],
        failed=drive.counts["failed"],
        skipped=skipped,
        total_done=totals["done"],
        total_failed=totals["failed"],
        wall_s=time.perf_counter() - started,
        run_s=drive.run_s,
        executor=described,
    )


def _open_executor(sweep: SweepFile, workers: int | None, scheduler: str | None) -> SweepExecutor:
    try:
        config = sweep.base.model_dump(mode="json")
        return make_executor(run_task, config, workers=workers, scheduler=scheduler)
    except ExecutorGone as exc:
        raise SweepError(str(exc)) from None


@dataclass
class _Drive:
    """Keeps an executor busy with a sweep's runs and records each result as it arrives.

    Attributes:
        store: the sweep's folder.
        sweep: the sweep file.
        simulate: the per-run function as ``module:function``.
        max_retries: worker losses a run may have before it is recorded as failed.
        records: recorded runs by id (updated as runs finish).
        bar: the progress bar.
        counts: runs ``done`` and ``failed`` by this invocation.
        run_s: summed wall seconds of the runs recorded by this invocation (s).
        lost: times each run was lost with its worker.
    """

    store: SweepStore
    sweep: SweepFile
    simulate: str
    max_retries: int
    records: dict[str, dict[str, Any]]
    bar: ProgressBar
    counts: dict[str, int] = field(default_factory=lambda: {"done": 0, "failed": 0})
    run_s: float = 0.0
    lost: dict[str, int] = field(default_factory=dict)

    def run(self, executor: SweepExecutor, todo: deque[RunSpec]) -> None:
        """Run everything in ``todo``; returns when every run is recorded."""
        in_flight: dict[Any, RunSpec] = {}
        last_flush = time.monotonic()
        while todo or in_flight:
            # About two runs per slot: enough to never leave a worker idle, few enough that
            # an interruption loses little and memory stays flat.
            while todo and len(in_flight) < 2 * executor.slots():
                run = todo.popleft()
                in_flight[executor.submit(self._task(run))] = run
            try:
                finished = executor.wait(in_flight, timeout=1.0)
            except ExecutorGone as exc:
                raise SweepError(str(exc)) from None
            for future in finished:
                run = in_flight.pop(future)
                result = self._result(executor, future, run)
                if result is None:
                    todo.appendleft(run)
                else:
                    self._record(run, result)
            if time.monotonic() - last_flush > FLUSH_EVERY_S:
                self.flush()
                last_flush = time.monotonic()

    def _task(self, run: RunSpec) -> dict[str, Any]:
        return {
            "run_id": run.run_id,
            "point": run.point,
            "replication": run.replication,
            "seed": run.seed,
            "params": run.params,
            "steps": self.sweep.steps,
            "outputs": list(self.sweep.spec.outputs),
            "simulate": self.simulate,
        }

    def _result(self, executor: SweepExecutor, future: Any, run: RunSpec) -> dict[str, Any] | None:
        """The run's result, an infrastructure failure in the same shape, or ``None``: retry."""
        try:
            return executor.result(future)
        except WorkerLost as exc:
            lost = self.lost[run.run_id] = self.lost.get(run.run_id, 0) + 1
            if lost <= self.max_retries:
                return None
            return _infra_failure(run, f"WorkerLost: {exc} ({lost} times)")
        except ExecutorGone as exc:
            raise SweepError(str(exc)) from None
        except Exception as exc:  # e.g. Dask's KilledWorker: the run kills its workers
            return _infra_failure(run, f"{type(exc).__name__}: {exc}")

    def _record(self, run: RunSpec, result: dict[str, Any]) -> None:
        if result.get("error_type") == "UnknownOutputError":
            raise ConfigError(f"{self.sweep.path}: key 'outputs': {result['error']}")
        record = self.store.save_run(run, result, attempts=1 + self.lost.get(run.run_id, 0))
        self.records[run.run_id] = record
        self.counts[record["status"]] += 1
        if math.isfinite(record["elapsed_s"]):
            self.run_s += record["elapsed_s"]
        self.bar.advance(self.counts["failed"])

    def flush(self) -> None:
        """Rebuild ``runs.parquet`` from the records."""
        parameters = [p.key for p in self.sweep.parameters]
        self.store.write_runs_table(self.records, parameters, list(self.sweep.spec.outputs))

    def close(
        self, manifest: dict[str, Any], invocation: dict[str, Any], skipped: int
    ) -> dict[str, int]:
        """Stop the bar, write the runs table and the finished manifest; returns the totals."""
        self.bar.close()
        self.flush()
        totals = finish_invocation(manifest, invocation, self.records, self.counts, skipped)
        self.store.write_manifest(manifest)
        return totals


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
