"""Run a calibration: an Optuna study whose trials are simulated on the sweep executors.

Each trial asks the study for a point in the parameter ranges, runs the calibration's
replications at that point (the same seeds for every trial: common random numbers) on a local
process pool or a Dask cluster (:mod:`ecosim.sweep.executors`, each run is
:func:`ecosim.sweep.worker.run_task`, as in a sweep), computes the targets' moments from the
runs' daily metrics and tells the study the objective (:mod:`ecosim.calibration.moments`).

The study lives in a journal file in the output folder (``study.journal``, Optuna's
append-only log, safe against a kill at any moment). Running the same command again
continues: trials already finished count towards ``--trials`` and are not run again; trials
that were running when the calibration was killed are marked failed and their points are run
first. The other outputs (:mod:`ecosim.calibration.outputs`) are rebuilt from the study at the
end of every invocation, each written atomically.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from ecosim.calibration.moments import moments, objective
from ecosim.calibration.outputs import MANIFEST, STUDY_FILE, best_trial, write_outputs
from ecosim.calibration.spec import CalibrationFile, load_calibration_file
from ecosim.config import ConfigError
from ecosim.io import write_json
from ecosim.outdir import output_dir_problem
from ecosim.sweep.design import run_seeds
from ecosim.sweep.executors import ExecutorGone, SweepExecutor, WorkerLost, make_executor
from ecosim.sweep.progress import ProgressBar, say
from ecosim.sweep.store import FolderLock, SweepRefused
from ecosim.sweep.worker import DEFAULT_SIMULATE, run_task

__all__ = [
    "STUDY_NAME",
    "CalibrationError",
    "CalibrationRefused",
    "CalibrationSummary",
    "default_out_dir",
    "finished_trials",
    "open_study",
    "run_calibration",
]

#: Name of the Optuna study inside ``study.journal``.
STUDY_NAME = "ecosim-calibration"

#: Times a run may be lost with its worker process before its trial is recorded as failed.
MAX_LOST = 3


class CalibrationRefused(ConfigError):
    """The output folder or the executor cannot be used; nothing was written (exit status 2)."""


class CalibrationError(RuntimeError):
    """The calibration could not go on (the Dask cluster was lost); what finished is kept."""


@dataclass(frozen=True)
class CalibrationSummary:
    """What one invocation of a calibration did.

    Attributes:
        out_dir: the output folder.
        trials: trials the calibration should have finished (``--trials`` or the file's).
        finished: trials finished (complete or failed), all invocations together.
        new: trials finished by this invocation.
        failed: trials failed, all invocations together (a run raised).
        best_objective: the best objective so far (``inf`` without a complete trial).
        best_params: the best trial's parameters (dotted key -> value).
        wall_s: wall-clock seconds of this invocation (s).
        executor: description of the executor used.
    """

    out_dir: Path
    trials: int
    finished: int
    new: int
    failed: int
    best_objective: float
    best_params: dict[str, Any]
    wall_s: float
    executor: str

    def __str__(self) -> str:
        best = ", ".join(f"{k} = {v:.6g}" for k, v in self.best_params.items()) or "none"
        done = f"{self.finished}/{self.trials}" if self.finished <= self.trials else self.finished
        return (
            f"{done} trials ({self.new} this time, {self.failed} failed); "
            f"best objective {self.best_objective:.4g} at {best}; {self.wall_s:.1f} s on "
            f"{self.executor} -> {self.out_dir}"
        )


def default_out_dir(path: str | Path) -> Path:
    """Where a calibration writes when no ``--out`` is given: ``results/calibration/<stem>``."""
    return Path("results") / "calibration" / Path(path).stem


def open_study(out_dir: Path, sampler: optuna.samplers.BaseSampler | None = None) -> optuna.Study:
    """The calibration's study in ``out_dir/study.journal`` (created if missing).

    Args:
        out_dir: the calibration's output folder (must exist).
        sampler: the sampler (``None``: a study opened only to read its trials).
    """
    # Optuna logs every study it opens and every trial it is told; the progress bar says that.
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(str(out_dir / STUDY_FILE)))
    return optuna.create_study(
        study_name=STUDY_NAME,
        storage=storage,
        sampler=sampler,
        direction="minimize",
        load_if_exists=True,
    )


def finished_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """Trials that count towards ``--trials``: complete ones, and those failed by a run.

    Trials failed because the calibration was killed while they ran have no ``error``
    attribute; their points are run again, so they do not count.
    """
    return [
        t
        for t in study.get_trials(deepcopy=False)
        if t.state == TrialState.COMPLETE
        or (t.state == TrialState.FAIL and "error" in t.user_attrs)
    ]


def _sampler(cal: CalibrationFile, offset: int) -> optuna.samplers.BaseSampler:
    """The file's sampler, seeded with the root seed plus the trials already in the study.

    The offset keeps a resumed calibration deterministic without drawing the first
    invocation's random points again.
    """
    seed = cal.spec.seed + offset
    startup = cal.spec.startup_trials
    with warnings.catch_warnings():
        # constant_liar (parallel trials do not all pick the same point) is marked
        # experimental by Optuna; the warning says nothing a user can act on.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if cal.spec.sampler == "cmaes":
            return optuna.samplers.CmaEsSampler(
                seed=seed, n_startup_trials=startup, warn_independent_sampling=False
            )
        if cal.spec.sampler == "random":
            return optuna.samplers.RandomSampler(seed=seed)
        return optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=startup, constant_liar=True, multivariate=True
        )


def _check_folder(out: Path, cal: CalibrationFile) -> dict[str, Any] | None:
    """The folder's manifest, ``None`` for a new folder; refuse a folder made by another file."""
    problem = output_dir_problem(out)
    if problem:
        raise CalibrationRefused(f"--out {out}: {problem}")
    manifest_path = out / MANIFEST
    if not manifest_path.is_file():
        if out.is_dir() and any(out.iterdir()):
            raise CalibrationRefused(
                f"--out {out}: not empty and not a calibration folder (no {MANIFEST}); "
                "choose another folder"
            )
        return None
    try:
        manifest = json.loads(manifest_path.read_text())
        made_by = manifest["normalised"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CalibrationRefused(
            f"{manifest_path}: damaged ({exc}); choose another --out"
        ) from None
    now = json.loads(json.dumps(cal.normalised(), default=str))
    if made_by != now:
        differ = sorted(k for k in set(made_by) | set(now) if made_by.get(k) != now.get(k))
        raise CalibrationRefused(
            f"{cal.path}: differs from the calibration that made {out} (in "
            f"{', '.join(repr(k) for k in differ)}); its trials would not be comparable: use "
            "another --out, or only change 'trials', 'description', sources and notes"
        )
    return dict(manifest)


def _new_manifest(cal: CalibrationFile) -> dict[str, Any]:
    return {
        "file": str(cal.path),
        "text": cal.text,
        "calibration_hash": cal.calibration_hash(),
        "normalised": json.loads(json.dumps(cal.normalised(), default=str)),
        "scenario": str(cal.scenario_path) if cal.scenario_path else None,
        "invocations": [],
    }


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def run_calibration(
    path: str | Path,
    out_dir: str | Path | None = None,
    *,
    trials: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    simulate: str = DEFAULT_SIMULATE,
) -> CalibrationSummary:
    """Run (or continue) a calibration and write its outputs.

    Args:
        path: the calibration file (YAML, docs/calibration.md).
        out_dir: output folder (default ``results/calibration/<file stem>``).
        trials: trials to finish in total, all invocations together (default: the file's).
        workers: local pool processes (default: usable CPUs); with ``scheduler``, a cap on
            runs in flight.
        scheduler: address of a running Dask scheduler, e.g. ``tcp://10.0.0.5:8786``.
        progress: show a progress bar and messages on stderr.
        simulate: the per-run function as ``module:function`` (tests swap in stand-ins).

    Returns:
        What this invocation did.

    Raises:
        ConfigError: bad calibration file, or one that differs from the one that made
            ``out_dir``; nothing was written.
        CalibrationRefused: the folder cannot be used or the scheduler cannot be reached;
            nothing was written.
        CalibrationError: the cluster went away mid-calibration (finished trials are kept).
        KeyboardInterrupt: after writing the outputs of the finished trials.
    """
    started = time.perf_counter()
    cal = load_calibration_file(path)
    target_trials = trials if trials is not None else cal.spec.trials
    out = Path(out_dir) if out_dir is not None else default_out_dir(cal.path)
    manifest = _check_folder(out, cal)

    with contextlib.ExitStack() as stack:
        config = cal.base.model_dump(mode="json")

        def open_executor() -> SweepExecutor:
            try:
                executor = make_executor(run_task, config, workers=workers, scheduler=scheduler)
            except ExecutorGone as exc:
                raise CalibrationRefused(str(exc)) from None
            return stack.enter_context(executor)

        # A new calibration reaches its executor before creating anything, so an
        # unreachable cluster leaves no folder behind.
        executor = open_executor() if manifest is None else None
        manifest = manifest or _new_manifest(cal)
        out.mkdir(parents=True, exist_ok=True)
        try:
            stack.enter_context(FolderLock(out))
        except SweepRefused:
            raise CalibrationRefused(f"{out}: another calibration is writing here") from None
        # The manifest first: a folder with a study but no manifest would be refused.
        write_json(out / MANIFEST, manifest)
        study = open_study(out)
        _retry_interrupted(study)
        before = finished_trials(study)
        study.sampler = _sampler(cal, offset=len(study.trials))
        todo = max(0, target_trials - len(before))
        if todo and executor is None:
            executor = open_executor()
        described = executor.description if executor is not None and todo else "nothing to run"
        invocation = {"started": _now(), "executor": described, "trials": target_trials}
        manifest["invocations"].append(invocation)
        write_json(out / MANIFEST, manifest)
        say(
            progress,
            f"calibration {cal.name}: {_count(len(cal.parameters), 'parameter')}, "
            f"{_count(len(cal.fitted), 'fitted target')}, "
            f"{cal.spec.replications} replications per trial; "
            f"{len(before)} of {target_trials} trials already done, {todo} to run on "
            f"{described}",
        )
        drive = _Drive(cal=cal, study=study, simulate=simulate, todo=todo, progress=progress)
        try:
            if executor is not None and todo:
                drive.run(executor)
        finally:
            drive.close_bar()
            after = finished_trials(study)
            invocation.update(finished=_now(), new_trials=len(after) - len(before))
            write_json(out / MANIFEST, manifest)
            write_outputs(out, cal, study)

    complete = [t for t in after if t.state == TrialState.COMPLETE]
    best = best_trial(study)
    return CalibrationSummary(
        out_dir=out,
        trials=target_trials,
        finished=len(after),
        new=len(after) - len(before),
        failed=len(after) - len(complete),
        best_objective=float(best.value)
        if best is not None and best.value is not None
        else math.inf,
        best_params=dict(best.params) if best is not None else {},
        wall_s=time.perf_counter() - started,
        executor=described,
    )


def _retry_interrupted(study: optuna.Study) -> None:
    """Mark trials left running by a killed invocation as failed, and queue their points."""
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study.tell(trial.number, state=TrialState.FAIL)
        study.enqueue_trial(dict(trial.params))


@dataclass
class _TrialRuns:
    """One trial in flight: its replications' results as they arrive."""

    trial: optuna.Trial
    params: dict[str, Any]
    results: list[dict[str, Any] | None]
    lost: list[int]
    started: float = field(default_factory=time.perf_counter)


@dataclass
class _Drive:
    """Keeps an executor busy with a calibration's trials and tells the study each result."""

    cal: CalibrationFile
    study: optuna.Study
    simulate: str
    todo: int
    progress: bool
    bar: Any = None
    done: int = 0

    def run(self, executor: SweepExecutor) -> None:
        """Ask, run and tell trials until ``todo`` of them have finished."""
        seeds = [int(s) for s in run_seeds(self.cal.spec.seed, 1, self.cal.spec.replications)[0]]
        self.bar = _Bar(self.progress, self.todo, self.cal.name, _best(self.study))
        in_flight: dict[Any, tuple[int, int]] = {}
        trials: dict[int, _TrialRuns] = {}
        while self.done + len(trials) < self.todo or in_flight:
            # Ask for a new trial while a worker would otherwise be idle.
            while self.done + len(trials) < self.todo and len(in_flight) < executor.slots():
                runs = self._ask()
                trials[runs.trial.number] = runs
                for rep, seed in enumerate(seeds):
                    future = executor.submit(self._task(runs, rep, seed))
                    in_flight[future] = (runs.trial.number, rep)
            try:
                finished = executor.wait(in_flight, timeout=1.0)
            except ExecutorGone as exc:
                raise CalibrationError(str(exc)) from None
            for future in finished:
                number, rep = in_flight.pop(future)
                runs = trials[number]
                result = self._result(executor, future, runs, rep)
                if result is None:  # lost with its worker: run it again
                    retry = executor.submit(self._task(runs, rep, seeds[rep]))
                    in_flight[retry] = (number, rep)
                    continue
                runs.results[rep] = result
                if all(r is not None for r in runs.results):
                    self._tell(trials.pop(number))

    def _ask(self) -> _TrialRuns:
        trial = self.study.ask()
        params: dict[str, Any] = {}
        for p in self.cal.parameters:
            low, high = float(p.low or 0.0), float(p.high or 0.0)
            if p.integer:
                params[p.key] = trial.suggest_int(p.key, math.ceil(low), math.floor(high))
            else:
                params[p.key] = trial.suggest_float(p.key, low, high)
        n = self.cal.spec.replications
        return _TrialRuns(trial=trial, params=params, results=[None] * n, lost=[0] * n)

    def _task(self, runs: _TrialRuns, rep: int, seed: int) -> dict[str, Any]:
        return {
            "run_id": f"t{runs.trial.number:05d}-r{rep:03d}",
            "point": runs.trial.number,
            "replication": rep,
            "seed": seed,
            "params": runs.params,
            "steps": self.cal.steps,
            "outputs": sorted({m for t in self.cal.targets for m in (*t.metrics, *t.of_metrics)}),
            "simulate": self.simulate,
            "panels_dir": None,
        }

    def _result(
        self, executor: SweepExecutor, future: Any, runs: _TrialRuns, rep: int
    ) -> dict[str, Any] | None:
        """The run's result, a failure in the same shape, or ``None``: run it again."""
        try:
            return executor.result(future)
        except WorkerLost as exc:
            runs.lost[rep] += 1
            if runs.lost[rep] <= MAX_LOST:
                return None
            error = f"WorkerLost: {exc} ({runs.lost[rep]} times)"
        except ExecutorGone as exc:
            raise CalibrationError(str(exc)) from None
        except Exception as exc:  # any other infrastructure error: the trial fails
            error = f"{type(exc).__name__}: {exc}"
        return {"status": "failed", "error": error, "elapsed_s": math.nan}

    def _tell(self, runs: _TrialRuns) -> None:
        trial = runs.trial
        results = [r for r in runs.results if r is not None]
        trial.set_user_attr("run_s", float(np.nansum([r["elapsed_s"] for r in results])))
        trial.set_user_attr("wall_s", time.perf_counter() - runs.started)
        failed = [r for r in results if r["status"] != "done"]
        if failed:
            trial.set_user_attr("error", str(failed[0]["error"]))
            self.study.tell(trial, state=TrialState.FAIL)
        else:
            per_run = np.array([moments(r["timeseries"], self.cal.targets) for r in results])
            means = per_run.mean(axis=0)
            trial.set_user_attr(
                "moments", {t.name: per_run[:, i].tolist() for i, t in enumerate(self.cal.targets)}
            )
            value = objective(list(means), self.cal.targets)
            if math.isfinite(value):
                self.study.tell(trial, value)
            else:
                trial.set_user_attr("error", "a fitted target's moment is not a finite number")
                self.study.tell(trial, state=TrialState.FAIL)
        self.done += 1
        self.bar.advance(_best(self.study), failed=bool(failed))

    def close_bar(self) -> None:
        """Stop drawing the progress bar (idempotent)."""
        if self.bar is not None:
            self.bar.close()


def _best(study: optuna.Study) -> float:
    values = [
        float(t.value)
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.value is not None
    ]
    return min(values) if values else math.inf


class _Bar:
    """The sweep's progress bar counting trials, with the best objective so far."""

    def __init__(self, enabled: bool, total: int, label: str, best: float) -> None:
        self._failed = 0
        self._bar = ProgressBar(enabled, total, label, unit="trials", best=_fmt(best))

    def advance(self, best: float, failed: bool) -> None:
        """One more trial finished; ``best`` is the best objective so far."""
        self._failed += int(failed)
        self._bar.advance(self._failed, best=_fmt(best))

    def close(self) -> None:
        """Stop drawing the bar (idempotent)."""
        self._bar.close()


def _fmt(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else "-"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
