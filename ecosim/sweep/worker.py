"""The function every sweep run executes, in a pool process or on a Dask worker.

It imports only the standard library at module level: the model (``ecosim.simulate``) and
pandas are imported inside :func:`run_task`, in the worker, so that pickling a reference to
this function costs the parent nothing.
"""

from __future__ import annotations

import copy
import importlib
import os
import socket
import time
import traceback
from typing import Any

__all__ = ["DEFAULT_SIMULATE", "UnknownOutputError", "run_task"]

#: The per-run function, as ``module:function``; it is called as
#: ``fn(config, steps=steps, seed=seed)`` and returns daily metrics (one row per day); with
#: ``keep_panels`` also ``output_dir=FOLDER``, where it writes the run's panels and logs.
DEFAULT_SIMULATE = "ecosim.simulate:run_simulation"


class UnknownOutputError(LookupError):
    """A sweep output is not a column of the model's daily metrics."""


def _resolve(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def run_task(task: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Run one simulation of a sweep and summarise it; model errors are returned, not raised.

    Args:
        task: ``run_id``, ``point``, ``replication``, ``seed``, ``params`` (dotted key ->
            value), ``steps`` (days), ``outputs`` (metric names) and ``simulate``
            (``module:function``).
        config: the base configuration as plain data (``EcosimConfig.model_dump(mode="json")``).

    Returns:
        ``run_id``, ``status`` (``done`` or ``failed``), ``error`` and ``traceback`` (failures),
        ``error_type``, ``final`` and ``mean`` (output -> value at the last day and mean over
        all days, in the metric's unit), ``timeseries`` (the daily metrics frame, or ``None``),
        ``config_hash``, ``elapsed_s`` (wall seconds of the run, imports excluded) and
        ``worker`` (host:pid).
    """
    start = time.perf_counter()
    result: dict[str, Any] = {
        "run_id": task["run_id"],
        "status": "failed",
        "error": None,
        "error_type": None,
        "traceback": None,
        "final": {},
        "mean": {},
        "timeseries": None,
        "config_hash": None,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }
    try:
        from ecosim.config import config_hash, set_dotted, validate_config

        simulate = _resolve(task.get("simulate") or DEFAULT_SIMULATE)
        # The clock starts after the imports: a worker pays them once, not per run, and
        # ``elapsed_s`` is what the run itself costs (the sweep's overhead is the rest).
        start = time.perf_counter()
        data = copy.deepcopy(config)
        for key, value in task["params"].items():
            set_dotted(data, key, value)
        cfg = validate_config(data, source=f"run {task['run_id']}")
        result["config_hash"] = config_hash(cfg)
        if task.get("panels_dir"):  # keep_panels: the run writes its panels and logs there
            frame = simulate(
                cfg, steps=task["steps"], seed=task["seed"], output_dir=task["panels_dir"]
            )
        else:
            frame = simulate(cfg, steps=task["steps"], seed=task["seed"])
        missing = [name for name in task["outputs"] if name not in frame.columns]
        if missing:
            raise UnknownOutputError(
                f"output {missing[0]!r} is not a daily metric of the model "
                f"(available: {', '.join(map(str, frame.columns))})"
            )
        for name in task["outputs"]:
            column = frame[name].astype("float64")
            result["final"][name] = float(column.iloc[-1]) if len(column) else float("nan")
            result["mean"][name] = float(column.mean())
        result["timeseries"] = frame
        result["status"] = "done"
    except Exception as exc:  # a run that raises is recorded, and the sweep goes on
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["error_type"] = type(exc).__name__
        result["traceback"] = traceback.format_exc()
    result["elapsed_s"] = time.perf_counter() - start
    return result
