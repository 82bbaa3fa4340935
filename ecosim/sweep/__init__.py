"""Parameter sweeps from YAML files, on this machine or on a Dask cluster.

See ``docs/sweeps.md`` for the file format. The main entry point is :func:`run_sweep`;
:mod:`ecosim.analysis` reads the results back.
"""

from ecosim.sweep.design import Design, RunSpec, build_design, plan_runs, run_seeds
from ecosim.sweep.runner import SweepSummary, default_out_dir, run_sweep
from ecosim.sweep.spec import (
    ParameterSpec,
    SweepFile,
    SweepSpec,
    load_sweep_file,
    scaled_sweep_file,
)
from ecosim.sweep.store import SweepError, SweepRefused

__all__ = [
    "Design",
    "ParameterSpec",
    "RunSpec",
    "SweepError",
    "SweepFile",
    "SweepRefused",
    "SweepSpec",
    "SweepSummary",
    "build_design",
    "default_out_dir",
    "load_sweep_file",
    "plan_runs",
    "run_seeds",
    "run_sweep",
    "scaled_sweep_file",
]
