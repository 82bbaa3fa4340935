"""Design points (grid, Latin hypercube, Sobol'/Saltelli) and per-run seeds.

Designs are deterministic functions of the sweep file: the same file always gives the same
points in the same order, which is what makes resuming and comparing sweeps possible.

* ``grid``: the full factorial product of each parameter's list of values, in file order
  (the last parameter varies fastest).
* ``lhs``: ``samples`` points of a Latin hypercube (``SALib.sample.latin``).
* ``sobol``: Saltelli's cross-sampling of a scrambled Sobol' sequence
  (``SALib.sample.sobol``, first-order and total indices only): ``samples * (D + 2)``
  points for ``D`` parameters, in the order ``SALib.analyze.sobol`` expects.

Categorical parameters (a list of values) may appear in lhs and sobol designs too: they are
sampled as a uniform variable on ``[0, k)`` whose integer part picks one of the ``k`` values,
so every value is equally likely and Sobol' indices still apply.

Seeds: ``SeedSequence(seed).spawn(n_points)[point].spawn(replications)[replication]``, turned
into an int by ``generate_state(1)[0]``. A run's seed thus depends only on the root seed,
its design point and its replication, never on the executor, worker count or run order.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ecosim.sweep.spec import ParameterSpec, SweepFile

__all__ = [
    "Design",
    "RunSpec",
    "build_design",
    "plan_runs",
    "run_id",
    "run_seeds",
    "salib_problem",
]

#: Extra entropy word for the design's own random stream (lhs permutations, Sobol'
#: scrambling), so it is independent of the run seeds spawned from the same root seed.
_DESIGN_STREAM = 0x5EED_DE51


@dataclass(frozen=True)
class Design:
    """The design points of a sweep.

    Attributes:
        kind: ``grid``, ``lhs`` or ``sobol``.
        parameters: the varied parameters, in file order.
        points: one ``{dotted_key: value}`` mapping per design point, in design order.
        problem: the SALib problem (names, bounds) for lhs and sobol, else ``None``.
    """

    kind: str
    parameters: tuple[ParameterSpec, ...]
    points: list[dict[str, Any]]
    problem: dict[str, Any] | None = None

    def __len__(self) -> int:
        return len(self.points)


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: a design point, a replication and its seed.

    Attributes:
        run_id: stable name, e.g. ``p00012-r003``.
        point: index of the design point.
        replication: index of the replication within the point.
        seed: the run's seed (passed to ``run_simulation``).
        params: the point's parameter values.
    """

    run_id: str
    point: int
    replication: int
    seed: int
    params: dict[str, Any]


def salib_problem(parameters: tuple[ParameterSpec, ...] | list[ParameterSpec]) -> dict[str, Any]:
    """The SALib problem: one variable per parameter; categories map to ``[0, k)``."""
    bounds = [
        [p.low, p.high] if p.is_range else [0.0, float(len(p.values or ()))] for p in parameters
    ]
    return {"num_vars": len(parameters), "names": [p.key for p in parameters], "bounds": bounds}


def _decode(param: ParameterSpec, x: float) -> Any:
    """The config value for one sampled coordinate ``x`` (in the problem's bounds)."""
    if param.values is not None:
        k = len(param.values)
        return param.values[min(max(math.floor(x), 0), k - 1)]
    if param.integer:
        return round(x)
    return float(x)


def _design_seed(root_seed: int) -> int:
    return int(np.random.SeedSequence([root_seed, _DESIGN_STREAM]).generate_state(1)[0])


def build_design(sweep: SweepFile) -> Design:
    """The design points of a sweep file.

    Args:
        sweep: the validated sweep file.

    Returns:
        The design (points in a deterministic order).
    """
    spec, params = sweep.spec, sweep.parameters
    if spec.design == "grid":
        levels = [p.values or () for p in params]
        points = [
            {p.key: v for p, v in zip(params, combo, strict=True)}
            for combo in itertools.product(*levels)
        ]
        return Design("grid", params, points)

    problem = salib_problem(params)
    seed = _design_seed(spec.seed)
    # SALib (and the scipy it pulls in) is imported only when a design needs it.
    if spec.design == "lhs":
        from SALib.sample import latin

        matrix = latin.sample(problem, int(spec.samples or 0), seed=seed)
    else:
        from SALib.sample import sobol

        matrix = sobol.sample(
            problem, int(spec.samples or 0), calc_second_order=False, scramble=True, seed=seed
        )
    points = [
        {p.key: _decode(p, float(x)) for p, x in zip(params, row, strict=True)} for row in matrix
    ]
    return Design(spec.design, params, points, problem)


def run_seeds(root_seed: int, n_points: int, replications: int) -> np.ndarray:
    """Seeds of every run, shape ``(n_points, replications)``, as spawned from the root.

    Args:
        root_seed: the sweep's ``seed``.
        n_points: number of design points.
        replications: replications per point.

    Returns:
        An int64 array; entry ``[i, r]`` is the seed of point ``i``, replication ``r``.
    """
    root = np.random.SeedSequence(root_seed)
    out = np.empty((n_points, replications), dtype=np.int64)
    for i, point_seq in enumerate(root.spawn(n_points)):
        for r, run_seq in enumerate(point_seq.spawn(replications)):
            out[i, r] = int(run_seq.generate_state(1)[0])
    return out


def run_id(point: int, replication: int) -> str:
    """Stable run name: ``p<point>-r<replication>``, zero-padded so names sort in order."""
    return f"p{point:05d}-r{replication:03d}"


def plan_runs(design: Design, replications: int, root_seed: int) -> list[RunSpec]:
    """Every run of the sweep in design order (point-major).

    Args:
        design: the design points.
        replications: replications per point.
        root_seed: the sweep's root seed.

    Returns:
        One :class:`RunSpec` per point and replication.
    """
    seeds = run_seeds(root_seed, len(design), replications)
    return [
        RunSpec(run_id(i, r), i, r, int(seeds[i, r]), dict(point))
        for i, point in enumerate(design.points)
        for r in range(replications)
    ]
