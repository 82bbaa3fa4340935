"""Run a sweep: every design point x replication, resumable, with crash-safe output.

The folder and what is recorded there is :mod:`ecosim.sweep.store`; the executors (a local
process pool or a Dask cluster) are :mod:`ecosim.sweep.executors`. This module plans the
runs, keeps the executor busy and records each result as it arrives, so a sweep killed at
any moment loses at most the runs in flight, and running the same command again runs only
what is missing. ``runs.parquet`` is rebuilt from the records every few seconds and at the
end.

A run whose worker process dies is not blamed until shown to be at fault: a pool process
that dies takes every run in flight with it, and a Dask worker the runs it held. The runs
lost together are retried one at a time, and only a run that kills its worker while it is
the only one in flight is charged an attempt; after ``max_retries`` such attempts it is
recorded as failed. A run that raises is recorded as failed at once (no retry).
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections import deque
from collections.abc import Iterator
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
    PANELS_DIR,
    RECORDS_DIR,
    RUNS_TABLE,
    TIMESERIES_DIR,
    SweepError,
    SweepRefused,
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
    "SweepRefused",
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
        max_retries: times a run may kill its worker while running alone before it is
            recorded as failed (see the module docstring).
        simulate: the per-run function as ``module:function`` (tests swap in stand-ins).

    Returns:
        What this invocation did.

    Raises:
        ConfigError: bad sweep file, or one that differs from the one that made ``out_dir``.
        SweepRefused: the folder cannot be used (in use, not a sweep folder, damaged, not
            writable) or the Dask scheduler cannot be reached; nothing was written.
        SweepError: the cluster went away mid-sweep.
        KeyboardInterrupt: after recording what finished (the sweep can be resumed).
    """
    started = time.perf_counter()
    sweep = load_sweep_file(sweep_path)  # also refuses a design too large to build
    design = build_design(sweep)
    runs = plan_runs(design, sweep.spec.replications, sweep.spec.seed)
    store = SweepStore(out_dir if out_dir is not None else default_out_dir(sweep.path))
    store.check_usable()
    created = not store.path.exists()

    open_executor = functools.partial(_open_executor, sweep, workers, scheduler)
    fresh, records = False, {}
    try:
        with contextlib.ExitStack() as stack:
            # A new sweep runs everything: reach the executor before creating anything, so
            # an unreachable cluster leaves no folder behind.
            executor = None if store.has_manifest() else stack.enter_context(open_executor())
            stack.enter_context(store.lock())
            manifest = store.check_manifest(sweep)
            fresh = manifest is None
            manifest = manifest or new_manifest(sweep, design, runs)
            store.prepare()
            records = store.finished_records({run.run_id for run in runs}, retry_failed)
            skipped = len(records)
            todo = deque(run for run in runs if run.run_id not in records)
            if todo and executor is None:
                executor = stack.enter_context(open_executor())
            described = executor.description if executor and todo else "nothing to run"
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
            with drive.recording(manifest, invocation, skipped, discardable=fresh):
                if executor is not None and todo:
                    drive.run(executor, todo)
    except _OutputsRefused:
        # Refused by the model before any run was recorded: leave no manifest behind that
        # would then refuse the corrected sweep file.
        if fresh and not records:
            store.remove(folder=created)
        raise

    return SweepSummary(
        out_dir=store.path,
        total=len(runs),
        done=drive.counts["done"],
        failed=drive.counts["failed"],
        skipped=skipped,
        total_done=drive.totals["done"],
        total_failed=drive.totals["failed"],
        wall_s=time.perf_counter() - started,
        run_s=drive.run_s,
        executor=described,
    )


class _OutputsRefused(ConfigError):
    """A run's model does not report one of the sweep's outputs."""


def _open_executor(sweep: SweepFile, workers: int | None, scheduler: str | None) -> SweepExecutor:
    try:
        config = sweep.base.model_dump(mode="json")
        return make_executor(run_task, config, workers=workers, scheduler=scheduler)
    except ExecutorGone as exc:  # unreachable scheduler: nothing is written yet
        raise SweepRefused(str(exc)) from None


@dataclass
class _Drive:
    """Keeps an executor busy with a sweep's runs and records each result as it arrives.

    Attributes:
        store: the sweep's folder.
        sweep: the sweep file.
        simulate: the per-run function as ``module:function``.
        max_retries: charged worker losses a run may have before it is recorded as failed.
        records: recorded runs by id (updated as runs finish).
        bar: the progress bar.
        counts: runs ``done`` and ``failed`` by this invocation.
        run_s: summed wall seconds of the runs recorded by this invocation (s).
        lost: times each run was lost with its worker.
        charged: of those, the times it was the only run in flight (its own doing).
        totals: runs recorded as ``done`` and ``failed``, all invocations (set at the end).
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
    charged: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=lambda: {"done": 0, "failed": 0})

    @contextlib.contextmanager
    def recording(
        self, manifest: dict[str, Any], invocation: dict[str, Any], skipped: int, discardable: bool
    ) -> Iterator[None]:
        """However the drive ends, stop the bar and write the runs table and the manifest.

        Args:
            manifest: the folder's manifest (this invocation is its last entry).
            invocation: this invocation's entry.
            skipped: runs already recorded when this invocation started.
            discardable: the manifest is new, so if the model refuses the outputs before any
                run is recorded, nothing is written (the caller removes the folder).
        """
        try:
            yield
        except _OutputsRefused:
            self.bar.close()
            if not (discardable and not self.records):
                self.totals = self.close(manifest, invocation, skipped)
            raise
        except BaseException:
            self.totals = self.close(manifest, invocation, skipped)
            raise
        self.totals = self.close(manifest, invocation, skipped)

    def run(self, executor: SweepExecutor, todo: deque[RunSpec]) -> None:
        """Run everything in ``todo``; returns when every run is recorded."""
        suspects: deque[RunSpec] = deque()  # lost with a worker, to be retried one at a time
        in_flight: dict[Any, RunSpec] = {}
        alone: str | None = None  # the suspect in flight by itself: a loss is its own doing
        last_flush = time.monotonic()
        while todo or suspects or in_flight:
            if suspects:
                if not in_flight:
                    run = suspects.popleft()
                    alone = run.run_id
                    in_flight[executor.submit(self._task(run))] = run
            else:
                # About two runs per slot: enough to never leave a worker idle, few enough
                # that an interruption loses little and memory stays flat.
                while todo and len(in_flight) < 2 * executor.slots():
                    run = todo.popleft()
                    in_flight[executor.submit(self._task(run))] = run
            try:
                finished = executor.wait(in_flight, timeout=1.0)
            except ExecutorGone as exc:
                raise SweepError(str(exc)) from None
            for future in finished:
                run = in_flight.pop(future)
                result = self._result(executor, future, run, alone=run.run_id == alone)
                if result is None:
                    suspects.append(run)
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
            # Dask workers must see this folder (shared storage), as they see the sweep's.
            "panels_dir": (
                str(self.store.path / PANELS_DIR / run.run_id)
                if self.sweep.spec.keep_panels
                else None
            ),
        }

    def _result(
        self, executor: SweepExecutor, future: Any, run: RunSpec, alone: bool
    ) -> dict[str, Any] | None:
        """The run's result, an infrastructure failure in the same shape, or ``None``: retry.

        A run lost with its worker is charged an attempt only if it was ``alone`` in flight.
        """
        try:
            return executor.result(future)
        except WorkerLost as exc:
            self.lost[run.run_id] = self.lost.get(run.run_id, 0) + 1
            if not alone:
                return None
            charged = self.charged[run.run_id] = self.charged.get(run.run_id, 0) + 1
            if charged <= self.max_retries:
                return None
            return _infra_failure(run, f"WorkerLost: {exc} ({charged} times while running alone)")
        except ExecutorGone as exc:
            raise SweepError(str(exc)) from None
        except Exception as exc:  # any other infrastructure error: record the run as failed
            return _infra_failure(run, f"{type(exc).__name__}: {exc}")

    def _record(self, run: RunSpec, result: dict[str, Any]) -> None:
        if result.get("error_type") == "UnknownOutputError":
            problem = result["error"].removeprefix("UnknownOutputError: ")
            raise _OutputsRefused(f"{self.sweep.path}: key 'outputs': {problem}")
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
